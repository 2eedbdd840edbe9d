"""One date style: the day and month in words, the year only when it is not the reader's year,
Swedish clock "17.00"; the same in English."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from followup.dates import clock, day_text, moment_day, moment_text, month_day_text
from followup.policy import Policy

ZONE = Policy().zone
MARCH = date(2027, 3, 3)  # a Wednesday


def test_a_day_of_the_readers_year_is_said_without_the_year() -> None:
    today = date(2027, 1, 10)
    assert day_text(MARCH, "sv", today=today) == "3 mars"
    assert day_text(MARCH, "en", today=today) == "3 March"
    assert day_text(MARCH, "sv", today=today, weekday=True) == "onsdag 3 mars"
    assert day_text(MARCH, "en", today=today, weekday=True) == "Wednesday 3 March"


def test_a_day_of_another_year_is_said_with_its_year() -> None:
    today = date(2026, 11, 30)
    assert day_text(MARCH, "sv", today=today) == "3 mars 2027"
    assert day_text(MARCH, "en", today=today) == "3 March 2027"
    # and so is every day in a document, which outlives the day it was made
    assert day_text(MARCH, "sv", today=None) == "3 mars 2027"


def test_around_new_year_the_year_is_the_readers_in_the_zone() -> None:
    eve = date(2026, 12, 31)
    assert day_text(date(2026, 12, 31), "sv", today=eve) == "31 december"
    assert day_text(date(2027, 1, 1), "sv", today=eve) == "1 januari 2027"
    assert day_text(date(2026, 12, 31), "en", today=date(2027, 1, 1)) == "31 December 2026"
    # 23.30 UTC on New Year's Eve is already 1 January in Stockholm
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert moment_day(late, "sv", zone=ZONE, today=eve) == "1 januari 2027"
    assert moment_day(late, "sv", zone=ZONE, today=date(2027, 1, 1)) == "1 januari"


def test_a_moment_with_its_weekday_and_the_clock_as_each_language_writes_it() -> None:
    at_five = datetime(2027, 3, 3, 16, 0, tzinfo=UTC)  # 17.00 in Stockholm
    today = date(2027, 2, 1)
    assert moment_text(at_five, "sv", zone=ZONE, today=today) == "onsdag 3 mars kl. 17.00"
    assert moment_text(at_five, "en", zone=ZONE, today=today) == "Wednesday 3 March at 17:00"
    assert (
        moment_text(at_five, "sv", zone=ZONE, today=date(2026, 12, 1))
        == "onsdag 3 mars 2027 kl. 17.00"
    )
    assert clock(time(8, 5), "sv") == "08.05"
    assert clock(time(8, 5), "en") == "08:05"


def test_a_day_of_every_year_and_a_moment_given_as_a_day() -> None:
    assert month_day_text("04-15", "sv") == "15 april"
    assert month_day_text("10-15", "en") == "15 October"
    assert month_day_text("13-45", "sv") == "13-45"
    # a moment has a zone, so it is not taken for a day
    with pytest.raises(TypeError):
        day_text(datetime(2027, 3, 3, tzinfo=UTC), "sv", today=None)
