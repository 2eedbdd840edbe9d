"""HR plans a round in Teams: the new-round form, creating, changing, opening or skipping it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from dialogs.card_fields import FormError, read_dates, read_departments, read_new_round
from dialogs.cards import card_activity, card_id
from dialogs.hr_cards import change_card, new_round_card
from dialogs.hr_flow import FormRefused, HrFlow, HrTurn, required_round
from dialogs.texts import t
from followup.hr import operations
from followup.rounds.lifecycle import RoundError, chosen_departments, preview_audience
from storage.models import RoundState
from storage.organisation_store import OrganisationStore


class HrPlanning(HrFlow):
    """A round before it opens: made from a form, changed, opened early or skipped."""

    async def new_round(self, turn: HrTurn, _: int | None) -> None:
        """The form for a new round, with whom it would reach per department."""
        context, call, language = turn.context, turn.call, turn.language
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
                    today=call.today,
                    k=organisation.default_k if organisation else call.policy.k,
                    policy=call.policy,
                )
            )
        )

    async def create(self, turn: HrTurn, value: dict[str, Any]) -> None:
        context, call, language = turn.context, turn.call, turn.language
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
            raise FormRefused(errors, intro="hr.new.fix")
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
        content = await self._round_card(round_.id, call, language, "created")
        await self._replace(context, content)

    async def open(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """Öppna nu: the round's card, open (its buttons an open round's), says how many
        were invited."""
        round_id = required_round(value)
        await operations.open_round(turn.call, round_id=round_id)
        await turn.show(await self._round_card(round_id, turn.call, turn.language, "opened"))

    async def skip(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """Hoppa över: the round's card, skipped (nothing left to press)."""
        round_id = required_round(value)
        await operations.skip_round(turn.call, round_id=round_id)
        await turn.show(await self._round_card(round_id, turn.call, turn.language, "skipped"))

    async def change_form(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """The form to move a planned round or change whom it reaches."""
        call, language = turn.call, turn.language
        round_ = await operations.find_round(call, "change_form", round_id=required_round(value))
        if round_.state not in (RoundState.DRAFT, RoundState.SCHEDULED):
            raise RoundError("not_changeable", state=round_.state)
        departments = await OrganisationStore(self._db).departments(call.organisation_id)
        everyone = await preview_audience(
            self._db, organisation_id=call.organisation_id, now=call.now, policy=call.policy
        )
        per_department = Counter(c.department_id for c in everyone.invited)
        # in place of the round's card: sending the form turns it back into the round's card
        await turn.show(
            change_card(
                round_,
                language,
                departments=[(d, per_department[d.id]) for d in departments],
                chosen=await chosen_departments(self._db, round_=round_),
                today=call.today,
                zone=call.policy.zone,
            )
        )

    async def change(self, turn: HrTurn, value: dict[str, Any]) -> None:
        context, call, language = turn.context, turn.call, turn.language
        round_id = required_round(value)
        errors: list[FormError] = []
        departments = await OrganisationStore(self._db).departments(call.organisation_id)
        department_ids = read_departments(
            value, {d.id for d in departments if d.id is not None}, errors
        )
        opens_at, deadline = read_dates(value, errors, policy=call.policy)
        if errors or deadline is None:
            raise FormRefused(errors)
        await operations.change_round(
            call,
            round_id=round_id,
            opens_at=opens_at,
            deadline=deadline,
            department_ids=department_ids,
        )
        await self._replace(
            context,
            await self._round_card(round_id, call, language, "changed"),
        )
