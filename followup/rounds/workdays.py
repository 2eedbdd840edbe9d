"""Swedish working days, and the policy's working hours: when reminders may go out and when
"later" comes.

A working day is Monday to Friday and not a Swedish public holiday (helgdag) nor one of the
eves everyone is off (julafton, midsommarafton, nyårsafton)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from followup.policy import Policy


def easter_sunday(year: int) -> date:
    """Easter Day in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


@lru_cache(maxsize=64)
def days_off(year: int) -> frozenset[date]:
    """Public holidays and the eves that are not working days, in one year."""
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),  # nyårsdagen
            date(year, 1, 6),  # trettondedag jul
            easter - timedelta(days=2),  # långfredagen
            easter + timedelta(days=1),  # annandag påsk
            date(year, 5, 1),  # första maj
            easter + timedelta(days=39),  # Kristi himmelsfärds dag
            date(year, 6, 6),  # nationaldagen
            _first_weekday(date(year, 6, 19), 4),  # midsommarafton, a Friday 19–25 June
            date(year, 12, 24),  # julafton
            date(year, 12, 25),  # juldagen
            date(year, 12, 26),  # annandag jul
            date(year, 12, 31),  # nyårsafton
        }
    )


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in days_off(day.year)


def in_working_hours(moment: datetime, *, policy: Policy) -> bool:
    """A working day, inside the policy's working hours (08:00–17:00) in its zone."""
    local = policy.local(moment)
    return (
        is_working_day(local.date()) and policy.workday_starts <= local.time() < policy.workday_ends
    )


def next_working_day(day: date) -> date:
    """The first working day after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_day_from(day: date) -> date:
    """`day` when it is a working day, else the first working day after it."""
    return day if is_working_day(day) else next_working_day(day)


# how far a default last day may move so that its reminders' days are working days too
_REMINDER_SEARCH = 14


def default_last_day(start: date, *, answer_days: int, reminder_offsets: Sequence[int]) -> date:
    """The last day to answer a round that starts on `start` gets by default: `answer_days`
    later, moved past weekends and holidays to a day whose reminder days (`reminder_offsets`
    before it) are working days too; if no day within two weeks has those, the first working
    day (a reminder on a day off is held to the next working morning anyway)."""
    first = working_day_from(start + timedelta(days=answer_days))
    for shift in range(_REMINDER_SEARCH + 1):
        day = first + timedelta(days=shift)
        if is_working_day(day) and all(
            is_working_day(day - timedelta(days=offset)) for offset in reminder_offsets
        ):
            return day
    return first


def calendar_opening(day: date, *, policy: Policy) -> datetime:
    """When a calendar round due on `day` opens: that day's working morning, or the next
    working day's when `day` is a weekend or a holiday."""
    return policy.at(working_day_from(day), policy.workday_starts)


def calendar_deadline(opens: datetime, *, answer_days: int, policy: Policy) -> datetime:
    """The deadline of a calendar round opening at `opens`: its days to answer counted from
    the day it really opens, to a working day (see `default_last_day`), open all day."""
    last = default_last_day(
        policy.today(opens), answer_days=answer_days, reminder_offsets=policy.reminder_offsets
    )
    return policy.last_moment(last)


def next_window(moment: datetime, *, policy: Policy) -> datetime:
    """The moment itself inside working hours, else the start of the next working day's."""
    if in_working_hours(moment, policy=policy):
        return moment
    local = policy.local(moment)
    day = local.date()
    if not is_working_day(day) or local.time() >= policy.workday_ends:
        day = next_working_day(day)
    return policy.at(day, policy.workday_starts)


def held_until(now: datetime, *, policy: Policy) -> datetime | None:
    """None inside working hours; outside them (an evening, a weekend, a holiday) the moment
    the next working day's hours start, when a message to a chef would be read at work."""
    window = next_window(now, policy=policy)
    return None if window == now else window


def next_working_morning(now: datetime, *, policy: Policy) -> datetime:
    """The next working day at the policy's "later" time (for "påminn mig senare")."""
    return policy.at(next_working_day(policy.today(now)), policy.remind_later_at)
