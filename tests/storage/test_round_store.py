"""Rounds as the lifecycle and the scheduler's passes find them: due to open, close or report
on, still open, the latest, by title, planned by the calendar, and the departments chosen."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import update

from storage.database import Database
from storage.models import Department, Round
from storage.round_store import RoundStore
from tests.storage.world import NOW, RULES, World, add_round, world


async def new_round(
    db: Database,
    w: World,
    *,
    title: str,
    state: str = "scheduled",
    opens: datetime | None = None,
    deadline: datetime | None = None,
    created_by: str = "",
    departments: tuple[str, ...] = (),
) -> int:
    """A round written through the store, as `create_round` does."""
    async with db.session() as s, s.begin():
        round_ = await RoundStore(db).add(
            Round(
                organisation_id=w.organisation,
                programme_id=w.programme,
                title=title,
                state=state,
                opens_at=opens,
                deadline=deadline or NOW + timedelta(days=30),
                audience_all=not departments,
                k=RULES.k,
                reminder_offsets=list(RULES.reminder_offsets),
                reminder_cap=RULES.reminder_cap,
                created_by=created_by,
            ),
            department_ids=[w.departments[d] for d in departments],
            session=s,
        )
    assert round_.id is not None
    return round_.id


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


async def test_the_latest_round_in_the_states_asked_for(db: Database) -> None:
    w = await world(db)
    await add_round(db, w, title="Tidig", state="open", days=5)
    late = await add_round(db, w, title="Sen", state="open", days=50)
    closed = await add_round(db, w, title="Stängd", state="closed", days=90)
    store = RoundStore(db)
    latest_open = await store.latest(organisation_id=w.organisation, states=["open"])
    assert latest_open is not None and latest_open.id == late
    either = await store.latest(organisation_id=w.organisation, states=["open", "closed"])
    assert either is not None and either.id == closed
    assert await store.latest(organisation_id=w.organisation, states=["draft"]) is None
    assert await store.latest(organisation_id=w.organisation + 1, states=["open"]) is None


async def test_a_title_is_taken_in_any_case_until_its_round_is_archived(db: Database) -> None:
    w = await world(db)
    taken = await add_round(db, w, title="Delår 1 2026", state="draft")
    await add_round(db, w, title="Delår 2 2025", state="archived")
    store = RoundStore(db)
    assert await store.live_titled(programme_id=w.programme, title="DELÅR 1 2026") == taken
    assert await store.live_titled(programme_id=w.programme, title="Delår 2 2025") is None
    assert await store.live_titled(programme_id=w.programme + 1, title="Delår 1 2026") is None


async def test_choosing_departments_replaces_the_ones_chosen_before(db: Database) -> None:
    w = await world(db)
    round_id = await new_round(db, w, title="För IFO", departments=("IFO",))
    store = RoundStore(db)
    assert await store.chosen_departments(round_id) == [w.departments["IFO"]]
    assert await store.department_names(round_id) == ["Individ- och familjeomsorg"]
    async with db.session() as s, s.begin():
        await store.choose_departments(
            round_id, department_ids=[w.departments["AO"], w.departments["IFO"]], session=s
        )
        s.add(Department(organisation_id=w.organisation, code="X", name="Annan"))
    assert sorted(await store.chosen_departments(round_id)) == sorted(w.departments.values())
    # alphabetically, whatever order they were chosen in
    assert await store.department_names(round_id) == [
        "Individ- och familjeomsorg",
        "Äldreomsorg",
    ]
    async with db.session() as s, s.begin():
        await store.choose_departments(round_id, department_ids=[], session=s)
    assert await store.chosen_departments(round_id) == []


async def test_the_passes_find_what_is_due_now(db: Database) -> None:
    w = await world(db)
    to_open = await new_round(db, w, title="Öppnas", opens=NOW - timedelta(minutes=1))
    later = await new_round(db, w, title="Senare", opens=NOW + timedelta(days=3))
    much_later = await new_round(db, w, title="Långt senare", opens=NOW + timedelta(days=30))
    to_close = await add_round(db, w, title="Stängs", state="open", days=-1)
    running = await add_round(db, w, title="Pågår", state="open", days=5)
    reported = await add_round(db, w, title="Rapporterad", state="closed", days=-20)
    unreported = await add_round(db, w, title="Orapporterad", state="closed", days=-2)
    async with db.session() as s, s.begin():
        await s.exec(
            update(Round).where(Round.id == reported).values(results_queued_at=NOW)  # type: ignore[arg-type]
        )
    store = RoundStore(db)
    assert await store.due_to_open(now=NOW) == [to_open]
    assert await store.due_to_close(now=NOW) == [to_close]
    assert await store.closed_without_results() == [unreported]
    assert [r.id for r in await store.still_open(now=NOW)] == [running]
    assert await store.still_open(now=NOW, organisation_id=w.organisation + 1) == []
    heads_up = await store.opening_between(after=NOW, until=NOW + timedelta(days=7))
    assert [r.id for r in heads_up] == [later]
    assert much_later not in {r.id for r in heads_up}


async def test_the_calendars_rounds_are_found_by_day_or_title(db: Database) -> None:
    w = await world(db)
    opens = NOW + timedelta(days=20)
    planned = await new_round(db, w, title="Våren 2026", opens=opens, created_by="calendar")
    hrs = await new_round(db, w, title="HR:s egen", opens=NOW + timedelta(days=10), created_by="hr")
    store = RoundStore(db)
    found = store.planned
    assert (
        await found(
            programme_id=w.programme, created_by="calendar", opens_at=opens, titles=["Annat"]
        )
        == planned
    )
    # moved by HR to another day: still the calendar's round for that half-year
    assert (
        await found(
            programme_id=w.programme,
            created_by="calendar",
            opens_at=NOW,
            titles=["Våren 2026 – Ledarlyftet", "Våren 2026"],
        )
        == planned
    )
    assert (
        await found(
            programme_id=w.programme, created_by="calendar", opens_at=NOW, titles=["Hösten 2026"]
        )
        is None
    )
    soonest_first = await store.scheduled(programme_id=w.programme, after=NOW)
    assert [r.id for r in soonest_first] == [hrs, planned]
    async with db.session() as s, s.begin():
        locked = await store.scheduled(
            programme_id=w.programme, after=NOW, created_by="calendar", lock=True, session=s
        )
        assert [r.id for r in locked] == [planned]
    assert await store.scheduled(programme_id=w.programme, after=opens) == []


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
