"""What a delivered or undeliverable message means for the programme's follow-up."""

from __future__ import annotations

from datetime import datetime

from storage.chef_store import ChefStore
from storage.database import Database
from storage.invitation_store import InvitationStore
from storage.models import Invitation, InvitationState, OutboxKind, OutboxMessage


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
