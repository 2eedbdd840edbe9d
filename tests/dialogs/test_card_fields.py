"""Card inputs read into the domain's forms, and the domain's problems named by their inputs."""

from __future__ import annotations

from dialogs.card_fields import read_date, read_new_round, read_principal
from followup.forms import FormError
from followup.policy import Policy


def test_a_new_round_card_is_read_and_its_problems_name_the_inputs() -> None:
    values = {
        "title": "Delår 1",
        "deadline": "2027-05-06",
        "section_activity_status": "identified",
        "section_confidence": "public",
        "section_principles": "skip",
    }
    _, errors = read_new_round(values, departments=set(), default_k=3, policy=Policy())
    assert errors == [FormError("section_confidence", "bad_choice")]
    values["section_confidence"] = "private"
    form, errors = read_new_round(values, departments=set(), default_k=3, policy=Policy())
    assert errors == []
    assert form.sections == {"activity_status": "identified", "confidence": "private"}


def test_a_date_input_keeps_its_name_in_the_problem() -> None:
    errors: list[FormError] = []
    assert read_date({"until": "i morgon"}, "until", errors) is None
    assert errors == [FormError("until", "bad_date", {"value": "i morgon"})]


def test_a_principal_is_a_upn_or_an_object_id() -> None:
    assert read_principal({"principal": " Eva.Lindgren@Kommun.se "}) == "eva.lindgren@kommun.se"
    guid = "6B0E7C1A-2F3D-4E5A-9B6C-7D8E9F0A1B2C"
    assert read_principal({"principal": guid}) == guid.lower()
    for bad in ("eva", "eva@", "a b@c.se", "", None, 42):
        assert read_principal({"principal": bad}) is None
