"""Swedish working days: reminders wait over weekends, public holidays and the eves."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from followup.policy import Policy
from followup.rounds.workdays import (
    days_off,
    easter_sunday,
    in_working_hours,
    is_working_day,
    next_window,
    next_working_morning,
)

SE = ZoneInfo("Europe/Stockholm")


def test_easter_in_years_we_know() -> None:
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert easter_sunday(2027) == date(2027, 3, 28)


def test_the_days_off_of_2026() -> None:
    assert days_off(2026) == {
        date(2026, 1, 1),
        date(2026, 1, 6),
        date(2026, 4, 3),  # långfredagen
        date(2026, 4, 6),  # annandag påsk
        date(2026, 5, 1),
        date(2026, 5, 14),  # Kristi himmelsfärds dag
        date(2026, 6, 6),
        date(2026, 6, 19),  # midsommarafton
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 12, 31),
    }
    assert not is_working_day(date(2027, 6, 25))  # midsommarafton 2027
    assert is_working_day(date(2026, 6, 22))


def test_a_reminder_due_before_christmas_waits_until_after_it() -> None:
    wednesday_evening = datetime(2026, 12, 23, 17, 30, tzinfo=SE)
    assert not in_working_hours(datetime(2026, 12, 24, 10, 0, tzinfo=SE), policy=Policy())
    assert next_window(wednesday_evening, policy=Policy()) == datetime(
        2026, 12, 28, 8, 0, tzinfo=SE
    )
    assert next_working_morning(wednesday_evening, policy=Policy()) == datetime(
        2026, 12, 28, 9, 0, tzinfo=SE
    )
    # Maundy Thursday afternoon → the Tuesday after Easter
    assert next_window(datetime(2027, 3, 25, 17, 0, tzinfo=SE), policy=Policy()) == datetime(
        2027, 3, 30, 8, 0, tzinfo=SE
    )
