"""Dates outside the reader's year carry the year, wherever a date is shown; the reader's "today"
comes from the injected clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from dialogs.check_in_answers import receipt_card
from dialogs.check_in_cards import invitation_card
from dialogs.formatting import date_time, weekday_date
from followup.policy import Policy
from tests.cards import assert_valid_cards
from tests.dialogs.test_check_in_cards import make_check_in, texts

FAR = datetime(2099, 6, 12, 12, 0, tzinfo=UTC)
ZONE = Policy().zone


def test_a_day_of_another_year_is_written_with_its_year() -> None:
    this_year = date(2099, 1, 1)
    assert weekday_date(FAR, "sv", zone=ZONE, today=this_year) == "fredag 12 juni"
    assert weekday_date(FAR, "en", zone=ZONE, today=this_year) == "Friday 12 June"
    today = date(2026, 11, 29)
    assert weekday_date(FAR, "sv", zone=ZONE, today=today) == "fredag 12 juni 2099"
    assert weekday_date(FAR, "en", zone=ZONE, today=today) == "Friday 12 June 2099"
    assert date_time(FAR, "sv", zone=ZONE, today=today) == "fredag 12 juni 2099 kl. 14.00"
    assert date_time(FAR, "en", zone=ZONE, today=today) == "Friday 12 June 2099 at 14:00"
    # a year back is another year too, and the year is the zone's (New Year's Eve in UTC)
    assert weekday_date(FAR, "sv", zone=ZONE, today=date(2100, 1, 2)) == "fredag 12 juni 2099"
    eve = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00.30 on 1 January in Stockholm
    assert weekday_date(eve, "sv", zone=ZONE, today=date(2026, 12, 31)) == "fredag 1 januari 2027"
    # no today given: the year is always there rather than a date that could be two
    assert weekday_date(FAR, "sv", zone=ZONE, today=None) == "fredag 12 juni 2099"


def test_a_chefs_cards_carry_the_year_of_a_deadline_next_year() -> None:
    check_in = replace(make_check_in(), deadline=Policy().last_moment(date(2027, 1, 15)))
    december = date(2026, 12, 20)
    invitation = invitation_card(check_in, "sv", zone=ZONE, today=december)
    assert "Svara senast fredag 15 januari 2027" in texts(invitation)
    english = invitation_card(check_in, "en", zone=ZONE, today=december)
    assert "Please answer by Friday 15 January 2027" in texts(english)
    submitted = replace(make_check_in(submitted=True), deadline=check_in.deadline)
    receipt = receipt_card(submitted, "sv", can_change=True, zone=ZONE, today=december)
    assert any("fredag 15 januari 2027" in line for line in texts(receipt))
    # in January the same deadline is this year's
    january = invitation_card(check_in, "sv", zone=ZONE, today=date(2027, 1, 4))
    assert "Svara senast fredag 15 januari" in texts(january)
    assert_valid_cards([invitation, english, receipt, january])
