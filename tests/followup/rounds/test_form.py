"""HR's forms read strictly: what a submit may carry, and the problems named per field."""

from __future__ import annotations

from datetime import date

from followup.policy import Policy
from followup.rounds.form import check_calendar, check_day, check_new_round


def test_a_good_form_becomes_a_round_in_swedish_time() -> None:
    form, errors = check_new_round(
        {
            "title": "  Delår   1 2027 ",
            "departments": "1,3",
            "opens": "2027-04-15",
            "deadline": "2027-05-06",
            "reminders": "2; 7, 7",
            "cap": 3,
            "k": "4",
            "sections": {
                "activity_status": "identified",
                "strengths_needs": "private",
                "principles": "skip",
                "confidence": "confidential",
            },
        },
        departments={1, 2, 3},
        default_k=3,
        policy=Policy(),
    )
    assert errors == []
    assert form.title == "Delår 1 2027" and form.department_ids == [1, 3]
    assert form.opens_at is not None and form.opens_at.isoformat() == "2027-04-15T08:00:00+02:00"
    assert form.deadline is not None and form.deadline.date() == date(2027, 5, 6)
    assert (form.deadline.hour, form.deadline.minute) == (23, 59)
    assert form.reminder_offsets == [7, 2] and (form.reminder_cap, form.k) == (3, 4)
    assert form.sections == {
        "activity_status": "identified",
        "strengths_needs": "private",
        "confidence": "confidential",
    }


def test_empty_numbers_take_the_defaults_and_empty_reminders_mean_none() -> None:
    form, errors = check_new_round(
        {"title": "Delår 1", "deadline": "2027-05-06", "cap": "", "k": None, "reminders": ""},
        departments=set(),
        default_k=5,
        policy=Policy(reminder_cap=4),
    )
    assert errors == []
    assert (form.reminder_cap, form.k, form.reminder_offsets) == (4, 5, [])
    assert form.opens_at is None and form.department_ids == [] and form.sections == {}


def test_every_bad_field_is_named_and_odd_types_are_not_trusted() -> None:
    _, errors = check_new_round(
        {
            "title": "x" * 121,
            "departments": "2,99",
            "opens": "15 april",
            "deadline": ["2027-05-06"],
            "reminders": "-1",
            "cap": "två",
            "k": True,
            "sections": {"confidence": "public", "no_such_section": "public"},
        },
        departments={1, 2},
        default_k=3,
        policy=Policy(),
    )
    assert [(e.name, e.code, e.params) for e in errors] == [
        ("title", "too_long", {"max": 120}),
        ("departments", "bad_choice", {}),
        ("opens", "bad_date", {"value": "15 april"}),
        ("deadline", "required", {}),
        ("reminders", "bad_offsets", {}),
        ("cap", "bad_number", {}),
        ("sections.confidence", "bad_choice", {}),
    ]


def test_a_day_is_written_iso_wise() -> None:
    assert check_day(" 2027-05-06 ") == (date(2027, 5, 6), [])
    assert check_day(None) == (None, [])
    day, errors = check_day("6/5")
    assert day is None and [(e.code, e.params) for e in errors] == [("bad_date", {"value": "6/5"})]


def test_a_calendar_opens_at_most_once_a_half_year_and_gives_1_to_120_days() -> None:
    calendar, errors = check_calendar({"opens": "9-1; 3-15, 03-15"}, policy=Policy())
    assert errors == []
    assert calendar.round_opens == ["03-15", "09-01"]
    assert calendar.answer_days == Policy().answer_days
    for given, expected in (
        ({"opens": "02-30"}, [("opens", "bad_month_day", {"value": "02-30"})]),
        ({"opens": ""}, [("opens", "required", {})]),
        ({"opens": "01-10 05-01"}, [("opens", "one_per_half", {})]),
        (
            {"opens": "04-01", "answer_days": "121"},
            [("answer_days", "out_of_range", {"low": 1, "high": 120})],
        ),
        ({"opens": "04-01", "answer_days": "två"}, [("answer_days", "bad_number", {})]),
    ):
        _, errors = check_calendar(given, policy=Policy())
        assert [(e.name, e.code, e.params) for e in errors] == expected, given
