"""The Adaptive Cards HR keeps the roster with: find a chef, the chef with what can be done (move,
leave, end the employment), and a new chef. Built from data; every press is checked again on the
server, and carries the chef as the card showed them, so a stale card changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo
from typing import Any

from dialogs.card_fields import (
    DEPARTMENT,
    EMAIL,
    NAME,
    OBJECT_ID,
    QUERY,
    UNIT,
    UNTIL,
    UPN,
)
from dialogs.cards import card, limited_text, text, verbatim, verbatim_facts
from dialogs.formatting import short_date, short_day
from dialogs.hr_cards import submit
from dialogs.texts import t
from followup.people.presence import Presence, presence, roster_version
from storage.models import Chef, Department

Element = dict[str, Any]


MAX_QUERY = 100  # characters of a search for a chef


def roster_card(language: str) -> dict[str, Any]:
    """Look a chef up, or add one."""
    return card(
        [
            text(t(language, "roster.title"), size="Large", weight="Bolder"),
            text(t(language, "roster.intro"), isSubtle=True),
            limited_text(
                QUERY,
                label=t(language, "roster.query_label"),
                limit=MAX_QUERY,
                language=language,
                required_error=t(
                    language, "hr.error.required", field=t(language, "hr.field.query")
                ),
            ),
        ],
        [
            submit(t(language, "roster.search"), "roster_find", language),
            submit(t(language, "roster.new"), "roster_add_form", language),
        ],
    )


def state_text(chef: Chef, language: str, *, today: date, zone: tzinfo) -> str:
    """At work, on leave until a day, or left on a day."""
    where = presence(chef, today)
    if where == Presence.LEFT:
        left = short_date(chef.left_at, language, zone=zone, today=today) if chef.left_at else "–"
        return t(language, "roster.state.left", date=left)
    if where == Presence.ON_LEAVE and chef.on_leave_until is not None:
        return t(
            language,
            "roster.state.on_leave",
            date=short_day(chef.on_leave_until, language, today=today),
        )
    return t(language, "roster.state.present")


def found_card(
    chefs: Sequence[Chef],
    departments: dict[int, str],
    language: str,
    *,
    query: str,
    today: date,
    zone: tzinfo,
) -> dict[str, Any]:
    """The chefs a search found, each with a button to open them."""
    body: list[Element] = [
        verbatim(t(language, "roster.found", count=len(chefs), query=query), weight="Bolder")
    ]
    for chef in chefs:
        line = " · ".join(
            part
            for part in (
                chef.upn,
                departments.get(chef.department_id or 0, ""),
                state_text(chef, language, today=today, zone=zone),
            )
            if part
        )
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    verbatim(chef.name, weight="Bolder"),
                    verbatim(line, isSubtle=True, spacing="None"),
                    {
                        "type": "ActionSet",
                        "actions": [
                            submit(
                                t(language, "roster.open"), "roster_chef", language, chef=chef.id
                            )
                        ],
                    },
                ],
            }
        )
    return card(body)


def chef_card(
    chef: Chef,
    departments: Sequence[Department],
    language: str,
    *,
    today: date,
    zone: tzinfo,
) -> dict[str, Any]:
    """A chef as the roster has them, and what HR can do: move, leave, end the employment."""
    names = {d.id: d.name for d in departments}
    body: list[Element] = [
        verbatim(chef.name, size="Large", weight="Bolder"),
        # the address on a line of its own: in a column beside its label it is wider than a
        # phone leaves room for, and an address cannot wrap
        verbatim(f"{t(language, 'roster.upn')}: {chef.upn}", spacing="None"),
        verbatim_facts(
            [
                (t(language, "roster.department"), names.get(chef.department_id, "–")),
                (t(language, "roster.unit"), chef.unit or "–"),
                (t(language, "roster.state"), state_text(chef, language, today=today, zone=zone)),
            ]
        ),
    ]
    if not chef.active:
        return card(body)
    same = {"chef": chef.id, "version": roster_version(chef)}
    move = card(
        [
            {
                "type": "Input.ChoiceSet",
                "id": DEPARTMENT,
                "label": t(language, "roster.move.department_label"),
                "style": "compact",
                "isRequired": True,
                "value": str(chef.department_id or ""),
                "errorMessage": t(
                    language, "hr.error.required", field=t(language, "hr.field.department")
                ),
                "choices": [{"title": d.name, "value": str(d.id)} for d in departments if d.active],
            },
            limited_text(
                UNIT,
                label=t(language, "roster.move.unit_label"),
                limit=200,
                language=language,
                value=chef.unit,
            ),
        ],
        [submit(t(language, "roster.move.submit"), "roster_move", language, **same)],
    )
    leave_actions = [submit(t(language, "roster.leave.submit"), "roster_leave", language, **same)]
    if presence(chef, today) == Presence.ON_LEAVE:
        leave_actions.append(
            submit(t(language, "roster.leave.back"), "roster_leave", language, back=True, **same)
        )
    leave = card(
        [
            {
                "type": "Input.Date",
                "id": UNTIL,
                "label": t(language, "roster.leave.until_label"),
                "min": today.isoformat(),
                "value": chef.on_leave_until.isoformat() if chef.on_leave_until else "",
            }
        ],
        leave_actions,
    )
    end = card(
        [verbatim(t(language, "roster.end.confirm", name=chef.name))],
        [submit(t(language, "roster.end.submit"), "roster_end", language, **same)],
    )
    return card(
        body,
        [
            _show(t(language, "roster.move"), move),
            _show(t(language, "roster.leave"), leave),
            _show(t(language, "roster.end"), end),
        ],
    )


def add_chef_card(departments: Sequence[Department], language: str) -> dict[str, Any]:
    """A new chef: the roster file's fields, the department chosen among the active ones."""

    def field(name: str, *, required: bool = False, max_length: int = 200) -> Element:
        label = t(language, f"hr.field.{name}")
        return limited_text(
            name,
            label=label,
            limit=max_length,
            language=language,
            required_error=t(language, "hr.error.required", field=label) if required else None,
        )

    return card(
        [
            text(t(language, "roster.add.title"), size="Large", weight="Bolder"),
            text(t(language, "roster.add.intro"), isSubtle=True),
            field(NAME, required=True),
            {**field(UPN, required=True, max_length=320), "style": "Email"},
            {
                "type": "Input.ChoiceSet",
                "id": DEPARTMENT,
                "label": t(language, "hr.field.department"),
                "style": "compact",
                "isRequired": True,
                "errorMessage": t(
                    language, "hr.error.required", field=t(language, "hr.field.department")
                ),
                "choices": [{"title": d.name, "value": str(d.id)} for d in departments if d.active],
            },
            field(UNIT),
            {**field(EMAIL, max_length=320), "style": "Email"},
            field(OBJECT_ID, max_length=64),
        ],
        [submit(t(language, "roster.add.submit"), "roster_add", language)],
    )


def _show(title: str, content: dict[str, Any]) -> Element:
    shown = {k: v for k, v in content.items() if k != "$schema"}
    return {"type": "Action.ShowCard", "title": title, "card": shown}
