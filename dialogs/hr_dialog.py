"""HR in Teams: new rounds, the list, status, reminders, extending, closing, leave, adding HR.

Every command and every card submit is authorised here from the sender's roles (`Access`),
never from what a card says; each one allowed is written to the audit log, and each one
refused too, so a forwarded HR card in a chef's hands is both harmless and visible."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext

from dialogs.activities import tenant_of
from dialogs.cards import card_activity, card_id, replace_card
from dialogs.digest_cards import Links, compiled_digest_card
from dialogs.formatting import date_time, day_of_year, short_day, stored_title_of
from dialogs.hr_cards import (
    SECTION_INPUT,
    SUBMIT_KIND,
    add_hr_card,
    calendar_card,
    change_card,
    close_card,
    extend_card,
    leave_card,
    new_round_card,
    round_card,
    rounds_card,
    state_label,
    status_card,
)
from dialogs.texts import LANGUAGES, catalogue, t
from followup.access import Access, audit
from followup.policy import Policy
from followup.progress import overview, progress, remind, set_on_leave
from followup.round_form import (
    FormError,
    read_calendar,
    read_date,
    read_dates,
    read_departments,
    read_new_round,
    read_principal,
)
from followup.rounds import (
    RoundError,
    change_round,
    chosen_departments,
    close_round,
    create_round,
    department_names,
    extend_round,
    find_round,
    open_round,
    preview_audience,
    round_audience,
    skip_round,
)
from followup.schedule import change_calendar, next_opening, send_results
from storage.chef_store import ChefStore
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import Role, Round, RoundState
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore
from storage.types import utcnow

logger = logging.getLogger(__name__)

# typed commands and card actions a department lead may use too; everything else is HR's
LEAD_ACTIONS = frozenset({"rounds", "status", "digest"})
COMMANDS = frozenset(
    {"new_round", "rounds", "status", "remind", "extend", "close", "on_leave", "add_hr"}
    | {"digest", "calendar"}
)
SUBMITS = frozenset(
    {"create", "open", "status", "remind", "extend_form", "extend", "close_form", "close"}
    | {"leave", "add_hr", "digest", "skip", "change_form", "change", "calendar"}
)
# what a round must be in for a command without a number to find it
LIVE = (RoundState.OPEN,)
ANY_STATE = (RoundState.OPEN, RoundState.SCHEDULED, RoundState.DRAFT, RoundState.CLOSED)


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


def allowed(access: Access, action: str) -> bool:
    if access.organisation_id is None:
        return False
    return access.admin or (bool(access.lead_departments) and action in LEAD_ACTIONS)


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
        self._zone = policy.zone
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
        if not await self._authorised(context, access, command, language, via="command"):
            return
        try:
            await getattr(self, f"_command_{command}")(context, access, language, round_id)
        except RoundError as error:
            await context.send_activity(self._error(error, language))

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
        if not await self._authorised(context, access, action, language, via="card"):
            return
        try:
            await getattr(self, f"_submit_{action}")(context, access, language, value)
        except RoundError as error:
            await context.send_activity(self._error(error, language))

    async def _authorised(
        self, context: TurnContext, access: Access, action: str, language: str, *, via: str
    ) -> bool:
        if allowed(access, action):
            return True
        logger.warning("hr: refused %s %s for organisation %s", via, action, access.organisation_id)
        await audit(self._db, access, "hr.refused", at=self._clock(), command=action, via=via)
        await context.send_activity(
            t(language, "hr.refused_card" if via == "card" else "hr.refused")
        )
        return False

    @staticmethod
    def _error(error: RoundError, language: str) -> str:
        params = {
            k: state_label(str(v), language) if k == "state" else v for k, v in error.params.items()
        }
        return t(language, f"round.error.{error.code}", **params)

    # --- typed commands -------------------------------------------------------------------

    async def _command_new_round(
        self, context: TurnContext, access: Access, language: str, _: int | None
    ) -> None:
        assert access.organisation_id is not None
        organisations = OrganisationStore(self._db)
        programmes = await organisations.programmes(access.organisation_id)
        if not programmes:
            await context.send_activity(t(language, "hr.no_programme"))
            return
        organisation = await organisations.get(access.organisation_id)
        departments = await organisations.departments(access.organisation_id)
        now = self._clock()
        everyone = await preview_audience(
            self._db, organisation_id=access.organisation_id, now=now, policy=self._policy
        )
        per_department = Counter(c.department_id for c in everyone.invited)
        await context.send_activity(
            card_activity(
                new_round_card(
                    language,
                    programmes=programmes,
                    departments=[(d, per_department[d.id]) for d in departments],
                    everyone=everyone,
                    today=self._policy.today(now),
                    k=organisation.default_k if organisation else self._policy.k,
                    policy=self._policy,
                )
            )
        )

    async def _command_rounds(
        self, context: TurnContext, access: Access, language: str, _: int | None
    ) -> None:
        assert access.organisation_id is not None
        rows = await overview(
            self._db,
            organisation_id=access.organisation_id,
            department_ids=access.departments(),
        )
        await audit(self._db, access, "round.list", at=self._clock(), rounds=len(rows))
        await context.send_activity(card_activity(rounds_card(rows, language, zone=self._zone)))

    async def _command_status(
        self, context: TurnContext, access: Access, language: str, round_id: int | None
    ) -> None:
        await self._status(context, access, language, await self._find(access, round_id))

    async def _command_remind(
        self, context: TurnContext, access: Access, language: str, round_id: int | None
    ) -> None:
        await self._remind(context, access, language, await self._find(access, round_id, LIVE))

    async def _command_extend(
        self, context: TurnContext, access: Access, language: str, round_id: int | None
    ) -> None:
        round_ = await self._find(access, round_id, LIVE)
        today = self._policy.today(self._clock())
        await context.send_activity(
            card_activity(extend_card(round_, language, today=today, zone=self._zone))
        )

    async def _command_close(
        self, context: TurnContext, access: Access, language: str, round_id: int | None
    ) -> None:
        round_ = await self._find(access, round_id, LIVE)
        assert round_.id is not None
        if round_.state != RoundState.OPEN:
            raise RoundError("not_open", state=round_.state)
        p = await progress(self._db, round_id=round_.id, organisation_id=access.organisation_id)
        await context.send_activity(card_activity(close_card(p, language)))

    async def _command_digest(
        self, context: TurnContext, access: Access, language: str, round_id: int | None
    ) -> None:
        round_ = await self._find(access, round_id, (RoundState.CLOSED, RoundState.OPEN))
        assert round_.id is not None
        await self._send_digest(context, access, language, round_.id)

    async def _command_calendar(
        self, context: TurnContext, access: Access, language: str, _: int | None
    ) -> None:
        assert access.organisation_id is not None
        programmes = await OrganisationStore(self._db).programmes(access.organisation_id)
        if not programmes:
            await context.send_activity(t(language, "hr.no_programme"))
            return
        for programme in programmes:
            assert programme.id is not None
            upcoming = await next_opening(
                self._db,
                programme=programme,
                now=self._clock(),
                policy=self._policy,
                title_of=self._title_of,
            )
            await context.send_activity(
                card_activity(calendar_card(programme, language, next_opening=upcoming))
            )

    async def _command_on_leave(
        self, context: TurnContext, access: Access, language: str, _: int | None
    ) -> None:
        assert access.organisation_id is not None
        chefs = await ChefStore(self._db).active(access.organisation_id)
        if not chefs:
            await context.send_activity(t(language, "hr.leave.no_chefs"))
            return
        departments = await OrganisationStore(self._db).departments(access.organisation_id)
        names = {d.id: d.name for d in departments if d.id is not None}
        today = self._policy.today(self._clock())
        await context.send_activity(card_activity(leave_card(chefs, names, language, today=today)))

    async def _command_add_hr(
        self, context: TurnContext, access: Access, language: str, _: int | None
    ) -> None:
        assert access.organisation_id is not None
        departments = await OrganisationStore(self._db).departments(access.organisation_id)
        await context.send_activity(card_activity(add_hr_card(departments, language)))

    # --- card submits -----------------------------------------------------------------------

    async def _submit_create(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        assert access.organisation_id is not None
        organisations = OrganisationStore(self._db)
        departments = await organisations.departments(access.organisation_id)
        organisation = await organisations.get(access.organisation_id)
        form, errors = read_new_round(
            value,
            departments={d.id for d in departments if d.id is not None},
            default_k=organisation.default_k if organisation else self._policy.k,
            policy=self._policy,
        )
        programmes = {p.id for p in await organisations.programmes(access.organisation_id)}
        programme_id = card_id(value.get("programme"))
        if programme_id not in programmes:
            errors.append(FormError("programme", "bad_choice"))
        if errors:
            await context.send_activity(self._form_errors(errors, language, intro="hr.new.fix"))
            return
        assert form.deadline is not None and programme_id is not None
        now = self._clock()
        round_ = await create_round(
            self._db,
            organisation_id=access.organisation_id,
            programme_id=programme_id,
            title=form.title,
            deadline=form.deadline,
            opens_at=form.opens_at,
            now=now,
            created_by=access.actor,
            department_ids=form.department_ids,
            sections=form.sections,
            k=form.k,
            reminder_offsets=form.reminder_offsets,
            reminder_cap=form.reminder_cap,
            policy=self._policy,
        )
        assert round_.id is not None
        await audit(self._db, access, "round.create", at=now, round_id=round_.id)
        content = await self._round_card(
            round_.id, access, language, t(language, "hr.round.created")
        )
        await self._replace(context, content)

    async def _submit_open(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        round_id = self._required_round(value)
        now = self._clock()
        opening = await open_round(
            self._db,
            round_id=round_id,
            now=now,
            policy=self._policy,
            organisation_id=access.organisation_id,
        )
        await audit(
            self._db,
            access,
            "round.open",
            at=now,
            round_id=round_id,
            invited=len(opening.invited),
            on_leave=len(opening.on_leave),
        )
        await context.send_activity(
            t(
                language,
                "hr.opened",
                title=opening.title,
                invited=len(opening.invited),
                on_leave=len(opening.on_leave),
            )
        )

    async def _submit_skip(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        round_id = self._required_round(value)
        now = self._clock()
        round_ = await skip_round(
            self._db, round_id=round_id, now=now, organisation_id=access.organisation_id
        )
        await audit(self._db, access, "round.skip", at=now, round_id=round_id)
        await context.send_activity(t(language, "hr.skipped", title=round_.title))

    async def _submit_change_form(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        assert access.organisation_id is not None
        round_ = await find_round(
            self._db,
            organisation_id=access.organisation_id,
            round_id=self._required_round(value),
        )
        if round_.state not in (RoundState.DRAFT, RoundState.SCHEDULED):
            raise RoundError("not_changeable", state=round_.state)
        now = self._clock()
        departments = await OrganisationStore(self._db).departments(access.organisation_id)
        everyone = await preview_audience(
            self._db, organisation_id=access.organisation_id, now=now, policy=self._policy
        )
        per_department = Counter(c.department_id for c in everyone.invited)
        await context.send_activity(
            card_activity(
                change_card(
                    round_,
                    language,
                    departments=[(d, per_department[d.id]) for d in departments],
                    chosen=await chosen_departments(self._db, round_=round_),
                    today=self._policy.today(now),
                    zone=self._zone,
                )
            )
        )

    async def _submit_change(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        assert access.organisation_id is not None
        round_id = self._required_round(value)
        errors: list[FormError] = []
        departments = await OrganisationStore(self._db).departments(access.organisation_id)
        department_ids = read_departments(
            value, {d.id for d in departments if d.id is not None}, errors
        )
        opens_at, deadline = read_dates(value, errors, policy=self._policy)
        if errors or deadline is None:
            await context.send_activity(self._form_errors(errors, language))
            return
        now = self._clock()
        round_ = await change_round(
            self._db,
            round_id=round_id,
            opens_at=opens_at,
            deadline=deadline,
            department_ids=department_ids,
            now=now,
            policy=self._policy,
            organisation_id=access.organisation_id,
        )
        await audit(
            self._db,
            access,
            "round.change",
            at=now,
            round_id=round_id,
            opens=round_.opens_at.isoformat() if round_.opens_at else None,
            deadline=round_.deadline.isoformat(),
            departments=sorted(department_ids),
        )
        await self._replace(
            context,
            await self._round_card(round_id, access, language, t(language, "hr.round.changed")),
        )

    async def _submit_calendar(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        assert access.organisation_id is not None
        form, errors = read_calendar(value, policy=self._policy)
        programme_id = card_id(value.get("programme"))
        if programme_id is None:
            errors.append(FormError("programme", "bad_choice"))
        if errors or programme_id is None:
            await context.send_activity(self._form_errors(errors, language))
            return
        now = self._clock()
        change = await change_calendar(
            self._db,
            organisation_id=access.organisation_id,
            programme_id=programme_id,
            round_opens=form.round_opens,
            answer_days=form.answer_days,
            now=now,
            policy=self._policy,
            title_of=self._title_of,
        )
        await audit(
            self._db,
            access,
            "programme.calendar",
            at=now,
            programme=programme_id,
            round_opens=form.round_opens,
            answer_days=form.answer_days,
            moved=change.moved,
            skipped=change.skipped,
            planned=change.planned,
        )
        lines = [
            t(
                language,
                "hr.calendar.saved",
                days=", ".join(day_of_year(d, language) for d in form.round_opens),
                answer_days=form.answer_days,
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
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        # the card names its round: the same as the typed command with that number
        await self._command_status(context, access, language, self._required_round(value))

    async def _submit_remind(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        # the card names its round: the same as the typed command with that number
        await self._command_remind(context, access, language, self._required_round(value))

    async def _submit_extend_form(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        # the card names its round: the same as the typed command with that number
        await self._command_extend(context, access, language, self._required_round(value))

    async def _submit_extend(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        round_id = self._required_round(value)
        errors: list[FormError] = []
        day = read_date(value, "deadline", errors)
        if day is None and not errors:
            errors.append(FormError("deadline", "required"))
        if errors or day is None:
            await context.send_activity(self._form_errors(errors, language))
            return
        now = self._clock()
        round_ = await extend_round(
            self._db,
            round_id=round_id,
            deadline=self._policy.last_moment(day),
            now=now,
            organisation_id=access.organisation_id,
        )
        await audit(
            self._db,
            access,
            "round.extend",
            at=now,
            round_id=round_id,
            deadline=round_.deadline.isoformat(),
        )
        await self._replace(
            context,
            await self._round_card(
                round_id,
                access,
                language,
                t(
                    language,
                    "round.extended",
                    deadline=date_time(round_.deadline, language, zone=self._zone),
                ),
            ),
        )

    async def _submit_close_form(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        # the card names its round: the same as the typed command with that number
        await self._command_close(context, access, language, self._required_round(value))

    async def _submit_close(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        round_id = self._required_round(value)
        now = self._clock()
        await close_round(
            self._db, round_id=round_id, now=now, organisation_id=access.organisation_id
        )
        await audit(self._db, access, "round.close", at=now, round_id=round_id)
        p = await progress(self._db, round_id=round_id, organisation_id=access.organisation_id)
        await self._replace(context, status_card(p, language, now=now, zone=self._zone))
        await context.send_activity(t(language, "round.closed"))
        # closing compiles the digest and hands it to the HR admin who closed the round; the
        # other HR admins, the leads and the chefs who answered get theirs through the outbox
        await self._send_digest(context, access, language, round_id)
        activity = context.activity
        closer = await ConversationStore(self._db).find(
            tenant_id=tenant_of(activity) or "",
            user_id=activity.from_property.id if activity.from_property else "",
        )
        await send_results(
            self._db, round_id=round_id, now=now, has_digest=closer.id if closer else None
        )

    async def _submit_digest(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        # the card names its round: the same as the typed command with that number
        await self._command_digest(context, access, language, self._required_round(value))

    async def _send_digest(
        self, context: TurnContext, access: Access, language: str, round_id: int
    ) -> None:
        assert access.organisation_id is not None
        now = self._clock()
        _, content = await compiled_digest_card(
            self._db,
            round_id=round_id,
            now=now,
            language=language,
            zone=self._zone,
            actor=access.actor,
            links=self._links,
            organisation_id=access.organisation_id,
            departments=access.departments(),
        )
        await audit(self._db, access, "digest.view", at=now, round_id=round_id)
        await context.send_activity(card_activity(content))

    async def _submit_leave(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        assert access.organisation_id is not None
        errors: list[FormError] = []
        chef_id = card_id(value.get("chef"))
        if chef_id is None:
            errors.append(FormError("chef", "required"))
        until = read_date(value, "until", errors)
        if errors or chef_id is None:
            await context.send_activity(self._form_errors(errors, language))
            return
        now = self._clock()
        chef = await set_on_leave(
            self._db,
            organisation_id=access.organisation_id,
            chef_id=chef_id,
            until=until,
            now=now,
            policy=self._policy,
        )
        await audit(
            self._db,
            access,
            "chef.on_leave",
            at=now,
            chef=chef_id,
            until=until.isoformat() if until else None,
        )
        if until is None:
            await context.send_activity(t(language, "hr.leave.back", name=chef.name))
        else:
            await context.send_activity(
                t(language, "hr.leave.set", name=chef.name, date=short_day(until, language))
            )

    async def _submit_add_hr(
        self, context: TurnContext, access: Access, language: str, value: dict[str, Any]
    ) -> None:
        assert access.organisation_id is not None
        principal = read_principal(value)
        departments = {
            d.id
            for d in await OrganisationStore(self._db).departments(access.organisation_id)
            if d.id is not None
        }
        role_value = value.get("role") if isinstance(value.get("role"), str) else "hr_admin"
        department_id: int | None = None
        errors: list[FormError] = []
        if principal is None:
            errors.append(FormError("principal", "bad_principal"))
        if role_value != "hr_admin":
            department_id = card_id(str(role_value).removeprefix("lead:"))
            if not str(role_value).startswith("lead:") or department_id not in departments:
                errors.append(FormError("role", "bad_choice"))
        if errors or principal is None:
            await context.send_activity(self._form_errors(errors, language))
            return
        role = Role.HR_ADMIN if department_id is None else Role.DEPARTMENT_LEAD
        now = self._clock()
        added = await RoleStore(self._db).grant(
            organisation_id=access.organisation_id,
            principal=principal,
            role=role,
            department_id=department_id,
            created_by=access.actor,
            now=now,
        )
        await audit(
            self._db,
            access,
            "hr.add",
            at=now,
            principal=principal,
            role=role,
            department=department_id,
        )
        await context.send_activity(
            t(
                language,
                "hr.added" if added else "hr.already",
                principal=principal,
                role=t(language, f"role.{role}"),
            )
        )

    # --- shared -------------------------------------------------------------------------------

    async def _find(
        self,
        access: Access,
        round_id: int | None,
        states: tuple[RoundState, ...] = LIVE,
    ) -> Round:
        assert access.organisation_id is not None
        try:
            return await find_round(
                self._db, organisation_id=access.organisation_id, round_id=round_id, states=states
            )
        except RoundError as error:
            if error.code != "no_round" or states == ANY_STATE:
                raise
            # no open round: the latest one HR has, whatever its state
            return await find_round(
                self._db, organisation_id=access.organisation_id, states=ANY_STATE
            )

    @staticmethod
    def _required_round(value: dict[str, Any]) -> int:
        round_id = card_id(value.get("round"))
        if round_id is None:
            raise RoundError("unknown_round", round="?")
        return round_id

    async def _status(
        self, context: TurnContext, access: Access, language: str, round_: Round
    ) -> None:
        assert round_.id is not None
        now = self._clock()
        p = await progress(
            self._db,
            round_id=round_.id,
            organisation_id=access.organisation_id,
            department_ids=access.departments(),
        )
        # reading who has not answered is an HR read of identified data
        await audit(
            self._db,
            access,
            "round.status",
            at=now,
            round_id=round_.id,
            identified=p.not_answered is not None,
        )
        await context.send_activity(
            card_activity(
                status_card(p, language, now=now, zone=self._zone, lead_scope=not access.admin)
            )
        )

    async def _remind(
        self, context: TurnContext, access: Access, language: str, round_: Round
    ) -> None:
        assert round_.id is not None
        now = self._clock()
        result = await remind(
            self._db, round_id=round_.id, now=now, organisation_id=access.organisation_id
        )
        await audit(
            self._db,
            access,
            "round.remind",
            at=now,
            round_id=round_.id,
            reminded=result.reminded,
            at_cap=result.at_cap,
        )
        if result.reminded:
            await context.send_activity(
                t(language, "round.reminded", count=result.reminded, at_cap=result.at_cap)
            )
        else:
            await context.send_activity(t(language, "hr.remind.none", at_cap=result.at_cap))

    async def _round_card(
        self, round_id: int, access: Access, language: str, heading: str
    ) -> dict[str, Any]:
        round_ = await find_round(
            self._db, organisation_id=access.organisation_id or 0, round_id=round_id
        )
        return await round_card_now(
            self._db, round_, language, heading=heading, now=self._clock(), policy=self._policy
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
