"""The round lifecycle, in one place: creating, opening, reminding, extending, closing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from followup.policy import Policy
from followup.rounds.lifecycle import (
    RoundError,
    archive_round,
    close_round,
    create_round,
    extend_round,
    find_round,
    open_round,
    preview_audience,
    reminder_times,
)
from followup.rounds.progress import overview, remind, set_on_leave
from followup.rounds.roster_reach import invite_late
from storage.database import Database
from storage.models import Chef, Department
from storage.organisation_store import OrganisationStore
from storage.types import utcnow
from tests.followup.check_in.test_steps import KARIN, demo

JOHAN = "johan.lindqvist@demo.ledarpuls.se"  # on leave in the demo roster until 2026-12-31


async def everyone_at_work(db: Database, org: int) -> None:
    """The demo's leave would make the counts depend on today's date."""
    await set_on_leave(
        db, organisation_id=org, upn=JOHAN, until=None, now=utcnow(), policy=Policy()
    )


async def departments(db: Database) -> dict[str, int]:
    async with db.session() as s:
        return {d.code: d.id for d in (await s.exec(select(Department))).all() if d.id}


async def test_a_round_needs_sections_a_title_and_a_deadline_after_it_opens(db: Database) -> None:
    org, programme, _ = await demo(db)
    now = utcnow()
    common: dict[str, Any] = {
        "organisation_id": org,
        "programme_id": programme,
        "now": now,
        "policy": Policy(),
    }
    with pytest.raises(RoundError) as caught:
        await create_round(db, title="X", deadline=now + timedelta(days=9), sections={}, **common)
    assert caught.value.code == "no_sections"
    with pytest.raises(RoundError) as caught:
        await create_round(
            db,
            title="X",
            deadline=now + timedelta(days=9),
            sections={"confidence": "public"},
            **common,
        )
    assert caught.value.code == "bad_section"
    with pytest.raises(RoundError) as caught:
        await create_round(
            db,
            title="X",
            deadline=now + timedelta(days=2),
            opens_at=now + timedelta(days=5),
            **common,
        )
    assert caught.value.code == "deadline_before_opening"
    with pytest.raises(RoundError) as caught:
        await create_round(
            db, title="X", deadline=now + timedelta(days=9), department_ids=[99999], **common
        )
    assert caught.value.code == "unknown_department"
    draft = await create_round(db, title="Delår 1", deadline=now + timedelta(days=9), **common)
    scheduled = await create_round(
        db,
        title="Delår 2",
        deadline=now + timedelta(days=40),
        opens_at=now + timedelta(days=20),
        **common,
    )
    assert (draft.state, scheduled.state) == ("draft", "scheduled")


async def test_opening_invites_the_audience_and_skips_and_lists_those_on_leave(
    db: Database,
) -> None:
    org, programme, karin = await demo(db)
    now = utcnow()
    ids = await departments(db)
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="ÄO och LSS",
        deadline=now + timedelta(days=21),
        now=now,
        department_ids=[ids["ÄO"], ids["LSS"]],
        policy=Policy(),
    )
    assert round_.id is not None
    await set_on_leave(
        db, organisation_id=org, upn=KARIN, until=date(2099, 1, 1), now=now, policy=Policy()
    )
    opening = await open_round(db, round_id=round_.id, now=now, policy=Policy())
    assert len(opening.invited) == 5 and opening.on_leave == [karin]  # 3 + 3 chefs, Karin away
    assert opening.queued == 5
    with pytest.raises(RoundError) as caught:
        await open_round(db, round_id=round_.id, now=now, policy=Policy())
    assert caught.value.code == "not_openable"


async def test_a_chef_who_installs_during_an_open_round_is_invited_once(db: Database) -> None:
    org, programme, karin = await demo(db)
    now = utcnow()
    ids = await departments(db)
    ifo_only = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="IFO",
        deadline=now + timedelta(days=21),
        now=now,
        department_ids=[ids["IFO"]],
        policy=Policy(),
    )
    assert ifo_only.id is not None
    await open_round(db, round_id=ifo_only.id, now=now, policy=Policy())
    async with db.session() as s, s.begin():
        newcomer = Chef(
            organisation_id=org,
            department_id=ids["IFO"],
            upn="ny@demo.example",
            email="ny@demo.example",
            name="Ny Chef",
        )
        s.add(newcomer)
    assert newcomer.id is not None
    assert await invite_late(db, chef_id=newcomer.id, now=now, policy=Policy()) == [ifo_only.id]
    assert await invite_late(db, chef_id=newcomer.id, now=now, policy=Policy()) == []
    assert (
        await invite_late(db, chef_id=karin, now=now, policy=Policy()) == []
    )  # ÄO: not in this round's audience


async def test_extending_moves_the_reminders_and_closing_twice_is_refused(db: Database) -> None:
    org, programme, _ = await demo(db)
    now = utcnow()
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Delår 1",
        deadline=now + timedelta(days=21),
        now=now,
        policy=Policy(),
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=now, policy=Policy())
    before = reminder_times(round_)
    extended = await extend_round(
        db, round_id=round_.id, deadline=round_.deadline + timedelta(days=7), now=now
    )
    assert [b + timedelta(days=7) for b in before] == reminder_times(extended)
    with pytest.raises(RoundError) as caught:
        await extend_round(db, round_id=round_.id, deadline=round_.deadline, now=now)
    assert caught.value.code == "not_later"
    with pytest.raises(RoundError) as caught:
        await archive_round(db, round_id=round_.id, now=now)
    assert caught.value.code == "not_closed"  # an open round is closed before it is archived
    await close_round(db, round_id=round_.id, now=now)
    with pytest.raises(RoundError) as caught:
        await close_round(db, round_id=round_.id, now=now)
    assert caught.value.code == "already_closed"
    with pytest.raises(RoundError) as caught:
        await remind(db, round_id=round_.id, now=now)
    assert caught.value.code == "not_open"
    assert (await archive_round(db, round_id=round_.id, now=now)).state == "archived"


async def test_a_round_needs_an_audience_and_a_title_of_its_own(db: Database) -> None:
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    now = utcnow()
    common: dict[str, Any] = {
        "organisation_id": org,
        "programme_id": programme,
        "now": now,
        "policy": Policy(),
    }
    deadline = now + timedelta(days=21)
    async with db.session() as s, s.begin():
        empty = Department(organisation_id=org, code="NY", name="Ny avdelning")
        s.add(empty)
    assert empty.id is not None
    with pytest.raises(RoundError) as caught:
        await create_round(db, title="Tom", deadline=deadline, department_ids=[empty.id], **common)
    assert caught.value.code == "no_audience"
    lss = (await departments(db))["LSS"]
    round_ = await create_round(db, title="LSS", deadline=deadline, department_ids=[lss], **common)
    with pytest.raises(RoundError) as caught:
        await create_round(db, title=" lss ", deadline=deadline, **common)
    assert caught.value.code == "duplicate_title"
    assert round_.id is not None
    preview = await preview_audience(
        db, organisation_id=org, department_ids=[lss], now=now, policy=Policy()
    )
    assert [c.name for c in preview.invited] == ["Erik Håkansson", "Amira Hassan", "Lena Ek"]
    for upn in ("erik.hakansson", "amira.hassan", "lena.ek"):
        await set_on_leave(
            db,
            organisation_id=org,
            upn=f"{upn}@demo.ledarpuls.se",
            until=date(2099, 1, 1),
            now=now,
            policy=Policy(),
        )
    with pytest.raises(RoundError) as caught:  # everyone in it is on leave
        await open_round(db, round_id=round_.id, now=now, policy=Policy())
    assert caught.value.code == "no_audience"
    with pytest.raises(RoundError) as caught:
        await set_on_leave(
            db, organisation_id=org, upn=JOHAN, until=date(2020, 1, 1), now=now, policy=Policy()
        )
    assert caught.value.code == "leave_in_past"


async def test_commands_find_the_open_round_and_only_in_their_organisation(db: Database) -> None:
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    now = utcnow()
    common: dict[str, Any] = {
        "organisation_id": org,
        "programme_id": programme,
        "now": now,
        "policy": Policy(),
    }
    older = await create_round(db, title="Delår 1", deadline=now + timedelta(days=5), **common)
    draft = await create_round(db, title="Delår 2", deadline=now + timedelta(days=90), **common)
    assert older.id is not None and draft.id is not None
    with pytest.raises(RoundError) as caught:
        await find_round(db, organisation_id=org)
    assert caught.value.code == "no_round"
    await open_round(db, round_id=older.id, now=now, policy=Policy())
    assert (await find_round(db, organisation_id=org)).id == older.id  # open beats a draft
    other = await OrganisationStore(db).create(
        tenant_id="other", name="Grannkommunen", default_k=Policy().k
    )
    assert other.id is not None
    with pytest.raises(RoundError) as caught:
        await find_round(db, organisation_id=other.id, round_id=older.id)
    assert caught.value.code == "unknown_round"
    with pytest.raises(RoundError) as caught:
        await close_round(db, round_id=older.id, now=now, organisation_id=other.id)
    assert caught.value.code == "unknown_round"
    rows = await overview(db, organisation_id=org)
    assert [(r.round.title, r.invited, r.submitted) for r in rows] == [
        ("Delår 2", 0, 0),
        ("Delår 1", 12, 0),
    ]
    assert await overview(db, organisation_id=other.id) == []
