"""HR runs an open round in Teams: reminding the chefs, extending the deadline, closing it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs.activities import tenant_of
from dialogs.card_fields import FormError, read_date
from dialogs.cards import card, card_activity, text
from dialogs.formatting import date_time
from dialogs.hr_cards import close_card, extend_card, status_card
from dialogs.hr_flow import FormRefused, HrFlow, HrTurn, required_round
from dialogs.hr_reports import HrReports
from dialogs.remind_cards import remind_when_card
from dialogs.texts import t
from followup.hr import operations
from followup.hr.operations import LIVE, Reminded
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from followup.rounds.progress import progress
from followup.rounds.workdays import held_until
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import RoundState


class HrRunning(HrFlow):
    """An open round: reminders, a later deadline, and closing it with its digest."""

    def __init__(self, db: Database, *, reports: HrReports) -> None:
        super().__init__(db)
        self._reports = reports  # closing hands the closer the digest at once

    async def remind(self, turn: HrTurn, round_id: int | None) -> None:
        """ "påminn" (or the status card's button): at once in working hours; outside them
        (an evening, a weekend, a holiday) HR is asked whether to wait for the next working
        morning — unless that comes after the last day, when only now makes sense."""
        call = turn.call
        later = held_until(call.now, policy=call.policy)
        if later is not None:
            round_ = await operations.find_round(call, "remind", round_id=round_id, states=LIVE)
            if round_.state == RoundState.OPEN and later < round_.deadline:
                question = remind_when_card(
                    round_,
                    turn.language,
                    later=later,
                    today=call.today,
                    zone=call.policy.zone,
                )
                await turn.context.send_activity(card_activity(question))
                return
        await turn.context.send_activity(await self._remind(turn, round_id, at=None))

    async def remind_now(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """The question answered "Skicka nu"."""
        answer = await self._remind(turn, required_round(value), at=None)
        await self._replace(turn.context, card([text(answer)]))

    async def remind_later(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """The question answered "nästa arbetsdag": queued from the next working morning, as
        the clock has it when pressed (pressed in working hours, that is now)."""
        call = turn.call
        at = held_until(call.now, policy=call.policy)
        answer = await self._remind(turn, required_round(value), at=at)
        await self._replace(turn.context, card([text(answer)]))

    async def _remind(self, turn: HrTurn, round_id: int | None, *, at: datetime | None) -> str:
        call = turn.call
        reminded = await operations.remind(call, round_id=round_id, at=at)
        return "\n\n".join(remind_lines(reminded, turn.language, policy=call.policy, now=call.now))

    async def extend_form(self, turn: HrTurn, round_id: int | None) -> None:
        call = turn.call
        round_ = await operations.find_round(call, "extend", round_id=round_id, states=LIVE)
        today = call.today
        # in place of the round's card: sending the form turns it back into the round's card
        await turn.show(extend_card(round_, turn.language, today=today, zone=call.policy.zone))

    async def extend(self, turn: HrTurn, value: dict[str, Any]) -> None:
        context, call, language = turn.context, turn.call, turn.language
        round_id = required_round(value)
        errors: list[FormError] = []
        day = read_date(value, "deadline", errors)
        if day is None and not errors:
            errors.append(FormError("deadline", "required"))
        if errors or day is None:
            raise FormRefused(errors)
        await operations.extend_round(
            call, round_id=round_id, deadline=call.policy.last_moment(day)
        )
        await self._replace(
            context,
            await self._round_card(round_id, call, language, "extended"),
        )

    async def close_form(self, turn: HrTurn, round_id: int | None) -> None:
        """How far the round has come, and the button that closes it."""
        call = turn.call
        round_ = await operations.find_round(call, "close", round_id=round_id, states=LIVE)
        assert round_.id is not None
        if round_.state != RoundState.OPEN:
            raise RoundError("not_open", state=round_.state)
        p = await progress(self._db, round_id=round_.id, organisation_id=call.organisation_id)
        # in place of the round's card: closing turns it into the closed round's status
        await turn.show(close_card(p, turn.language))

    async def close(self, turn: HrTurn, value: dict[str, Any]) -> None:
        context, call, language = turn.context, turn.call, turn.language
        round_id = required_round(value)
        # the closer is handed the digest right here; the other HR admins, the leads and the
        # chefs who answered get theirs through the outbox, which the operation fills
        activity = context.activity
        closer = await ConversationStore(self._db).find(
            tenant_id=tenant_of(activity) or "",
            user_id=activity.from_property.id if activity.from_property else "",
        )
        closed = await operations.close_round(
            call, round_id=round_id, has_digest=closer.id if closer else None
        )
        await self._replace(
            context,
            status_card(
                closed.progress,
                language,
                now=call.now,
                zone=call.policy.zone,
                retry_window=call.policy.send_retry_window,
            ),
        )
        await context.send_activity(t(language, "round.closed"))
        await self._reports.digest(turn, round_id)


def remind_lines(reminded: Reminded, language: str, *, policy: Policy, now: datetime) -> list[str]:
    """What a reminder did, the same in Teams and on the command line: invitations sent again,
    how many reminders go out (now or when), and how many chefs the round's cap leaves out."""
    result = reminded.reminding
    lines = [t(language, "round.resent", count=result.resent)] if result.resent else []
    if result.reminded and reminded.not_before is not None:
        when = date_time(reminded.not_before, language, zone=policy.zone, today=policy.today(now))
        lines.append(t(language, "round.reminded_later", count=result.reminded, when=when))
    elif result.reminded:
        lines.append(t(language, "round.reminded", count=result.reminded))
    elif not lines:
        return [t(language, "hr.remind.none")]
    if result.at_cap:
        lines.append(t(language, "round.reminded_at_cap", count=result.at_cap))
    return lines
