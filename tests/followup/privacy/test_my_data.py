"""A chef's own data: everything stored about them (private sections too) and nothing of anyone
else's, as JSON and XLSX; erasing their answers as the organisation's policy says, only what the
confirmed plan showed, and digests that no longer count what was erased."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from dialogs.digest_cards import texts_in
from followup.digest.compile import compile_digest
from followup.privacy.erasure import StaleErasure, erase_answers, plan_erasure
from followup.privacy.my_data import as_json, collect, json_bytes, write_xlsx
from followup.privacy.retention import apply_retention, set_policy
from followup.rounds.lifecycle import close_round
from storage.answer_store import AnswerStore
from storage.database import Database
from storage.models import (
    ActivityStatusAnswer,
    Chef,
    Invitation,
    RatingAnswer,
    ReflectionAnswer,
)
from tests.followup.check_in.test_steps import demo
from tests.followup.digest.test_compile import Answer, a_round
from tests.followup.rounds.test_lifecycle import everyone_at_work

KARINS = "Karins egen reflektion"
MARIAS = "Marias hemliga text"
CLOSED = datetime(2026, 6, 10, 21, 59, tzinfo=UTC)
SN, PR, CO = "strengths_needs", "principles", "confidence"


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
    await store.reopen(invitation_id=invitation_id)
    await store.save(invitation_id=invitation_id, now=CLOSED, texts=texts)
    await store.submit(invitation_id=invitation_id, now=CLOSED)


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
    assert exported["policy"] == {
        "retention_months": 24,
        "retention_action": "anonymise",
        "keep_identified_statuses": True,
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


async def test_erasing_keeps_identified_statuses_as_public_records(db: Database) -> None:
    _, karin, _, second = await world(db)
    before = await compile_digest(db, round_id=second, now=CLOSED)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None and plan.erases_anything
    # kept: the identified status of the first round; erased: the second round's (confidential)
    assert (plan.kept_statuses, plan.statuses, plan.rounds) == (1, 1, 2)
    # two strengths and a private text; support, principle and confidence in each round
    assert (plan.texts, plan.ratings) == (3, 6)

    done = await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    assert (done.statuses, done.texts, done.ratings, done.kept_statuses) == (1, 3, 6, 1)
    data = await collect(db, chef_id=karin)
    assert data is not None
    one, two = data.rounds
    assert [(s.status, s.comment) for s in one.statuses] == [("done", "Klart i mars")]
    assert (one.texts, one.ratings, two.statuses, two.texts, two.ratings) == ((),) * 5
    assert (await collect(db, chef_id=await maria(db))).rounds[1].texts  # type: ignore[union-attr]
    # a digest compiled now no longer counts her answers; she still answered the round
    after = await compile_digest(db, round_id=second, now=CLOSED)
    assert after.total == before.total
    assert before.confidence is not None and after.confidence is not None
    assert after.confidence.n == before.confidence.n - 1
    assert (
        sum(a.answered for a in after.activities or [])
        == sum(a.answered for a in before.activities or []) - 1
    )

    # the same confirmation again, or a plan with nothing left: nothing happens
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    again = await plan_erasure(db, chef_id=karin)
    assert again is not None and not again.erases_anything and again.kept_statuses == 1


async def maria(db: Database) -> int:
    async with db.session() as s:
        chef = (await s.exec(select(Chef).where(col(Chef.name).startswith("Maria")))).one()
    assert chef.id is not None
    return chef.id


async def test_a_policy_that_keeps_nothing_erases_the_statuses_too(db: Database) -> None:
    org, karin, _, _ = await world(db)
    await set_policy(db, organisation_id=org, keep_identified_statuses=False)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None and (plan.kept_statuses, plan.statuses) == (0, 2)
    await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    async with db.session() as s:
        left = (
            await s.exec(
                select(ActivityStatusAnswer)
                .join(Invitation, col(Invitation.id) == col(ActivityStatusAnswer.invitation_id))
                .where(Invitation.chef_id == karin)
            )
        ).all()
    assert left == []


async def test_a_confirmation_of_other_answers_than_there_are_now_erases_nothing(
    db: Database,
) -> None:
    org, karin, _, second = await world(db)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None
    # answered since the question was asked
    await change(db, second, "Karin", {(PR, "example"): "Ett nytt exempel"})

    async def counts() -> tuple[int, int, int]:
        async with db.session() as s:
            return (
                len((await s.exec(select(ActivityStatusAnswer))).all()),
                len((await s.exec(select(ReflectionAnswer))).all()),
                len((await s.exec(select(RatingAnswer))).all()),
            )

    before = await counts()
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    # the policy changed since
    fresh = await plan_erasure(db, chef_id=karin)
    assert fresh is not None
    await set_policy(db, organisation_id=org, keep_identified_statuses=False)
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=karin, fingerprint=fresh.fingerprint)
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=await maria(db), fingerprint=fresh.fingerprint)
    assert await counts() == before


async def test_anonymised_rounds_are_no_longer_anyones_own(db: Database) -> None:
    _, karin, _, second = await world(db)  # the first closed, the second still open
    await apply_retention(db, now=datetime(2028, 6, 11, tzinfo=UTC))
    data = await collect(db, chef_id=karin)
    assert data is not None and [r.round_id for r in data.rounds] == [second]
    assert "Delår 1" not in json.dumps(as_json(data, compiled_at=CLOSED), ensure_ascii=False)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None and plan.kept_statuses == 0  # the first round's is not hers now
