"""Rounds read by the follow-up: newest first per organisation, and those due for retention."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import update

from storage.database import Database
from storage.models import Round
from storage.round_store import RoundStore
from tests.storage.world import NOW, add_round, world


async def test_an_organisations_rounds_come_newest_deadline_first(db: Database) -> None:
    w = await world(db)
    first = await add_round(db, w, title="Våren", days=10)
    second = await add_round(db, w, title="Hösten", days=190)
    store = RoundStore(db)
    assert [r.id for r in await store.of_organisation(w.organisation)] == [second, first]
    assert await store.of_organisation(w.organisation + 1) == []
    found = await store.get(first)
    assert found is not None and found.title == "Våren"
    assert await store.get(second + 10) is None


async def test_rounds_closed_long_enough_ago_and_not_retained_are_due(db: Database) -> None:
    w = await world(db)
    old = await add_round(db, w, title="Gammal", state="closed", days=-400)
    older = await add_round(db, w, title="Äldre", state="archived", days=-800)
    retained = await add_round(db, w, title="Gallrad", state="closed", days=-900)
    recent = await add_round(db, w, title="Ny", state="closed", days=-10)
    await add_round(db, w, title="Öppen", state="open", days=-500)
    async with db.session() as s, s.begin():
        for round_id, days in ((old, -400), (older, -800), (retained, -900), (recent, -10)):
            await s.exec(
                update(Round)
                .where(Round.id == round_id)  # type: ignore[arg-type]
                .values(closed_at=NOW + timedelta(days=days))
            )
        await s.exec(
            update(Round).where(Round.id == retained).values(retained_at=NOW)  # type: ignore[arg-type]
        )
    due = await RoundStore(db).closed_unretained(
        organisation_id=w.organisation,
        closed_by=NOW - timedelta(days=365),
        states=("closed", "archived"),
    )
    assert due == [older, old]
