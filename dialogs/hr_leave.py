"""HR marks a chef on leave in Teams (no invitations or reminders until they are back)."""

from __future__ import annotations

from typing import Any

from dialogs.card_fields import FormError, read_date
from dialogs.cards import card_activity, card_id
from dialogs.formatting import short_day
from dialogs.hr_flow import FormRefused, HrFlow, HrTurn
from dialogs.people_cards import leave_card
from dialogs.texts import t
from followup.hr import operations
from storage.chef_store import ChefStore
from storage.organisation_store import OrganisationStore


class HrLeave(HrFlow):
    """The leave form and what it saves."""

    async def form(self, turn: HrTurn, _: int | None) -> None:
        call, language = turn.call, turn.language
        chefs = await ChefStore(self._db).active(call.organisation_id)
        if not chefs:
            await turn.context.send_activity(t(language, "hr.leave.no_chefs"))
            return
        departments = await OrganisationStore(self._db).departments(call.organisation_id)
        names = {d.id: d.name for d in departments if d.id is not None}
        today = call.today
        await turn.context.send_activity(
            card_activity(leave_card(chefs, names, language, today=today))
        )

    async def save(self, turn: HrTurn, value: dict[str, Any]) -> None:
        language = turn.language
        errors: list[FormError] = []
        chef_id = card_id(value.get("chef"))
        if chef_id is None:
            errors.append(FormError("chef", "required"))
        until = read_date(value, "until", errors)
        if errors or chef_id is None:
            raise FormRefused(errors)
        chef = await operations.set_leave(turn.call, chef_id=chef_id, until=until)
        if until is None:
            await turn.context.send_activity(t(language, "hr.leave.back", name=chef.name))
        else:
            await turn.context.send_activity(
                t(
                    language,
                    "hr.leave.set",
                    name=chef.name,
                    date=short_day(until, language, today=turn.call.today),
                )
            )
