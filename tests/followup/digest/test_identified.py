"""Answers per chef: every status and comment of an identified round, a lead's departments only,
a lead refused another department, nothing of a confidential round, every read on record."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from followup.digest.identified import chef_answers
from followup.hr import operations
from followup.people.access import Access
from followup.rounds.lifecycle import RoundError, close_round
from storage.answer_store import AnswerStore
from storage.database import Database
from storage.models import Activity, AuditEvent, Chef, Department, Invitation
from storage.types import utcnow
from tests.followup.check_in.test_steps import KARIN, demo
from tests.followup.digest.test_compile import AO, IFO, Answer, a_round
from tests.followup.hr.test_operations import call
from tests.followup.rounds.test_lifecycle import everyone_at_work

STATUSES = ("not_started", "in_progress", "done", "delayed", "not_applicable")
CONFIDENTIAL = {
    "activity_status": "confidential",
    "strengths_needs": "confidential",
    "confidence": "confidential",
}


async def answered(db: Database, sections: dict[str, str] | None = None) -> tuple[int, int]:
    """An open round: Maria (IFO) gave five activities each status, with a comment on every
    other; Karin (ÄO) one; Johan (IFO) started but did not send in."""
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    round_id = await a_round(
        db,
        org,
        programme,
        "Delår 1",
        20,
        {
            "Karin": Answer(4, status=("delayed", "Ingen lokal"), strengths="Hemligt"),
            "Johan": Answer(2, status=("done", "Ej inskickat"), state="started"),
        },
        sections=sections,
    )
    async with db.session() as s:
        activities = (await s.exec(select(Activity).order_by(col(Activity.position)))).all()
        maria = (
            await s.exec(
                select(Invitation)
                .join(Chef, col(Chef.id) == col(Invitation.chef_id))
                .where(col(Chef.name).startswith("Maria"))
            )
        ).one()
    assert maria.id is not None
    await AnswerStore(db).save(
        invitation_id=maria.id,
        now=utcnow(),
        statuses={
            a.id: (status, f"Kommentar {n}" if n % 2 == 0 else "")
            for n, (a, status) in enumerate(zip(activities, STATUSES, strict=False))
            if a.id is not None
        },
        texts={},
        ratings={},
    )
    async with db.session() as s, s.begin():
        invitation = await s.get(Invitation, maria.id)
        assert invitation is not None
        invitation.state = "submitted"
    return org, round_id


async def department(db: Database, code: str) -> int:
    async with db.session() as s:
        found = (await s.exec(select(Department).where(Department.code == code))).one()
    assert found.id is not None
    return found.id


async def audit_log(db: Database) -> list[tuple[str, int | None, dict[str, object]]]:
    async with db.session() as s:
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    return [
        (e.action, e.round_id, {k: v for k, v in e.detail.items() if k != "via"}) for e in events
    ]


async def test_every_status_and_comment_of_every_chef_who_sent_in(db: Database) -> None:
    org, round_id = await answered(db)
    answers = await chef_answers(db, round_id=round_id, organisation_id=org, department_ids=None)
    per_chef = {
        (d.name, c.name.split()[0]): [(a.status, a.comment) for a in c.activities]
        for d in answers.departments
        for c in d.chefs
    }
    # while the round is open too: the identified section is not confidential
    assert per_chef == {
        (IFO, "Maria"): [
            ("not_started", "Kommentar 0"),
            ("in_progress", ""),
            ("done", "Kommentar 2"),
            ("delayed", ""),
            ("not_applicable", "Kommentar 4"),
        ],
        (AO, "Karin"): [("delayed", "Ingen lokal")],
    }  # Johan has not sent in
    assert "Hemligt" not in repr(answers)  # nothing of a confidential section
    [maria] = [c for d in answers.departments for c in d.chefs if c.name.startswith("Maria")]
    assert all(a.code and a.title for a in maria.activities)

    await close_round(db, round_id=round_id, now=utcnow())  # and after close, the same
    again = await chef_answers(db, round_id=round_id, organisation_id=org, department_ids=None)
    assert again.departments == answers.departments


async def test_hr_sees_every_department_a_lead_only_theirs_and_each_read_is_logged(
    db: Database,
) -> None:
    org, round_id = await answered(db)
    ifo, ao = await department(db, "IFO"), await department(db, "ÄO")
    hr = call(db, Access(actor=KARIN, organisation_id=org, admin=True))
    everything = await operations.identified(hr, round_id=None)  # the open round, found
    assert [d.name for d in everything.departments] == [IFO, AO]
    only_ao = await operations.identified(hr, round_id=round_id, department=ao)
    assert [d.name for d in only_ao.departments] == [AO]

    lead = call(
        db, Access(actor="lead@x.se", organisation_id=org, lead_departments=frozenset({ifo}))
    )
    theirs = await operations.identified(lead, round_id=round_id)
    assert [d.name for d in theirs.departments] == [IFO]
    assert "Karin" not in repr(theirs.departments)
    assert (await operations.identified(lead, round_id=round_id, department=ifo)).departments

    assert await audit_log(db) == [
        ("digest.identified.view", round_id, {"department": None}),
        ("digest.identified.view", round_id, {"department": ao}),
        ("digest.identified.view", round_id, {"department": None}),
        ("digest.identified.view", round_id, {"department": ifo}),
    ]


async def test_a_lead_asking_for_another_department_is_refused_and_sees_nothing(
    db: Database,
) -> None:
    org, round_id = await answered(db)
    ifo, ao = await department(db, "IFO"), await department(db, "ÄO")
    lead = call(
        db, Access(actor="lead@x.se", organisation_id=org, lead_departments=frozenset({ifo}))
    )
    with pytest.raises(RoundError) as refused:
        await operations.identified(lead, round_id=round_id, department=ao)
    assert refused.value.code == "other_department"
    # a chef may not ask at all
    chef = call(db, Access(actor="maria@x.se", organisation_id=org))
    with pytest.raises(operations.Refused):
        await operations.identified(chef, round_id=round_id)
    assert await audit_log(db) == [
        (
            "hr.refused",
            round_id,
            {"command": "identified", "reason": "other_department", "department": ao},
        ),
        ("hr.refused", None, {"command": "identified", "reason": "not_permitted"}),
    ]
    # HR asking for a department of no organisation of theirs: told so, nothing logged as read
    hr = call(db, Access(actor=KARIN, organisation_id=org, admin=True))
    with pytest.raises(RoundError) as unknown:
        await operations.identified(hr, round_id=round_id, department=ifo + 1000)
    assert unknown.value.code == "unknown_department"
    assert len(await audit_log(db)) == 2


async def test_a_round_with_confidential_statuses_shows_no_one(db: Database) -> None:
    org, round_id = await answered(db, sections=CONFIDENTIAL)
    with pytest.raises(RoundError) as refused:
        await chef_answers(db, round_id=round_id, organisation_id=org, department_ids=None)
    assert refused.value.code == "not_identified"
    hr = call(db, Access(actor=KARIN, organisation_id=org, admin=True))
    with pytest.raises(RoundError):
        await operations.identified(hr, round_id=round_id)
    digest = await operations.request_digest(hr, round_id=round_id, export="xlsx")
    assert digest.identified == []
    # the export of a confidential round is no read of anyone's identified answers
    assert [a for a, _, _ in await audit_log(db)] == ["digest.export"]


async def test_exporting_the_workbook_logs_the_read_of_the_answers_per_chef(db: Database) -> None:
    org, round_id = await answered(db)
    ifo = await department(db, "IFO")
    hr = call(db, Access(actor=KARIN, organisation_id=org, admin=True))
    await operations.request_digest(hr, round_id=round_id, export="docx")  # names no one
    await operations.request_digest(hr, round_id=round_id, export="xlsx")
    lead = call(
        db, Access(actor="lead@x.se", organisation_id=org, lead_departments=frozenset({ifo}))
    )
    await operations.request_digest(lead, round_id=round_id, export="xlsx")
    assert await audit_log(db) == [
        ("digest.export", round_id, {"format": "docx"}),
        ("digest.export", round_id, {"format": "xlsx"}),
        ("digest.identified.export", round_id, {"departments": None, "format": "xlsx"}),
        ("digest.export", round_id, {"format": "xlsx"}),
        ("digest.identified.export", round_id, {"departments": [ifo], "format": "xlsx"}),
    ]


async def test_another_organisations_round_is_unknown(db: Database) -> None:
    org, round_id = await answered(db)
    with pytest.raises(RoundError) as unknown:
        await chef_answers(db, round_id=round_id, organisation_id=org + 1, department_ids=None)
    assert unknown.value.code == "unknown_round"


async def test_the_digest_shows_which_departments_have_answers_and_the_workbook_who(
    db: Database,
) -> None:
    """HR's digest (its card's buttons) names the departments with answers by name and reads
    no one's statuses; the workbook, which names chefs, has every one of them."""
    org, round_id = await answered(db)
    ifo = await department(db, "IFO")
    hr = call(db, Access(actor=KARIN, organisation_id=org, admin=True))
    viewed = await operations.request_digest(hr, round_id=round_id)
    exported = await operations.request_digest(hr, round_id=round_id, export="xlsx")
    assert [(d.name, d.chefs) for d in viewed.identified] == [(IFO, ()), (AO, ())]
    assert not viewed.names and exported.names
    assert [(d.name, [c.name.split()[0] for c in d.chefs]) for d in exported.identified] == [
        (IFO, ["Maria"]),
        (AO, ["Karin"]),
    ]
    assert [d.department_id for d in viewed.identified] == [
        d.department_id for d in exported.identified
    ]
    lead = call(
        db, Access(actor="lead@x.se", organisation_id=org, lead_departments=frozenset({ifo}))
    )
    assert [
        d.name for d in (await operations.request_digest(lead, round_id=round_id)).identified
    ] == [IFO]
