"""A programme shared by several organisations: setting up the consortium and its members, and
the consortium's compiled digest — one operation each, for Teams and the command line alike.

The consortium is an organisation of its own (e.g. a regional R&D centre, its own tenant and HR
admins) that owns the programme. A member joins with its own copy of the shared plan (the same
programme code, principles, areas and activities; an activity for some departments is for the
member's departments of the same codes), runs its rounds of it in its own tenant, and sees its
own digest as for any programme. Joining again brings the member's copy up to date with the
consortium's plan. Only the consortium's HR admins get the compiled digest
(`followup.digest.consortium`): a member's HR and a department lead are refused."""

from __future__ import annotations

from dataclasses import dataclass, field

from followup.digest.consortium import ConsortiumDigest, consortium_figures
from followup.hr.operations import Call, authorise, record_refusal
from followup.imports.changes import ImportReport
from followup.imports.plan_apply import apply_plan
from followup.imports.plan_checks import (
    ActivitySpec,
    AreaSpec,
    PlanSpec,
    PrincipleSpec,
    ProgrammeSpec,
)
from followup.imports.tabular import Row
from followup.rounds.lifecycle import RoundError
from storage.consortium_store import ConsortiumStore
from storage.database import Session
from storage.models import Consortium, ConsortiumMember, Organisation, Programme
from storage.organisation_store import OrganisationNotFound, OrganisationStore
from storage.plan_store import PlanStore
from storage.programme_store import ProgrammeStore

# what the audit log and the refusals call these operations (HR admins only: not a lead's)
CREATE, JOIN, LEAVE, LIST, DIGEST = (
    "consortium_create",
    "consortium_join",
    "consortium_leave",
    "consortium_list",
    "consortium",
)


@dataclass
class ConsortiumListing:
    """The consortia an organisation owns (with their members) and those it is a member of."""

    owned: list[tuple[Programme, list[tuple[ConsortiumMember, Organisation]]]] = field(
        default_factory=list
    )
    joined: list[tuple[ConsortiumMember, Programme, Organisation]] = field(default_factory=list)


async def _programme(call: Call, organisation_id: int, code: str, session: Session) -> Programme:
    programme = await ProgrammeStore(call.db).by_code(
        organisation_id=organisation_id, code=code, session=session
    )
    if programme is None or programme.id is None:
        raise RoundError("unknown_programme_code", programme=code.strip()[:80])
    return programme


async def create(call: Call, *, programme_code: str) -> Consortium:
    """The caller's organisation shares its programme with this code: it becomes a consortium
    that other organisations may join."""
    await authorise(call, CREATE)
    store = ConsortiumStore(call.db)
    async with call.db.session() as session, session.begin():
        programme = await _programme(call, call.organisation_id, programme_code, session)
        assert programme.id is not None
        if await store.of_programme(programme.id, session=session) is not None:
            raise RoundError("consortium_exists", programme=programme.title)
        if await _copy_of_another(call, programme, session):
            raise RoundError("consortium_is_member", programme=programme.title)
        consortium = await store.add(
            organisation_id=call.organisation_id,
            programme_id=programme.id,
            now=call.now,
            session=session,
        )
    await call.audit("consortium.create", programme=programme.code, consortium=consortium.id)
    return consortium


async def _copy_of_another(call: Call, programme: Programme, session: Session) -> bool:
    """Is this programme a member's copy of another consortium's plan?"""
    joined = await ConsortiumStore(call.db).joined_by(call.organisation_id, session=session)
    return any(member.programme_id == programme.id for member, _, _ in joined)


async def _consortium(call: Call, owner_ref: str, programme_code: str | None) -> Consortium:
    """The consortium an organisation (by tenant id, name or id) owns: its only one, or the one
    of the programme with this code."""
    try:
        owner = await OrganisationStore(call.db).find(owner_ref)
    except OrganisationNotFound as error:
        raise RoundError("unknown_consortium", consortium=owner_ref.strip()[:80]) from error
    assert owner.id is not None
    owned = await ConsortiumStore(call.db).owned_by(owner.id)
    if programme_code is not None:
        owned = [(c, p) for c, p in owned if p.code.casefold() == programme_code.casefold()]
    if len(owned) != 1:
        raise RoundError("unknown_consortium", consortium=owner_ref.strip()[:80])
    return owned[0][0]


def _shared_plan(
    programme: Programme,
    principles: list[PrincipleSpec],
    areas: dict[int, AreaSpec],
    activities: list[tuple[int, ActivitySpec]],
) -> PlanSpec:
    return PlanSpec(
        file=programme.code,
        programme=ProgrammeSpec(
            programme.code,
            programme.title,
            programme.start_year,
            programme.end_year,
            programme.goal,
            tuple(programme.round_opens),
            programme.answer_days,
        ),
        departments=None,  # the member's own departments stay as they are
        principles=tuple(principles),
        areas=tuple(areas.values()),
        activities=tuple(a for _, a in activities),
    )


async def _copy_plan(
    call: Call, *, source: Programme, member_id: int, session: Session
) -> tuple[Programme, ImportReport]:
    """The member's copy of the consortium's plan, made or brought up to date through the one
    road a plan takes into an organisation (`apply_plan`)."""
    plans = PlanStore(call.db)
    assert source.id is not None
    principles = [
        PrincipleSpec(p.number, p.title, p.description)
        for p in await plans.principles(source.id, active_only=True, session=session)
    ]
    areas = {
        a.id: AreaSpec(a.code, a.name, a.position)
        for a in await plans.areas(source.id, active_only=True, session=session)
        if a.id is not None
    }
    owner_departments = {
        d.id: d.code for d in await plans.departments(source.organisation_id, session=session)
    }
    own = {d.code.casefold() for d in await plans.departments(member_id, session=session)}
    found = [
        a
        for a in await plans.activities(source.id, active_only=True, session=session)
        if a.area_id in areas
    ]
    links: dict[int, list[str]] = {}
    for link in await plans.activity_links([a.id for a in found], session=session):
        code = owner_departments.get(link.department_id)
        if code is not None and code.casefold() in own:
            links.setdefault(link.activity_id, []).append(code)
    activities = [
        (
            a.area_id,
            ActivitySpec(
                code=a.code,
                area=areas[a.area_id].code,
                title=a.title,
                description=a.description,
                departments=None if a.all_departments else tuple(sorted(links.get(a.id or 0, []))),
                years=tuple(a.years),
                owner=a.owner,
                due=a.due,
                position=a.position,
                row=Row(source.code, None, 0, {}),
            ),
        )
        for a in found
    ]
    spec = _shared_plan(source, principles, areas, activities)
    report = await apply_plan(
        plans, session, organisation_id=member_id, spec=spec, programme=None, now=call.now
    )
    copy = await ProgrammeStore(call.db).by_code(
        organisation_id=member_id, code=source.code, session=session
    )
    assert copy is not None and copy.id is not None
    copy.active = True
    return copy, report


async def join(
    call: Call, *, consortium_ref: str, programme_code: str | None = None
) -> tuple[Programme, ImportReport]:
    """The caller's organisation joins the consortium an organisation owns (again: its copy of
    the plan is brought up to date, and a member that had left is one again from now)."""
    await authorise(call, JOIN)
    consortium = await _consortium(call, consortium_ref, programme_code)
    assert consortium.id is not None
    if consortium.organisation_id == call.organisation_id:
        raise RoundError("consortium_own_member")
    store = ConsortiumStore(call.db)
    async with call.db.session() as session, session.begin():
        source = await ProgrammeStore(call.db).get(consortium.programme_id, session=session)
        assert source is not None
        copy, report = await _copy_plan(
            call, source=source, member_id=call.organisation_id, session=session
        )
        assert copy.id is not None
        member = await store.membership(
            consortium_id=consortium.id, organisation_id=call.organisation_id, session=session
        )
        if member is None:
            await store.add_member(
                consortium_id=consortium.id,
                organisation_id=call.organisation_id,
                programme_id=copy.id,
                now=call.now,
                session=session,
            )
        elif member.left_at is not None:
            member.joined_at, member.left_at, member.programme_id = call.now, None, copy.id
    await call.audit("consortium.join", consortium=consortium.id, programme=copy.code)
    return copy, report


async def leave(call: Call, *, consortium_ref: str, programme_code: str | None = None) -> Programme:
    """The caller's organisation leaves the consortium: its rounds from now on are its own only
    (those that opened while it was a member still count for their half-year); its copy of the
    plan and its rounds stay."""
    await authorise(call, LEAVE)
    consortium = await _consortium(call, consortium_ref, programme_code)
    assert consortium.id is not None
    store = ConsortiumStore(call.db)
    async with call.db.session() as session, session.begin():
        member = await store.membership(
            consortium_id=consortium.id, organisation_id=call.organisation_id, session=session
        )
        if member is None or member.left_at is not None:
            raise RoundError("not_consortium_member")
        member.left_at = call.now
        programme = await ProgrammeStore(call.db).get(member.programme_id, session=session)
    assert programme is not None
    await call.audit("consortium.leave", consortium=consortium.id)
    return programme


async def listing(call: Call) -> ConsortiumListing:
    """The consortia the caller's organisation owns, with every member (and when it left), and
    those it is a member of."""
    await authorise(call, LIST)
    store, programmes = ConsortiumStore(call.db), ProgrammeStore(call.db)
    result = ConsortiumListing()
    for consortium, programme in await store.owned_by(call.organisation_id):
        assert consortium.id is not None
        result.owned.append((programme, await store.members(consortium.id)))
    for member, consortium, owner in await store.joined_by(call.organisation_id):
        shared = await programmes.get(consortium.programme_id)
        assert shared is not None
        result.joined.append((member, shared, owner))
    return result


async def digest(
    call: Call, *, period: str | None = None, programme_code: str | None = None
) -> ConsortiumDigest:
    """The consortium's digest of a half-year (None: the latest), for its own HR admins only."""
    await authorise(call, DIGEST)
    try:
        owned = await ConsortiumStore(call.db).owned_by(call.organisation_id)
        if programme_code is not None:
            owned = [(c, p) for c, p in owned if p.code.casefold() == programme_code.casefold()]
        if not owned:
            raise RoundError("not_consortium")
        if len(owned) > 1:
            raise RoundError("which_consortium")
        consortium, programme = owned[0]
        figures, periods = await consortium_figures(
            call.db, consortium, period=period, now=call.now, policy=call.policy
        )
        if period is not None and period not in periods:
            raise RoundError("unknown_period", period=period.strip()[:20])
    except RoundError as error:
        await record_refusal(call, DIGEST, error)
        raise
    organisation = await OrganisationStore(call.db).get(call.organisation_id)
    assert organisation is not None
    await call.audit("consortium.digest", consortium=consortium.id, period=figures.period)
    return ConsortiumDigest(
        organisation.name, programme.title, programme.goal, call.now, figures, periods
    )
