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
from botbuilder.schema import ActivityTypes

from dialogs.card_fields import SECTION_INPUT, FormError
from dialogs.cards import card_activity, card_id, for_viewer, replace_card, show_card, viewer
from dialogs.formatting import date_time, duration, weekday_date
from dialogs.hr_cards import (
    HEADINGS,
    ROUND_VIEW,
    ROUNDS_LIST,
    STATUS_VIEW,
    round_card,
    state_label,
    status_card,
)
from dialogs.texts import catalogue, t
from dialogs.turn import Handler, Turn
from followup.hr import operations
from followup.hr.operations import Call, Refused
from followup.people.access import audit_refusal, may
from followup.policy import Policy
from followup.rounds.lifecycle import (
    Audience,
    RoundError,
    department_names,
    find_round,
    round_audience,
)
from followup.rounds.progress import progress
from storage.database import Database
from storage.models import Round
from storage.types import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HrTurn:
    """An HR turn past the gate: where to answer, the operation's call, and the language;
    `in_place`: a press on a round's own card (its round card or status card), whose answer
    about that round takes the pressed card's place."""

    context: TurnContext
    call: Call
    language: str
    in_place: bool = False

    async def show(self, content: dict[str, Any]) -> None:
        """A card about the round: in place of the pressed card, else as a new message (a
        typed command, or a press on the list of rounds, which stays as it was)."""
        if self.in_place:
            await show_card(self.context, content)
            return
        await self.context.send_activity(card_activity(for_viewer(content, viewer(self.context))))


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
            in_place = card and turn.value.get("card") != ROUNDS_LIST
            hr = HrTurn(turn.context, await self._call(turn), turn.language, in_place=in_place)
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
                await turn.context.send_activity(
                    error_text(error, turn.language, card=card, call=hr.call)
                )

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


def error_text(error: RoundError, language: str, *, card: bool, call: Call) -> str:
    if isinstance(error, Refused):
        logger.warning("hr: refused %s in Teams", error.command)
        return t(language, "hr.refused_card" if card else "hr.refused")
    if isinstance(error, FormRefused):
        return form_errors(error.errors, language, intro=error.intro)
    return round_error_text(error, language, policy=call.policy, now=call.now)


def round_error_text(error: RoundError, language: str, *, policy: Policy, now: datetime) -> str:
    """A rule's refusal in the reader's words, the same in Teams and on the command line: a
    round's state as a word of the language (öppen, stängd), a moment in the one date style."""
    params: dict[str, object] = {}
    for name, value in error.params.items():
        if name == "state":
            value = state_label(str(value), language)
        elif isinstance(value, datetime):
            value = date_time(value, language, zone=policy.zone, today=policy.today(now))
        params[name] = value
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


def round_heading(
    key: str | None,
    round_: Round,
    language: str,
    *,
    audience: Audience,
    now: datetime,
    policy: Policy,
    later: bool = False,
) -> str | None:
    """The line above a round's card saying what just happened (`key`, one of `HEADINGS`), in
    words of the round as it is; `later`: the card shown again (refreshed), when a heads-up no
    longer says how far off the opening is."""
    today = policy.today(now)
    if key == "created":
        return t(language, "hr.round.created")
    if key == "changed":
        return t(language, "hr.round.changed")
    if key == "extended":
        deadline = date_time(round_.deadline, language, zone=policy.zone, today=today)
        return t(language, "round.extended", deadline=deadline)
    if key == "opened":
        return t(
            language,
            "hr.opened",
            title=round_.title,
            count=len(audience.invited),
            on_leave=len(audience.on_leave),
        )
    if key == "skipped":
        return t(language, "hr.skipped", title=round_.title)
    if key == "heads_up" and round_.opens_at is not None:
        day = weekday_date(round_.opens_at, language, zone=policy.zone, today=today)
        if later:
            return t(language, "hr.heads_up.later", date=day)
        return t(language, "hr.heads_up", ahead=duration(policy.heads_up, language), date=day)
    return None


async def round_card_now(
    db: Database,
    round_: Round,
    language: str,
    *,
    heading: str | None,
    now: datetime,
    policy: Policy,
    later: bool = False,
    said: str | None = None,
) -> dict[str, Any]:
    """A round's card with whom it reaches now and the names of its departments, under the
    heading `heading` (a key of `HEADINGS`; `later`: see `round_heading`), or `said` (what a
    press just did, said this once: shown again, the card does not repeat it)."""
    assert round_.id is not None
    audience = await round_audience(db, round_id=round_.id, now=now, policy=policy)
    names = await department_names(db, round_id=round_.id)
    return round_card(
        round_,
        language,
        audience=audience,
        departments=names,
        zone=policy.zone,
        today=policy.today(now),
        heading=said
        or round_heading(
            heading, round_, language, audience=audience, now=now, policy=policy, later=later
        ),
        heading_key=heading,
    )


class HrRefresh:
    """A round's card or status card shown again (Teams asks for its `refresh` whenever it
    comes into view): the round as it is now, to someone who may see it now — the same checks
    a press has, from the sender's roles, never the card's data. Nothing is written, not even
    a refusal (Teams asks by itself, nobody pressed anything): someone who may not see it, a
    round of another organisation or a card that is none of ours gets no card, and the card
    stays as it was."""

    def __init__(
        self, db: Database, *, policy: Policy, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._db = db
        self._policy = policy
        self._clock = clock
        self._forged = invalid_card(db, clock=clock)

    async def __call__(self, turn: Turn) -> None:
        if turn.context.activity.type != ActivityTypes.invoke:
            # Teams asks for a refresh by a Universal Action only: a message saying it is one
            # was made by hand, and is refused as any card that is none of ours
            await self._forged(turn)
            return
        view, round_id = turn.value.get("view"), card_id(turn.value.get("round"))
        if view not in (ROUND_VIEW, STATUS_VIEW) or round_id is None:
            return
        access = await turn.sender.access()
        # a round's card is HR's (its buttons are); its status a department lead's too
        organisation_id = access.organisation_id
        if organisation_id is None or not may(access, "open" if view == ROUND_VIEW else "status"):
            return
        try:
            round_ = await find_round(self._db, organisation_id=organisation_id, round_id=round_id)
        except RoundError:
            return
        now, language = self._clock(), turn.language
        if view == ROUND_VIEW:
            # what just happened is said while it is still so
            heading = turn.value.get("heading")
            same = turn.value.get("state") == round_.state
            shown = heading if same and heading in HEADINGS else None
            content = await round_card_now(
                self._db,
                round_,
                language,
                heading=shown,
                now=now,
                policy=self._policy,
                later=True,
            )
        else:
            p = await progress(
                self._db,
                round_id=round_id,
                organisation_id=organisation_id,
                department_ids=access.departments(),
                now=now,
                policy=self._policy,
            )
            content = status_card(
                p,
                language,
                now=now,
                zone=self._policy.zone,
                lead_scope=not access.admin,
                retry_window=self._policy.send_retry_window,
                names=False,  # a read of names is on record, and a refresh writes nothing
            )
        # in place only: a refresh never adds a message to the chat
        await replace_card(turn.context, content)


class HrFlow:
    """A flow of HR's (planning, running, reports, ...): the database it reads, and the
    answers every flow gives the same way."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _round_card(
        self, round_id: int, call: Call, language: str, heading: str
    ) -> dict[str, Any]:
        """The round's card as it is now, under the heading `heading` (a key of `HEADINGS`)."""
        round_ = await find_round(self._db, organisation_id=call.organisation_id, round_id=round_id)
        return await round_card_now(
            self._db, round_, language, heading=heading, now=call.now, policy=call.policy
        )

    @staticmethod
    async def _replace(context: TurnContext, content: dict[str, Any]) -> None:
        """Show the result where the form was, so the form cannot be sent twice."""
        await show_card(context, content)
