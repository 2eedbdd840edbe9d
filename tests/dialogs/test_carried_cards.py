"""The cards of carried activities: the chef's step says an activity carries on from the last
round and its status then; HR's list of activities marks those that carry on and ends one."""

from __future__ import annotations

from dataclasses import replace

from dialogs.check_in_cards import step_card
from dialogs.hr_activities import activities_card
from followup.hr.activities import ActivityRow
from tests.cards import assert_valid_cards, walk
from tests.dialogs.test_check_in_cards import TODAY, make_check_in, texts


def test_a_carried_activity_says_it_carries_on_and_its_status_then() -> None:
    check_in = make_check_in(last=True)
    area = check_in.areas[0]
    carried = replace(area.items[1], carried=True, last_status="delayed")
    check_in = replace(
        check_in,
        areas=(replace(area, items=(area.items[0], carried, area.items[2])), *check_in.areas[1:]),
    )
    cards = {
        language: step_card(check_in, "area:BL", language, today=TODAY) for language in ("sv", "en")
    }
    assert_valid_cards(list(cards.values()))
    assert "Fortsätter från förra omgången – senast: Försenad" in texts(cards["sv"])
    assert "Carried over from the last round – last: Delayed" in texts(cards["en"])
    # the others keep saying what they said last round
    assert "Förra omgången: Pågår" in texts(cards["sv"])


def test_hrs_list_of_activities_marks_those_carried_and_offers_to_end_one() -> None:
    rows = [
        ActivityRow(1, "Ledarprogrammet", "A01", "Ledarforum", (2025, 2026, 2027), False),
        ActivityRow(14, "Ledarprogrammet", "A14", "Fortbildning i arbetsrätt", (2025,), True),
    ]
    cards = [activities_card(rows, language) for language in ("sv", "en")]
    assert_valid_cards(cards)
    shown = [e["text"] for e in walk(cards[0]) if e.get("type") in ("TextBlock", "TextRun")]
    assert "A14 Fortbildning i arbetsrätt – 2025 – följer med till nästa omgång" in shown
    assert "A01 Ledarforum – 2025, 2026, 2027" in shown
    choices = next(b for b in cards[0]["body"] if b["type"] == "Input.ChoiceSet")["choices"]
    assert [c["value"] for c in choices] == ["1", "14"]
    assert cards[0]["actions"][0]["data"]["action"] == "end_activity"
