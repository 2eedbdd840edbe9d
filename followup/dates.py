"""Dates and times as a reader sees them, in one style for every card, message, CLI line and
document: the day and month in words (3 mars, tisdag 3 mars kl. 17.00), with the year only when
it is not the reader's year (3 mars 2027). ISO dates are for machine formats only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo

from babel.dates import format_date, format_time

LOCALES = {"sv": "sv_SE", "en": "en_GB"}
# Swedish writes the time with a full stop after "kl." (kl. 09.00), British English with a
# colon after "at" (at 09:00)
TIME_PATTERNS = {"sv": "HH.mm", "en": "HH:mm"}
AT = {"sv": "{date} kl. {time}", "en": "{date} at {time}"}


def locale_of(language: str) -> str:
    return LOCALES.get(language, LOCALES["sv"])


def local(dt: datetime, *, zone: tzinfo) -> datetime:
    """The moment in the zone dates are shown in (a naive datetime is taken as UTC, as stored)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(zone)


def day_text(day: date, language: str, *, today: date | None, weekday: bool = False) -> str:
    """A calendar day in words: 3 mars / 3 March; `weekday`: tisdag 3 mars / Tuesday 3 March.
    With the year when it is not the year of `today` (the reader's day, from the injected
    clock): 3 mars 2027. Without a `today` — a document that outlives the day it was made —
    the year is always there, never a date that could be two."""
    if isinstance(day, datetime):
        raise TypeError("a moment has a time zone: use moment_day()")
    pattern = "EEEE d MMMM" if weekday else "d MMMM"
    if today is None or day.year != today.year:
        pattern += " y"
    return format_date(day, pattern, locale=locale_of(language))


def moment_day(
    dt: datetime, language: str, *, zone: tzinfo, today: date | None, weekday: bool = False
) -> str:
    """The day of a moment in `zone`, in words as `day_text` has it."""
    return day_text(local(dt, zone=zone).date(), language, today=today, weekday=weekday)


def clock(moment: time, language: str) -> str:
    """A time of day as it is written: 08.00 / 08:00."""
    # a naive time: Babel then formats it as it is instead of converting it to UTC
    return format_time(
        moment.replace(tzinfo=None),
        TIME_PATTERNS.get(language, TIME_PATTERNS["sv"]),
        locale=locale_of(language),
    )


def moment_text(dt: datetime, language: str, *, zone: tzinfo, today: date | None) -> str:
    """A moment with its weekday and time: tisdag 3 mars kl. 17.00 / Tuesday 3 March at 17:00
    (with the year as `day_text` has it)."""
    moment = local(dt, zone=zone)
    return AT.get(language, AT["sv"]).format(
        date=moment_day(moment, language, zone=zone, today=today, weekday=True),
        time=clock(moment.time(), language),
    )


def month_day_text(month_day: str, language: str) -> str:
    """A day of every year, "MM-DD", in words: 15 april / 15 April (the text itself when it
    is none)."""
    try:
        month, day = (int(part) for part in month_day.split("-"))
        return format_date(date(2023, month, day), "d MMMM", locale=locale_of(language))
    except ValueError:
        return month_day
