"""HR's forms checked strictly: a new round, its dates and departments, a programme's calendar.

The cards validate too, but clients differ and a forwarded or hand-made submit can carry
anything; this is what the server believes. The values arrive under the forms' own field names
(the dialogs read the card inputs into them); an odd type (a list, a yes/no) counts as empty."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationInfo, field_validator

from followup.forms import FormError, check, problem
from followup.imports.fields import parse_month_day
from followup.policy import Policy
from followup.rounds.workdays import default_last_day
from followup.sections import QUESTION_SECTIONS, Privacy

MAX_TITLE = 120
SKIP = "skip"  # a section the round leaves out
ANSWER_DAYS = (1, 120)  # the calendar's days to answer, lowest and highest


def _loose(value: Any) -> str:
    """A card value as text: numbers as written, anything but text or a number is empty."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value.strip() if isinstance(value, str) else ""


def _day(value: Any) -> date | None:
    raw = _loose(value)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise problem("bad_date", value=raw[:40]) from None


def _required_day(value: Any) -> date:
    day = _day(value)
    if day is None:
        raise problem("required")
    return day


def _whole(value: Any) -> int | None:
    raw = _loose(value)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise problem("bad_number") from None


def _title(value: Any) -> str:
    title = " ".join(_loose(value).split())
    if not title:
        raise problem("required")
    if len(title) > MAX_TITLE:
        raise problem("too_long", max=MAX_TITLE)
    return title


def _departments(value: Any, info: ValidationInfo) -> list[int]:
    """The chosen departments (none: everyone), each one of the organisation's."""
    known: set[int] = (info.context or {}).get("departments", set())
    chosen: list[int] = []
    for part in _loose(value).split(","):
        if not part.strip():
            continue
        if not part.strip().isdigit() or int(part) not in known:
            raise problem("bad_choice")
        chosen.append(int(part))
    return chosen


def _offsets(value: Any) -> list[int]:
    """Days before the last day, latest first; none written means no reminders."""
    parts = [p.strip() for p in _loose(value).replace(";", ",").split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise problem("bad_offsets")
    return sorted({int(p) for p in parts}, reverse=True)


def _mode(value: Any) -> str:
    mode = _loose(value) or SKIP
    if mode != SKIP and mode not in set(Privacy):
        raise problem("bad_choice")
    return mode


Day = Annotated[date | None, PlainValidator(_day)]
RequiredDay = Annotated[date, PlainValidator(_required_day)]
Whole = Annotated[int | None, PlainValidator(_whole)]
Departments = Annotated[list[int], PlainValidator(_departments)]


class DatesFields(BaseModel):
    """A round's days: the opening day (none: HR opens it) and the last day, required."""

    opens: Day = None
    deadline: RequiredDay

    model_config = ConfigDict(validate_default=True)


class NewRoundFields(BaseModel):
    """What the new-round form must hold; empty numbers take the policy's defaults."""

    title: Annotated[str, PlainValidator(_title)]
    departments: Departments = []
    opens: Day = None
    deadline: RequiredDay
    reminders: Annotated[list[int], PlainValidator(_offsets)] = []
    cap: Whole = None
    k: Whole = None
    sections: dict[str, Annotated[str, PlainValidator(_mode)]] = {}

    model_config = ConfigDict(validate_default=True)

    @field_validator("sections", mode="before")
    @classmethod
    def _asked(cls, value: Any) -> dict[str, Any]:
        # every section the product has, in its order; anything else a submit carries is ignored
        given = value if isinstance(value, Mapping) else {}
        return {section: given.get(section) for section in QUESTION_SECTIONS}


@dataclass
class NewRound:
    """A new round's form as read; its defaults are the policy's and the organisation's."""

    reminder_offsets: list[int]
    reminder_cap: int
    k: int
    title: str = ""
    department_ids: list[int] = field(default_factory=list)
    opens_at: datetime | None = None
    deadline: datetime | None = None
    sections: dict[str, str] = field(default_factory=dict)


def suggested_last_day(today: date, *, policy: Policy) -> date:
    """The new-round form's last day before HR changes it: the policy's days to answer from
    today, on a working day whose default reminders fall on working days too."""
    return default_last_day(
        today, answer_days=policy.answer_days, reminder_offsets=policy.reminder_offsets
    )


def check_new_round(
    given: Mapping[str, Any], *, departments: set[int], default_k: int, policy: Policy
) -> tuple[NewRound, list[FormError]]:
    """The new-round form's values, or what is wrong with them (the lifecycle rules follow in
    `create_round`). `sections` maps each section to its privacy mode or SKIP."""
    form = NewRound(
        reminder_offsets=list(policy.reminder_offsets),
        reminder_cap=policy.reminder_cap,
        k=default_k,
    )
    fields, errors = check(NewRoundFields, given, context={"departments": departments})
    if fields is None:
        return form, errors
    form.title = fields.title
    form.department_ids = fields.departments
    form.opens_at = policy.opening(fields.opens) if fields.opens else None
    form.deadline = policy.last_moment(fields.deadline)
    form.reminder_offsets = fields.reminders
    form.reminder_cap = policy.reminder_cap if fields.cap is None else fields.cap
    form.k = default_k if fields.k is None else fields.k
    form.sections = {s: mode for s, mode in fields.sections.items() if mode != SKIP}
    return form, errors


def check_dates(
    given: Mapping[str, Any], *, policy: Policy
) -> tuple[tuple[datetime | None, datetime | None], list[FormError]]:
    """The opening day at the policy's opening time, and the last day, open all day (to the
    policy's closing time)."""
    fields, errors = check(DatesFields, given)
    if fields is None:
        return (None, None), errors
    opens = policy.opening(fields.opens) if fields.opens else None
    return (opens, policy.last_moment(fields.deadline)), errors


class _DepartmentsField(BaseModel):
    departments: Departments = []

    model_config = ConfigDict(validate_default=True)


def check_departments(value: Any, *, departments: set[int]) -> tuple[list[int], list[FormError]]:
    """The chosen departments of a comma-separated list (none: everyone)."""
    fields, errors = check(
        _DepartmentsField, {"departments": value}, context={"departments": departments}
    )
    return (fields.departments if fields else []), errors


class _DayField(BaseModel):
    day: Day = None


def check_day(value: Any) -> tuple[date | None, list[FormError]]:
    """A day written ISO-wise (what Input.Date sends), or None when empty; named `day`."""
    fields, errors = check(_DayField, {"day": value})
    return (fields.day if fields else None), errors


def _round_opens(value: Any) -> list[str]:
    """One or two opening days "MM-DD", at most one in each half of the year (the board wants
    a report every half year)."""
    days: list[str] = []
    for part in (p for p in re.split(r"[,;\s]+", _loose(value)) if p):
        month_day = parse_month_day(part)
        if month_day is None:
            raise problem("bad_month_day", value=part[:20])
        days.append(month_day)
    days = sorted(set(days))
    if not days:
        raise problem("required")
    halves = [int(d[:2]) < 7 for d in days]
    if len(halves) != len(set(halves)):
        raise problem("one_per_half")
    return days


def _answer_days(value: Any) -> int | None:
    days = _whole(value)
    low, high = ANSWER_DAYS
    if days is not None and not low <= days <= high:
        raise problem("out_of_range", low=low, high=high)
    return days


class CalendarFields(BaseModel):
    """What the calendar form must hold: the opening days, and 1–120 days to answer."""

    opens: Annotated[list[str], PlainValidator(_round_opens)]
    answer_days: Annotated[int | None, PlainValidator(_answer_days)] = None

    model_config = ConfigDict(validate_default=True)


@dataclass
class Calendar:
    """A programme's half-yearly calendar: the days its rounds open, and the days to answer."""

    answer_days: int
    round_opens: list[str] = field(default_factory=list)


def check_calendar(given: Mapping[str, Any], *, policy: Policy) -> tuple[Calendar, list[FormError]]:
    """The calendar form's values (empty days to answer: the policy's), or what is wrong."""
    fields, errors = check(CalendarFields, given)
    if fields is None:
        return Calendar(answer_days=policy.answer_days), errors
    days = policy.answer_days if fields.answer_days is None else fields.answer_days
    return Calendar(answer_days=days, round_opens=fields.opens), errors
