"""What a delivered or undeliverable message means for the programme's follow-up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, update
from sqlmodel import col, select

from storage.chef_store import ChefStore
from storage.database import Database
from storage.models import Invitation, InvitationState, OutboxKind, OutboxMessage


async def invitation_of(db: Database, message: OutboxMessage) -> Invitation | None:
    """The invitation an outbox message is about (its round and chef), if any."""
    if message.round_id is None or message.chef_id is None:
        return None
    async with db.session() as session:
        return (
            await session.exec(
                select(Invitation).where(
                    Invitation.round_id == message.round_id, Invitation.chef_id == message.chef_id
                )
            )
        ).first()


async def record_delivered(
    db: Database, message: OutboxMessage, *, activity_id: str | None, now: datetime
) -> None:
    """An invitation reached the chef: remember its card (to update it later) and when."""
    if message.kind != OutboxKind.INVITATION or message.round_id is None or message.chef_id is None:
        return
    async with db.session() as session, session.begin():
        await session.exec(
            update(Invitation)
            .where(
                col(Invitation.round_id) == message.round_id,
                col(Invitation.chef_id) == message.chef_id,
            )
            .values(
                card_activity_id=activity_id,
                delivered_at=func.coalesce(col(Invitation.delivered_at), now),
                state=case(
                    (
                        col(Invitation.state).in_(
                            [InvitationState.PENDING.value, InvitationState.UNREACHABLE.value]
                        ),
                        InvitationState.DELIVERED.value,
                    ),
                    else_=col(Invitation.state),
                ),
            )
        )


async def record_unreachable(
    db: Database, message: OutboxMessage, *, code: str, now: datetime
) -> None:
    """The chef cannot be reached (blocked, removed the app, ...): HR is told through the counts."""
    if message.chef_id is not None:
        await ChefStore(db).set_reachable(chef_id=message.chef_id, code=code, now=now)
    invitation = await invitation_of(db, message)
    if invitation is None or invitation.state not in (InvitationState.PENDING,):
        return
    async with db.session() as session, session.begin():
        invitation = await session.get(Invitation, invitation.id)
        if invitation is not None:
            invitation.state = InvitationState.UNREACHABLE
