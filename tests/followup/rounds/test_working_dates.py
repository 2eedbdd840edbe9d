"""Dates a municipality expects: default last days and calendar openings on working days."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from dialogs.formatting import stored_title_of
from dialogs.hr_cards import extend_card, new_round_card
from dialogs.outbox_renderer import OutboxRenderer
from followup.policy import Policy
from followup.rounds.calendar import next_opening, open_due_rounds, plan_rounds, send_heads_up
from followup.rounds.form import suggested_last_day
from followup.rounds.lifecycle import Audience
from followup.rounds.workdays import default_last_day, is_working_day
from storage.database import Database
from storage.models import Department, OutboxMessage, Programme, Round
from tests.cards import assert_valid_cards
from tests.dialogs.checkin_world import inputs
from tests.followup.check_in.test_steps import demo
from tests.followup.rounds.test_calendar import hr_with_the_app
from tests.followup.rounds.test_lifecycle import everyone_at_work

SE = ZoneInfo("Europe/Stockholm")


def test_a_round_made_on_a_thursday_never_ends_on_a_sunday() -> None:
    thursday = date(2026, 11, 26)
    # 24 days to answer from a Thursday: a Sunday, 20 December
    policy = Policy(answer_days=24)
    assert (thursday + timedelta(days=24)).weekday() == 6
    last = suggested_last_day(thursday, policy=policy)
    assert is_working_day(last) and last > thursday + timedelta(days=24)
    # and neither reminder (7 and 2 days before) falls on a weekend or a holiday
    assert all(is_working_day(last - timedelta(days=d)) for d in policy.reminder_offsets)
    assert last == date(2026, 12, 23)  # a Wednesday; reminders on Wednesday 16 and Monday 21


def test_the_default_three_weeks_skip_christmas_and_easter() -> None:
    # three weeks from 4 December 2026 is Christmas Day: the first working day whose reminders
    # are on working days too is Wednesday 30 December (29 would remind on Sunday 27)
    assert default_last_day(date(2026, 12, 4), answer_days=21, reminder_offsets=(7, 2)) == date(
        2026, 12, 30
    )
    # Good Friday 2027 (26 March): past Easter Monday to Thursday 1 April, whose reminder two
    # days before is on Tuesday (Wednesday's would be on Easter Monday)
    assert default_last_day(date(2027, 3, 5), answer_days=21, reminder_offsets=(7, 2)) == date(
        2027, 4, 1
    )
    # no reminders: just the next working day
    assert default_last_day(date(2026, 11, 26), answer_days=24, reminder_offsets=()) == date(
        2026, 12, 21
    )
    # a day that already suits is kept
    assert default_last_day(date(2026, 11, 19), answer_days=21, reminder_offsets=(7, 2)) == date(
        2026, 12, 10
    )


async def test_a_calendar_round_due_on_a_sunday_opens_on_monday_morning(db: Database) -> None:
    org, programme_id, karin = await demo(db)
    await everyone_at_work(db, org)
    await hr_with_the_app(db, org, karin)
    async with db.session() as s, s.begin():
        programme = await s.get(Programme, programme_id)
        assert programme is not None
        programme.end_year = 2028  # 15 October 2028 is a Sunday
    policy = Policy()
    # before it is planned, the calendar card's "next round" names the day it will open
    assert programme.id is not None
    upcoming = await next_opening(
        db,
        programme=programme,
        now=datetime(2028, 8, 20, 12, tzinfo=SE),
        policy=policy,
        title_of=stored_title_of(),
    )
    assert upcoming == ("Uppföljning hösten 2028", date(2028, 10, 16))
    [planned] = await plan_rounds(
        db, now=datetime(2028, 9, 10, 12, tzinfo=SE), policy=policy, title_of=stored_title_of()
    )
    async with db.session() as s:
        round_ = await s.get(Round, planned)
    assert round_ is not None and round_.title == "Uppföljning hösten 2028"
    assert round_.opens_at == datetime(2028, 10, 16, 8, tzinfo=SE)  # Monday, 08:00
    # three weeks from the day it really opens, on a working day
    assert round_.deadline == datetime(2028, 11, 8, 23, 59, tzinfo=SE)

    # nothing opens on the Sunday; it opens on Monday at eight
    assert await open_due_rounds(db, now=datetime(2028, 10, 15, 8, tzinfo=SE), policy=policy) == []
    # the heads-up a week before names the real day
    assert await send_heads_up(db, now=datetime(2028, 10, 9, 9, tzinfo=SE), policy=policy) == 2
    async with db.session() as s:
        heads_up = (
            await s.exec(select(OutboxMessage).where(OutboxMessage.kind == "heads_up"))
        ).first()
    assert heads_up is not None
    render = OutboxRenderer(db, policy=policy, clock=lambda: datetime(2028, 10, 9, 9, tzinfo=SE))
    activity = await render(heads_up, "sv-SE")
    assert activity is not None and "måndag 16 oktober" in activity["summary"]
    assert "söndag" not in activity["summary"]
    opened = await open_due_rounds(db, now=datetime(2028, 10, 16, 8, tzinfo=SE), policy=policy)
    assert opened == [planned]


def test_hrs_forms_suggest_working_days() -> None:
    """The new-round form's last day and the extend form's "a week later", as HR sees them."""
    programme = Programme(id=1, organisation_id=1, code="p", title="Programmet")
    form = new_round_card(
        "sv",
        programmes=[programme],
        departments=[(Department(id=1, organisation_id=1, code="ÄO", name="Äldreomsorg"), 4)],
        everyone=Audience(),
        today=date(2026, 12, 4),  # a Friday: three weeks on is Christmas Day
        k=3,
        policy=Policy(),
    )
    assert inputs(form)["deadline"]["value"] == "2026-12-30"
    round_ = Round(
        id=3,
        organisation_id=1,
        title="Delår 1",
        deadline=datetime(2027, 4, 29, 23, 59, tzinfo=SE),
        created_by="hr",
    )
    extend = extend_card(round_, "sv", today=date(2027, 4, 20), zone=SE)
    # a week after Thursday 29 April is Ascension Day: Friday 7 May
    assert inputs(extend)["deadline"]["value"] == "2027-05-07"
    assert_valid_cards([form, extend])
