"""A chef's own data: everything stored about them (private sections too) and nothing of anyone
else's, as JSON and XLSX; rounds anonymised by retention are no longer theirs. Erasing is tested in
test_erasure.py, which builds on the world here."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from openpyxl import load_workbook
from sqlmodel import col, select

from dialogs.digest_cards import texts_in
from followup.privacy.erasure import plan_erasure
from followup.privacy.my_data import collect
from followup.privacy.my_data_files import as_json, json_bytes, write_xlsx
from followup.privacy.retention import apply_retention
from followup.rounds.lifecycle import close_round
from storage.answer_store import Answers, AnswerStore
from storage.audit_store import AuditStore
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import (
    Chef,
    Invitation,
    Role,
)
from storage.role_store import RoleStore
from tests.followup.check_in.test_steps import demo
from tests.followup.digest.test_compile import Answer, a_round
from tests.followup.rounds.test_lifecycle import everyone_at_work

KARINS = "Karins egen reflektion"
MARIAS = "Marias hemliga text"
CLOSED = datetime(2026, 6, 10, 21, 59, tzinfo=UTC)
SN, PR, CO = "strengths_needs", "principles", "confidence"
KARIN_OBJECT_ID = "0b7a4c1e-1111-4222-8333-944455556666"


async def invitation(db: Database, round_id: int, first_name: str) -> int:
    async with db.session() as s:
        rows = (
            await s.exec(
                select(Invitation.id, Chef.name)
                .join(Chef, col(Chef.id) == col(Invitation.chef_id))
                .where(Invitation.round_id == round_id)
            )
        ).all()
    return next(i for i, name in rows if name.split()[0] == first_name and i is not None)


async def world(db: Database) -> tuple[int, int, int, int]:
    """Two rounds: the first with the default sections (statuses identified), the second with
    confidential statuses and private principles; Karin and Maria answered both."""
    org, programme, karin = await demo(db)
    await everyone_at_work(db, org)
    answers = {
        "Karin": Answer(
            4, support=2, principle=1, status=("done", "Klart i mars"), strengths=KARINS
        ),
        "Maria": Answer(2, support=1, principle=2, status=("delayed", ""), strengths=MARIAS),
        "Leila": Answer(3, principle=2, status=("done", "")),
        "Johan": Answer(5, principle=3, status=("done", "")),
    }
    first = await a_round(db, org, programme, "Delår 1", 5, answers)
    await close_round(db, round_id=first, now=CLOSED)
    second = await a_round(
        db,
        org,
        programme,
        "Delår 2",
        20,
        answers,
        sections={
            "activity_status": "confidential",
            SN: "confidential",
            PR: "private",
            CO: "confidential",
        },
    )
    await change(db, second, "Karin", {(PR, "grow"): "Att våga delegera"})
    return org, karin, first, second


async def change(db: Database, round_id: int, first_name: str, texts: dict[Any, str]) -> None:
    """A chef changes a text of answers already sent in, and sends them in again."""
    store = AnswerStore(db)
    invitation_id = await invitation(db, round_id, first_name)
    await store.submit(invitation_id=invitation_id, now=CLOSED, changes=[Answers(texts=texts)])


async def test_my_data_holds_everything_of_mine_and_nothing_of_anyone_else(db: Database) -> None:
    _, karin, first, second = await world(db)
    data = await collect(db, chef_id=karin)
    assert data is not None
    assert (data.roster.name, data.roster.upn) == (
        "Karin Sjöberg",
        "karin.sjoberg@demo.ledarpuls.se",
    )
    assert data.roster.department == "Äldreomsorg"
    assert [r.round_id for r in data.rounds] == [first, second]
    one, two = data.rounds
    assert [(s.status, s.comment, s.privacy) for s in one.statuses] == [
        ("done", "Klart i mars", "identified")
    ]
    assert {(x.key, x.text, x.privacy) for x in two.texts} == {
        ("strengths", KARINS, "confidential"),
        ("grow", "Att våga delegera", "private"),  # a private section: hers to see
    }
    principle = next(g for g in two.ratings if g.section == PR)
    assert (principle.value, principle.privacy) == (1, "private") and principle.meaning

    exported = json.loads(json_bytes(data, compiled_at=CLOSED))
    assert exported["roster"]["email"] == "karin.sjoberg@demo.ledarpuls.se"
    assert exported["rounds"][1]["texts"][0]["text"] in (KARINS, "Att våga delegera")
    # where each round counts her: the department and unit she had when invited
    assert [(r["department"], r["unit"]) for r in exported["rounds"]] == [
        ("Äldreomsorg", "Hemtjänst Norr")
    ] * 2
    assert exported["policy"] == {
        "retention_months": 24,
        "retention_action": "anonymise",
        "keep_identified_statuses": True,
        "audit_retention_months": 36,
    }
    wb = load_workbook(io.BytesIO(write_xlsx(data, texts_in("sv"))))
    assert wb.sheetnames == [
        "Om dig",
        "Omgångar",
        "Aktivitetsstatus",
        "Fritexter",
        "Val och skattningar",
    ]
    cells = [str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row]
    assert KARINS in cells and "Att våga delegera" in cells and "Klart i mars" in cells
    assert "Karin Sjöberg" in cells and "Genomförd" in cells and "bara för dig" in cells
    everything = json.dumps(exported, ensure_ascii=False) + " ".join(cells)
    assert MARIAS not in everything and "Maria" not in everything
    english = load_workbook(io.BytesIO(write_xlsx(data, texts_in("en"))))
    assert english.sheetnames[0] == "About you"


async def test_my_data_lists_roles_conversations_and_audit_rows_naming_me(db: Database) -> None:
    org, karin, _, _ = await world(db)
    async with db.session() as s:
        department = (await s.exec(select(Chef.department_id).where(Chef.id == karin))).one()
    await ConversationStore(db).remember(
        tenant_id="t",
        user_id="29:karin",
        conversation_id="a:secret-conversation",
        service_url="https://smba.example/",
        reference={},
        now=CLOSED,
        aad_object_id=KARIN_OBJECT_ID,
        upn="karin.sjoberg@demo.ledarpuls.se",
        organisation_id=org,
        chef_id=karin,
    )
    # a role given to her object id (Teams told us it; the roster never had it)
    await RoleStore(db).grant(
        organisation_id=org,
        principal=KARIN_OBJECT_ID,
        role=Role.DEPARTMENT_LEAD,
        department_id=department,
        created_by="hr@demo",
        now=CLOSED,
    )
    audit = AuditStore(db)
    await audit.record(
        actor="hr@demo",
        action="hr.add",
        at=CLOSED,
        organisation_id=org,
        detail={"principal": KARIN_OBJECT_ID},
    )
    await audit.record(
        actor="karin.sjoberg@demo.ledarpuls.se",
        action="mydata.view",
        at=CLOSED,
        organisation_id=org,
    )
    await audit.record(
        actor="hr@demo",
        action="chef.on_leave",
        at=CLOSED,
        organisation_id=org,
        detail={"chef": karin},
    )
    await audit.record(actor="hr@demo", action="round.list", at=CLOSED, organisation_id=org)

    data = await collect(db, chef_id=karin)
    assert data is not None
    assert [(g.role, g.department) for g in data.roles] == [("department_lead", "Äldreomsorg")]
    assert data.audit_rows == 3
    [chat] = data.conversations
    assert "object_id" in chat.kept and "conversation_id" in chat.kept
    exported = as_json(data, compiled_at=CLOSED)
    assert exported["roles"] == [
        {"role": "department_lead", "department": "Äldreomsorg", "since": CLOSED.isoformat()}
    ]
    assert exported["audit_log"] == {"rows_naming_you": 3}
    cells = [
        str(c)
        for ws in load_workbook(io.BytesIO(write_xlsx(data, texts_in("sv"))))
        for row in ws.iter_rows(values_only=True)
        for c in row
    ]
    assert "Avdelningschef – Äldreomsorg" in cells
    assert "Rader i granskningsloggen som nämner dig" in cells and "3" in cells
    # what is kept, not the keys themselves
    everything = json.dumps(exported) + " ".join(cells)
    assert "secret-conversation" not in everything and "smba.example" not in everything


async def test_anonymised_rounds_are_no_longer_anyones_own(db: Database) -> None:
    _, karin, _, second = await world(db)  # the first closed, the second still open
    await apply_retention(db, now=datetime(2028, 6, 11, tzinfo=UTC))
    data = await collect(db, chef_id=karin)
    assert data is not None and [r.round_id for r in data.rounds] == [second]
    assert "Delår 1" not in json.dumps(as_json(data, compiled_at=CLOSED), ensure_ascii=False)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None and plan.kept_statuses == 0  # the first round's is not hers now
