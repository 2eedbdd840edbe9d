"""The text catalogues: Swedish and English are both complete and take the same placeholders."""

from __future__ import annotations

import string

from dialogs.help import help_text
from dialogs.texts import LANGUAGES, catalogue, language_of, t


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    sv, en = catalogue("sv"), catalogue("en")
    assert set(sv) == set(en), set(sv) ^ set(en)
    for key in sv:
        assert _placeholders(sv[key]) == _placeholders(en[key]), key
        assert sv[key].strip() and en[key].strip(), key


def test_swedish_is_written_with_swedish_letters() -> None:
    swedish = " ".join(catalogue("sv").values())
    assert all(letter in swedish for letter in "åäöÅÄÖ"[:3])
    assert "hjalp" not in swedish.casefold()


def test_language_follows_the_teams_locale() -> None:
    assert language_of("en-US") == "en"
    assert language_of("en_gb") == "en"
    assert language_of("sv-SE") == "sv"
    assert language_of("fi-FI") == "sv"
    assert language_of(None) == "sv"
    assert LANGUAGES[0] == "sv"


def test_help_text_in_both_languages() -> None:
    assert "förändringsledare" in help_text("sv")
    assert "change leaders" in help_text("en")
    assert t("en", "cli.file_missing", file="x.xlsx") == "The file x.xlsx does not exist."
