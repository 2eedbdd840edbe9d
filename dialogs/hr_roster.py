"""HR keeps the roster in Teams: `chefer` finds a chef, whose card moves them, sets or ends
their leave, or ends their employment; a new chef is added on a card of their own. Each press
runs one operation of `followup.hr.roster_edits` (or `operations.set_leave`)."""

from __future__ import annotations

from typing import Any

from dialogs.card_fields import DEPARTMENT, QUERY, UNIT, VERSION, read_date, read_new_chef
from dialogs.cards import card_activity, card_id
from dialogs.formatting import short_day
from dialogs.hr_flow import FormRefused, HrFlow, HrTurn
from dialogs.roster_cards import MAX_QUERY, add_chef_card, chef_card, found_card, roster_card
from dialogs.texts import t
from followup.forms import FormError
from followup.hr import operations, roster_edits
from followup.rounds.lifecycle import RoundError
from storage.models import Chef, Department
from storage.plan_store import PlanStore


class HrRoster(HrFlow):
    """The roster's cards and what their buttons do."""

    async def show(self, turn: HrTurn, _: int | None) -> None:
        await turn.context.send_activity(card_activity(roster_card(turn.language)))

    async def find(self, turn: HrTurn, value: dict[str, Any]) -> None:
        query = value.get(QUERY)
        if not isinstance(query, str) or not query.strip():
            raise FormRefused([FormError(QUERY, "required")])
        query = query.strip()
        if len(query) > MAX_QUERY:  # refused, never cut: what was searched for is said back
            raise FormRefused([FormError(QUERY, "too_long", {"max": MAX_QUERY})])
        chefs = await roster_edits.find_chefs(turn.call, query=query)
        if not chefs:
            await turn.context.send_activity(t(turn.language, "roster.none_found", query=query))
            return
        if len(chefs) == 1:
            await self._chef(turn, chefs[0])
            return
        departments = await self._departments(turn)
        policy = turn.call.policy
        await turn.context.send_activity(
            card_activity(
                found_card(
                    chefs,
                    {d.id: d.name for d in departments if d.id is not None},
                    turn.language,
                    query=query,
                    today=turn.call.today,
                    zone=policy.zone,
                )
            )
        )

    async def open(self, turn: HrTurn, value: dict[str, Any]) -> None:
        chef = await roster_edits.chef_of(turn.call, chef_id=_chef_id(value))
        await self._chef(turn, chef)

    async def add_form(self, turn: HrTurn, _: dict[str, Any]) -> None:
        departments = [d for d in await self._departments(turn) if d.active]
        if not departments:
            await turn.context.send_activity(t(turn.language, "roster.no_departments"))
            return
        await turn.context.send_activity(card_activity(add_chef_card(departments, turn.language)))

    async def add(self, turn: HrTurn, value: dict[str, Any]) -> None:
        departments = await self._departments(turn)
        form, errors = roster_edits.check_new_chef(read_new_chef(value), departments=departments)
        if form is None:
            raise FormRefused(errors)
        added = await roster_edits.add_chef(turn.call, chef=form)
        await self._done(turn, added, "roster.added")

    async def move(self, turn: HrTurn, value: dict[str, Any]) -> None:
        department = card_id(value.get(DEPARTMENT))
        unit = value.get(UNIT) if isinstance(value.get(UNIT), str) else ""
        if department is None:
            raise FormRefused([FormError(DEPARTMENT, "required")])
        moved = await roster_edits.move_chef(
            turn.call,
            chef_id=_chef_id(value),
            department_id=department,
            unit=str(unit),
            version=_version(value),
        )
        await self._done(turn, moved, "roster.moved")

    async def leave(self, turn: HrTurn, value: dict[str, Any]) -> None:
        errors: list[FormError] = []
        back = value.get("back") is True
        until = None if back else read_date(value, "until", errors)
        if errors:
            raise FormRefused(errors)
        chef = await operations.set_leave(
            turn.call, chef_id=_chef_id(value), until=until, version=_version(value)
        )
        await self._replace(turn.context, await self._chef_card(turn, chef))
        if until is None:
            await turn.context.send_activity(t(turn.language, "hr.leave.back", name=chef.name))
        else:
            await turn.context.send_activity(
                t(
                    turn.language,
                    "hr.leave.set",
                    name=chef.name,
                    date=short_day(until, turn.language, today=turn.call.today),
                )
            )

    async def end(self, turn: HrTurn, value: dict[str, Any]) -> None:
        ended = await roster_edits.end_chef(
            turn.call, chef_id=_chef_id(value), version=_version(value)
        )
        await self._replace(turn.context, await self._chef_card(turn, ended.chef))
        await turn.context.send_activity(t(turn.language, "roster.ended", name=ended.chef.name))

    async def _done(self, turn: HrTurn, edited: roster_edits.Edited, key: str) -> None:
        """The card shows the chef as they are now; the words say what happened."""
        await self._replace(turn.context, await self._chef_card(turn, edited.chef))
        done = t(turn.language, key, name=edited.chef.name)
        if edited.invited_to:
            done += " " + t(turn.language, "roster.invited", count=len(edited.invited_to))
        await turn.context.send_activity(done)

    async def _chef(self, turn: HrTurn, chef: Chef) -> None:
        await turn.context.send_activity(card_activity(await self._chef_card(turn, chef)))

    async def _chef_card(self, turn: HrTurn, chef: Chef) -> dict[str, Any]:
        policy = turn.call.policy
        return chef_card(
            chef,
            await self._departments(turn),
            turn.language,
            today=turn.call.today,
            zone=policy.zone,
        )

    async def _departments(self, turn: HrTurn) -> list[Department]:
        return await PlanStore(self._db).departments(turn.call.organisation_id, active_only=False)


def _chef_id(value: dict[str, Any]) -> int:
    chef_id = card_id(value.get("chef"))
    if chef_id is None:
        raise RoundError("no_such_chef")
    return chef_id


def _version(value: dict[str, Any]) -> str:
    """The chef as the card showed them; a card without it is not one of ours: stale."""
    version = value.get(VERSION)
    if not isinstance(version, str) or not version:
        raise RoundError("stale_card", name="?")
    return version
