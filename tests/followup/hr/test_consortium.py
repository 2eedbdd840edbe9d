"""Setting up a shared programme: the owner shares, members join with their own copy of the
plan (brought up to date by joining again), leave, and only the owner's HR admins may do the
owner's part; the half-year a member's round belongs to."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from followup.digest.consortium import member_rounds, period_of
from followup.hr import consortium
from followup.hr.operations import Call, Refused
from followup.imports.plan import import_plan
from followup.people.access import Access
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from storage.consortium_store import ConsortiumStore
from storage.database import Database
from storage.models import (
    Activity,
    ActivityDepartment,
    ConsortiumMember,
    Department,
    Organisation,
    Programme,
    Round,
)
from storage.organisation_store import OrganisationStore
from tests.conftest import EXAMPLES

SE = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 3, 10, 12, tzinfo=SE)
CODE = "starka-chefer-2024-2027"


def hr(db: Database, organisation_id: int, *, now: datetime = NOW, admin: bool = True) -> Call:
    access = Access(
        actor="hr@example.se",
        organisation_id=organisation_id,
        admin=admin,
        lead_departments=frozenset() if admin else frozenset({1}),
    )
    return Call(db, access, "cli", now, Policy())


async def org(db: Database, tenant: str, name: str, departments: tuple[str, ...] = ()) -> int:
    made = await OrganisationStore(db).create(tenant_id=tenant, name=name, default_k=3)
    assert made.id is not None
    async with db.session() as s, s.begin():
        for code in departments:
            s.add(Department(organisation_id=made.id, code=code, name=f"Avdelning {code}"))
    return made.id


async def setup(db: Database) -> tuple[int, int]:
    centre = await org(db, "tenant-fou", "FoU Dalarna")
    await import_plan(db, organisation_id=centre, path=EXAMPLES / "demo-plan.yaml")
    member = await org(db, "tenant-alvby", "Älvby kommun", ("IFO", "ÄO"))  # no LSS, no SPS
    return centre, member


async def test_a_member_joins_with_its_own_copy_of_the_shared_plan(db: Database) -> None:
    centre, member = await setup(db)
    await consortium.create(hr(db, centre), programme_code=CODE)
    copy, report = await consortium.join(hr(db, member), consortium_ref="FoU Dalarna")
    assert copy.organisation_id == member and copy.code == CODE and copy.active
    async with db.session() as s:
        shared = {
            a.code: a
            for a in (await s.exec(select(Activity).where(Activity.programme_id != copy.id))).all()
        }
        own = {
            a.code: a
            for a in (await s.exec(select(Activity).where(Activity.programme_id == copy.id))).all()
        }
        links = (await s.exec(select(ActivityDepartment))).all()
        departments = {
            d.id: (d.organisation_id, d.code) for d in (await s.exec(select(Department))).all()
        }
    assert set(own) == set(shared) and not report.unchanged
    # an activity for some departments is for the member's departments of the same codes
    for code, activity in own.items():
        assert activity.all_departments == shared[code].all_departments
        mine = {departments[x.department_id] for x in links if x.activity_id == activity.id}
        theirs = {
            departments[x.department_id][1] for x in links if x.activity_id == shared[code].id
        }
        assert mine == {(member, c) for c in theirs if c in ("IFO", "ÄO")}
    # the member's departments stay its own: the shared plan brings none
    assert sorted(c for o, c in departments.values() if o == member) == ["IFO", "ÄO"]

    # the centre renames an activity; joining again brings the copy up to date, once
    async with db.session() as s, s.begin():
        renamed = next(iter(shared.values()))
        changed = await s.get(Activity, renamed.id)
        assert changed is not None
        changed.title = "Ett nytt namn"
    _, again = await consortium.join(hr(db, member), consortium_ref="FoU Dalarna")
    assert again.section("activities").changed == [renamed.code]
    _, third = await consortium.join(hr(db, member), consortium_ref="FoU Dalarna")
    assert third.unchanged
    listing = await consortium.listing(hr(db, centre))
    [(programme, members)] = listing.owned
    assert programme.code == CODE and [o.name for _, o in members] == ["Älvby kommun"]
    assert [owner.name for _, _, owner in (await consortium.listing(hr(db, member))).joined] == [
        "FoU Dalarna"
    ]


async def test_what_may_not_be_done_is_refused_in_words(db: Database) -> None:
    centre, member = await setup(db)
    with pytest.raises(RoundError) as unknown:
        await consortium.join(hr(db, member), consortium_ref="FoU Dalarna")
    assert unknown.value.code == "unknown_consortium"
    with pytest.raises(Refused):
        await consortium.create(hr(db, centre, admin=False), programme_code=CODE)
    await consortium.create(hr(db, centre), programme_code=CODE)
    with pytest.raises(RoundError) as twice:
        await consortium.create(hr(db, centre), programme_code=CODE)
    assert twice.value.code == "consortium_exists"
    with pytest.raises(RoundError) as own:
        await consortium.join(hr(db, centre), consortium_ref="tenant-fou")
    assert own.value.code == "consortium_own_member"
    with pytest.raises(RoundError) as not_member:
        await consortium.leave(hr(db, member), consortium_ref="FoU Dalarna")
    assert not_member.value.code == "not_consortium_member"
    # a member's copy cannot be shared on
    await consortium.join(hr(db, member), consortium_ref="FoU Dalarna")
    with pytest.raises(RoundError) as copy:
        await consortium.create(hr(db, member), programme_code=CODE)
    assert copy.value.code == "consortium_is_member"
    # a member's HR asking for the shared digest: refused, the member has none
    with pytest.raises(RoundError) as digest:
        await consortium.digest(hr(db, member))
    assert digest.value.code == "not_consortium"
    with pytest.raises(RoundError) as period:
        await consortium.digest(hr(db, centre), period="1999-spring")
    assert period.value.code == "unknown_period"


async def test_a_members_rounds_count_for_their_half_year_while_it_is_a_member(
    db: Database,
) -> None:
    centre, member = await setup(db)
    await consortium.create(hr(db, centre), programme_code=CODE)
    joined = NOW
    await consortium.join(hr(db, member), consortium_ref="FoU Dalarna")
    await consortium.leave(
        hr(db, member, now=NOW + timedelta(days=200)), consortium_ref="tenant-fou"
    )
    async with db.session() as s:
        copy = (await s.exec(select(Programme).where(Programme.organisation_id == member))).one()
        organisation = await s.get(Organisation, member)
    assert copy.id is not None and organisation is not None

    def opened(day: datetime, title: str) -> Round:
        return Round(
            organisation_id=member,
            programme_id=copy.id or 0,
            title=title,
            state="closed",
            opens_at=day,
            deadline=day + timedelta(days=21),
            closed_at=day + timedelta(days=21),
            reminder_offsets=[],
            reminder_cap=0,
            k=3,
        )

    rounds = [
        opened(joined - timedelta(days=30), "Before joining"),  # February: not a member yet
        opened(datetime(2026, 4, 15, 8, tzinfo=SE), "Spring"),
        opened(datetime(2026, 5, 4, 8, tzinfo=SE), "Spring again"),  # the latest of the spring
        opened(datetime(2026, 6, 1, 8, tzinfo=SE), "Skipped"),  # archived before it opened
        opened(datetime(2026, 10, 15, 8, tzinfo=SE), "After leaving"),
    ]
    rounds[3].state, rounds[3].closed_at = "archived", None
    for i, r in enumerate(rounds, start=1):
        r.id = i
    assert [period_of(r, SE) for r in rounds] == [
        "2026-spring",
        "2026-spring",
        "2026-spring",
        "2026-spring",
        "2026-autumn",
    ]
    async with db.session() as s:
        members = [
            (m, organisation)
            for m in (
                await s.exec(select(ConsortiumMember).order_by(col(ConsortiumMember.id)))
            ).all()
        ]
    assert {
        period: {o: r.title for o, r in by_member.items()}
        for period, by_member in member_rounds(members, rounds, SE).items()
    } == {"2026-spring": {member: "Spring again"}}
    # the membership was kept with when it ended
    [(kept, _)] = await ConsortiumStore(db).members(members[0][0].consortium_id)
    assert kept.left_at is not None
