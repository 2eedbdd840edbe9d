"""The answers per chef in Teams: a card per department (split over several when long), a card
to choose the department, and the buttons the digest card carries to them.

Phone first: one Container per chef, every line a wrapping block, no columns. Names, titles and
comments are shown as written (`verbatim`), never read as Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dialogs.cards import card, text, verbatim
from dialogs.hr_cards import submit
from dialogs.texts import t
from followup.digest.identified import ChefAnswers, DepartmentAnswers, Identified
from followup.sections import STATUSES

Element = dict[str, Any]

ACTION = "identified"  # the HR card action that shows a department's answers per chef
# a card's JSON (as sent, non-ASCII escaped) stays under this: Teams refuses a message over
# about 28 KB, and the message around the card needs room too
MAX_CARD_BYTES = 24_000
STATUS_COLOURS = {"done": "Good", "delayed": "Attention"}


def size_of(content: Element) -> int:
    return len(json.dumps(content).encode())


def department_buttons(
    round_id: int, departments: Sequence[DepartmentAnswers], language: str
) -> list[Element]:
    """A button per department with answers (those with a department: a button names one)."""
    return [
        {
            "type": "ActionSet",
            "actions": [
                submit(d.name, ACTION, language, round=round_id, department=d.department_id)
            ],
        }
        for d in departments
        if d.department_id is not None
    ]


def identified_section(
    round_id: int, departments: Sequence[DepartmentAnswers], language: str
) -> list[Element]:
    """What the digest card shows of the answers per chef: a heading and the buttons."""
    buttons = department_buttons(round_id, departments, language)
    if not buttons:
        return []
    return [
        text(t(language, "identified.heading"), weight="Bolder", separator=True),
        text(t(language, "identified.intro"), isSubtle=True, spacing="None"),
        *buttons,
    ]


def picker_card(answers: Identified, language: str) -> Element:
    """Which department's answers to show, for a viewer who may see several."""
    assert answers.round.id is not None
    return card(
        [
            verbatim(t(language, "identified.heading"), size="Large", weight="Bolder"),
            verbatim(
                t(
                    language,
                    "identified.subtitle",
                    round=answers.round.title,
                    count=answers.chefs,
                ),
                isSubtle=True,
                spacing="None",
            ),
            text(t(language, "identified.intro")),
            *department_buttons(answers.round.id, answers.departments, language),
        ]
    )


def _status_line(code: str, title: str, status: str, language: str) -> Element:
    label = t(language, f"checkin.status.{status}") if status in STATUSES else status
    inlines: list[Element] = [
        {"type": "TextRun", "text": f"{code} {title}".strip() or " "},
        {"type": "TextRun", "text": " – "},
        {
            "type": "TextRun",
            "text": label,
            "weight": "Bolder",
            **({"color": STATUS_COLOURS[status]} if status in STATUS_COLOURS else {}),
        },
    ]
    return {"type": "RichTextBlock", "inlines": inlines, "spacing": "Small"}


def _chef_containers(chef: ChefAnswers, language: str, budget: int) -> list[Element]:
    """The chef's name and each activity's status and comment, in as few Containers as fit in
    `budget` bytes each (one, unless the comments are very long)."""
    containers: list[Element] = []
    items: list[Element] = []

    def container(with_items: list[Element]) -> Element:
        return {
            "type": "Container",
            "separator": True,
            "spacing": "Medium",
            "items": [verbatim(chef.name, weight="Bolder"), *with_items],
        }

    for a in chef.activities:
        lines = [_status_line(a.code, a.title, a.status, language)]
        if a.comment:
            lines.append(
                verbatim(
                    t(language, "identified.comment", comment=a.comment),
                    isSubtle=True,
                    spacing="None",
                )
            )
        if items and size_of(container(items + lines)) > budget:
            containers.append(container(items))
            items = []
        items += lines
    containers.append(container(items))
    return containers


def department_cards(
    answers: Identified, department: DepartmentAnswers, language: str
) -> list[Element]:
    """A department's chefs with their activities' statuses and comments: one card, or several
    ("Del 1 av 2") when it would not fit in one message."""

    def heading(part: int, parts: int) -> list[Element]:
        subtitle = t(
            language,
            "identified.subtitle",
            round=answers.round.title,
            count=len(department.chefs),
        )
        if parts > 1:
            subtitle += " · " + t(language, "identified.part", part=part, parts=parts)
        return [
            verbatim(
                t(language, "identified.title", department=department.name),
                size="Large",
                weight="Bolder",
            ),
            verbatim(subtitle, isSubtle=True, spacing="None"),
        ]

    # room for the heading of "Del 99 av 99" and the card around it
    budget = MAX_CARD_BYTES - size_of(card(heading(99, 99)))
    blocks = [c for chef in department.chefs for c in _chef_containers(chef, language, budget)]
    pages: list[list[Element]] = [[]]
    used = 0
    for block in blocks:
        size = size_of(block) + 1  # and the comma between
        if pages[-1] and used + size > budget:
            pages.append([])
            used = 0
        pages[-1].append(block)
        used += size
    return [
        card([*heading(number, len(pages)), *page]) for number, page in enumerate(pages, start=1)
    ]
