"""The text catalogues: Swedish and English are both complete and take the same placeholders."""

from __future__ import annotations

import string

import pytest

from dialogs.help import help_text
from dialogs.texts import catalogue, t
from tests.dialogs.checkin_world import KARIN, Client, Connector, activity, post, texts_to


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    sv, en = catalogue("sv"), catalogue("en")
    assert set(sv) == set(en), set(sv) ^ set(en)
    for key in sv:
        assert _placeholders(sv[key]) == _placeholders(en[key]), key
        assert sv[key].strip() and en[key].strip(), key


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", "change leaders"),
        ("en_gb", "change leaders"),
        ("sv-SE", "förändringsledare"),
        ("fi-FI", "förändringsledare"),  # no Finnish: Swedish, the programme's language
        (None, "förändringsledare"),
    ],
)
async def test_a_word_of_no_language_is_answered_in_the_teams_locale(
    client: Client, connector: Connector, locale: str | None, expected: str
) -> None:
    await post(client, activity(connector, KARIN, text="?", locale=locale))
    assert expected in texts_to(connector, KARIN)[-1]


def test_help_text_in_both_languages() -> None:
    assert "förändringsledare" in help_text("sv")
    assert "change leaders" in help_text("en")
    assert t("en", "cli.file_missing", file="x.xlsx") == "The file x.xlsx does not exist."
