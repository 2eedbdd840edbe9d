"""Turns an outbox message into the activity Teams gets (`bot.outbox_dispatcher` only sends it).

Invitations are rendered at send time so they show the round as it is then (an extended
deadline, say); a message whose moment has passed (the round closed) is not sent at all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from dialogs.cards import attachment
from dialogs.check_in_cards import invitation_card
from dialogs.digest_cards import compiled_digest_card
from dialogs.feedback_cards import feedback_card
from dialogs.formatting import duration, short_date, weekday_date
from dialogs.hr_flow import round_card_now
from dialogs.texts import person_language, t
from followup.check_in.steps import PlanCache, feedback, load_check_in
from followup.digest.compile import group_view
from followup.policy import Policy
from followup.rounds.delivery import invitation_of
from followup.rounds.lifecycle import RoundError
from storage.database import Database
from storage.models import OutboxKind, OutboxMessage, Round, RoundState
from storage.types import utcnow


class OutboxRenderer:
    """Builds the activity for an outbox message in the recipient's language."""

    def __init__(
        self,
        db: Database,
        *,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
        downloads: bool = False,
    ) -> None:
        self._db = db
        self._policy = policy
        self._zone = policy.zone
        self._clock = clock
        self._plans = PlanCache()
        # a digest card's download buttons ask the bot for a link when pressed (none is sent)
        self._downloads = downloads

    async def __call__(self, message: OutboxMessage, language: str) -> dict[str, Any] | None:
        """`language`: the recipient's, as `person_language` decides it."""
        if message.payload.get("type"):
            return message.payload
        language = person_language(language, None)
        if message.kind in (OutboxKind.INVITATION, OutboxKind.REMINDER):
            return await self._invitation(message, language)
        if message.kind == OutboxKind.DIGEST:
            return await self._digest(message, language)
        if message.kind == OutboxKind.FEEDBACK:
            return await self._feedback(message, language)
        if message.kind == OutboxKind.RECEIPT:
            return await self._receipt(message, language)
        if message.kind == OutboxKind.HEADS_UP:
            return await self._heads_up(message, language)
        return None

    async def _digest(self, message: OutboxMessage, language: str) -> dict[str, Any] | None:
        """A closed round's digest for HR (all of it) or a department lead (theirs)."""
        if message.round_id is None:
            return None
        scope = message.payload.get("departments")
        try:
            files, content = await compiled_digest_card(
                self._db,
                round_id=message.round_id,
                now=self._clock(),
                language=language,
                policy=self._policy,
                downloads=self._downloads,
                departments=frozenset(int(d) for d in scope) if isinstance(scope, list) else None,
            )
        except RoundError:
            return None
        return {
            "type": "message",
            "summary": files.report.title,
            "attachments": [attachment(content)],
        }

    async def _feedback(self, message: OutboxMessage, language: str) -> dict[str, Any] | None:
        """A chef's own summary when the round has closed (only for one who answered)."""
        invitation = await invitation_of(self._db, message)
        if invitation is None or invitation.id is None:
            return None
        check_in = await load_check_in(
            self._db, invitation.id, policy=self._policy, plans=self._plans
        )
        if check_in is None or not check_in.submitted:
            return None
        picture = await feedback(self._db, check_in)
        group = await group_view(
            self._db,
            round_id=check_in.round_id,
            department_id=check_in.department_id,
            now=self._clock(),
            policy=self._policy,
        )
        return {
            "type": "message",
            "text": t(language, "feedback.closed", round=check_in.round_title),
            "attachments": [
                attachment(feedback_card(picture, language, group=group, k=check_in.k))
            ],
        }

    async def _receipt(self, message: OutboxMessage, language: str) -> dict[str, Any] | None:
        """Answers just sent in: a receipt line, no feedback (the chef's own feedback comes
        once, when the round closes). Dropped when they were sent in again since (that
        sending-in has its own receipt)."""
        invitation = await invitation_of(self._db, message)
        if invitation is None or invitation.id is None:
            return None
        check_in = await load_check_in(
            self._db, invitation.id, policy=self._policy, plans=self._plans
        )
        if (
            check_in is None
            or not check_in.submitted
            or check_in.submitted_at is None
            or check_in.submitted_at != _moment(message.payload.get("submitted_at"))
        ):
            return None
        return {
            "type": "message",
            "text": t(
                language,
                "feedback.receipt",
                round=check_in.round_title,
                date=short_date(
                    check_in.submitted_at,
                    language,
                    zone=self._zone,
                    today=self._policy.today(self._clock()),
                ),
            ),
        }

    async def _heads_up(self, message: OutboxMessage, language: str) -> dict[str, Any] | None:
        """A week before a scheduled round opens: HR sees it and can open, move or skip it."""
        if message.round_id is None:
            return None
        async with self._db.session() as session:
            round_ = await session.get(Round, message.round_id)
        if round_ is None or round_.state != RoundState.SCHEDULED or round_.opens_at is None:
            return None
        heading = t(
            language,
            "hr.heads_up",
            ahead=duration(self._policy.heads_up, language),
            date=weekday_date(
                round_.opens_at, language, zone=self._zone, today=self._policy.today(self._clock())
            ),
        )
        # it refreshes: opened or moved in the meantime, it shows the round as it is then
        content = await round_card_now(
            self._db, round_, language, heading="heads_up", now=self._clock(), policy=self._policy
        )
        return {"type": "message", "summary": heading, "attachments": [attachment(content)]}

    async def _invitation(self, message: OutboxMessage, language: str) -> dict[str, Any] | None:
        """The invitation card; a reminder puts a line above it, and is dropped once answered."""
        invitation = await invitation_of(self._db, message)
        if invitation is None or invitation.id is None:
            return None
        check_in = await load_check_in(
            self._db, invitation.id, policy=self._policy, plans=self._plans
        )
        if check_in is None or not check_in.is_open(self._clock()):
            return None
        today = self._policy.today(self._clock())
        activity: dict[str, Any] = {
            "type": "message",
            "summary": check_in.round_title,
            "attachments": [
                attachment(invitation_card(check_in, language, zone=self._zone, today=today))
            ],
        }
        if message.kind == OutboxKind.REMINDER:
            if check_in.submitted:
                return None
            activity["text"] = t(
                language,
                "reminder.text",
                round=check_in.round_title,
                deadline=weekday_date(check_in.deadline, language, zone=self._zone, today=today),
            )
        return activity


def _moment(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
