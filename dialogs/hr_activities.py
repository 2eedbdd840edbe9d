"""HR's activities in Teams: `aktiviteter` lists the programme's activities (which carry on
unfinished into the next round), and its card ends one — no longer asked, nor carried on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dialogs.card_fields import FormError
from dialogs.cards import card, card_activity, card_id, text, verbatim
from dialogs.hr_cards import Element, submit
from dialogs.hr_flow import FormRefused, HrFlow, HrTurn
from dialogs.texts import t
from followup.hr import activities
from followup.hr.activities import ActivityRow

ACTIVITY = "activity"  # the card's input: the chosen activity's id
MAX_LISTED = 100  # choices on one card, well under Teams' message size


def activities_card(rows: Sequence[ActivityRow], language: str) -> dict[str, Any]:
    """The active activities, those that carry on marked, and a form to end one."""
    programmes = {row.programme for row in rows}
    body: list[Element] = [
        text(t(language, "hr.activities.title"), size="Large", weight="Bolder"),
        text(t(language, "hr.activities.intro"), isSubtle=True),
    ]

    def label(row: ActivityRow) -> str:
        years = ", ".join(str(y) for y in row.years)
        parts = [f"{row.code} {row.title}", years]
        if len(programmes) > 1:
            parts.insert(0, row.programme)
        if row.carried:
            parts.append(t(language, "hr.activities.carried"))
        return " – ".join(p for p in parts if p)

    body += [verbatim(label(row), spacing="None") for row in rows[:MAX_LISTED]]
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": ACTIVITY,
            "label": t(language, "hr.activities.end_label"),
            "style": "filtered",
            "isRequired": True,
            "errorMessage": t(
                language, "hr.error.required", field=t(language, "hr.field.activity")
            ),
            "choices": [
                {"title": f"{row.code} {row.title}", "value": str(row.id)}
                for row in rows[:MAX_LISTED]
            ],
        }
    )
    return card(body, [submit(t(language, "hr.activities.end"), "end_activity", language)])


class HrActivities(HrFlow):
    """The list of activities, and ending one."""

    async def show(self, turn: HrTurn, _: int | None) -> None:
        rows = await activities.list_activities(turn.call)
        if not rows:
            await turn.context.send_activity(t(turn.language, "hr.activities.none"))
            return
        await turn.context.send_activity(card_activity(activities_card(rows, turn.language)))

    async def end(self, turn: HrTurn, value: dict[str, Any]) -> None:
        activity_id = card_id(value.get(ACTIVITY))
        if activity_id is None:
            raise FormRefused([FormError("activity", "required")])
        _, activity = await activities.end_activity(turn.call, activity_id=activity_id)
        await turn.context.send_activity(
            t(turn.language, "hr.activities.ended", code=activity.code, title=activity.title)
        )
