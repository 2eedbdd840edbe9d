"""The rules every HR operation keeps, whichever front asks: who may, what is logged, what closing
sends, and that an organisation always keeps an HR admin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from followup.hr import operations, roles
from followup.hr.operations import Call, Refused
from followup.people.access import Access, access_of
from followup.people.enrolment import Member
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import AuditEvent, Department, Invitation, OutboxMessage, Role, Round
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore
from storage.round_store import RoundStore
from storage.types import utcnow
from tests.followup.check_in.test_steps import KARIN, a_round, answer_everything, demo

EVA = "eva.lindgren@demo.ledarpuls.se"
MARIA = "maria.akesson@demo.ledarpuls.se"  # a chef of the demo roster


def hr(org: int, actor: str = KARIN) -> Access:
    return Access(actor=actor, organisation_id=org, admin=True)


def call(db: Database, access: Access, via: str = "teams") -> Call:
    return Call(db, access, via, utcnow(), Policy())


async def audit_log(db: Database) -> list[AuditEvent]:
    async with db.session() as s:
        return list((await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all())


async def department(db: Database, code: str) -> int:
    async with db.session() as s:
        found = (await s.exec(select(Department).where(Department.code == code))).one()
    assert found.id is not None
    return found.id


async def test_a_chef_is_refused_every_hr_operation_and_each_refusal_is_on_record(
    db: Database,
) -> None:
    org, programme, _ = await demo(db)
    round_id = await a_round(db, org, programme, "Delår 1", days=14)
    chef = call(db, Access(actor="maria@demo.ledarpuls.se", organisation_id=org), via="cli")
    attempts = {
        "remind": operations.remind(chef, round_id=round_id),
        "close": operations.close_round(chef, round_id=round_id),
        "extend": operations.extend_round(
            chef, round_id=round_id, deadline=utcnow() + timedelta(days=30)
        ),
        "status": operations.round_status(chef, round_id=round_id),
        "rounds": operations.list_rounds(chef),
        "digest": operations.request_digest(chef, round_id=round_id),
        "add_hr": roles.add_role(chef, principal="maria@demo.ledarpuls.se"),
        "remove_hr": roles.remove_role(chef, principal=KARIN),
        "roles": roles.list_roles(chef),
    }
    for command, attempt in attempts.items():
        with pytest.raises(Refused) as refused:
            await attempt
        assert refused.value.command == command
    async with db.session() as s:
        [round_] = (await s.exec(select(Round))).all()
        assert (
            await s.exec(select(OutboxMessage).where(OutboxMessage.kind != "invitation"))
        ).all() == []
    assert round_.state == "open"
    log = await audit_log(db)
    assert [(e.action, e.detail["command"], e.detail["via"]) for e in log] == [
        ("hr.refused", command, "cli") for command in attempts
    ]
    assert all(e.actor == "maria@demo.ledarpuls.se" and e.round_id is None for e in log)


async def test_a_lead_follows_their_departments_but_runs_nothing(db: Database) -> None:
    org, programme, _ = await demo(db)
    round_id = await a_round(db, org, programme, "Delår 1", days=14)
    ifo = await department(db, "IFO")
    lead = call(
        db, Access(actor="lead@x.se", organisation_id=org, lead_departments=frozenset({ifo}))
    )

    status = await operations.round_status(lead, round_id=None)  # the open round, found
    assert list(status.departments) == ["Individ- och familjeomsorg"]
    [row] = await operations.list_rounds(lead)
    assert row.round.id == round_id
    digest = await operations.request_digest(lead, round_id=round_id)
    assert digest.round.id == round_id
    with pytest.raises(Refused):
        await operations.remind(lead, round_id=round_id)
    actions = [(e.action, e.detail.get("command")) for e in await audit_log(db)]
    assert actions == [
        ("round.status", None),
        ("round.list", None),
        ("digest.view", None),
        ("hr.refused", "remind"),
    ]


async def test_closing_queues_the_digest_and_feedback_at_once_but_not_to_the_closer_twice(
    db: Database,
) -> None:
    org, programme, karin = await demo(db)
    round_id = await a_round(db, org, programme, "Delår 1", days=14)
    now = utcnow()
    await RoleStore(db).grant(
        organisation_id=org, principal=KARIN, role=Role.HR_ADMIN, created_by="t", now=now
    )
    await RoleStore(db).grant(
        organisation_id=org, principal=EVA, role=Role.HR_ADMIN, created_by="t", now=now
    )
    refs = {}
    for person in (KARIN, EVA):
        refs[person], _ = await ConversationStore(db).remember(
            tenant_id="t",
            user_id=f"29:{person}",
            conversation_id=f"a:{person}",
            service_url="https://smba.example",
            reference={},
            now=now,
            upn=person,
            organisation_id=org,
        )
    async with db.session() as s:
        invitation = (await s.exec(select(Invitation).where(Invitation.chef_id == karin))).one()
    assert invitation.id is not None
    await answer_everything(db, invitation.id)

    closed = await operations.close_round(
        call(db, hr(org)), round_id=round_id, has_digest=refs[KARIN].id
    )
    assert closed.progress.round.state == "closed" and closed.progress.total.submitted == 1
    async with db.session() as s:
        results = (
            await s.exec(
                select(OutboxMessage).where(col(OutboxMessage.kind).in_(["digest", "feedback"]))
            )
        ).all()
    # Eva gets the digest; Karin saw it as she closed; Karin the chef gets her own feedback
    assert sorted((m.kind, m.conversation_ref_id, m.chef_id) for m in results) == [
        ("digest", refs[EVA].id, None),
        ("feedback", None, karin),
    ]
    assert closed.queued == 2
    # queued in the close's own transaction: no closed round waits for a pass to send them
    assert await RoundStore(db).closed_without_results() == []
    [event] = [e for e in await audit_log(db) if e.action == "round.close"]
    assert (event.round_id, event.actor, event.detail) == (round_id, KARIN, {"via": "teams"})
    with pytest.raises(RoundError) as again:
        await operations.close_round(call(db, hr(org)), round_id=round_id)
    assert again.value.code == "already_closed"


async def test_roles_are_checked_given_listed_and_taken_back_but_never_the_last_admin(
    db: Database,
) -> None:
    org, _, _ = await demo(db)
    ifo = await department(db, "IFO")
    karin = call(db, hr(org))
    first = await roles.add_role(karin, principal=" Eva.Lindgren@Demo.Ledarpuls.se ")
    assert (first.principal, first.role, first.changed) == (EVA, Role.HR_ADMIN, True)
    assert not (await roles.add_role(karin, principal=EVA)).changed
    lead = await roles.add_role(karin, principal="anna@demo.ledarpuls.se", department_id=ifo)
    assert (lead.role, lead.department_id) == (Role.DEPARTMENT_LEAD, ifo)
    for principal, department_id, code in (
        ("inte en adress", None, "bad_principal"),
        ("anna@demo.ledarpuls.se", 99999, "unknown_department"),
    ):
        with pytest.raises(RoundError) as wrong:
            await roles.add_role(karin, principal=principal, department_id=department_id)
        assert wrong.value.code == code

    holders = await roles.list_roles(karin)
    assert [(h.principal, h.role, h.department) for h in holders] == [
        (EVA, Role.HR_ADMIN, None),
        ("anna@demo.ledarpuls.se", Role.DEPARTMENT_LEAD, "Individ- och familjeomsorg"),
    ]
    assert holders[0].added_by == KARIN

    # Eva is the only HR admin: removing her would leave nobody to run the rounds
    with pytest.raises(RoundError) as last:
        await roles.remove_role(karin, principal=EVA)
    assert last.value.code == "last_admin"
    await roles.add_role(karin, principal=KARIN)
    removed = await roles.remove_role(karin, principal=EVA.upper())
    assert removed.changed and removed.principal == EVA
    assert not (await roles.remove_role(karin, principal=EVA)).changed
    assert (
        await roles.remove_role(karin, principal="anna@demo.ledarpuls.se", department_id=ifo)
    ).changed

    # Eva, removed, is refused at once: her roles are looked up afresh on every command
    eva = await access_of(
        db,
        Member(
            tenant_id="t", user_id="29:eva", aad_object_id=None, upn=EVA, email=None, name="Eva"
        ),
    )
    with pytest.raises(Refused):
        await operations.list_rounds(call(db, eva))

    details = [(e.action, e.detail) for e in await audit_log(db) if e.action.startswith("hr.")]
    assert (
        "hr.add",
        {
            "principal": "anna@demo.ledarpuls.se",
            "role": "department_lead",
            "department": ifo,
            "via": "teams",
        },
    ) in details
    assert [a for a, _ in details].count("hr.remove") == 3  # the refused one is not among them
    assert ("hr.list", {"holders": 2, "via": "teams"}) in details


async def test_another_organisations_round_is_unknown_to_its_hr(db: Database) -> None:
    org, programme, _ = await demo(db)
    round_id = await a_round(db, org, programme, "Delår 1", days=14)
    other = await OrganisationStore(db).create(
        tenant_id="other", name="Grannkommunen", default_k=Policy().k
    )
    assert other.id is not None
    outsider = call(db, hr(other.id, actor="olle@grannkommun.se"))
    for attempt in (
        operations.close_round(outsider, round_id=round_id),
        operations.remind(outsider, round_id=round_id),
        operations.round_status(outsider, round_id=round_id),
    ):
        with pytest.raises(RoundError) as unknown:
            await attempt
        assert unknown.value.code == "unknown_round"
    async with db.session() as s:
        assert (await s.get(Round, round_id)).state == "open"  # type: ignore[union-attr]


async def test_the_day_an_operation_judges_by_is_the_callers_policys(db: Database) -> None:
    org, _, _ = await demo(db)
    # 20:00 UTC on 12 June: still the 12th in Stockholm, already the 13th in Tokyo
    evening = datetime(2026, 6, 12, 20, 0, tzinfo=UTC)
    sweden = Call(db, hr(org), "cli", evening, Policy())
    japan = Call(db, hr(org), "cli", evening, Policy(zone=ZoneInfo("Asia/Tokyo")))
    chef = await operations.set_leave(sweden, upn=MARIA, until=date(2026, 6, 12))
    assert chef.on_leave_until == date(2026, 6, 12)
    with pytest.raises(RoundError) as past:
        await operations.set_leave(japan, upn=MARIA, until=date(2026, 6, 12))
    assert past.value.code == "leave_in_past"
