"""The chef's check-in in Teams: cards in, answers saved at once, the next card out.

Stateless by design: each card says which invitation and step it belongs to, and what is
answered lives in the answer tables. A chef can stop at any time and resume later, also after
a restart; a card from a closed round, or forwarded from another chef, changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from botbuilder.core import TurnContext

from dialogs.card_fields import read_step
from dialogs.cards import REFRESH, card_id, show_card, with_values
from dialogs.check_in_answers import (
    receipt_card,
    summary_card,
)
from dialogs.check_in_cards import (
    closed_card,
    invitation_card,
    step_card,
)
from dialogs.check_in_parts import (
    INVITATION,
    RECEIPT,
    STEP,
    error_message,
    step_title,
)
from dialogs.formatting import date_time, short_date, weekday_date
from dialogs.texts import t
from followup.check_in.drafts import (
    discard,
    moment,
    save_change,
    send_again,
    stale,
    with_drafts,
)
from followup.check_in.steps import (
    SUMMARY,
    CheckIn,
    PlanCache,
    latest_invitation,
    load_check_in,
    open_invitation,
    refusal,
    save,
    submit,
)
from followup.forms import FormError
from followup.people.access import Access, audit_refusal, chef_access
from followup.policy import Policy
from followup.rounds.workdays import next_working_morning
from storage.answer_store import AlreadySubmitted, AnswerStore
from storage.database import Database
from storage.draft_store import StaleDraft
from storage.types import utcnow

logger = logging.getLogger(__name__)

MARKER = "checkin"
ACTIONS = frozenset({"start", "later", "save", "goto", "submit", "reopen", "discard", REFRESH})


Who = Callable[[], Awaitable[Access]]  # the sender, looked up when a refusal is written down


@dataclass(frozen=True)
class Pressed:
    """A card press being answered: where, in which language, and who pressed it."""

    context: TurnContext
    language: str
    who: Who


class CheckInDialog:
    """Runs a chef's check-in turn by turn; replies only through the turn context."""

    def __init__(
        self, db: Database, *, policy: Policy, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._db = db
        self._policy = policy
        self._clock = clock
        self._answers = AnswerStore(db)
        self._plans = PlanCache()

    def _today(self) -> date:
        """The chef's day (for a date's year): the policy's zone, the injected clock."""
        return self._policy.today(self._clock())

    async def _load(self, invitation_id: int) -> CheckIn | None:
        """The check-in as the chef sees it: with the changes not sent in yet, if any."""
        check_in = await load_check_in(
            self._db, invitation_id, policy=self._policy, plans=self._plans
        )
        return await with_drafts(self._db, check_in) if check_in is not None else None

    # --- typed commands -------------------------------------------------------------------

    async def begin(self, context: TurnContext, *, chef_id: int | None, language: str) -> None:
        """ "uppföljning"/"check in"/"fortsätt": the first unanswered step of the open round."""
        invitation_id = await self._open(chef_id)
        if invitation_id is None:
            await context.send_activity(t(language, "checkin.no_open_round"))
            return
        check_in = await self._load(invitation_id)
        assert check_in is not None
        if check_in.changed:
            await self._show_step(context, check_in, SUMMARY, language)
            return
        if check_in.submitted:
            await show_card(
                context,
                receipt_card(
                    check_in,
                    language,
                    can_change=True,
                    zone=self._policy.zone,
                    today=self._today(),
                ),
            )
            return
        await self._show_step(context, check_in, check_in.next_step, language)

    async def resume_if_answering(
        self, context: TurnContext, *, chef_id: int | None, language: str
    ) -> bool:
        """A chef who wrote anything in the middle of a check-in gets the step they are at."""
        invitation_id = await self._open(chef_id)
        if invitation_id is None:
            return False
        check_in = await self._load(invitation_id)
        if check_in is not None and check_in.changed:
            # changes not sent in: the summary says so, with Skicka in and Ångra
            await self._show_step(context, check_in, SUMMARY, language)
            return True
        if check_in is None or check_in.submitted or not check_in.answers_started:
            return False
        await self._show_step(context, check_in, check_in.next_step, language)
        return True

    async def my_answers(self, context: TurnContext, *, chef_id: int | None, language: str) -> None:
        invitation_id = (
            await latest_invitation(self._db, chef_id=chef_id) if chef_id is not None else None
        )
        check_in = await self._load(invitation_id) if invitation_id else None
        if check_in is None:
            await context.send_activity(t(language, "checkin.no_answers"))
            return
        now = self._clock()
        if check_in.changed and check_in.is_open(now):
            card = summary_card(check_in, language)
        elif check_in.submitted or not check_in.is_open(now):
            card = receipt_card(
                check_in,
                language,
                can_change=check_in.is_open(now),
                zone=self._policy.zone,
                today=self._today(),
            )
        else:
            card = summary_card(check_in, language)
        await show_card(context, card)

    async def change_answers(
        self, context: TurnContext, *, chef_id: int | None, language: str
    ) -> None:
        """ "ändra mina svar": change answers already sent in, until the deadline."""
        invitation_id = await self._open(chef_id)
        check_in = await self._load(invitation_id) if invitation_id else None
        if check_in is None:
            await context.send_activity(t(language, "checkin.no_open_round"))
            return
        await self._open_to_change(
            context, check_in, language, who=partial(self._chef_access, chef_id)
        )

    async def cancel(self, context: TurnContext, *, language: str) -> None:
        await context.send_activity(t(language, "checkin.cancelled"))

    # --- card submits ---------------------------------------------------------------------

    async def on_submit(
        self,
        context: TurnContext,
        value: dict[str, Any],
        *,
        chef_id: int | None,
        language: str,
        who: Who,
    ) -> None:
        """A press on a check-in card. `who`: the sender, for the audit log of a refusal."""
        card = Pressed(context, language, who)
        action, invitation_id = value.get("action"), card_id(value.get("invitation"))
        if not isinstance(action, str) or action not in ACTIONS or invitation_id is None:
            await self._refuse(card, "invalid_card", text="checkin.invalid_card")
            return
        check_in = await self._load(invitation_id)
        if check_in is None:
            await self._refuse(
                card, "unknown_invitation", text="checkin.invalid_card", invitation=invitation_id
            )
            return
        now = self._clock()
        if action == REFRESH:
            await self._refresh(card, check_in, value, chef_id=chef_id)
            return
        refused = refusal(check_in, chef_id=chef_id, now=now)
        if refused is not None:
            logger.info("check-in card refused: invitation=%s reason=%s", invitation_id, refused)
            # another chef's card names a round of theirs, perhaps of another organisation
            await self._refuse(
                card,
                refused,
                check_in=None if refused == "not_yours" else check_in,
                invitation=invitation_id,
            )
            return
        step = value.get("step")
        # the sending-in the card was built on: a card from before it changes nothing
        if action in ("save", "goto", "submit", "discard") and stale(
            check_in, moment(value.get("sent"))
        ):
            await self._refuse_stale(card, check_in, action)
            return
        if action == "start":
            await self._start(card, check_in)
        elif action == "later":
            when = next_working_morning(now, policy=self._policy)
            await self._answers.remind_later(invitation_id=invitation_id, at=when)
            note = t(
                language,
                "checkin.remind_later",
                when=date_time(when, language, zone=self._policy.zone, today=self._today()),
            )
            await show_card(
                context,
                invitation_card(
                    check_in, language, zone=self._policy.zone, today=self._today(), note=note
                ),
            )
        elif action == "save" and isinstance(step, str):
            await self._save(card, check_in, step, value)
        elif action == "goto":
            target = value.get("goto_step") or step
            if isinstance(target, str) and target in check_in.steps:
                await self._show_step(context, check_in, target, language)
            else:
                await self._refuse(
                    card, "invalid_card", text="checkin.invalid_card", check_in=check_in
                )
        elif action == "submit":
            await self._submit(card, check_in)
        elif action == "discard":
            await self._discard(card, check_in)
        elif action == "reopen":
            await self._open_to_change(context, check_in, language, who=who)
        else:
            await self._refuse(card, "invalid_card", text="checkin.invalid_card", check_in=check_in)

    async def _refresh(
        self, card: Pressed, check_in: CheckIn, value: dict[str, Any], *, chef_id: int | None
    ) -> None:
        """A card shown again (Teams asks when it comes into view): the check-in as it stands
        now, in the view the card had. Only the chef's own; nothing is written."""
        if check_in.chef_id != chef_id:
            return  # another's card shows what it showed; a forged refresh learns nothing
        view, step = value.get("view"), value.get("step")
        await show_card(
            card.context,
            self._current(check_in, card.language, view=view, step=step),
        )

    def _current(
        self, check_in: CheckIn, language: str, *, view: Any = None, step: Any = None
    ) -> dict[str, Any]:
        """The card for where the check-in stands: closed, its receipt, or the `view` (and
        step) a card showed — by default the step to answer next."""
        zone, today = self._policy.zone, self._today()
        open_now = check_in.is_open(self._clock())
        if not open_now and not check_in.submitted:
            return closed_card(check_in, language)
        if not open_now or (check_in.submitted and not check_in.changed) or view == RECEIPT:
            return receipt_card(check_in, language, can_change=open_now, zone=zone, today=today)
        if view == INVITATION or (view is None and not check_in.answers_started):
            return invitation_card(check_in, language, zone=zone, today=today)
        if view == STEP and isinstance(step, str) and step in check_in.steps:
            return self._step(check_in, step, language)
        if view is None and not check_in.submitted:
            return self._step(check_in, check_in.next_step, language)
        return summary_card(check_in, language)

    async def _refuse(
        self,
        card: Pressed,
        reason: str,
        *,
        text: str | None = None,
        check_in: CheckIn | None = None,
        **detail: object,
    ) -> None:
        """Answer a refused card, and put it on record: who, why, which round (when it is the
        sender's own) — never what the card held."""
        await audit_refusal(
            self._db,
            await card.who(),
            "checkin",
            reason=reason,
            at=self._clock(),
            round_id=check_in.round_id if check_in is not None else None,
            **detail,
        )
        await card.context.send_activity(t(card.language, text or f"checkin.refused.{reason}"))
        if check_in is not None:
            # the chef's own card, pressed too late or twice: it shows where things stand
            await show_card(card.context, self._current(check_in, card.language))

    async def _refuse_stale(self, card: Pressed, check_in: CheckIn, action: str) -> None:
        """A card from before the answers were sent in (again): Skicka in pressed twice, or a
        step from an earlier version."""
        text = "checkin.submitted_once" if action == "submit" else None
        await self._refuse(card, "already_submitted", text=text, check_in=check_in)

    async def _start(self, card: Pressed, check_in: CheckIn) -> None:
        if check_in.submitted:
            # the invitation's Starta after sending in: the answers, to change if need be
            await self._open_to_change(card.context, check_in, card.language, who=card.who)
            return
        await self._show_step(card.context, check_in, check_in.next_step, card.language)

    async def _save(
        self, card: Pressed, check_in: CheckIn, step: str, value: dict[str, Any]
    ) -> None:
        clean, errors = read_step(check_in, step, value)
        if errors:
            codes = sorted({e.code for e in errors})
            logger.info(
                "check-in step refused: invitation=%s step=%s errors=%s",
                check_in.invitation_id,
                step,
                codes,
            )
            await self._refuse_answers(card, check_in, step, codes)
            if step == SUMMARY or step not in check_in.steps:
                await card.context.send_activity(
                    self._errors_text(check_in, step, errors, card.language)
                )
                return
            # the step again, the problems at the top and what was typed kept
            typed = {k: v for k, v in value.items() if isinstance(v, str)}
            await show_card(
                card.context,
                with_values(
                    step_card(check_in, step, card.language, errors, today=self._today()), typed
                ),
            )
            return
        try:
            if check_in.submitted:
                # sent in already: the change waits as a draft until sent in again
                saved = await save_change(
                    self._db,
                    check_in,
                    step,
                    clean,
                    sent=check_in.submitted_at,
                    now=self._clock(),
                )
            else:
                saved = await save(self._db, check_in, clean, now=self._clock())
        except (AlreadySubmitted, StaleDraft):
            await self._refuse(card, "already_submitted", check_in=check_in)
            return
        await self._show_step(card.context, saved, saved.next_step, card.language)

    async def _submit(self, card: Pressed, check_in: CheckIn) -> None:
        context, language = card.context, card.language
        if not check_in.complete:
            await self._show_step(context, check_in, check_in.next_step, language)
            return
        if check_in.submitted:
            await self._send_again(card, check_in)
            return
        # the receipt and the chef's feedback are queued with the submission itself: what
        # must arrive goes through the outbox, so a reply lost here (a crash, the connector)
        # loses nothing, and a second press finds them queued already
        if not await submit(self._db, check_in, now=self._clock()):
            # pressed again (the first press's reply lost, say): what it sent is queued already
            await self._refuse(
                card, "already_submitted", text="checkin.submitted_once", check_in=check_in
            )
            return
        logger.info("check-in submitted: invitation=%s", check_in.invitation_id)
        # the pressed summary becomes the receipt in place (a courtesy: the outbox has it too)
        await self._show_receipt(
            card, check_in.invitation_id, note=t(card.language, "checkin.receipt.thanks")
        )

    async def _show_receipt(
        self, card: Pressed, invitation_id: int, *, note: str | None = None
    ) -> None:
        """The pressed card becomes the receipt of the answers as they stand now (sent in, or
        kept after changes were discarded), with "Ändra mina svar"; `note`: what was done."""
        current = await self._load(invitation_id)
        assert current is not None
        await show_card(
            card.context,
            receipt_card(
                current,
                card.language,
                can_change=True,
                zone=self._policy.zone,
                today=self._today(),
                note=note,
            ),
        )

    async def _refuse_answers(
        self, card: Pressed, check_in: CheckIn, step: str, codes: list[str]
    ) -> None:
        """On record: a step's answers that did not pass the checks (the codes, never the
        values)."""
        await audit_refusal(
            self._db,
            await card.who(),
            "checkin",
            reason="invalid_answer",
            at=self._clock(),
            round_id=check_in.round_id,
            step=step[:80],
            errors=codes,
        )

    async def _send_again(self, card: Pressed, check_in: CheckIn) -> None:
        """Skicka in on changed answers: every change sent in at once, or none."""
        context, language = card.context, card.language
        result = await send_again(self._db, check_in, sent=check_in.submitted_at, now=self._clock())
        if result.outcome == "invalid":
            # the plan changed since the step was changed: that step is answered again
            await self._refuse_answers(
                card, check_in, result.step, sorted({e.code for e in result.errors})
            )
            await context.send_activity(
                t(
                    language,
                    "checkin.changes.invalid",
                    step=step_title(check_in, result.step, language),
                )
            )
            await self._show_step(context, check_in, result.step, language)
            return
        if result.outcome != "sent":
            await self._refuse(
                card, "already_submitted", text="checkin.submitted_once", check_in=check_in
            )
            return
        logger.info("check-in sent in again: invitation=%s", check_in.invitation_id)
        await self._show_receipt(
            card, check_in.invitation_id, note=t(card.language, "checkin.receipt.thanks")
        )

    async def _discard(self, card: Pressed, check_in: CheckIn) -> None:
        """Ångra ändringarna: the changes go, the answers sent in stay as they were."""
        if not check_in.submitted or check_in.submitted_at is None:
            await self._refuse(card, "invalid_card", text="checkin.invalid_card", check_in=check_in)
            return
        await discard(self._db, check_in)
        logger.info("check-in changes discarded: invitation=%s", check_in.invitation_id)
        await self._show_receipt(
            card,
            check_in.invitation_id,
            note=t(
                card.language,
                "checkin.changes.discarded",
                date=short_date(
                    check_in.submitted_at,
                    card.language,
                    zone=self._policy.zone,
                    today=self._today(),
                ),
            ),
        )

    async def _open_to_change(
        self, context: TurnContext, check_in: CheckIn, language: str, *, who: Who
    ) -> None:
        """The answers to change: sent in, they stay sent in until the chef sends changes."""
        refused = refusal(check_in, chef_id=check_in.chef_id, now=self._clock())
        if refused is not None:
            await self._refuse(Pressed(context, language, who), refused, check_in=check_in)
            return
        note = None
        if check_in.submitted:
            deadline = weekday_date(
                check_in.deadline, language, zone=self._policy.zone, today=self._today()
            )
            note = t(language, "checkin.reopened", deadline=deadline)
        # not sent in yet: what is answered so far, each step to change
        await show_card(context, summary_card(check_in, language, note=note))

    # --- helpers ----------------------------------------------------------------------------

    async def _chef_access(self, chef_id: int | None) -> Access:
        return await chef_access(self._db, chef_id) or Access(actor=f"chef:{chef_id}")

    async def _open(self, chef_id: int | None) -> int | None:
        if chef_id is None:
            return None
        now = self._clock()
        today = self._policy.today(now)
        return await open_invitation(self._db, chef_id=chef_id, now=now, today=today)

    def _step(self, check_in: CheckIn, step: str, language: str) -> dict[str, Any]:
        if step == SUMMARY:
            return summary_card(check_in, language)
        return step_card(check_in, step, language, today=self._today())

    async def _show_step(
        self, context: TurnContext, check_in: CheckIn, step: str, language: str
    ) -> None:
        """A step in place of the card pressed (as a new card for a typed command)."""
        await show_card(context, self._step(check_in, step, language))

    @staticmethod
    def _errors_text(check_in: CheckIn, step: str, errors: list[FormError], language: str) -> str:
        """The problems, each naming the field as the chef saw it on the card."""
        lines = [t(language, "checkin.fix_errors"), ""]
        lines += ["- " + error_message(check_in, step, error, language) for error in errors]
        return "\n".join(lines)
