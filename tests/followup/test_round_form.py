"""HR's forms read strictly: what a submit may carry, and the problems named per field."""

from __future__ import annotations

from datetime import date

from followup.policy import Policy
from followup.round_form import read_new_round, read_principal


def test_a_good_form_becomes_a_round_in_swedish_time() -> None:
    form, errors = read_new_round(
        {
            "title": "  Delår   1 2027 ",
            "departments": "1,3",
            "opens": "2027-04-15",
            "deadline": "2027-05-06",
            "reminders": "2; 7, 7",
            "cap": 3,
            "k": "4",
            "section_activity_status": "identified",
            "section_strengths_needs": "private",
            "section_principles": "skip",
            "section_confidence": "confidential",
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


def test_every_bad_field_is_named_and_odd_types_are_not_trusted() -> None:
    _, errors = read_new_round(
        {
            "title": "x" * 121,
            "departments": "2,99",
            "opens": "15 april",
            "deadline": ["2027-05-06"],
            "reminders": "-1",
            "cap": "två",
            "k": True,
            "section_confidence": "public",
        },
        departments={1, 2},
        default_k=3,
        policy=Policy(),
    )
    assert [(e.name, e.code) for e in errors] == [
        ("title", "too_long"),
        ("departments", "bad_choice"),
        ("opens", "bad_date"),
        ("deadline", "required"),
        ("reminders", "bad_offsets"),
        ("cap", "bad_number"),
        ("section_confidence", "bad_choice"),
    ]


def test_a_principal_is_a_upn_or_an_object_id() -> None:
    assert read_principal({"principal": " Eva.Lindgren@Kommun.se "}) == "eva.lindgren@kommun.se"
    guid = "6B0E7C1A-2F3D-4E5A-9B6C-7D8E9F0A1B2C"
    assert read_principal({"principal": guid}) == guid.lower()
    for bad in ("eva", "eva@", "a b@c.se", "", None, 42):
        assert read_principal({"principal": bad}) is None
