"""Who holds a role in Teams: HR admins and department leads, listed, added and removed."""

from __future__ import annotations

from typing import Any

from dialogs.card_fields import FormError
from dialogs.cards import card_activity, card_id
from dialogs.hr_flow import FormRefused, HrFlow, HrTurn
from dialogs.people_cards import add_hr_card, remove_hr_card, roles_card
from dialogs.texts import t
from followup.hr import roles
from followup.people.access import principal_of
from storage.organisation_store import OrganisationStore


class HrRoles(HrFlow):
    """The roles list, and the forms that give or take a role."""

    async def show(self, turn: HrTurn, _: int | None) -> None:
        holders = await roles.list_roles(turn.call)
        await turn.context.send_activity(
            card_activity(
                roles_card(
                    holders, turn.language, zone=turn.call.policy.zone, today=turn.call.today
                )
            )
        )

    async def add_form(self, turn: HrTurn, _: int | None) -> None:
        departments = await OrganisationStore(self._db).departments(turn.call.organisation_id)
        await turn.context.send_activity(card_activity(add_hr_card(departments, turn.language)))

    async def remove_form(self, turn: HrTurn, _: int | None) -> None:
        departments = await OrganisationStore(self._db).departments(turn.call.organisation_id)
        await turn.context.send_activity(card_activity(remove_hr_card(departments, turn.language)))

    async def add(self, turn: HrTurn, value: dict[str, Any]) -> None:
        language = turn.language
        person = _read_role(value)
        change = await roles.add_role(turn.call, principal=person[0], department_id=person[1])
        await turn.context.send_activity(
            t(
                language,
                "hr.added" if change.changed else "hr.already",
                principal=change.principal,
                role=t(language, f"role.{change.role}"),
            )
        )

    async def remove(self, turn: HrTurn, value: dict[str, Any]) -> None:
        language = turn.language
        person = _read_role(value)
        change = await roles.remove_role(turn.call, principal=person[0], department_id=person[1])
        await turn.context.send_activity(
            t(
                language,
                "hr.removed" if change.changed else "hr.not_held",
                principal=change.principal,
                role=t(language, f"role.{change.role}"),
            )
        )


def _read_role(value: dict[str, Any]) -> tuple[str, int | None]:
    """The add or remove form: whose role (a UPN or object id) and which (HR admin, or
    "lead:<department>"); refused with what is wrong with it."""
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
        raise FormRefused(errors)
    return principal, department_id
