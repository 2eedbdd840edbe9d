"""HR's forms read strictly: a new round's fields, dates, reminder days, a person to add.

The cards validate too, but clients differ and a forwarded or hand-made submit can carry
anything; this is what the server believes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from followup.access import principal_of
from followup.fields import parse_month_day
from followup.policy import Policy
from followup.sections import QUESTION_SECTIONS, Privacy

MAX_TITLE = 120
SKIP = "skip"  # a section the round leaves out


@dataclass(frozen=True)
class FormError:
    """One problem with one field; `code` names the text, `params` fill it in."""

    name: str  # the input's id on the card
    code: str
    params: dict[str, Any] = field(default_factory=dict)


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


def _str(values: dict[str, Any], name: str) -> str:
    value = values.get(name)
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value.strip() if isinstance(value, str) else ""


def read_date(values: dict[str, Any], name: str, errors: list[FormError]) -> date | None:
    raw = _str(values, name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10]) if len(raw) <= 10 else date.fromisoformat(raw)
    except ValueError:
        errors.append(FormError(name, "bad_date", {"value": raw[:40]}))
        return None


def read_int(values: dict[str, Any], name: str, errors: list[FormError], *, default: int) -> int:
    raw = _str(values, name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        errors.append(FormError(name, "bad_number"))
        return default


def read_departments(
    values: dict[str, Any], departments: set[int], errors: list[FormError]
) -> list[int]:
    """The chosen departments (none: everyone), each one of the organisation's."""
    chosen: list[int] = []
    for part in _str(values, "departments").split(","):
        if not part.strip():
            continue
        if not part.strip().isdigit() or int(part) not in departments:
            errors.append(FormError("departments", "bad_choice"))
            return []
        chosen.append(int(part))
    return chosen


def read_dates(
    values: dict[str, Any], errors: list[FormError], *, policy: Policy
) -> tuple[datetime | None, datetime | None]:
    """The opening day (none: HR opens it) at the policy's opening time, and the last day,
    required, open all day (to the policy's closing time)."""
    opens = read_date(values, "opens", errors)
    deadline = read_date(values, "deadline", errors)
    if deadline is None and not any(e.name == "deadline" for e in errors):
        errors.append(FormError("deadline", "required"))
    return (
        policy.opening(opens) if opens else None,
        policy.last_moment(deadline) if deadline else None,
    )


def read_new_round(
    values: dict[str, Any], *, departments: set[int], default_k: int, policy: Policy
) -> tuple[NewRound, list[FormError]]:
    """The new-round form's values, or what is wrong with them (the lifecycle rules follow in
    `create_round`)."""
    errors: list[FormError] = []
    form = NewRound(
        reminder_offsets=list(policy.reminder_offsets),
        reminder_cap=policy.reminder_cap,
        k=default_k,
    )
    form.title = " ".join(_str(values, "title").split())
    if not form.title:
        errors.append(FormError("title", "required"))
    elif len(form.title) > MAX_TITLE:
        errors.append(FormError("title", "too_long", {"max": MAX_TITLE}))
    form.department_ids = read_departments(values, departments, errors)
    form.opens_at, form.deadline = read_dates(values, errors, policy=policy)
    reminders = _str(values, "reminders")
    parts = [p.strip() for p in reminders.replace(";", ",").split(",") if p.strip()]
    if all(p.isdigit() for p in parts):
        form.reminder_offsets = sorted({int(p) for p in parts}, reverse=True)
    else:
        errors.append(FormError("reminders", "bad_offsets"))
    form.reminder_cap = read_int(values, "cap", errors, default=policy.reminder_cap)
    form.k = read_int(values, "k", errors, default=default_k)
    for section in QUESTION_SECTIONS:
        mode = _str(values, f"section_{section}") or SKIP
        if mode == SKIP:
            continue
        if mode not in set(Privacy):
            errors.append(FormError(f"section_{section}", "bad_choice"))
            continue
        form.sections[section] = mode
    return form, errors


def read_principal(values: dict[str, Any]) -> str | None:
    """An Entra object id or a UPN, lower-case; None when it is neither."""
    return principal_of(_str(values, "principal"))


@dataclass
class Calendar:
    """A programme's half-yearly calendar: the days its rounds open, and the days to answer."""

    answer_days: int
    round_opens: list[str] = field(default_factory=list)


def read_calendar(values: dict[str, Any], *, policy: Policy) -> tuple[Calendar, list[FormError]]:
    """The calendar form: one or two opening days "MM-DD", at most one in each half of the
    year (the board wants a report every half year), and 1–120 days to answer."""
    errors: list[FormError] = []
    form = Calendar(answer_days=policy.answer_days)
    parts = [p for p in re.split(r"[,;\s]+", _str(values, "opens")) if p]
    for part in parts:
        month_day = parse_month_day(part)
        if month_day is None:
            errors.append(FormError("opens", "bad_month_day", {"value": part[:20]}))
            break
        form.round_opens.append(month_day)
    form.round_opens = sorted(set(form.round_opens))
    halves = [int(d[:2]) < 7 for d in form.round_opens]
    if not errors and not form.round_opens:
        errors.append(FormError("opens", "required"))
    elif len(halves) != len(set(halves)):
        errors.append(FormError("opens", "one_per_half"))
    form.answer_days = read_int(values, "answer_days", errors, default=policy.answer_days)
    if not any(e.name == "answer_days" for e in errors) and not 1 <= form.answer_days <= 120:
        errors.append(FormError("answer_days", "out_of_range", {"low": 1, "high": 120}))
    return form, errors
