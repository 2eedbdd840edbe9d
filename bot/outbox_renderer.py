"""Turns an outbox message into the activity Teams gets, rendered when it is sent.

Invitations are rendered at send time so they show the round as it is then (an extended
deadline, say); a message whose moment has passed (the round closed) is not sent at all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import select

from dialogs.cards import attachment
from dialogs.check_in_cards import invitation_card
from dialogs.formatting import weekday_date
from dialogs.texts import language_of, t
from followup.check_in import PlanCache, load_check_in
from storage.database import Database
from storage.models import Invitation, OutboxKind, OutboxMessage
from storage.types import utcnow


class OutboxRenderer:
    """Builds the activity for an outbox message in the recipient's language."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock
        self._plans = PlanCache()

    async def __call__(self, message: OutboxMessage, locale: str | None) -> dict[str, Any] | None:
        if message.payload.get("type"):
            return message.payload
        if message.kind in (OutboxKind.INVITATION, OutboxKind.REMINDER):
            return await self._invitation(message, language_of(locale))
        return None

    async def _invitation(self, message: OutboxMessage, language: str) -> dict[str, Any] | None:
        """The invitation card; a reminder puts a line above it, and is dropped once answered."""
        async with self._db.session() as session:
            invitation = (
                await session.exec(
                    select(Invitation).where(
                        Invitation.round_id == message.round_id,
                        Invitation.chef_id == message.chef_id,
                    )
                )
            ).first()
        if invitation is None or invitation.id is None:
            return None
        check_in = await load_check_in(self._db, invitation.id, plans=self._plans)
        if check_in is None or not check_in.is_open(self._clock()):
            return None
        activity: dict[str, Any] = {
            "type": "message",
            "summary": check_in.round_title,
            "attachments": [attachment(invitation_card(check_in, language))],
        }
        if message.kind == OutboxKind.REMINDER:
            if check_in.submitted:
                return None
            activity["text"] = t(
                language,
                "reminder.text",
                round=check_in.round_title,
                deadline=weekday_date(check_in.deadline, language),
            )
        return activity
