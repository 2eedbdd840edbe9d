"""Dates and times as a reader sees them, through the one date style of `followup.dates`;
numbers and spans in words; and the names the calendar gives rounds, from the catalogue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from babel.numbers import format_decimal

from dialogs.texts import DEFAULT_LANGUAGE, t
from followup.dates import (
    clock,
    day_text,
    local,
    locale_of,
    moment_day,
    moment_text,
    month_day_text,
)
from followup.rounds.calendar import TitleOf, season

__all__ = ["clock", "local"]


def number(value: int, language: str) -> str:
    """A whole number as the reader writes it: 1 000 in Swedish, 1,000 in English."""
    return format_decimal(value, locale=locale_of(language))


def weekday_date(dt: datetime, language: str, *, zone: tzinfo, today: date | None) -> str:
    """For example fredag 12 juni / Friday 12 June; with the year when it is not the year of
    `today` (the reader's day, from the injected clock): fredag 12 juni 2099."""
    return moment_day(dt, language, zone=zone, today=today, weekday=True)


def date_time(dt: datetime, language: str, *, zone: tzinfo, today: date | None) -> str:
    """For example måndag 15 juni kl. 09.00 / Monday 15 June at 09:00 (with the year as
    `weekday_date` has it)."""
    return moment_text(dt, language, zone=zone, today=today)


# the units a rule's span is said in, largest first, with their length
_UNITS = (
    ("weeks", timedelta(weeks=1)),
    ("days", timedelta(days=1)),
    ("hours", timedelta(hours=1)),
    ("minutes", timedelta(minutes=1)),
)


def duration(span: timedelta, language: str) -> str:
    """A span in the largest unit it is a whole number of: en vecka, 10 dagar, 15 minuter /
    a week, 10 days, 15 minutes (to the minute, at least one)."""
    span = timedelta(minutes=max(1, round(span / timedelta(minutes=1))))
    # the first unit that divides it (a minute always does; a shorter span has a remainder)
    unit, count = next((u, span // length) for u, length in _UNITS if not span % length)
    return t(language, f"duration.{unit}", count=count)


def short_day(day: date, language: str, *, today: date | None) -> str:
    """A calendar day, for example 12 juni / 12 June, or 12 juni 2027 when it is not the year
    of `today` (always with the year when `today` is None: a document that outlives the day)."""
    return day_text(day, language, today=today)


def short_date(moment: datetime, language: str, *, zone: tzinfo, today: date | None) -> str:
    """The day of a moment in `zone`, as `short_day` writes it."""
    return moment_day(moment, language, zone=zone, today=today)


def reader_texts(language: str, *, today: date | None) -> Callable[..., str]:
    """The catalogue's texts in `language` for a renderer of the domain (a digest's, a
    consortium's), each calendar day given as a `date` written as `short_day` writes it: on a
    card, with the reader's `today`; in a file, which outlives the day, with None (the year)."""

    def text(key: str, **params: Any) -> str:
        shown = {
            name: short_day(value, language, today=today)
            if isinstance(value, date) and not isinstance(value, datetime)
            else value
            for name, value in params.items()
        }
        return t(language, key, **shown)

    return text


def day_of_year(month_day: str, language: str) -> str:
    """A calendar day "MM-DD" in words: 15 april / 15 April (the text itself when it is none)."""
    return month_day_text(month_day, language)


def calendar_title(opens: date, language: str) -> str:
    """The name the calendar gives a round opening on `opens`: Uppföljning våren 2026."""
    return t(language, f"calendar.title.{season(opens)}", year=opens.year)


def stored_title_of(language: str = DEFAULT_LANGUAGE) -> TitleOf:
    """The calendar's round titles as stored: in the organisation's language (Swedish), so a
    half-year's round is found again by its title whoever reads it."""

    def title_of(opens: date) -> str:
        return calendar_title(opens, language)

    return title_of
