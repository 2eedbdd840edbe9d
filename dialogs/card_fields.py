"""The cards' input ids, named once, and a card's values read into the domain's forms.

A card sends `{input id: value}`; the domain checks its forms by their own field names and knows
nothing of cards. Here each input is named, read into those fields, and every problem the
domain finds is named back by the input that held it, so a dialog can say which field it was
as the user saw it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from followup.check_in.step_checks import Clean, validate
from followup.check_in.steps import CheckIn
from followup.forms import FormError, renamed
from followup.people.access import principal_of
from followup.policy import Policy
from followup.rounds.form import (
    Calendar,
    NewRound,
    check_calendar,
    check_dates,
    check_day,
    check_departments,
    check_new_round,
)
from followup.sections import QUESTION_SECTIONS

__all__ = ["FormError"]  # the dialogs' one error type, as read from cards

# --- the check-in's step cards ----------------------------------------------------------------

STRENGTHS = "strengths"
PRINCIPLE = "principle"
EXAMPLE = "example"
GROW = "grow"
CONFIDENCE = "confidence"
CONSENT = "consent"

# an input per activity and per need: "<kind>:<activity id or need>"; kind → (group, field)
_KEYED = {
    "status": ("activities", "status"),
    "comment": ("activities", "comment"),
    "need": ("needs", "level"),
    "need_text": ("needs", "text"),
}
_INPUT_OF = {fields: kind for kind, fields in _KEYED.items()}


def status_input(activity_id: int) -> str:
    return f"status:{activity_id}"


def comment_input(activity_id: int) -> str:
    return f"comment:{activity_id}"


def need_input(need: str) -> str:
    return f"need:{need}"


def need_text_input(need: str) -> str:
    return f"need_text:{need}"


def input_kind(name: str) -> tuple[str, str]:
    """An activity's or a need's input as ("status", "12") or ("need_text", "support"); any
    other input as (its id, "")."""
    kind, _, key = name.partition(":")
    return (kind, key) if kind in _KEYED and key else (name, "")


def step_answers(values: Mapping[str, Any]) -> dict[str, Any]:
    """A step card's values under the check-in's field names (see
    `followup.check_in.steps.validate`); the domain takes from them what the step asks."""
    answers: dict[str, Any] = {}
    for name, value in values.items():
        kind, key = input_kind(name)
        if key:
            group, field = _KEYED[kind]
            owner: Any = int(key) if group == "activities" and key.isdigit() else key
            answers.setdefault(group, {}).setdefault(owner, {})[field] = value
        elif name in (STRENGTHS, PRINCIPLE, EXAMPLE, GROW, CONFIDENCE, CONSENT):
            answers[name] = value
    return answers


def step_input(name: str) -> str:
    """The input that holds a check-in field, e.g. `activities.12.status` → `status:12`."""
    parts = name.split(".")
    if len(parts) == 3 and (parts[0], parts[2]) in _INPUT_OF:
        return f"{_INPUT_OF[(parts[0], parts[2])]}:{parts[1]}"
    return name


def read_step(
    check_in: CheckIn, step: str, values: Mapping[str, Any]
) -> tuple[Clean, list[FormError]]:
    """A step card's answers checked, with each problem named by its input."""
    clean, errors = validate(check_in, step, step_answers(values))
    return clean, renamed(errors, step_input)


# --- HR's forms -------------------------------------------------------------------------------

TITLE = "title"
PROGRAMME = "programme"
DEPARTMENTS = "departments"  # chosen department ids, separated by commas
OPENS = "opens"
DEADLINE = "deadline"
REMINDERS = "reminders"
CAP = "cap"
K = "k"
ANSWER_DAYS = "answer_days"
CHEF = "chef"
UNTIL = "until"
PRINCIPAL = "principal"
ROLE = "role"
ANALYSIS = "analysis"  # HR's analysis of a round, for the board's report
NEXT_STEPS = "next_steps"
SECTION_INPUT = "section_"  # + the section's name: its privacy mode, or SKIP


def section_input(section: str) -> str:
    return SECTION_INPUT + section


def _hr_input(name: str) -> str:
    group, _, section = name.partition(".")
    return section_input(section) if group == "sections" and section else name


def read_new_round(
    values: Mapping[str, Any], *, departments: set[int], default_k: int, policy: Policy
) -> tuple[NewRound, list[FormError]]:
    """The new-round card read and checked (the lifecycle rules follow in `create_round`)."""
    given = {
        "title": values.get(TITLE),
        "departments": values.get(DEPARTMENTS),
        "opens": values.get(OPENS),
        "deadline": values.get(DEADLINE),
        "reminders": values.get(REMINDERS),
        "cap": values.get(CAP),
        "k": values.get(K),
        "sections": {s: values.get(section_input(s)) for s in QUESTION_SECTIONS},
    }
    form, errors = check_new_round(
        given, departments=departments, default_k=default_k, policy=policy
    )
    return form, renamed(errors, _hr_input)


def read_dates(
    values: Mapping[str, Any], errors: list[FormError], *, policy: Policy
) -> tuple[datetime | None, datetime | None]:
    """The opening day (none: HR opens it) and the required last day of a round's card."""
    dates, found = check_dates(
        {"opens": values.get(OPENS), "deadline": values.get(DEADLINE)}, policy=policy
    )
    errors += found
    return dates


def read_date(values: Mapping[str, Any], name: str, errors: list[FormError]) -> date | None:
    """The day in the card's input `name`, or None when it is empty."""
    day, found = check_day(values.get(name))
    errors += renamed(found, lambda _: name)
    return day


def read_departments(
    values: Mapping[str, Any], departments: set[int], errors: list[FormError]
) -> list[int]:
    """The chosen departments (none: everyone), each one of the organisation's."""
    chosen, found = check_departments(values.get(DEPARTMENTS), departments=departments)
    errors += found
    return chosen


def read_calendar(values: Mapping[str, Any], *, policy: Policy) -> tuple[Calendar, list[FormError]]:
    """The calendar card: its opening days and days to answer, checked."""
    return check_calendar(
        {"opens": values.get(OPENS), "answer_days": values.get(ANSWER_DAYS)}, policy=policy
    )


def read_principal(values: Mapping[str, Any]) -> str | None:
    """An Entra object id or a UPN, lower-case; None when it is neither."""
    return principal_of(values.get(PRINCIPAL))


# --- HR's roster cards (`dialogs/roster_cards.py`) ----------------------------------------------

QUERY = "query"
UPN = "upn"
NAME = "name"
DEPARTMENT = "department"
UNIT = "unit"
EMAIL = "email"
OBJECT_ID = "object_id"
VERSION = "version"  # the chef as the card showed them (`followup.people.presence.roster_version`)
NEW_CHEF_INPUTS = (UPN, NAME, DEPARTMENT, UNIT, EMAIL, OBJECT_ID)


def read_new_chef(values: Mapping[str, Any]) -> dict[str, Any]:
    """The new-chef card's inputs under the roster's own field names (the same)."""
    return {name: values.get(name) for name in NEW_CHEF_INPUTS}
