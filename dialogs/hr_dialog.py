"""HR in Teams: new rounds, the list, status, reminders, extending, closing, leave, roles.

Every command and card submit goes through one of the operations in `followup.operations`, which
authorise from the sender's roles (`Access`, never what a card says), audit, and do the work; this
dialog only reads cards and words and answers with texts and cards. A refusal is on record too, so
a forwarded HR card in a chef's hands is both harmless and visible."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext

from dialogs.activities import tenant_of
from dialogs.card_fields import (
    SECTION_INPUT,
    FormError,
    read_calendar,
    read_date,
    read_dates,
    read_departments,
    read_new_round,
)
from dialogs.cards import card_activity, card_id, replace_card
from dialogs.digest_cards import Links, digest_card, digest_files
from dialogs.formatting import date_time, day_of_year, short_day, stored_title_of
from dialogs.hr_cards import (
    SUBMIT_KIND,
    add_hr_card,
    calendar_card,
    change_card,
    close_card,
    extend_card,
    leave_card,
    new_round_card,
    remove_hr_card,
    roles_card,
    round_card,
    rounds_card,
    state_label,
    status_card,
)
from dialogs.texts import LANGUAGES, catalogue, t
from followup import operations
from followup.access import Access, principal_of
from followup.operations import LIVE, Call, Refused
from followup.policy import Policy
from followup.progress import progress
from followup.rounds import (
    RoundError,
    chosen_departments,
    department_names,
    find_round,
    preview_audience,
    round_audience,
)
from followup.schedule import next_opening
from storage.chef_store import ChefStore
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import Round, RoundState
from storage.organisation_store import OrganisationStore
from storage.types import utcnow

logger = logging.getLogger(__name__)

COMMANDS = frozenset(
    {"new_round", "rounds", "status", "remind", "extend", "close", "on_leave", "add_hr"}
    | {"digest", "calendar", "remove_hr", "roles"}
)
SUBMITS = frozenset(
    {"create", "open", "status", "remind", "extend_form", "extend", "close_form", "close"}
    | {"leave", "add_hr", "digest", "skip", "change_form", "change", "calendar", "remove_hr"}
)


def is_hr_submit(value: Any) -> bool:
    return isinstance(value, dict) and value.get("ledarpuls") == SUBMIT_KIND


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


def field_label(name: str, language: str) -> str:
    if name.startswith(SECTION_INPUT):
        return t(language, f"checkin.section.{name.removeprefix(SECTION_INPUT)}")
    key = f"hr.field.{name}"
    return t(language, key) if key in catalogue(language) else name


class HrDialog:
    """HR's commands and cards; replies only through the turn context."""

    def __init__(
        self,
        db: Database,
        *,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
        links: Links | None = None,
    ) -> None:
        self._db = db
        self._policy = policy
        # the calendar's round titles as stored, in the organisation's language
        self._title_of = stored_title_of()
        self._clock = clock
        self._links = links

    # --- entry points -------------------------------------------------------------------

    async def on_command(
        self,
        context: TurnContext,
        command: str,
        *,
        access: Access,
        language: str,
        round_id: int | None = None,
    ) -> None:
        """A typed HR command, e.g. "status" or "status 3"."""
        call = self._call(access)
        try:
            # before anything is read: even a form is HR's alone
            await operations.authorise(call, command)
            await getattr(self, f"_command_{command}")(context, call, language, round_id)
        except RoundError as error:
            await context.send_activity(self._error(error, language, card=False))

    async def on_submit(
        self, context: TurnContext, value: dict[str, Any], *, access: Access, language: str
    ) -> None:
        """A press on one of HR's cards: checked again here whoever sent it."""
        action = value.get("action")
        if isinstance(value.get("lang"), str) and value["lang"] in LANGUAGES:
            language = value["lang"]
        if not isinstance(action, str) or action not in SUBMITS:
            await context.send_activity(t(language, "hr.invalid_card"))
            return
        call = self._call(access)
        try:
            # before the card's values are read: a chef learns nothing from a forwarded card
            await operations.authorise(call, action)
            await getattr(self, f"_submit_{action}")(context, call, language, value)
        except RoundError as error:
            await context.send_activity(self._error(error, language, card=True))

    def _call(self, access: Access) -> Call:
        return Call(self._db, access, "teams", self._clock(), self._policy)

    @staticmethod
    def _error(error: RoundError, language: str, *, card: bool) -> str:
        if isinstance(error, Refused):
            logger.warning("hr: refused %s in Teams", error.command)
            return t(language, "hr.refused_card" if card else "hr.refused")
        params = {
            k: state_label(str(v), language) if k == "state" else v for k, v in error.params.items()
        }
        return t(language, f"round.error.{error.code}", **params)

    # --- typed commands -------------------------------------------------------------------

    async def _command_new_round(
        self, context: TurnContext, call: Call, language: str, _: int | None
    ) -> None:
        organisations = OrganisationStore(self._db)
        programmes = await organisations.programmes(call.organisation_id)
        if not programmes:
            await context.send_activity(t(language, "hr.no_programme"))
            return
        organisation = await organisations.get(call.organisation_id)
        departments = await organisations.departments(call.organisation_id)
        everyone = await preview_audience(
            self._db, organisation_id=call.organisation_id, now=call.now, policy=call.policy
        )
        per_department = Counter(c.department_id for c in everyone.invited)
        await context.send_activity(
            card_activity(
                new_round_card(
                    language,
                    programmes=programmes,
                    departments=[(d, per_department[d.id]) for d in departments],
                    everyone=everyone,
                    today=call.policy.today(call.now),
                    k=organisation.default_k if organisation else call.policy.k,
                    policy=call.policy,
                )
            )
        )

    async def _command_rounds(
        self, context: TurnContext, call: Call, language: str, _: int | None
    ) -> None:
        rows = await operations.list_rounds(call)
        await context.send_activity(
            card_activity(rounds_card(rows, language, zone=call.policy.zone))
        )

    async def _command_status(
        self, context: TurnContext, call: Call, language: str, round_id: int | None
    ) -> None:
        p = await operations.round_status(call, round_id=round_id)
        await context.send_activity(
            card_activity(
                status_card(
                    p,
                    language,
                    now=call.now,
                    zone=call.policy.zone,
                    lead_scope=not call.access.admin,
                )
            )
        )

    async def _command_remind(
        self, context: TurnContext, call: Call, language: str, round_id: int | None
    ) -> None:
        result = (await operations.remind(call, round_id=round_id)).reminding
        if result.reminded:
            await context.send_activity(
                t(language, "round.reminded", count=result.reminded, at_cap=result.at_cap)
            )
        else:
            await context.send_activity(t(language, "hr.remind.none", at_cap=result.at_cap))

    async def _command_extend(
        self, context: TurnContext, call: Call, language: str, round_id: int | None
    ) -> None:
        round_ = await operations.find_round(call, "extend", round_id=round_id, states=LIVE)
        today = call.policy.today(call.now)
        await context.send_activity(
            card_activity(extend_card(round_, language, today=today, zone=call.policy.zone))
        )

    async def _command_close(
        self, context: TurnContext, call: Call, language: str, round_id: int | None
    ) -> None:
        round_ = await operations.find_round(call, "close", round_id=round_id, states=LIVE)
        assert round_.id is not None
        if round_.state != RoundState.OPEN:
            raise RoundError("not_open", state=round_.state)
        p = await progress(self._db, round_id=round_.id, organisation_id=call.organisation_id)
        await context.send_activity(card_activity(close_card(p, language)))

    async def _command_digest(
        self, context: TurnContext, call: Call, language: str, round_id: int | None
    ) -> None:
        await self._send_digest(context, call, language, round_id)

    async def _command_calendar(
        self, context: TurnContext, call: Call, language: str, _: int | None
    ) -> None:
        programmes = await OrganisationStore(self._db).programmes(call.organisation_id)
        if not programmes:
            await context.send_activity(t(language, "hr.no_programme"))
            return
        for programme in programmes:
            assert programme.id is not None
            upcoming = await next_opening(
                self._db,
                programme=programme,
                now=call.now,
                policy=call.policy,
                title_of=self._title_of,
            )
            await context.send_activity(
                card_activity(calendar_card(programme, language, next_opening=upcoming))
            )

    async def _command_on_leave(
        self, context: TurnContext, call: Call, language: str, _: int | None
    ) -> None:
        chefs = await ChefStore(self._db).active(call.organisation_id)
        if not chefs:
            await context.send_activity(t(language, "hr.leave.no_chefs"))
            return
        departments = await OrganisationStore(self._db).departments(call.organisation_id)
        names = {d.id: d.name for d in departments if d.id is not None}
        today = call.policy.today(call.now)
        await context.send_activity(card_activity(leave_card(chefs, names, language, today=today)))

    async def _command_add_hr(
        self, context: TurnContext, call: Call, language: str, _: int | None
    ) -> None:
        departments = await OrganisationStore(self._db).departments(call.organisation_id)
        await context.send_activity(card_activity(add_hr_card(departments, language)))

    async def _command_remove_hr(
        self, context: TurnContext, call: Call, language: str, _: int | None
    ) -> None:
        departments = await OrganisationStore(self._db).departments(call.organisation_id)
        await context.send_activity(card_activity(remove_hr_card(departments, language)))

    async def _command_roles(
        self, context: TurnContext, call: Call, language: str, _: int | None
    ) -> None:
        holders = await operations.list_roles(call)
        await context.send_activity(
            card_activity(roles_card(holders, language, zone=call.policy.zone))
        )

    # --- card submits -----------------------------------------------------------------------

    async def _submit_create(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        organisations = OrganisationStore(self._db)
        departments = await organisations.departments(call.organisation_id)
        organisation = await organisations.get(call.organisation_id)
        form, errors = read_new_round(
            value,
            departments={d.id for d in departments if d.id is not None},
            default_k=organisation.default_k if organisation else call.policy.k,
            policy=call.policy,
        )
        programmes = {p.id for p in await organisations.programmes(call.organisation_id)}
        programme_id = card_id(value.get("programme"))
        if programme_id not in programmes:
            errors.append(FormError("programme", "bad_choice"))
        if errors:
            await context.send_activity(self._form_errors(errors, language, intro="hr.new.fix"))
            return
        assert form.deadline is not None and programme_id is not None
        round_ = await operations.create_round(
            call,
            programme_id=programme_id,
            title=form.title,
            deadline=form.deadline,
            opens_at=form.opens_at,
            department_ids=form.department_ids,
            sections=form.sections,
            k=form.k,
            reminder_offsets=form.reminder_offsets,
            reminder_cap=form.reminder_cap,
        )
        assert round_.id is not None
        content = await self._round_card(round_.id, call, language, t(language, "hr.round.created"))
        await self._replace(context, content)

    async def _submit_open(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        opening = await operations.open_round(call, round_id=self._required_round(value))
        await context.send_activity(
            t(
                language,
                "hr.opened",
                title=opening.title,
                count=len(opening.invited),
                on_leave=len(opening.on_leave),
            )
        )

    async def _submit_skip(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        round_ = await operations.skip_round(call, round_id=self._required_round(value))
        await context.send_activity(t(language, "hr.skipped", title=round_.title))

    async def _submit_change_form(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        round_ = await operations.find_round(
            call, "change_form", round_id=self._required_round(value)
        )
        if round_.state not in (RoundState.DRAFT, RoundState.SCHEDULED):
            raise RoundError("not_changeable", state=round_.state)
        departments = await OrganisationStore(self._db).departments(call.organisation_id)
        everyone = await preview_audience(
            self._db, organisation_id=call.organisation_id, now=call.now, policy=call.policy
        )
        per_department = Counter(c.department_id for c in everyone.invited)
        await context.send_activity(
            card_activity(
                change_card(
                    round_,
                    language,
                    departments=[(d, per_department[d.id]) for d in departments],
                    chosen=await chosen_departments(self._db, round_=round_),
                    today=call.policy.today(call.now),
                    zone=call.policy.zone,
                )
            )
        )

    async def _submit_change(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        round_id = self._required_round(value)
        errors: list[FormError] = []
        departments = await OrganisationStore(self._db).departments(call.organisation_id)
        department_ids = read_departments(
            value, {d.id for d in departments if d.id is not None}, errors
        )
        opens_at, deadline = read_dates(value, errors, policy=call.policy)
        if errors or deadline is None:
            await context.send_activity(self._form_errors(errors, language))
            return
        await operations.change_round(
            call,
            round_id=round_id,
            opens_at=opens_at,
            deadline=deadline,
            department_ids=department_ids,
        )
        await self._replace(
            context,
            await self._round_card(round_id, call, language, t(language, "hr.round.changed")),
        )

    async def _submit_calendar(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        form, errors = read_calendar(value, policy=call.policy)
        programme_id = card_id(value.get("programme"))
        if programme_id is None:
            errors.append(FormError("programme", "bad_choice"))
        if errors or programme_id is None:
            await context.send_activity(self._form_errors(errors, language))
            return
        change = await operations.change_calendar(
            call,
            programme_id=programme_id,
            round_opens=form.round_opens,
            answer_days=form.answer_days,
            title_of=self._title_of,
        )
        lines = [
            t(
                language,
                "hr.calendar.saved",
                days=", ".join(day_of_year(d, language) for d in form.round_opens),
                count=form.answer_days,
            )
        ]
        if change.moved or change.planned:
            lines.append(
                t(language, "hr.calendar.moved", count=len(change.moved) + len(change.planned))
            )
        if change.skipped:
            lines.append(t(language, "hr.calendar.skipped", count=len(change.skipped)))
        await context.send_activity("\n\n".join(lines))

    async def _submit_status(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        # the card names its round: the same as the typed command with that number
        await self._command_status(context, call, language, self._required_round(value))

    async def _submit_remind(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        # the card names its round: the same as the typed command with that number
        await self._command_remind(context, call, language, self._required_round(value))

    async def _submit_extend_form(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        # the card names its round: the same as the typed command with that number
        await self._command_extend(context, call, language, self._required_round(value))

    async def _submit_extend(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        round_id = self._required_round(value)
        errors: list[FormError] = []
        day = read_date(value, "deadline", errors)
        if day is None and not errors:
            errors.append(FormError("deadline", "required"))
        if errors or day is None:
            await context.send_activity(self._form_errors(errors, language))
            return
        round_ = await operations.extend_round(
            call, round_id=round_id, deadline=call.policy.last_moment(day)
        )
        await self._replace(
            context,
            await self._round_card(
                round_id,
                call,
                language,
                t(
                    language,
                    "round.extended",
                    deadline=date_time(round_.deadline, language, zone=call.policy.zone),
                ),
            ),
        )

    async def _submit_close_form(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        # the card names its round: the same as the typed command with that number
        await self._command_close(context, call, language, self._required_round(value))

    async def _submit_close(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        round_id = self._required_round(value)
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
            context, status_card(closed.progress, language, now=call.now, zone=call.policy.zone)
        )
        await context.send_activity(t(language, "round.closed"))
        await self._send_digest(context, call, language, round_id)

    async def _submit_digest(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        # the card names its round: the same as the typed command with that number
        await self._command_digest(context, call, language, self._required_round(value))

    async def _send_digest(
        self, context: TurnContext, call: Call, language: str, round_id: int | None
    ) -> None:
        digest = await operations.request_digest(call, round_id=round_id)
        files = digest_files(digest, language, zone=call.policy.zone)
        departments = call.access.departments()
        urls = (
            self._links(
                round_id=digest.round.id,
                organisation_id=digest.round.organisation_id,
                language=language,
                actor=call.access.actor,
                departments=departments,
            )
            if self._links is not None
            else None
        )
        # the chart is drawn off the event loop
        content = await asyncio.to_thread(digest_card, files, links=urls)
        await context.send_activity(card_activity(content))

    async def _submit_leave(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        errors: list[FormError] = []
        chef_id = card_id(value.get("chef"))
        if chef_id is None:
            errors.append(FormError("chef", "required"))
        until = read_date(value, "until", errors)
        if errors or chef_id is None:
            await context.send_activity(self._form_errors(errors, language))
            return
        chef = await operations.set_leave(call, chef_id=chef_id, until=until)
        if until is None:
            await context.send_activity(t(language, "hr.leave.back", name=chef.name))
        else:
            await context.send_activity(
                t(language, "hr.leave.set", name=chef.name, date=short_day(until, language))
            )

    async def _submit_add_hr(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        person = self._read_role(value, language)
        if isinstance(person, str):
            await context.send_activity(person)
            return
        change = await operations.add_role(call, principal=person[0], department_id=person[1])
        await context.send_activity(
            t(
                language,
                "hr.added" if change.changed else "hr.already",
                principal=change.principal,
                role=t(language, f"role.{change.role}"),
            )
        )

    async def _submit_remove_hr(
        self, context: TurnContext, call: Call, language: str, value: dict[str, Any]
    ) -> None:
        person = self._read_role(value, language)
        if isinstance(person, str):
            await context.send_activity(person)
            return
        change = await operations.remove_role(call, principal=person[0], department_id=person[1])
        await context.send_activity(
            t(
                language,
                "hr.removed" if change.changed else "hr.not_held",
                principal=change.principal,
                role=t(language, f"role.{change.role}"),
            )
        )

    def _read_role(self, value: dict[str, Any], language: str) -> tuple[str, int | None] | str:
        """The add or remove form: whose role (a UPN or object id) and which (HR admin, or
        "lead:<department>"); or what is wrong with it, in words."""
        principal = principal_of(value.get("principal"))
        role = value.get("role") if isinstance(value.get("role"), str) else "hr_admin"
        department_id: int | None = None
        errors: list[FormError] = []
        if principal is None:
            errors.append(FormError("principal", "bad_principal"))
        if role != "hr_admin":
            department_id = card_id(str(role).removeprefix("lead:"))
            if not str(role).startswith("lead:") or department_id is None:
                errors.append(FormError("role", "bad_choice"))
        if errors or principal is None:
            return self._form_errors(errors, language)
        return principal, department_id

    # --- shared -------------------------------------------------------------------------------

    @staticmethod
    def _required_round(value: dict[str, Any]) -> int:
        round_id = card_id(value.get("round"))
        if round_id is None:
            raise RoundError("unknown_round", round="?")
        return round_id

    async def _round_card(
        self, round_id: int, call: Call, language: str, heading: str
    ) -> dict[str, Any]:
        round_ = await find_round(self._db, organisation_id=call.organisation_id, round_id=round_id)
        return await round_card_now(
            self._db, round_, language, heading=heading, now=call.now, policy=call.policy
        )

    @staticmethod
    def _form_errors(errors: list[FormError], language: str, *, intro: str = "hr.fix") -> str:
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

    async def _replace(self, context: TurnContext, content: dict[str, Any]) -> None:
        """Show the result where the form was, so the form cannot be sent twice."""
        if not await replace_card(context, content):
            await context.send_activity(card_activity(content))
