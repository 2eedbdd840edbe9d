"""Dates and times as a reader sees them: in the policy's time zone, in words, formatted by Babel;
and the names the calendar gives rounds, from the catalogue."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from dialogs.texts import DEFAULT_LANGUAGE, t
from followup.rounds.calendar import TitleOf, season

LOCALES = {"sv": "sv_SE", "en": "en_GB"}
# Swedish writes the time with a full stop (kl. 09.00), British English with a colon
TIME_PATTERNS = {"sv": "HH.mm", "en": "HH:mm"}


def _locale(language: str) -> str:
    return LOCALES.get(language, LOCALES["sv"])


def number(value: int, language: str) -> str:
    """A whole number as the reader writes it: 1 000 in Swedish, 1,000 in English."""
    return format_decimal(value, locale=_locale(language))


def local(dt: datetime, *, zone: tzinfo) -> datetime:
    """The moment in the zone dates are shown in (a naive datetime is taken as UTC, as stored)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(zone)


def weekday_date(dt: datetime, language: str, *, zone: tzinfo, today: date | None) -> str:
    """For example fredag 12 juni / Friday 12 June; with the year when it is not the year of
    `today` (the reader's day, from the injected clock): fredag 12 juni 2099. Without a
    `today` the year is always there (never a date that could be two)."""
    day = local(dt, zone=zone).date()
    pattern = "EEEE d MMMM" if today is not None and day.year == today.year else "EEEE d MMMM y"
    return format_date(day, pattern, locale=_locale(language))


def date_time(dt: datetime, language: str, *, zone: tzinfo, today: date | None) -> str:
    """For example måndag 15 juni kl. 09.00 / Monday 15 June at 09:00 (with the year as
    `weekday_date` has it)."""
    moment = local(dt, zone=zone)
    return t(
        language,
        "checkin.date_time",
        date=weekday_date(moment, language, zone=zone, today=today),
        time=clock(moment.time(), language),
    )


def clock(moment: time, language: str) -> str:
    """A time of day as it is written: 08.00 / 08:00."""
    # a naive time: Babel then formats it as it is instead of converting it to UTC
    return format_time(
        moment.replace(tzinfo=None),
        TIME_PATTERNS.get(language, TIME_PATTERNS["sv"]),
        locale=_locale(language),
    )


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


def short_day(day: date, language: str) -> str:
    """A calendar day, for example 12 juni 2026 / 12 June 2026."""
    return format_date(day, "d MMMM y", locale=_locale(language))


def short_date(moment: datetime, language: str, *, zone: tzinfo) -> str:
    """The day of a moment in `zone`, for example 12 juni 2026 / 12 June 2026."""
    return short_day(local(moment, zone=zone).date(), language)


def day_of_year(month_day: str, language: str) -> str:
    """A calendar day "MM-DD" in words: 15 april / 15 April (the text itself when it is none)."""
    try:
        month, day = (int(part) for part in month_day.split("-"))
        return format_date(date(2023, month, day), "d MMMM", locale=_locale(language))
    except ValueError:
        return month_day


def calendar_title(opens: date, language: str) -> str:
    """The name the calendar gives a round opening on `opens`: Uppföljning våren 2026."""
    return t(language, f"calendar.title.{season(opens)}", year=opens.year)


def stored_title_of(language: str = DEFAULT_LANGUAGE) -> TitleOf:
    """The calendar's round titles as stored: in the organisation's language (Swedish), so a
    half-year's round is found again by its title whoever reads it."""

    def title_of(opens: date) -> str:
        return calendar_title(opens, language)

    return title_of
