"""The text catalogues: Swedish and English are both complete and take the same placeholders;
a text about a number of things reads right for one and for many."""

from __future__ import annotations

import string

import pytest
from babel import Locale

from dialogs.help import help_text
from dialogs.hr_cards import calendar_card, department_choices
from dialogs.texts import LANGUAGES, Entry, catalogue, t
from followup.policy import Policy
from storage.models import Department, Programme
from tests.cards import walk
from tests.dialogs.checkin_world import KARIN, Client, Connector, activity, post, texts_to


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _forms(entry: Entry) -> dict[str, str]:
    assert not isinstance(entry, list)
    return entry if isinstance(entry, dict) else {"other": entry}


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    sv, en = catalogue("sv"), catalogue("en")
    assert set(sv) == set(en), set(sv) ^ set(en)
    for key in sv:
        if isinstance(sv[key], list) or isinstance(en[key], list):
            # the words a command is typed as: each language has its own, at least one
            assert isinstance(sv[key], list) and isinstance(en[key], list), key
            assert all(isinstance(w, str) and w.strip() for w in [*sv[key], *en[key]]), key
            assert sv[key] and en[key], key
            continue
        # a plural entry has "other" and only categories the language has; the form for one may
        # spell the number out, so {count} aside every form takes the same placeholders
        wanted = _placeholders(_forms(sv[key])["other"]) - {"count"}
        for language, entry in (("sv", sv[key]), ("en", en[key])):
            forms = _forms(entry)
            categories = Locale.parse(language).plural_form.tags | {"other"}
            assert "other" in forms and set(forms) <= categories, (key, language)
            for form in forms.values():
                assert _placeholders(form) - {"count"} == wanted, (key, language)
                assert form.strip(), (key, language)
            if isinstance(entry, dict):
                assert "count" in _placeholders(forms["other"]), (key, language)


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
    assert "förändringsledare" in help_text("sv", k=3)
    assert "change leaders" in help_text("en", k=3)
    assert t("en", "cli.file_missing", file="x.xlsx") == "The file x.xlsx does not exist."


def test_one_and_two_read_right_in_both_languages() -> None:
    departments = [
        (Department(id=1, organisation_id=1, code="IFO", name="Individ och familj"), 1),
        (Department(id=2, organisation_id=1, code="ÄO", name="Äldreomsorg"), 2),
    ]
    titles = {
        language: [c["title"] for c in department_choices(departments, language)["choices"]]
        for language in LANGUAGES
    }
    assert titles["sv"] == ["Individ och familj (1 chef)", "Äldreomsorg (2 chefer)"]
    assert titles["en"] == ["Individ och familj (1 manager)", "Äldreomsorg (2 managers)"]

    def calendar(days: int, language: str) -> str:
        programme = Programme(
            organisation_id=1,
            code="P",
            title="Ledarprogrammet",
            start_year=2026,
            end_year=2028,
            round_opens=list(Policy().round_opens),
            answer_days=days,
        )
        card = calendar_card(programme, language, next_opening=None, policy=Policy())
        return " ".join(str(e.get("text", "")) for e in walk(card))

    assert "Cheferna har 1 dag på sig" in calendar(1, "sv")
    assert "Cheferna har 2 dagar på sig" in calendar(2, "sv")
    assert "Managers have 1 day to answer" in calendar(1, "en")
    assert "Managers have 2 days to answer" in calendar(2, "en")
    assert t("sv", "hr.calendar.moved", count=1) == "1 planerad omgång följer den nya kalendern."
    assert t("en", "hr.calendar.moved", count=2) == "2 planned rounds follow the new calendar."
