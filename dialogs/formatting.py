"""Dates and times as a chef reads them: Swedish time, in words, formatted by Babel."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from dialogs.texts import t

STOCKHOLM = ZoneInfo("Europe/Stockholm")
LOCALES = {"sv": "sv_SE", "en": "en_GB"}
# Swedish writes the time with a full stop (kl. 09.00), British English with a colon
TIME_PATTERNS = {"sv": "HH.mm", "en": "HH:mm"}


def _locale(language: str) -> str:
    return LOCALES.get(language, LOCALES["sv"])


def local(dt: datetime) -> datetime:
    """The moment in Swedish time (a naive datetime is taken as UTC, as stored)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(STOCKHOLM)


def weekday_date(dt: datetime, language: str) -> str:
    """For example fredag 12 juni / Friday 12 June."""
    return format_date(local(dt).date(), "EEEE d MMMM", locale=_locale(language))


def date_time(dt: datetime, language: str) -> str:
    """For example måndag 15 juni kl. 09.00 / Monday 15 June at 09:00."""
    moment = local(dt)
    # a naive time: Babel then formats it as it is instead of converting it to UTC
    clock = format_time(
        moment.time(), TIME_PATTERNS.get(language, TIME_PATTERNS["sv"]), locale=_locale(language)
    )
    return t(language, "checkin.date_time", date=weekday_date(moment, language), time=clock)


def short_date(value: datetime | date, language: str) -> str:
    """For example 12 juni 2026 / 12 June 2026."""
    day = local(value).date() if isinstance(value, datetime) else value
    return format_date(day, "d MMMM y", locale=_locale(language))


def day_of_year(month_day: str, language: str) -> str:
    """A calendar day "MM-DD" in words: 15 april / 15 April (the text itself when it is none)."""
    try:
        month, day = (int(part) for part in month_day.split("-"))
        return format_date(date(2023, month, day), "d MMMM", locale=_locale(language))
    except ValueError:
        return month_day
