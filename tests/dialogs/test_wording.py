"""The catalogue as a first reader reads it: the wordings found awkward are gone, and every text
about a number of things reads right for 0, 1 and 2 in both languages."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime

import pytest

from dialogs.hr_running import remind_lines
from dialogs.texts import LANGUAGES, catalogue, t
from followup.hr.operations import Reminded
from followup.policy import Policy
from followup.rounds.progress import Reminding
from storage.models import Round


def _texts(language: str) -> dict[str, str]:
    """Every text of the catalogue (each plural form on its own), commands left out."""
    out: dict[str, str] = {}
    for key, entry in catalogue(language).items():
        if isinstance(entry, dict):
            out |= {f"{key}[{form}]": text for form, text in entry.items()}
        elif isinstance(entry, str):
            out[key] = entry
    return out


# what a first reader of the Swedish found awkward (issue 20), and their kind
AWKWARD = [
    "Påminnelser som skickas nu:",
    "Så många påminnelser som omgången tillåter har redan gått till",
    "Frånvarande, hoppas över",
    "HR ser bara summor",
    "statusar",  # "aktivitetsstatusar": say what was answered about the activities' status
    "Val: ",
    "Fritexter: ",
    "Kom med i listan genom",
    "Går ej att nå",
    "i medel (",
]


@pytest.mark.parametrize("phrase", AWKWARD)
def test_the_wordings_a_first_reader_stumbled_on_are_gone(phrase: str) -> None:
    found = {k: v for k, v in _texts("sv").items() if phrase.casefold() in v.casefold()}
    assert not found, found


def test_a_question_is_never_followed_by_a_colon() -> None:
    # "Hur trygg känner du dig …?: svaret finns inte" — a label that may be a question is quoted
    for language in LANGUAGES:
        stacked = {k: v for k, v in _texts(language).items() if "?:" in v or "{field}:" in v}
        assert not {k: v for k, v in stacked.items() if k.startswith("checkin.")}, stacked
    answer = t("sv", "checkin.error.not_offered", field="Hur trygg känner du dig?")
    assert answer == (
        "Svaret på ”Hur trygg känner du dig?” finns inte bland alternativen – välj ett av dem."
    )


def test_my_answers_is_not_titled_as_if_just_sent_in() -> None:
    # `mina svar` shows the receipt long after sending in, or answers never sent in
    assert t("sv", "checkin.receipt.title") == "Dina svar"
    assert t("en", "checkin.receipt.title") == "Your answers"
    assert t("sv", "checkin.receipt.thanks").startswith("Tack!")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_about_a_count_has_a_form_for_one_and_for_many() -> None:
    """A number said with `{count}` takes a plural entry in both languages: the one mechanism
    (Babel's plural rules, chosen by `t`), so "1 påminnelse", "2 påminnelser"."""
    for language in LANGUAGES:
        for key, entry in catalogue(language).items():
            if isinstance(entry, str) and "count" in _placeholders(entry):
                pytest.fail(f"{language}: {key} says a count but has no plural forms")
            if isinstance(entry, dict):
                assert {"one", "other"} <= set(entry), (language, key)


def _example(name: str) -> object:
    return {"date": date(2027, 3, 3)}.get(name, f"<{name}>")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_count_renders_for_none_one_and_two(language: str) -> None:
    for key, entry in catalogue(language).items():
        if not isinstance(entry, dict):
            continue
        names = set().union(*(_placeholders(form) for form in entry.values())) - {"count"}
        params = {name: _example(name) for name in names}
        for count in (0, 1, 2):
            shown = t(language, key, count=count, **params)
            # the number itself, or for one a word for it ("En aktivitet", "a week")
            assert str(count) in shown or count == 1, (key, count, shown)
            assert "{" not in shown, (key, shown)


# a count's key, then what 1 and 2 read as: Swedish, English
ONE_AND_TWO = {
    "round.reminded": ("1 påminnelse", "2 påminnelser", "1 reminder is", "2 reminders are"),
    "round.reminded_at_cap": ("1 chef har", "2 chefer har", "1 manager has", "2 managers have"),
    "round.count.invited": ("1 inbjuden", "2 inbjudna", "1 invited", "2 invited"),
    "mydata.round.choices": ("1 valt svar", "2 valda svar", "1 choice", "2 choices"),
    "mydata.round.texts": ("1 fritext", "2 fritexter", "1 free text", "2 free texts"),
    "hr.round.reach": ("Når 1 chef", "Når 2 chefer", "1 manager", "2 managers"),
    "hr.round.on_leave": ("1 chef är", "2 chefer är", "1 manager is", "2 managers are"),
    "cli.results_queued": ("1 meddelande", "2 meddelanden", "1 message", "2 messages"),
}


@pytest.mark.parametrize("key", ONE_AND_TWO)
def test_one_and_two_of_a_thing(key: str) -> None:
    sv_one, sv_two, en_one, en_two = ONE_AND_TWO[key]
    for language, count, words in (
        ("sv", 1, sv_one),
        ("sv", 2, sv_two),
        ("en", 1, en_one),
        ("en", 2, en_two),
    ):
        assert words in t(language, key, count=count, when="", names=""), (key, language)


def test_the_counts_of_a_status_line_agree_with_their_numbers() -> None:
    counts = {
        what: t("sv", f"round.count.{what}", count=n)
        for what, n in (
            ("invited", 1),
            ("delivered", 1),
            ("started", 0),
            ("submitted", 0),
            ("unreachable", 0),
            ("on_leave", 2),
        )
    }
    line = t("sv", "round.status_line", name="IFO", **counts)
    assert line == (
        "IFO: 1 inbjuden, 1 nådd, 0 har börjat svara, 0 har skickat in, 0 går inte att nå, "
        "2 är frånvarande"
    )


def test_a_date_given_to_a_text_is_written_in_words_with_its_year() -> None:
    assert t("sv", "roster.state.left", date=date(2027, 3, 3)) == "Slutade 3 mars 2027"
    assert t("en", "roster.state.left", date=date(2027, 3, 3)) == "Left on 3 March 2027"
    assert not any(
        re.search(r"\d{4}-\d\d-\d\d", v)
        for v in _texts("sv").values()
        if "ÅÅÅÅ" not in v and "--" not in v
    )


def test_what_a_reminder_did_is_said_in_sentences_one_number_each() -> None:
    """Teams and the CLI say it alike: how many go out, and apart how many the cap leaves out."""
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def said(reminding: Reminding, later: datetime | None = None) -> list[str]:
        reminded = Reminded(Round(title="Delår 2"), reminding, later)
        return remind_lines(reminded, "sv", policy=Policy(), now=now)

    assert said(Reminding(reminded=1)) == ["1 påminnelse skickas nu."]
    assert said(Reminding(reminded=2, at_cap=1)) == [
        "2 påminnelser skickas nu.",
        "1 chef har redan fått så många påminnelser som omgången tillåter och påminns inte igen.",
    ]
    morning = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert said(Reminding(reminded=3), morning) == [
        "3 påminnelser skickas tisdag 1 december kl. 08.00."
    ]
    assert said(Reminding(at_cap=4)) == [t("sv", "hr.remind.none")]
