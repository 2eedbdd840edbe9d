"""Programmes as the calendar and the CLI find them: the active ones, one locked for a calendar
change, and the version a plan is cached by."""

from __future__ import annotations

from datetime import timedelta

from storage.database import Database
from storage.models import Programme
from storage.programme_store import ProgrammeStore
from tests.storage.world import NOW, world


async def test_only_active_programmes_of_the_organisation_asked_for(db: Database) -> None:
    w = await world(db)
    async with db.session() as s, s.begin():
        s.add(
            Programme(
                organisation_id=w.organisation,
                code="OLD",
                title="Förra planen",
                start_year=2022,
                end_year=2025,
                round_opens=["04-15"],
                answer_days=14,
                active=False,
            )
        )
    store = ProgrammeStore(db)
    assert [p.code for p in await store.active(organisation_id=w.organisation)] == ["P1"]
    assert await store.active(organisation_id=w.organisation + 1) == []
    assert [p.id for p in await store.active(programme_id=w.programme)] == [w.programme]
    assert [p.code for p in await store.active()] == ["P1"]


async def test_a_calendar_change_finds_only_the_organisations_own_programme(
    db: Database,
) -> None:
    w = await world(db)
    store = ProgrammeStore(db)
    async with db.session() as s, s.begin():
        programme = await store.calendar(
            programme_id=w.programme, organisation_id=w.organisation, session=s
        )
        assert programme is not None
        programme.round_opens = ["03-01"]
        programme.updated_at = NOW
        assert (
            await store.calendar(
                programme_id=w.programme, organisation_id=w.organisation + 1, session=s
            )
            is None
        )
    changed = await store.get(w.programme)
    assert changed is not None and changed.round_opens == ["03-01"]


async def test_the_version_moves_when_the_plan_changes(db: Database) -> None:
    w = await world(db)
    store = ProgrammeStore(db)
    before = await store.version(w.programme)
    async with db.session() as s, s.begin():
        programme = await store.calendar(
            programme_id=w.programme, organisation_id=w.organisation, session=s
        )
        assert programme is not None
        programme.updated_at = before + timedelta(hours=1)
    assert await store.version(w.programme) == before + timedelta(hours=1)
