"""What the outbox's deliveries and refusals mean for a round: a delivered invitation counts as
delivered and its card is kept to update later; a chef who cannot be reached is counted under the
reason, unless they had already started answering."""

from __future__ import annotations

from datetime import timedelta

from followup.rounds.delivery import invitation_of, record_delivered, record_unreachable
from followup.rounds.progress import progress
from storage.chef_store import ChefStore
from storage.database import Database
from storage.invitation_store import InvitationStore
from storage.models import Invitation, OutboxKind, OutboxMessage
from tests.storage.world import NOW, World, add_chef, add_round, invite, world

BLOCKED = "ConversationBlockedByUser"


async def a_round(db: Database) -> tuple[World, int]:
    """An open round to which Anna and Bo (IFO) are invited and have not been reached yet."""
    w = await world(db)
    round_id = await add_round(db, w, sections={"activity_status": "identified"})
    for name in ("Anna Berg", "Bo Dahl"):
        chef_id = await add_chef(db, w, name, department="IFO")
        await invite(db, round_id=round_id, chef_id=chef_id, state="pending")
    return w, round_id


def message(w: World, kind: OutboxKind, *, round_id: int | None, chef: str) -> OutboxMessage:
    return OutboxMessage(
        organisation_id=w.organisation,
        dedupe_key=f"{kind.value}:{round_id}:{chef}",
        kind=kind.value,
        round_id=round_id,
        chef_id=w.chefs[chef],
    )


async def invitation(db: Database, round_id: int, chef_id: int) -> Invitation:
    found = await InvitationStore(db).of(round_id=round_id, chef_id=chef_id)
    assert found is not None
    return found


async def test_a_delivered_invitation_counts_as_delivered_and_keeps_its_card(
    db: Database,
) -> None:
    w, round_id = await a_round(db)
    sent = message(w, OutboxKind.INVITATION, round_id=round_id, chef="Anna")
    await record_delivered(db, sent, activity_id="card-1", now=NOW)
    p = await progress(db, round_id=round_id)
    assert (p.total.invited, p.total.delivered) == (2, 1)
    anna = await invitation(db, round_id, w.chefs["Anna"])
    assert (anna.state, anna.card_activity_id, anna.delivered_at) == ("delivered", "card-1", NOW)
    found = await invitation_of(db, sent)
    assert found is not None and found.id == anna.id


async def test_a_delivered_reminder_leaves_the_invitations_card_alone(db: Database) -> None:
    w, round_id = await a_round(db)
    await record_delivered(
        db,
        message(w, OutboxKind.INVITATION, round_id=round_id, chef="Anna"),
        activity_id="card-1",
        now=NOW,
    )
    await record_delivered(
        db,
        message(w, OutboxKind.REMINDER, round_id=round_id, chef="Anna"),
        activity_id="reminder-1",
        now=NOW + timedelta(days=3),
    )
    anna = await invitation(db, round_id, w.chefs["Anna"])
    # the card updated later (to "sent in") is the invitation's, not the reminder's
    assert (anna.card_activity_id, anna.delivered_at) == ("card-1", NOW)


async def test_a_chef_who_cannot_be_reached_is_counted_under_the_reason(db: Database) -> None:
    w, round_id = await a_round(db)
    await record_unreachable(
        db,
        message(w, OutboxKind.INVITATION, round_id=round_id, chef="Bo"),
        code=BLOCKED,
        now=NOW,
    )
    p = await progress(db, round_id=round_id)
    assert (p.total.invited, p.total.unreachable) == (2, 1)
    assert p.total.reasons == {BLOCKED: 1}
    assert p.not_answered == ["Anna Berg", "Bo Dahl"]
    bo = await ChefStore(db).get(w.chefs["Bo"])
    assert bo is not None and (bo.unreachable_code, bo.unreachable_at) == (BLOCKED, NOW)


async def test_a_chef_who_had_started_answering_is_not_counted_unreachable(db: Database) -> None:
    w, round_id = await a_round(db)
    bo = await invitation(db, round_id, w.chefs["Bo"])
    assert bo.id is not None
    await InvitationStore(db).set_state(invitation_id=bo.id, state="started")
    await record_unreachable(
        db,
        message(w, OutboxKind.REMINDER, round_id=round_id, chef="Bo"),
        code=BLOCKED,
        now=NOW,
    )
    p = await progress(db, round_id=round_id)
    assert (p.total.started, p.total.unreachable) == (1, 0)
    # the next message to him is not attempted in vain, though
    chef = await ChefStore(db).get(w.chefs["Bo"])
    assert chef is not None and chef.unreachable_code == BLOCKED


async def test_a_message_outside_any_round_marks_only_the_chef(db: Database) -> None:
    w, round_id = await a_round(db)
    feedback = message(w, OutboxKind.FEEDBACK, round_id=None, chef="Anna")
    assert await invitation_of(db, feedback) is None
    await record_unreachable(db, feedback, code=BLOCKED, now=NOW)
    await record_delivered(db, feedback, activity_id="x", now=NOW)
    p = await progress(db, round_id=round_id)
    assert (p.total.unreachable, p.total.delivered) == (0, 0)
    anna = await ChefStore(db).get(w.chefs["Anna"])
    assert anna is not None and anna.unreachable_code == BLOCKED
