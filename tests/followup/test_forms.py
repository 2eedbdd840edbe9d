"""A form's problems as the person filling it in meets them: every one at once, each under the
field it is about, with the words' code and what fills them in."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainValidator

from followup.forms import FormError, check, problem, renamed


def _weekday(value: Any) -> str:
    if value not in ("mån", "tis", "ons"):
        raise problem("not_offered", value=str(value)[:10])
    return str(value)


class Meeting(BaseModel):
    """A made-up card form: a title, a number of seats, a day, and a nested list of guests."""

    title: Annotated[str, Field(min_length=1, max_length=12)]
    seats: int
    day: Annotated[str, PlainValidator(_weekday)]
    guests: dict[str, Guest] = {}


class Guest(BaseModel):
    name: Annotated[str, Field(min_length=1)]


Meeting.model_rebuild()


def test_a_good_form_is_read_and_has_no_problems() -> None:
    form, errors = check(Meeting, {"title": "Ledningsmöte", "seats": "8", "day": "tis"})
    assert errors == []
    assert form is not None and (form.title, form.seats, form.day) == ("Ledningsmöte", 8, "tis")


def test_every_problem_is_named_by_its_field_in_the_forms_order() -> None:
    form, errors = check(
        Meeting,
        {
            "title": "Ett alldeles för långt namn",
            "seats": "åtta",
            "day": "lör",
            "guests": {"12": {"name": ""}},
        },
    )
    assert form is None
    assert errors == [
        FormError("title", "too_long", {"max": 12}),  # the limit, to say in the text
        FormError("seats", "bad_number"),
        FormError("day", "not_offered", {"value": "lör"}),  # a check's own words and values
        FormError("guests.12.name", "required"),  # nested: the dotted path to the input
    ]


def test_a_field_left_out_or_empty_is_required() -> None:
    _, errors = check(Meeting, {"title": ""})
    assert errors == [
        FormError("title", "required"),
        FormError("seats", "required"),
        FormError("day", "required"),
    ]


def test_a_check_is_given_what_the_caller_knows() -> None:
    def _known(value: Any, info: Any) -> str:
        if value not in (info.context or {}).get("rooms", ()):
            raise problem("bad_choice")
        return str(value)

    class Booking(BaseModel):
        room: Annotated[str, PlainValidator(_known)]

    assert check(Booking, {"room": "A1"}, context={"rooms": ("A1",)})[1] == []
    assert check(Booking, {"room": "A1"})[1] == [FormError("room", "bad_choice")]


def test_problems_can_be_named_by_the_card_inputs_they_came_from() -> None:
    _, errors = check(Meeting, {"title": "Möte", "seats": "x", "day": "tis"})
    inputs = renamed(errors, lambda name: f"meeting_{name}")
    assert inputs == [FormError("meeting_seats", "bad_number")]
