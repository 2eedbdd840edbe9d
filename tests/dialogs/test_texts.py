"""The text catalogues: Swedish and English are both complete and take the same placeholders;
a text about a number of things reads right for one and for many."""

from __future__ import annotations

import string
from datetime import date, time, timedelta

import pytest
from babel import Locale

from dialogs.help import help_text
from dialogs.hr_cards import calendar_card, department_choices
from dialogs.texts import LANGUAGES, Entry, catalogue, t
from dialogs.welcome import welcome_card
from followup.policy import Policy
from storage.models import Department, Organisation, Programme
from tests.cards import walk
from tests.dialogs.checkin_world import (
    KARIN,
    Client,
    Connector,
    activity,
    db_of,
    organisation,
    post,
    texts_to,
)


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
        ("en-US", "förändringsledare"),
        ("en_gb", "förändringsledare"),
        ("sv-SE", "förändringsledare"),
        ("fi-FI", "förändringsledare"),  # no Finnish: Swedish, the programme's language
        (None, "förändringsledare"),
    ],
)
async def test_a_word_of_no_language_is_answered_in_the_organisations_language_whatever_the_locale(
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
        card = calendar_card(
            programme, language, next_opening=None, policy=Policy(), today=date(2026, 6, 1)
        )
        return " ".join(str(e.get("text", "")) for e in walk(card))

    assert "Cheferna har 1 dag på sig" in calendar(1, "sv")
    assert "Cheferna har 2 dagar på sig" in calendar(2, "sv")
    assert "Managers have 1 day to answer" in calendar(1, "en")
    assert "Managers have 2 days to answer" in calendar(2, "en")
    assert t("sv", "hr.calendar.moved", count=1) == "1 planerad omgång följer den nya kalendern."
    assert t("en", "hr.calendar.moved", count=2) == "2 planned rounds follow the new calendar."


def _calendar_text(language: str, policy: Policy) -> str:
    programme = Programme(
        organisation_id=1,
        code="P",
        title="Ledarprogrammet",
        start_year=2026,
        end_year=2028,
        round_opens=list(policy.round_opens),
        answer_days=policy.answer_days,
    )
    card = calendar_card(
        programme, language, next_opening=None, policy=policy, today=date(2026, 6, 1)
    )
    return " ".join(str(e.get("text", "")) for e in walk(card))


def test_the_calendar_says_when_rounds_open_and_when_hr_hears_as_the_policy_has_it() -> None:
    assert "av sig själv kl. 08.00" in _calendar_text("sv", Policy())
    assert "HR får ett meddelande en vecka innan" in _calendar_text("sv", Policy())
    later = Policy(opens_at=time(9, 30), heads_up=timedelta(days=10))
    assert "av sig själv kl. 09.30" in _calendar_text("sv", later)
    assert "HR får ett meddelande 10 dagar innan" in _calendar_text("sv", later)
    assert "opens by itself at 09:30" in _calendar_text("en", later)
    assert "HR hears of it 10 days before" in _calendar_text("en", later)
    fortnight = Policy(heads_up=timedelta(weeks=2))
    assert "HR får ett meddelande 2 veckor innan" in _calendar_text("sv", fortnight)
    assert "HR hears of it a week before" in _calendar_text("en", Policy())


def test_the_help_and_the_welcome_name_the_organisations_k() -> None:
    assert "grupper om minst 4 chefer" in help_text("sv", k=4)
    assert "groups of at least 4 managers" in help_text("en", k=4)
    card = welcome_card("sv", name="Åsa Öberg", organisation="Region Gotland", enrolled=True, k=5)
    facts = [f["value"] for e in walk(card) if e.get("type") == "FactSet" for f in e["facts"]]
    assert any("grupper om minst 5 chefer" in value for value in facts)


async def test_help_in_teams_names_the_organisations_default_k(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    organisation_id, _ = await organisation(db)
    async with db.session() as session, session.begin():
        org = await session.get(Organisation, organisation_id)
        assert org is not None
        org.default_k = 6
    await post(client, activity(connector, KARIN, text="hjälp"))
    assert "grupper om minst 6 chefer" in texts_to(connector, KARIN)[-1]
