"""What HR's flows in Teams share: the gate every HR route passes, and how answers are shown.

Every command and card press of HR's goes through one of the operations in `followup.hr.operations`,
which authorise from the sender's roles (`Access`, never what a card says), audit, and do the
work; the flows (`hr_planning`, `hr_running`, `hr_reports`, `hr_calendar`, `hr_leave`,
`hr_roles`) only read cards and words and answer with texts and cards. A refusal is on record
too, so a forwarded HR card in a chef's hands is both harmless and visible."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext

from dialogs.card_fields import SECTION_INPUT, FormError
from dialogs.cards import card_activity, card_id, replace_card
from dialogs.hr_cards import round_card, state_label
from dialogs.texts import catalogue, t
from dialogs.turn import Handler, Turn
from followup.hr import operations
from followup.hr.operations import Call, Refused
from followup.people.access import audit_refusal
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError, department_names, find_round, round_audience
from storage.database import Database
from storage.models import Round
from storage.types import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HrTurn:
    """An HR turn past the gate: where to answer, the operation's call, and the language."""

    context: TurnContext
    call: Call
    language: str


class FormRefused(RoundError):
    """An HR form with values that cannot be used: nothing changes; the problems are shown,
    and the refusal (which fields, never what they held) is on record."""

    def __init__(self, errors: list[FormError], *, intro: str = "hr.fix") -> None:
        super().__init__("invalid_form")
        self.errors = errors
        self.intro = intro


HrCommand = Callable[[HrTurn, int | None], Awaitable[None]]  # with the typed round's number
HrAction = Callable[[HrTurn, dict[str, Any]], Awaitable[None]]  # with the pressed card's data


class HrGate:
    """Makes an HR handler a route: the sender's roles are checked before anything is read, and
    the expected refusals and round errors are answered in words."""

    def __init__(
        self, db: Database, *, policy: Policy, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._db = db
        self._policy = policy
        self._clock = clock

    def command(self, name: str, handler: HrCommand) -> Handler:
        """A typed HR command, e.g. "status" or "status 3"."""
        return self._gated(name, lambda hr, turn: handler(hr, turn.round_id), card=False)

    def action(self, name: str, handler: HrAction) -> Handler:
        """A press on one of HR's cards: checked again here whoever sent it."""
        return self._gated(name, lambda hr, turn: handler(hr, turn.value), card=True)

    def _gated(
        self, name: str, handler: Callable[[HrTurn, Turn], Awaitable[None]], *, card: bool
    ) -> Handler:
        async def run(turn: Turn) -> None:
            hr = HrTurn(turn.context, await self._call(turn), turn.language)
            try:
                # before anything is read, a form or a card's values: a chef learns nothing
                # from a forwarded card, and even an empty form is HR's alone
                await operations.authorise(hr.call, name)
                await handler(hr, turn)
            except RoundError as error:
                # refused for a rule, a round of another organisation, or a broken form:
                # on record whichever it was, as the role refusals are
                asked = card_id(turn.value.get("round")) if card else turn.round_id
                detail: dict[str, object] = {"via_card": True} if card else {}
                if isinstance(error, FormRefused):
                    detail["fields"] = sorted({f"{e.name}:{e.code}" for e in error.errors})
                await operations.record_refusal(hr.call, name, error, round_id=asked, **detail)
                await turn.context.send_activity(error_text(error, turn.language, card=card))

        return run

    async def _call(self, turn: Turn) -> Call:
        return Call(self._db, await turn.sender.access(), "teams", self._clock(), self._policy)


def invalid_card(db: Database, *, clock: Callable[[], datetime] = utcnow) -> Handler:
    """An HR card whose action is none of ours (damaged, forged or from an old version):
    refused, and on record."""

    async def run(turn: Turn) -> None:
        access = await turn.sender.access()
        await audit_refusal(db, access, "hr", reason="invalid_card", at=clock())
        await turn.context.send_activity(t(turn.language, "hr.invalid_card"))

    return run


def by_round(handler: HrCommand) -> HrAction:
    """A card that names its round does what the typed command with that number does."""

    async def run(turn: HrTurn, value: dict[str, Any]) -> None:
        await handler(turn, required_round(value))

    return run


def required_round(value: dict[str, Any]) -> int:
    round_id = card_id(value.get("round"))
    if round_id is None:
        raise RoundError("unknown_round", round="?")
    return round_id


def error_text(error: RoundError, language: str, *, card: bool) -> str:
    if isinstance(error, Refused):
        logger.warning("hr: refused %s in Teams", error.command)
        return t(language, "hr.refused_card" if card else "hr.refused")
    if isinstance(error, FormRefused):
        return form_errors(error.errors, language, intro=error.intro)
    params = {
        k: state_label(str(v), language) if k == "state" else v for k, v in error.params.items()
    }
    return t(language, f"round.error.{error.code}", **params)


def field_label(name: str, language: str) -> str:
    if name.startswith(SECTION_INPUT):
        return t(language, f"checkin.section.{name.removeprefix(SECTION_INPUT)}")
    key = f"hr.field.{name}"
    return t(language, key) if key in catalogue(language) else name


def form_errors(errors: list[FormError], language: str, *, intro: str = "hr.fix") -> str:
    """Each problem, naming the field as HR saw it on the card."""
    lines = [t(language, intro), ""]
    for error in errors:
        lines.append(
            "- "
            + t(
                language,
                f"hr.error.{error.code}",
                field=field_label(error.name, language),
                **error.params,
            )
        )
    return "\n".join(lines)


async def round_card_now(
    db: Database, round_: Round, language: str, *, heading: str, now: datetime, policy: Policy
) -> dict[str, Any]:
    """A round's card with whom it reaches now and the names of its departments."""
    assert round_.id is not None
    audience = await round_audience(db, round_id=round_.id, now=now, policy=policy)
    names = await department_names(db, round_id=round_.id)
    return round_card(
        round_,
        language,
        audience=audience,
        departments=names,
        zone=policy.zone,
        heading=heading,
    )


class HrFlow:
    """A flow of HR's (planning, running, reports, ...): the database it reads, and the
    answers every flow gives the same way."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _round_card(
        self, round_id: int, call: Call, language: str, heading: str
    ) -> dict[str, Any]:
        round_ = await find_round(self._db, organisation_id=call.organisation_id, round_id=round_id)
        return await round_card_now(
            self._db, round_, language, heading=heading, now=call.now, policy=call.policy
        )

    @staticmethod
    async def _replace(context: TurnContext, content: dict[str, Any]) -> None:
        """Show the result where the form was, so the form cannot be sent twice."""
        if not await replace_card(context, content):
            await context.send_activity(card_activity(content))
