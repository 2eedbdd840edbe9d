"""Dates outside the reader's year carry the year, wherever a date is shown; the reader's "today"
comes from the injected clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dialogs.check_in_answers import receipt_card
from dialogs.check_in_cards import invitation_card, step_card
from dialogs.consortium_cards import consortium_card, consortium_report
from dialogs.digest_cards import digest_card, digest_files
from dialogs.formatting import date_time, weekday_date
from dialogs.hr_cards import analysis_card, calendar_card, round_card, rounds_card
from dialogs.import_messages import describe_problem
from dialogs.my_data_cards import my_data_card
from dialogs.people_cards import roles_card
from dialogs.texts import t
from followup.digest.consortium import ConsortiumDigest, ConsortiumFigures
from followup.hr.roles import RoleHolder
from followup.imports.plan_checks import parse_plan
from followup.imports.problems import ImportRejected
from followup.policy import Policy
from followup.privacy.my_data import MyData, RosterDetails
from followup.rounds.lifecycle import Audience
from followup.rounds.progress import RoundRow
from followup.sections import DEFAULT_SECTIONS
from storage.models import Programme, Role, Round, RoundState
from tests.cards import assert_valid_cards, seen
from tests.dialogs.test_check_in_cards import make_check_in, texts
from tests.followup.digest.test_report import a_digest
from tests.followup.helpers import write_xlsx

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


# --- every card family: "3 mars" in the reader's year, "3 mars 2027" in another --------------

MARCH = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)  # 10.00 on Wednesday 3 March 2027 in Stockholm
SAME_YEAR = date(2027, 1, 11)  # the reader's day in the year of the date shown
YEAR_BEFORE = date(2026, 12, 14)  # the reader's day the year before
DAYS = {
    ("sv", SAME_YEAR): "3 mars",
    ("sv", YEAR_BEFORE): "3 mars 2027",
    ("en", SAME_YEAR): "3 March",
    ("en", YEAR_BEFORE): "3 March 2027",
}


def a_round(**changes: Any) -> Round:
    values: dict[str, Any] = {
        "id": 9,
        "organisation_id": 1,
        "programme_id": 1,
        "title": "Uppföljning våren 2027",
        "state": RoundState.DRAFT.value,
        "opens_at": None,
        "deadline": MARCH,
        "reminder_offsets": [],
        "reminder_cap": 2,
        "sections": dict(DEFAULT_SECTIONS),
        "k": 3,
        "created_by": "kristina.wasterberg@kommunen.se",
    }
    return Round(**(values | changes))


def analysed() -> Round:
    return a_round(
        state=RoundState.CLOSED.value,
        opens_at=datetime(2027, 2, 1, 7, 0, tzinfo=UTC),
        closed_at=MARCH,
        analysis="Tryggheten har ökat.",
        analysis_at=MARCH,
    )


def the_round(language: str, today: date) -> dict[str, Any]:
    nobody = Audience(invited=[], on_leave=[])
    return round_card(a_round(), language, audience=nobody, departments=[], zone=ZONE, today=today)


def the_rounds(language: str, today: date) -> dict[str, Any]:
    row = RoundRow(a_round(state=RoundState.OPEN.value), 4, 2)
    return rounds_card([row], language, zone=ZONE, today=today)


def the_calendar(language: str, today: date) -> dict[str, Any]:
    programme = Programme(
        id=1,
        organisation_id=1,
        code="CHEF",
        title="Chefsprogrammet",
        start_year=2026,
        end_year=2028,
        round_opens=["03-03"],
        answer_days=21,
    )
    upcoming = ("Uppföljning våren 2027", MARCH.date())
    return calendar_card(programme, language, next_opening=upcoming, policy=Policy(), today=today)


def the_analysis(language: str, today: date) -> dict[str, Any]:
    return analysis_card(analysed(), language, zone=ZONE, today=today)


def the_analysed_round(language: str, today: date) -> dict[str, Any]:
    nobody = Audience(invited=[], on_leave=[])
    return round_card(analysed(), language, audience=nobody, departments=[], zone=ZONE, today=today)


def the_roles(language: str, today: date) -> dict[str, Any]:
    holder = RoleHolder("anna.hr@kommunen.se", Role.HR_ADMIN, None, None, "it@kommunen.se", MARCH)
    return roles_card([holder], language, zone=ZONE, today=today)


def my_data(language: str, today: date) -> dict[str, Any]:
    roster = RosterDetails(
        name="Örjan Ålund",
        upn="orjan.alund@kommunen.se",
        email="orjan.alund@kommunen.se",
        department="Äldreomsorg",
        unit="",
        aad_object_id=None,
        active=True,
        on_leave_until=None,
        source="import",
        created_at=MARCH,
        updated_at=MARCH,
    )
    data = MyData(
        chef_id=12,
        organisation_id=1,
        organisation="Kommunen",
        retention_months=24,
        retention_action="purge",
        keep_identified_statuses=False,
        roster=roster,
        conversations=(),
        rounds=(),
    )
    lifetime = timedelta(minutes=15)
    return my_data_card(
        data, language, downloads=False, link_lifetime=lifetime, zone=ZONE, today=today
    )


def the_step(language: str, today: date) -> dict[str, Any]:
    check_in = make_check_in()
    area = check_in.areas[0]
    due = replace(area.items[1], due=MARCH.date(), owner="")
    check_in = replace(check_in, areas=(replace(area, items=(due,)), *check_in.areas[1:]))
    return step_card(check_in, "area:BL", language, today=today)


def the_receipt(language: str, today: date) -> dict[str, Any]:
    sent = replace(make_check_in(submitted=True), submitted_at=MARCH)
    return receipt_card(sent, language, can_change=False, zone=ZONE, today=today)


def the_digest(language: str, today: date) -> dict[str, Any]:
    digest = a_digest(round=a_digest().round.model_copy(update={"closed_at": MARCH}))
    return digest_card(digest_files(digest, language, zone=ZONE), today=today)


def the_shared_digest(language: str, today: date) -> dict[str, Any]:
    waiting = ConsortiumFigures("2027-spring", 3, sealed=True, members=[])
    shared = ConsortiumDigest("FoU Dalarna", "Ledarskap", "", MARCH, waiting, ["2027-spring"])
    report = consortium_report(shared, language, zone=ZONE, today=today)
    return consortium_card(report, language=language)


# each card family, and the line on it that carries the day (`day`: as the reader reads it)
FAMILIES: dict[str, tuple[Callable[[str, date], dict[str, Any]], Callable[[str, str], str]]] = {
    "round": (the_round, lambda lang, day: f"{t(lang, 'hr.round.deadline')}: {day}"),
    "rounds": (
        the_rounds,
        lambda lang, day: t(
            lang, "hr.rounds.row", state=t(lang, "state.open"), rate="50 %", deadline=day
        ),
    ),
    "calendar": (
        the_calendar,
        lambda lang, day: t(lang, "hr.calendar.next", title="Uppföljning våren 2027", date=day),
    ),
    "analysis": (
        the_analysis,
        lambda lang, day: (
            f"{t(lang, 'hr.analysis.last_saved', date=day)} " + t(lang, "hr.analysis.hint")
        ),
    ),
    "analysis line": (
        the_analysed_round,
        lambda lang, day: (
            f"{t(lang, 'hr.round.analysis')}: "
            + t(lang, "hr.round.analysis_saved.analysis", date=day)
        ),
    ),
    "roles": (
        the_roles,
        lambda lang, day: t(
            lang, "hr.roles.line", principal="anna.hr@kommunen.se", date=day, by="it@kommunen.se"
        ),
    ),
    "my data": (my_data, lambda lang, day: f"{t(lang, 'mydata.field.since')}: {day}"),
    "activity due": (the_step, lambda lang, day: t(lang, "checkin.due", date=day)),
    "receipt": (the_receipt, lambda lang, day: t(lang, "checkin.receipt.date", date=day)),
    "digest": (
        the_digest,
        lambda lang, day: t(
            lang,
            "digest.subtitle",
            organisation="Demokommunen",
            programme="Stärkt ledarskap",
            date=day,
        ),
    ),
    "shared digest": (
        the_shared_digest,
        lambda lang, day: t(lang, "consortium.subtitle", organisation="FoU Dalarna", date=day),
    ),
}


@pytest.mark.parametrize("today", [SAME_YEAR, YEAR_BEFORE], ids=["same year", "year before"])
@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_card_shows_the_year_only_when_it_is_not_the_readers(
    family: str, language: str, today: date
) -> None:
    build, line = FAMILIES[family]
    card = build(language, today)
    assert line(language, DAYS[(language, today)]) in seen(card)
    assert_valid_cards([card])


def test_the_words_hr_reads_on_a_rounds_card_this_year_and_the_year_before() -> None:
    assert "Sista dag: 3 mars" in seen(the_round("sv", SAME_YEAR))
    assert "Sista dag: 3 mars 2027" in seen(the_round("sv", YEAR_BEFORE))
    assert "öppen · 50 % har svarat · sista dag 3 mars" in seen(the_rounds("sv", SAME_YEAR))
    assert "Last day: 3 March" in seen(the_round("en", SAME_YEAR))
    assert "Last day: 3 March 2027" in seen(the_round("en", YEAR_BEFORE))


# --- a day in a message about an import file -----------------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("sv", "Datumet 1 maj 2031 ligger utanför aktivitetens år."),
        ("en", "The date 1 May 2031 is outside the activity's years."),
    ],
)
def test_a_due_day_outside_the_activitys_years_is_said_in_words_with_its_year(
    tmp_path: Path, language: str, said: str
) -> None:
    """The day HR wrote as 2031-05-01 in the file is said as every other day is, with the year
    (the message is about the year)."""
    path = write_xlsx(
        tmp_path / "plan.xlsx",
        {
            "Program": [
                ["Fält", "Värde"],
                ["Kod", "p1"],
                ["Titel", "Chefsprogrammet"],
                ["Startår", 2025],
                ["Slutår", 2027],
            ],
            "Avdelningar": [["Kod", "Namn"], ["IFO", "Individ- och familjeomsorg"]],
            "Områden": [["Kod", "Område"], ["LED", "Ledarskap"]],
            "Aktiviteter": [
                ["Kod", "Område", "Aktivitet", "Avdelningar", "År", "Klart senast"],
                ["A1", "LED", "Mentorskap", "alla", "2025", "2031-05-01"],
            ],
        },
    )
    with pytest.raises(ImportRejected) as caught:
        parse_plan(path)
    [problem] = caught.value.problems
    assert describe_problem(language, problem).endswith(f": {said}")
