"""The welcome card: what Ledarpuls is for and who sees what, valid in both languages."""

from __future__ import annotations

from dialogs.welcome import welcome_card
from tests.cards import assert_valid_cards, card_events


def test_welcome_cards_pass_the_reference_renderer() -> None:
    cards = [
        welcome_card(
            language, name="Åsa Öberg", organisation="Region Gotland", enrolled=enrolled, k=3
        )
        for language in ("sv", "en")
        for enrolled in (False, True)
    ]
    assert_valid_cards(cards)


def test_the_validator_does_catch_a_broken_card() -> None:
    broken = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlok", "text": "x"}, {"type": "Input.Text"}],
    }
    [events] = card_events([broken])
    assert len(events) == 2


def test_the_welcome_says_who_sees_what() -> None:
    card = welcome_card("sv", name="Åsa Öberg", organisation="Region Gotland", enrolled=False, k=3)
    titles = [f["title"] for f in card["body"][3]["facts"]]
    assert titles == ["Med ditt namn", "Bara som sammanställning", "Citat"]
    assert card["body"][0]["text"] == "Välkommen till Ledarpuls, Åsa!"
