"""Changing answers sent in: the submitted version counts — in the figures, HR's status and the
reminders — until the chef sends the changes in; discarded, closed or erased, the changes go."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from dialogs.digest_cards import texts_in
from dialogs.my_data_cards import erase_card, my_data_card
from followup.check_in.drafts import (
    check_draft,
    discard,
    form_values,
    save_change,
    send_again,
    with_drafts,
)
from followup.check_in.step_checks import validate
from followup.check_in.steps import (
    SUMMARY,
    CheckIn,
    load_check_in,
    open_invitation,
    save,
    submit,
)
from followup.digest.compile import compile_digest
from followup.policy import Policy
from followup.privacy.erasure import StaleErasure, erase_answers, plan_erasure
from followup.privacy.my_data import collect
from followup.privacy.my_data_files import as_json, write_xlsx
from followup.privacy.retention import apply_retention
from followup.rounds.calendar import close_with_results
from followup.rounds.lifecycle import create_round, open_round
from followup.rounds.progress import progress
from followup.rounds.reminders import send_due_reminders
from followup.sections import Section
from storage.answer_store import AnswerStore
from storage.database import Database
from storage.draft_store import DraftStore, StaleDraft
from storage.models import Invitation, OutboxMessage
from tests.cards import assert_valid_cards
from tests.followup.check_in.test_steps import answers_for, demo
from tests.followup.rounds.test_lifecycle import everyone_at_work

SE = ZoneInfo("Europe/Stockholm")
SWEDEN = Policy()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026, Swedish time (the 7th is a Monday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SE)


OPENED, SENT, CHANGED = at(7, 9), at(8, 10), at(9, 11)
DEADLINE = at(18, 23, 59)  # reminders 7 and 2 days before: the first due Monday the 14th
CLOSED = at(19, 9)


async def sent_in(db: Database) -> tuple[int, int, CheckIn]:
    """The demo's round "Delår 2" open, and Karin's answers sent in: every activity in
    progress, confidence 3. The round, Karin, and her check-in as sent in."""
    org, programme, karin = await demo(db)
    await everyone_at_work(db, org)
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Delår 2",
        deadline=DEADLINE,
        now=OPENED,
        reminder_offsets=(7, 2),
        reminder_cap=2,
        policy=SWEDEN,
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=OPENED, policy=SWEDEN)
    invitation_id = await open_invitation(db, chef_id=karin, now=SENT)
    assert invitation_id is not None
    check_in = await load_check_in(db, invitation_id, policy=SWEDEN)
    assert check_in is not None
    for step in check_in.steps[:-1]:
        clean, errors = validate(check_in, step, answers_for(check_in, step))
        assert errors == []
        check_in = await save(db, check_in, clean, now=SENT - timedelta(minutes=5))
    assert await submit(db, check_in, now=SENT)
    return round_.id, karin, await looked_at(db, check_in.invitation_id)


async def looked_at(db: Database, invitation_id: int) -> CheckIn:
    """The check-in as the chef sees it: with her changes not sent in."""
    check_in = await load_check_in(db, invitation_id, policy=SWEDEN)
    assert check_in is not None
    return await with_drafts(db, check_in)


async def change(
    db: Database, check_in: CheckIn, step: str, *, now: datetime = CHANGED, **given: str
) -> CheckIn:
    """The chef saves a step of answers she has sent in."""
    clean, errors = validate(check_in, step, answers_for(check_in, step, **given))
    assert errors == []
    return await save_change(db, check_in, step, clean, sent=check_in.submitted_at, now=now)


async def first_activity(db: Database, round_id: int, *, now: datetime) -> dict[str, int] | None:
    """What the digest counts for the plan's first activity (identified: shown while open)."""
    digest = await compile_digest(db, round_id=round_id, now=now, policy=SWEDEN)
    assert digest.activities
    return digest.activities[0].counts


async def karins_reminders(db: Database, karin: int) -> list[OutboxMessage]:
    async with db.session() as s:
        query = select(OutboxMessage).where(
            OutboxMessage.kind == "reminder", OutboxMessage.chef_id == karin
        )
        return list((await s.exec(query)).all())


async def confidence(db: Database, check_in: CheckIn) -> int | None:
    answers = await AnswerStore(db).load(check_in.invitation_id)
    return answers.ratings.get((Section.CONFIDENCE, "confidence"))


async def test_a_chef_who_opens_changes_and_stops_still_counts_with_what_she_sent(
    db: Database,
) -> None:
    round_id, karin, check_in = await sent_in(db)
    first = check_in.steps[0]
    assert await first_activity(db, round_id, now=CHANGED) == {"in_progress": 1}

    changed = await change(db, check_in, first, status="done")
    assert changed.changed == (first,) and changed.submitted
    assert changed.areas[0].items[0].status == "done"  # her card shows the change
    # ... and stops. Nothing she has not sent in counts:
    assert await first_activity(db, round_id, now=CHANGED) == {"in_progress": 1}
    status = await progress(db, round_id=round_id)
    assert (status.total.submitted, status.total.started) == (1, 1)  # she, who sent in
    assert status.not_answered is not None and "Karin Sjöberg" not in status.not_answered
    scheduled = await send_due_reminders(db, now=at(14, 8, 5), policy=SWEDEN)
    assert scheduled.scheduled > 0  # the others are reminded
    assert await karins_reminders(db, karin) == []  # she is not
    # when she comes back, the change is still there, not sent in
    again = await looked_at(db, check_in.invitation_id)
    assert again.changed == (first,) and again.areas[0].items[0].status == "done"


async def test_sending_in_again_makes_the_changes_count_at_once(db: Database) -> None:
    round_id, _, check_in = await sent_in(db)
    first = check_in.steps[0]
    changed = await change(db, check_in, first, status="done")
    changed = await change(db, changed, Section.CONFIDENCE, confidence="5")
    assert changed.changed == (first, Section.CONFIDENCE)

    assert (await send_again(db, changed, sent=SENT, now=at(10, 9))).outcome == "sent"
    assert await first_activity(db, round_id, now=at(10, 9)) == {"done": 1}
    assert await confidence(db, check_in) == 5
    assert await DraftStore(db).of_invitation(check_in.invitation_id) == {}
    after = await looked_at(db, check_in.invitation_id)
    assert after.submitted and after.submitted_at == at(10, 9) and after.changed == ()
    async with db.session() as s:
        receipts = (
            await s.exec(select(OutboxMessage).where(OutboxMessage.kind == "receipt"))
        ).all()
    # a receipt for each sending-in; the first one's is dropped when it comes to be sent
    assert [r.payload["submitted_at"] for r in receipts] == [
        SENT.isoformat(),
        at(10, 9).isoformat(),
    ]
    # the card she changed before sending in is stale now: nothing is kept or sent
    with pytest.raises(StaleDraft):
        await change(db, changed, Section.CONFIDENCE, confidence="1")
    assert (await send_again(db, changed, sent=SENT, now=at(11, 9))).outcome == "stale"
    assert await confidence(db, check_in) == 5


async def test_a_step_changed_back_is_no_change_and_nothing_to_send(db: Database) -> None:
    _, _, check_in = await sent_in(db)
    changed = await change(db, check_in, Section.CONFIDENCE, confidence="1")
    assert changed.changed == (Section.CONFIDENCE,)
    back = await change(db, changed, Section.CONFIDENCE, confidence="3")
    assert back.changed == ()
    assert await DraftStore(db).of_invitation(check_in.invitation_id) == {}
    assert (await send_again(db, back, sent=SENT, now=at(10, 9))).outcome == "nothing"
    assert (await looked_at(db, check_in.invitation_id)).submitted_at == SENT


async def test_discarding_keeps_the_answers_sent_in(db: Database) -> None:
    _, _, check_in = await sent_in(db)
    changed = await change(db, check_in, Section.CONFIDENCE, confidence="1")
    assert await discard(db, changed) == 1
    after = await looked_at(db, check_in.invitation_id)
    assert after.changed == () and after.rating(Section.CONFIDENCE, "confidence") == 3
    assert after.submitted_at == SENT and await confidence(db, check_in) == 3


async def test_a_change_the_plan_no_longer_takes_is_not_sent_in(db: Database) -> None:
    _, _, check_in = await sent_in(db)
    first = check_in.steps[0]
    changed = await change(db, check_in, first, status="done")
    changed = await change(db, changed, Section.CONFIDENCE, confidence="5")
    # the plan gained an activity in the step since she changed it: the step is asked again
    area = changed.areas[0]
    added = replace(area.items[0], id=area.items[-1].id + 1000, code="NY", status=None)
    grown = replace(changed, areas=(replace(area, items=(added, *area.items)), *changed.areas[1:]))
    result = await send_again(db, grown, sent=SENT, now=at(10, 9))
    assert (result.outcome, result.step) == ("invalid", first)
    assert [(e.name, e.code) for e in result.errors] == [
        (f"activities.{added.id}.status", "required")
    ]
    # nothing was sent in, and nothing of hers was lost
    assert await confidence(db, check_in) == 3
    assert (await looked_at(db, check_in.invitation_id)).changed == (first, Section.CONFIDENCE)


@pytest.mark.parametrize("step_kind", ["area", "strengths_needs", "principles", "confidence"])
async def test_a_draft_holds_exactly_the_steps_answers(db: Database, step_kind: str) -> None:
    _, _, check_in = await sent_in(db)
    step = check_in.steps[0] if step_kind == "area" else step_kind
    clean, errors = validate(check_in, step, answers_for(check_in, step, need="2"))
    assert errors == []
    # kept as JSON, read back and checked again: the same answers
    values = form_values(check_in, step, clean)
    again, errors = check_draft(check_in, step, json.loads(json.dumps(values)))
    assert errors == [] and again == clean


async def test_closing_the_round_counts_what_was_sent_in_and_drops_the_changes(
    db: Database,
) -> None:
    round_id, karin, check_in = await sent_in(db)
    await change(db, check_in, check_in.steps[0], status="done")
    await close_with_results(db, round_id=round_id, now=CLOSED)
    assert await DraftStore(db).of_invitation(check_in.invitation_id) == {}
    assert await first_activity(db, round_id, now=CLOSED) == {"in_progress": 1}
    closed = await looked_at(db, check_in.invitation_id)
    assert closed.submitted and closed.changed == ()
    async with db.session() as s:
        feedback = (
            await s.exec(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "feedback", OutboxMessage.chef_id == karin
                )
            )
        ).all()
    assert len(feedback) == 1  # she answered: her feedback comes with the results


async def test_a_change_left_behind_a_close_goes_with_the_next_retention_pass(
    db: Database,
) -> None:
    round_id, _, check_in = await sent_in(db)
    await close_with_results(db, round_id=round_id, now=CLOSED)
    # a change saved in the very moment the round closed
    await DraftStore(db).put(
        invitation_id=check_in.invitation_id,
        step=Section.CONFIDENCE,
        values={"confidence": 1},
        sent=SENT,
        now=CLOSED,
    )
    done = await apply_retention(db, now=CLOSED + timedelta(hours=1))
    assert done.drafts == 1
    assert await DraftStore(db).of_invitation(check_in.invitation_id) == {}
    assert (await apply_retention(db, now=CLOSED + timedelta(hours=2))).drafts == 0


async def test_erasing_my_answers_erases_my_changes_too(db: Database) -> None:
    _, karin, check_in = await sent_in(db)
    changed = await change(db, check_in, Section.CONFIDENCE, confidence="1")
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None and plan.drafts == 1
    # changed again after the question: the confirmation is stale, nothing is erased
    await change(
        db, changed, Section.CONFIDENCE, now=CHANGED + timedelta(minutes=1), confidence="2"
    )
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None
    done = await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    assert done.drafts == 1
    assert await DraftStore(db).of_invitation(check_in.invitation_id) == {}
    async with db.session() as s:
        invitation = await s.get(Invitation, check_in.invitation_id)
    assert invitation is not None and invitation.state == "submitted"  # she did answer


async def test_my_data_shows_changes_not_sent_in_as_such(db: Database) -> None:
    _, karin, check_in = await sent_in(db)
    await change(db, check_in, Section.CONFIDENCE, confidence="1")
    data = await collect(db, chef_id=karin)
    assert data is not None
    [mine] = data.rounds
    [unsent] = mine.unsent
    assert (unsent.step, unsent.values) == (Section.CONFIDENCE, {"confidence": 1})
    # what counts is still what she sent in
    assert [g.value for g in mine.ratings if g.key == "confidence"] == [3]
    exported = as_json(data, compiled_at=CHANGED)["rounds"][0]
    assert exported["unsent_changes"] == [
        {
            "step": "confidence",
            "answers": {"confidence": 1},
            "changed_at": CHANGED.astimezone(UTC).isoformat(),
        }
    ]
    workbook = load_workbook(io.BytesIO(write_xlsx(data, texts_in("sv"))))
    assert workbook.sheetnames[-1] == "Ej inskickade ändringar"
    assert list(workbook["Ej inskickade ändringar"].iter_rows(values_only=True))[1][:3] == (
        "Delår 2",
        "Trygghet i rollen",
        '{"confidence": 1}',
    )
    card = my_data_card(
        data,
        "sv",
        downloads=False,
        link_lifetime=timedelta(minutes=15),
        zone=SE,
        today=CHANGED.astimezone(SE).date(),
    )
    assert (
        "Ändringar som inte är inskickade och inte räknas: Trygghet i rollen. De tas bort när "
        "omgången stängs." in str(card)
    )
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None
    asked = erase_card(plan, "sv", issued=CHANGED)
    assert "'Omgångar med ändringar som inte är inskickade', 'value': '1'" in str(asked)
    english = my_data_card(
        data,
        "en",
        downloads=False,
        link_lifetime=timedelta(minutes=15),
        zone=SE,
        today=CHANGED.astimezone(SE).date(),
    )
    assert_valid_cards([card, asked, english, erase_card(plan, "en", issued=CHANGED)])


async def test_before_the_first_sending_in_steps_are_saved_as_ever(db: Database) -> None:
    round_id, _, check_in = await sent_in(db)
    assert check_in.next_step == SUMMARY
    # a chef who never sent in has no drafts: her steps are her answers
    async with db.session() as s:
        rows = (await s.exec(select(Invitation).where(Invitation.round_id == round_id))).all()
    other = next(i for i in rows if i.state != "submitted")
    assert other.id is not None
    theirs = await load_check_in(db, other.id, policy=SWEDEN)
    assert theirs is not None
    with pytest.raises(StaleDraft):
        clean, _ = validate(theirs, Section.CONFIDENCE, {"confidence": "2"})
        await save_change(db, theirs, Section.CONFIDENCE, clean, sent=None, now=CHANGED)
    saved = await save(
        db, theirs, validate(theirs, Section.CONFIDENCE, {"confidence": "2"})[0], now=CHANGED
    )
    assert saved.invitation_state == "started" and saved.changed == ()
    assert await DraftStore(db).of_invitation(other.id) == {}
