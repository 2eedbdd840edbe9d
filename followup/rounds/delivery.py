"""What a delivered or undeliverable message means for the programme's follow-up, and how long
a message Teams does not take is tried again.

Teams refusing for a while (5xx, 412, 429) is not the chef's doing: the message is tried again
for the policy's retry window, never past its round's deadline for an invitation or a reminder.
When it is given up, the invitation shows among the unreachable in HR's status with why; HR's
remind, or the first message Teams takes again for the organisation, queues it once more (the
same row, so it reaches a chef at most once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from followup.policy import Policy
from storage.chef_store import ChefStore
from storage.database import Database, Session
from storage.invitation_store import InvitationStore
from storage.models import (
    Invitation,
    InvitationState,
    OutboxKind,
    OutboxMessage,
    Round,
    RoundState,
)
from storage.outbox_store import OutboxStore
from storage.round_store import RoundStore

# why a message was given up while Teams did not take it: the retry window went by, or the
# round's deadline came first
NO_ANSWER = "TeamsNoAnswer"
NO_ANSWER_BY_DEADLINE = "TeamsNoAnswerByDeadline"
OUTAGE = frozenset({NO_ANSWER, NO_ANSWER_BY_DEADLINE})
# messages that belong to a round's time to answer: never sent after its deadline
ROUND_BOUND = frozenset({OutboxKind.INVITATION.value, OutboxKind.REMINDER.value})


@dataclass(frozen=True)
class Retry:
    """When to try a message again, or why not to."""

    at: datetime | None
    given_up: str | None = None


def retry_window_end(failing_since: datetime, policy: Policy) -> datetime:
    return failing_since + policy.send_retry_window


async def next_try(
    db: Database,
    message: OutboxMessage,
    *,
    failing_since: datetime,
    now: datetime,
    wait: timedelta,
    policy: Policy,
) -> Retry:
    """After Teams did not take `message`: try again after `wait` (the last try at the end of
    the window), or give up once the window has gone by or its round's deadline would."""
    end = retry_window_end(failing_since, policy)
    if now >= end:
        return Retry(None, NO_ANSWER)
    at = min(now + wait, end)
    if message.kind in ROUND_BOUND and message.round_id is not None:
        round_ = await RoundStore(db).get(message.round_id)
        if round_ is None or round_.state != RoundState.OPEN or round_.deadline <= at:
            return Retry(None, NO_ANSWER_BY_DEADLINE)
    return Retry(at)


async def invitation_of(db: Database, message: OutboxMessage) -> Invitation | None:
    """The invitation an outbox message is about (its round and chef), if any."""
    if message.round_id is None or message.chef_id is None:
        return None
    return await InvitationStore(db).of(round_id=message.round_id, chef_id=message.chef_id)


async def record_delivered(
    db: Database, message: OutboxMessage, *, activity_id: str | None, now: datetime
) -> None:
    """An invitation reached the chef: remember its card (to update it later) and when."""
    if message.kind != OutboxKind.INVITATION or message.round_id is None or message.chef_id is None:
        return
    await InvitationStore(db).mark_delivered(
        round_id=message.round_id, chef_id=message.chef_id, activity_id=activity_id, now=now
    )


async def record_unreachable(
    db: Database, message: OutboxMessage, *, code: str, now: datetime
) -> None:
    """The chef cannot be reached (blocked, removed the app, ...): HR is told through the counts."""
    if message.chef_id is not None:
        await ChefStore(db).set_reachable(chef_id=message.chef_id, code=code, now=now)
    invitation = await invitation_of(db, message)
    if (
        invitation is None
        or invitation.id is None
        or invitation.state not in (InvitationState.PENDING,)
    ):
        return
    await InvitationStore(db).set_state(
        invitation_id=invitation.id, state=InvitationState.UNREACHABLE
    )


async def record_failed(db: Database, message: OutboxMessage, *, code: str) -> None:
    """A message was given up: an invitation that never arrived shows among the unreachable in
    HR's status, with why (the chef is not marked unreachable: it was not their doing)."""
    if message.kind != OutboxKind.INVITATION or message.round_id is None or message.chef_id is None:
        return
    await InvitationStore(db).mark_undelivered(
        round_id=message.round_id, chef_id=message.chef_id, code=code
    )


async def organisations_after_outage(db: Database) -> set[int]:
    """The organisations with messages given up during an outage and not yet queued again."""
    return await OutboxStore(db).organisations_with_failures(codes=OUTAGE)


async def requeue_after_outage(db: Database, *, organisation_id: int, now: datetime) -> int:
    """Teams takes messages for the organisation again: queue once more, once, what was given up
    while it did not (an invitation or reminder only while its round is open); how many."""
    async with db.session() as session, session.begin():
        messages = await OutboxStore(db).requeue_failed(
            codes=OUTAGE,
            now=now,
            organisation_id=organisation_id,
            first_time_only=True,
            open_rounds_kinds=ROUND_BOUND,
            session=session,
        )
        await _invitations_pending_again(db, messages, session=session)
    return len(messages)


async def resend_invitations(
    db: Database, round_: Round, invitations: list[Invitation], *, now: datetime, session: Session
) -> int:
    """HR reminds: the invitations among these that never arrived because Teams did not take
    them are queued again as invitations (not reminders), in the caller's transaction."""
    assert round_.id is not None
    undelivered = [
        i.chef_id
        for i in invitations
        if i.chef_id is not None
        and i.state == InvitationState.UNREACHABLE
        and i.unreachable_code in OUTAGE
    ]
    outbox = OutboxStore(db)
    failed = await outbox.failed_for(
        round_id=round_.id,
        chef_ids=undelivered,
        kind=OutboxKind.INVITATION.value,
        codes=OUTAGE,
        session=session,
    )
    messages = await outbox.requeue_failed(
        codes=OUTAGE,
        now=now,
        message_ids=[m.id for m in failed if m.id is not None],
        session=session,
    )
    await _invitations_pending_again(db, messages, session=session)
    return len(messages)


async def _invitations_pending_again(
    db: Database, messages: list[OutboxMessage], *, session: Session
) -> None:
    by_round: dict[int, list[int]] = {}
    for m in messages:
        if m.kind == OutboxKind.INVITATION and m.round_id is not None and m.chef_id is not None:
            by_round.setdefault(m.round_id, []).append(m.chef_id)
    for round_id, chef_ids in by_round.items():
        await InvitationStore(db).back_to_pending(
            round_id=round_id,
            chef_ids=chef_ids,
            codes=OUTAGE,
            session=session,
        )
