"""The check-in's cards: valid for Teams in both languages, prefilled, read back by the server."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dialogs.card_fields import read_step
from dialogs.check_in_answers import (
    receipt_card,
    summary_card,
)
from dialogs.check_in_cards import (
    invitation_card,
    step_card,
)
from dialogs.check_in_parts import status_label
from dialogs.feedback_cards import feedback_card
from dialogs.formatting import date_time, local, short_date, short_day, weekday_date
from followup.check_in.steps import (
    SUMMARY,
    ActivityItem,
    AreaBlock,
    CheckIn,
    Feedback,
    PrincipleItem,
)
from followup.forms import FormError
from followup.policy import Policy
from followup.sections import DEFAULT_SECTIONS, MAX_TEXT, NEEDS, STATUSES, Privacy, Section
from storage.answer_store import Answers
from tests.cards import assert_valid_cards, walk

LANGUAGES = ("sv", "en")
DEADLINE = datetime(2026, 6, 12, 15, 0, tzinfo=UTC)  # a Friday; 17.00 in Stockholm
SUBMITTED_AT = datetime(2026, 6, 3, 8, 30, tzinfo=UTC)
TODAY = date(2026, 6, 1)  # the reader's day, in the round's own year

LEADERSHIP = [
    ("BL1", "Ledarforum för enhetschefer", "Fyra träffar om året med förvaltningsledningen."),
    ("BL2", "Mentorskap för nya chefer", ""),
    ("BL3", "Medarbetarsamtal med tydliga mål", "Alla medarbetare får ett samtal före årsskiftet."),
]
QUALITY_TITLES = [
    "Egenkontroller enligt ledningssystemet",
    "Avvikelsehantering i verksamhetssystemet",
    "Brukarundersökning inom äldreomsorgen",
    "Genomförandeplaner följs upp var sjätte månad",
    "Lex Sarah-utredningar inom tre veckor",
    "Rutin för synpunkter och klagomål",
    "Kvalitetsdialog med avdelningschefen",
    "Arbetsplatsträffar med kvalitetspunkt",
    "Riskanalys inför förändringar",
    "Journalgranskning två gånger om året",
    "Utbildning i dokumentation enligt SoL",
    "Samverkan med hälso- och sjukvården",
    "Uppföljning av placeringar i HVB",
    "Nyckeltal på förvaltningens tavla",
    "Förbättringsarbete med patientsäkerhetsfokus",
    "Introduktion för nyanställda",
    "Digital tillsyn nattetid",
    "Årlig kvalitetsberättelse",
]
PRINCIPLES = (
    PrincipleItem(1, "Vi utgår från den enskildes behov", "Brukaren först."),
    PrincipleItem(2, "Vi leder genom tillit", ""),
    PrincipleItem(3, "Vi tar ansvar för helheten", ""),
    PrincipleItem(4, "Vi är modiga och nyfikna", ""),
    PrincipleItem(5, "Vi kommunicerar öppet och tydligt", ""),
)


def _items(status: bool, last: bool) -> tuple[AreaBlock, ...]:
    leadership = tuple(
        ActivityItem(
            id=index + 1,
            code=code,
            title=title,
            description=description,
            owner="Åsa Öberg, HR" if index == 0 else "",
            due=date(2026, 12, 31) if index == 2 else None,
            status=STATUSES[index % len(STATUSES)] if status else None,
            comment="Vi har kommit igång på båda enheterna." if status and index != 1 else "",
            last_status="in_progress" if last else None,
        )
        for index, (code, title, description) in enumerate(LEADERSHIP)
    )
    quality = tuple(
        ActivityItem(
            id=100 + index,
            code=f"SK{index + 1}",
            title=title,
            description="Ingår i förvaltningens plan för systematiskt kvalitetsarbete. " * 2,
            owner="Kvalitetsstrateg Jönsson",
            due=date(2026, 9, 30),
            status="done" if status else None,
            comment=("Klart i maj – återkoppling på APT. " * 5).strip() if status else "",
            last_status="delayed" if last and index % 2 else None,
        )
        for index, title in enumerate(QUALITY_TITLES)
    )
    return (
        AreaBlock("BL", "Bra ledarskap", leadership),
        AreaBlock("SK", "Systematiskt kvalitetsarbete", quality),
    )


FULL_TEXTS: dict[tuple[str, str], str] = {
    (
        Section.STRENGTHS_NEEDS,
        "strengths",
    ): "Jag är lyhörd och får med mig gruppen – även när det är svårt.",
    (Section.STRENGTHS_NEEDS, "need.support"): "Handledning i svåra samtal.",
    (Section.STRENGTHS_NEEDS, "need.training"): "Kurs i förändringsledning, gärna på våren.",
    (Section.PRINCIPLES, "example"): "Vi lät medarbetarna själva planera schemat för sommaren.",
    (Section.PRINCIPLES, "grow"): "Att våga släppa kontrollen *ännu mer*.",
}
FULL_RATINGS: dict[tuple[str, str], int] = {
    (Section.STRENGTHS_NEEDS, "need.support"): 2,
    (Section.STRENGTHS_NEEDS, "need.change"): 0,
    (Section.STRENGTHS_NEEDS, "need.training"): 1,
    (Section.STRENGTHS_NEEDS, "need.networks"): 0,
    (Section.STRENGTHS_NEEDS, "need.clarity"): 1,
    (Section.PRINCIPLES, "most"): 2,
    (Section.CONFIDENCE, "confidence"): 4,
    (Section.CONSENT, "quote"): 1,
}


def make_check_in(
    *,
    answered: bool = False,
    last: bool = False,
    submitted: bool = False,
    sections: dict[str, str] | None = None,
    k: int = 3,
) -> CheckIn:
    areas = _items(status=answered, last=last)
    answers = Answers(
        statuses={i.id: (i.status, i.comment) for a in areas for i in a.items if i.status},
        texts=dict(FULL_TEXTS) if answered else {},
        ratings=dict(FULL_RATINGS) if answered else {},
    )
    return CheckIn(
        invitation_id=41,
        invitation_state="submitted" if submitted else "started",
        submitted_at=SUBMITTED_AT if submitted else None,
        round_id=7,
        round_title="Delår 1 2026",
        round_state="open",
        deadline=DEADLINE,
        programme_id=3,
        chef_id=12,
        chef_name="Örjan Ålund",
        department_id=None,
        sections=dict(DEFAULT_SECTIONS) if sections is None else sections,
        k=k,
        areas=areas,
        principles=PRINCIPLES,
        answers=answers,
    )


def inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in walk(card) if str(e.get("type", "")).startswith("Input.")]


def texts(card: dict[str, Any]) -> list[str]:
    return [e["text"] for e in walk(card) if e.get("type") == "TextBlock"]


def submits(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in walk(card) if e.get("type") == "Action.Execute"]


def values_of(card: dict[str, Any]) -> dict[str, Any]:
    """What Teams sends for the card as it is shown (prefilled values, untouched)."""
    return {e["id"]: e.get("value", "") for e in inputs(card)}


ERRORS = {
    "area:BL": [
        FormError("status:1", "required"),
        FormError("comment:3", "too_long", {"max": MAX_TEXT, "length": 1204}),
    ],
    Section.STRENGTHS_NEEDS: [
        FormError("need:support", "not_offered"),
        FormError("need_text:clarity", "too_long", {"max": MAX_TEXT, "length": 1001}),
    ],
    Section.PRINCIPLES: [FormError("principle", "required")],
    Section.CONFIDENCE: [FormError("confidence", "not_offered")],
    Section.CONSENT: [FormError("consent", "required"), FormError("step", "unknown_step")],
}


def all_cards() -> list[dict[str, Any]]:
    cards = []
    variants = [
        make_check_in(),
        make_check_in(answered=True),
        make_check_in(last=True),
        make_check_in(answered=True, submitted=True),
        replace(
            make_check_in(answered=True, submitted=True),
            changed=("area:BL", Section.CONFIDENCE),
        ),
        make_check_in(
            sections={
                Section.ACTIVITY_STATUS: Privacy.IDENTIFIED,
                Section.CONFIDENCE: Privacy.PRIVATE,
            }
        ),
    ]
    feedbacks = [
        Feedback((), (), ()),
        Feedback(
            (("Delår 1 2025", 3), ("Helår 2025", 4)),
            ("Ledarforum för enhetschefer", "Årlig kvalitetsberättelse"),
            (("support", 2, "Handledning i svåra samtal."), ("clarity", 1, "")),
        ),
    ]
    for language in LANGUAGES:
        for check_in in variants:
            cards.append(invitation_card(check_in, language, zone=Policy().zone, today=TODAY))
            for step in check_in.steps[:-1]:
                cards.append(step_card(check_in, step, language, today=TODAY))
                if step in ERRORS:
                    cards.append(step_card(check_in, step, language, ERRORS[step], today=TODAY))
            cards.append(summary_card(check_in, language))
            cards.append(
                receipt_card(check_in, language, can_change=True, zone=Policy().zone, today=TODAY)
            )
            cards.append(
                receipt_card(check_in, language, can_change=False, zone=Policy().zone, today=TODAY)
            )
        cards += [feedback_card(f, language, k=3) for f in feedbacks]
    return cards


def test_every_check_in_card_passes_the_reference_renderer() -> None:
    # one Node process for all of them
    assert_valid_cards(all_cards())


def test_twenty_activities_with_long_texts_stay_well_under_the_limit() -> None:
    check_in = make_check_in(answered=True, last=True)
    description = (
        "Enhetscheferna går igenom årets egenkontroller tillsammans med kvalitetsstrategen, "
        "dokumenterar avvikelser i verksamhetssystemet och återkopplar resultatet på "
        "arbetsplatsträffen. Arbetet följs upp av avdelningschefen i kvalitetsdialogen. "
    ) * 3
    comment = (
        "Vi har gått igenom rutinen på två arbetsplatsträffar och börjat använda den nya "
        "mallen, men sommarens bemanning gör att uppföljningen blir försenad. Vi räknar med "
        "att vara klara under hösten när alla har fått introduktion."
    )
    quality = check_in.areas[1]
    items = tuple(
        replace(i, description=description, comment=comment)
        for i in (*quality.items, *quality.items[:2])
    )
    big = replace(check_in, areas=(check_in.areas[0], replace(quality, items=items)))
    assert len(items) == 20
    for card in (step_card(big, "area:SK", "sv", today=TODAY), summary_card(big, "sv")):
        # escaped; the UTF-8 Teams gets is smaller. Each activity's status and comment name it
        # in their labels, for a screen reader (about 230 bytes an activity)
        assert len(json.dumps(card).encode()) < 38_000


# --- dates ------------------------------------------------------------------------------


def test_dates_read_as_in_sweden() -> None:
    today = date(2026, 6, 1)
    assert weekday_date(DEADLINE, "sv", zone=Policy().zone, today=today) == "fredag 12 juni"
    assert weekday_date(DEADLINE, "en", zone=Policy().zone, today=today) == "Friday 12 June"
    monday = datetime(2026, 6, 15, 7, 0, tzinfo=UTC)
    assert date_time(monday, "sv", zone=Policy().zone, today=today) == "måndag 15 juni kl. 09.00"
    assert date_time(monday, "en", zone=Policy().zone, today=today) == "Monday 15 June at 09:00"
    assert short_date(DEADLINE, "sv", zone=Policy().zone, today=today) == "12 juni"
    assert short_day(date(2026, 6, 12), "en", today=today) == "12 June"
    # a document that outlives the day: always with the year
    assert short_date(DEADLINE, "sv", zone=Policy().zone, today=None) == "12 juni 2026"
    assert short_day(date(2026, 6, 12), "en", today=None) == "12 June 2026"
    # late on New Year's Eve in UTC is already next year in Stockholm
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert local(new_year, zone=Policy().zone).year == 2027
    eve = date(2026, 12, 31)
    assert short_date(new_year, "sv", zone=Policy().zone, today=eve) == "1 januari 2027"


def test_cards_show_days_in_the_configured_zone() -> None:
    """In New York the end of Friday is Saturday morning in Stockholm; a chef there reads
    Friday, the last day they were given."""
    new_york = Policy(zone=ZoneInfo("America/New_York"))
    last_day = replace(make_check_in(), deadline=new_york.last_moment(date(2026, 6, 12)))
    today = date(2026, 6, 1)
    invitation = texts(invitation_card(last_day, "en", zone=new_york.zone, today=today))
    assert "Please answer by Friday 12 June" in invitation
    swedish = texts(invitation_card(last_day, "en", zone=Policy().zone, today=today))
    assert "Please answer by Saturday 13 June" in swedish
    receipt = texts(
        receipt_card(
            replace(make_check_in(submitted=True), deadline=last_day.deadline),
            "sv",
            can_change=True,
            zone=new_york.zone,
            today=TODAY,
        )
    )
    assert any("fredag 12 juni" in line for line in receipt)


# --- the invitation ---------------------------------------------------------------------


def test_the_invitation_says_when_how_long_and_who_sees_what() -> None:
    check_in = replace(make_check_in(), invitation_state="invited")
    card = invitation_card(check_in, "sv", zone=Policy().zone, today=date(2026, 6, 1))
    lines = texts(card)
    assert lines[0] == "Delår 1 2026"
    assert "Svara senast fredag 12 juni" in lines
    assert any("21 aktiviteter" in line and "minuter" in line for line in lines)
    assert f"{check_in.minutes()} minuter" in " ".join(lines)
    rows = {
        f["title"]: f["value"] for e in walk(card) if e.get("type") == "FactSet" for f in e["facts"]
    }
    assert rows["Aktiviteternas status"] == "Redovisas med ditt namn."
    assert rows["Trygghet i rollen"].startswith("Redovisas bara som sammanställning")
    assert "aldrig med ditt namn" in rows["Citat"]
    assert [(a["title"], a["data"]["action"]) for a in card["actions"]] == [
        ("Starta", "start"),
        ("Påminn mig senare", "later"),
    ]
    assert card["actions"][0]["data"] == {
        "ledarpuls": "checkin",
        "action": "start",
        "invitation": 41,
        "round": 7,
    }
    assert "Please answer by Friday 12 June" in texts(
        invitation_card(check_in, "en", zone=Policy().zone, today=date(2026, 6, 1))
    )


def test_a_confidential_section_names_the_rounds_own_k() -> None:
    check_in = make_check_in(k=5)
    card = invitation_card(check_in, "sv", zone=Policy().zone, today=TODAY)
    rows = {
        f["title"]: f["value"] for e in walk(card) if e.get("type") == "FactSet" for f in e["facts"]
    }
    assert (
        rows["Trygghet i rollen"]
        == "Redovisas bara som sammanställning för grupper om minst 5 chefer."
    )
    assert "Redovisas bara som sammanställning för grupper om minst 5 chefer." in texts(
        step_card(check_in, Section.CONFIDENCE, "sv", today=TODAY)
    )
    assert "Reported only as totals for groups of at least 5 managers." in texts(
        step_card(check_in, Section.CONFIDENCE, "en", today=TODAY)
    )


def test_a_private_section_is_announced_as_private() -> None:
    check_in = make_check_in(
        sections={Section.ACTIVITY_STATUS: Privacy.IDENTIFIED, Section.CONFIDENCE: Privacy.PRIVATE}
    )
    card = invitation_card(check_in, "sv", zone=Policy().zone, today=TODAY)
    rows = {
        f["title"]: f["value"] for e in walk(card) if e.get("type") == "FactSet" for f in e["facts"]
    }
    assert rows == {
        "Aktiviteternas status": "Redovisas med ditt namn.",
        "Trygghet i rollen": "Bara du ser detta.",
    }
    assert "Bara du ser detta." in texts(step_card(check_in, Section.CONFIDENCE, "sv", today=TODAY))


def test_an_invitation_already_answered_has_no_start_button() -> None:
    card = invitation_card(
        make_check_in(answered=True, submitted=True), "sv", zone=Policy().zone, today=TODAY
    )
    assert "actions" not in card
    assert "Du har redan skickat in dina svar – tack!" in texts(card)


# --- the steps --------------------------------------------------------------------------


def test_the_step_header_counts_the_steps_without_the_summary() -> None:
    check_in = make_check_in()
    assert check_in.steps[1] == "area:SK"
    total = len(check_in.steps) - 1
    card = step_card(check_in, "area:SK", "sv", today=TODAY)
    assert texts(card)[:3] == [
        f"Steg 2 av {total}",
        "Systematiskt kvalitetsarbete (1 av 6)",  # 18 activities, three a step
        "Redovisas med ditt namn.",
    ]
    pages = [s for s in check_in.steps if s.startswith("area:SK")]
    assert pages == ["area:SK", *(f"area:SK/{n}" for n in range(2, 7))]
    assert all(len(check_in.area(p).items) == 3 for p in pages)  # type: ignore[union-attr]
    assert (
        texts(step_card(check_in, Section.CONSENT, "en", today=TODAY))[0]
        == f"Step {total} of {total}"
    )
    with pytest.raises(ValueError):
        step_card(check_in, "area:XX", "sv", today=TODAY)


@pytest.mark.parametrize("language", LANGUAGES)
def test_required_inputs_are_required_and_texts_are_capped(language: str) -> None:
    check_in = make_check_in()
    for step in check_in.steps[:-1]:
        card = step_card(check_in, step, language, today=TODAY)
        for element in inputs(card):
            if element["type"] == "Input.ChoiceSet":
                assert element["isRequired"] is True, element["id"]
                assert element["errorMessage"] and element["label"], element["id"]
            else:
                assert element["type"] == "Input.Text"
                # the limit said before typing, and no maxLength: clients cut a pasted text
                # silently at it; the client's check refuses a longer text with a message
                limit = "1\u00a0000" if language == "sv" else "1,000"
                assert limit in element["label"], element["label"]
                assert "maxLength" not in element and MAX_TEXT == 1000, element["id"]
                assert element["regex"] == "^[\\s\\S]{0,1000}$" and element["errorMessage"]
                assert element["isMultiline"] is True
                assert not element.get("isRequired")
        action = card["actions"][0]
        assert action["type"] == "Action.Execute" and action["verb"] == "save"
        assert action["data"] == {
            "ledarpuls": "checkin",
            "action": "save",
            "invitation": 41,
            "round": 7,
            "step": step,
        }
        # Teams merges the inputs into the same object as the data
        assert not {e["id"] for e in inputs(card)} & set(action["data"])


def test_an_area_card_offers_the_five_statuses_and_shows_last_round() -> None:
    check_in = make_check_in(last=True)
    card = step_card(check_in, "area:BL", "sv", today=TODAY)
    status = next(e for e in inputs(card) if e["id"] == "status:1")
    assert [c["title"] for c in status["choices"]] == [
        "Ej påbörjad",
        "Pågår",
        "Genomförd",
        "Försenad",
        "Ej aktuell",
    ]
    assert [c["value"] for c in status["choices"]] == list(STATUSES)
    assert status["style"] == "compact"
    assert status["value"] == "in_progress"  # last round's status, until answered
    lines = texts(card)
    assert "Förra omgången: Pågår" in lines
    assert "BL1 Ledarforum för enhetschefer" in lines
    assert "Ansvarig: Åsa Öberg, HR" in lines
    assert "Klart senast 31 december" in lines  # read in 2026
    comment = next(e for e in inputs(card) if e["id"] == "comment:1")
    assert comment["label"] == (
        "Kommentar till BL1 Ledarforum för enhetschefer (valfritt, högst 1\u00a0000 tecken)"
    )
    assert status["label"] == "Status för BL1 Ledarforum för enhetschefer"
    assert [status_label(s, "en") for s in STATUSES] == [
        "Not started",
        "In progress",
        "Done",
        "Delayed",
        "Not applicable",
    ]


def test_an_unanswered_area_has_no_preselected_status() -> None:
    card = step_card(make_check_in(), "area:BL", "sv", today=TODAY)
    assert all("value" not in e for e in inputs(card))


def test_every_step_card_is_prefilled_with_the_answers() -> None:
    check_in = make_check_in(answered=True, last=True)
    values: dict[str, Any] = {}
    for step in check_in.steps[:-1]:
        values |= values_of(step_card(check_in, step, "sv", today=TODAY))
    assert values["status:1"] == STATUSES[0]  # the answer wins over last round's status
    assert values["comment:1"] == "Vi har kommit igång på båda enheterna."
    assert values["status:100"] == "done"
    assert values["strengths"] == FULL_TEXTS[(Section.STRENGTHS_NEEDS, "strengths")]
    assert values["need:support"] == "2"
    assert values["need:change"] == "0"
    assert values["need_text:training"] == "Kurs i förändringsledning, gärna på våren."
    assert values["need_text:change"] == ""
    assert values["principle"] == "2"
    assert values["grow"] == "Att våga släppa kontrollen *ännu mer*."
    assert values["confidence"] == "4"
    assert values["consent"] == "yes"


def test_what_a_card_sends_is_what_the_server_reads() -> None:
    check_in = make_check_in(answered=True)
    for step in check_in.steps[:-1]:
        card = step_card(check_in, step, "sv", today=TODAY)
        clean, errors = read_step(check_in, step, values_of(card))
        assert errors == [], step
        area = check_in.area(step) if step.startswith("area:") else None
        for item in area.items if area is not None else ():
            assert clean.statuses[item.id] == (item.status, item.comment)
        for key, rating in clean.ratings.items():
            assert check_in.answers.ratings[key] == rating
        for key, written in clean.texts.items():
            assert check_in.answers.texts.get(key, "") == written
    # and an untouched empty card is refused for what is required, nothing else
    empty = make_check_in()
    _, errors = read_step(
        empty,
        Section.STRENGTHS_NEEDS,
        values_of(step_card(empty, Section.STRENGTHS_NEEDS, "sv", today=TODAY)),
    )
    assert {(e.name, e.code) for e in errors} == {(f"need:{n}", "required") for n in NEEDS}
    # a tampered card's problems are named by the inputs that held them
    step = empty.steps[0]
    values = values_of(step_card(empty, step, "sv", today=TODAY)) | {
        "status:1": "maybe",
        "comment:1": 7,
    }
    _, errors = read_step(empty, step, values)
    assert [(e.name, e.code) for e in errors][:2] == [
        ("status:1", "not_offered"),
        ("comment:1", "not_offered"),
    ]


def test_the_reflection_steps_ask_in_the_chefs_words() -> None:
    check_in = make_check_in()
    needs = step_card(check_in, Section.STRENGTHS_NEEDS, "sv", today=TODAY)
    labels = [e.get("label") for e in inputs(needs)]
    assert labels[0] == "Dina styrkor som förändringsledare (valfritt, högst 1\u00a0000 tecken)"
    assert [e["label"] for e in inputs(needs) if e["id"].startswith("need:")] == [
        "Behov: Stöd",
        "Behov: Förändring",
        "Behov: Fortbildning",
        "Behov: Nätverk",
        "Behov: Tydliggörande av uppgifter",
    ]
    support = next(e for e in inputs(needs) if e["id"] == "need:support")
    assert [(c["value"], c["title"]) for c in support["choices"]] == [
        ("0", "Inget behov"),
        ("1", "Visst behov"),
        ("2", "Stort behov"),
    ]
    principles = step_card(check_in, Section.PRINCIPLES, "sv", today=TODAY)
    choice = next(e for e in inputs(principles) if e["id"] == "principle")
    assert choice["label"] == "Vilken princip har du arbetat mest med?"
    assert choice["choices"][1] == {"title": "2. Vi leder genom tillit", "value": "2"}
    confidence = inputs(step_card(check_in, Section.CONFIDENCE, "sv", today=TODAY))[0]
    assert confidence["label"] == "Hur trygg känner du dig i rollen som förändringsledare?"
    assert confidence["style"] == "expanded"
    assert confidence["choices"][0] == {"title": "1 – Inte alls trygg", "value": "1"}
    assert confidence["choices"][4] == {"title": "5 – Mycket trygg", "value": "5"}
    english = inputs(step_card(check_in, Section.CONFIDENCE, "en", today=TODAY))[0]
    assert english["label"] == "How confident do you feel in your role as a change leader?"
    consent = inputs(step_card(check_in, Section.CONSENT, "sv", today=TODAY))[0]
    assert [(c["value"], c["title"]) for c in consent["choices"]] == [
        ("yes", "Ja, mina fritextsvar får citeras utan namn"),
        ("no", "Nej, citera inte mina svar"),
    ]


def test_errors_are_listed_at_the_top_naming_the_field() -> None:
    check_in = make_check_in()
    card = step_card(check_in, "area:BL", "sv", ERRORS["area:BL"], today=TODAY)
    block = next(e for e in card["body"] if e.get("style") == "attention")
    assert card["body"].index(block) < card["body"].index(
        next(e for e in card["body"] if e.get("type") == "Container" and e is not block)
    )
    messages = [item["text"] for item in block["items"]]
    assert all(item["color"] == "Attention" for item in block["items"])
    assert messages[1].startswith("• Svar saknas på ”Status för BL1 Ledarforum för enhetschefer”")
    assert "1\u00a0204 tecken, högst 1\u00a0000" in messages[2]
    assert "Kommentar till BL3 Medarbetarsamtal med tydliga mål" in messages[2]
    english = step_card(
        check_in, Section.STRENGTHS_NEEDS, "en", ERRORS[Section.STRENGTHS_NEEDS], today=TODAY
    )
    assert "• The answer to “Need: Support” is not one of the options" in " ".join(texts(english))
    assert "Clarified tasks – your comment" in " ".join(texts(english))


# --- summary, receipt --------------------------------------------------------------


def test_the_summary_shows_every_answer_and_offers_send_and_change() -> None:
    check_in = make_check_in(answered=True)
    card = summary_card(check_in, "sv")
    lines = texts(card)
    assert lines[0] == "Sammanfattning – Delår 1 2026"
    # the chef's own words are plain TextBlocks, never Markdown-bearing fact titles
    for written in (*FULL_TEXTS.values(), "Vi har kommit igång på båda enheterna."):
        assert written in lines
    # each answer on a line of its own, the answer in bold: nothing squeezed into a column
    answers = [
        tuple(run["text"] for run in e["inlines"])
        for e in walk(card)
        if e.get("type") == "RichTextBlock" and e["inlines"][-1].get("weight") == "Bolder"
    ]
    assert ("Stöd: ", "Stort behov") in answers
    assert ("Vilken princip har du arbetat mest med?: ", "2. Vi leder genom tillit") in answers
    assert (
        "Hur trygg känner du dig i rollen som förändringsledare?: ",
        "4 – Trygg",
    ) in answers
    assert not [e for e in walk(card) if e.get("type") == "FactSet"]
    send, change, back = card["actions"]
    assert (back["title"], back["data"]["action"]) == ("Tillbaka", "goto")
    assert back["data"]["step"] == check_in.steps[-2] and back["associatedInputs"] == "none"
    assert (send["title"], send["data"]["action"]) == ("Skicka in", "submit")
    assert send["associatedInputs"] == "none"
    assert change["type"] == "Action.ShowCard" and change["title"] == "Ändra"
    [chooser] = inputs(change)
    assert chooser["id"] == "goto_step"
    assert [c["value"] for c in chooser["choices"]] == list(check_in.steps[:-1])
    assert chooser["choices"][0]["title"] == "Bra ledarskap"
    [goto] = submits(change)
    assert goto["data"] == {"ledarpuls": "checkin", "action": "goto", "invitation": 41, "round": 7}
    assert len(inputs(card)) == 1


def test_an_incomplete_summary_cannot_be_sent_in() -> None:
    card = summary_card(make_check_in(), "sv")
    assert [a.get("data", {}).get("action", a["type"]) for a in card["actions"]] == [
        "Action.ShowCard",
        "goto",  # Tillbaka, to the last step
    ]
    assert "Inte besvarat" in json.dumps(card, ensure_ascii=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_receipt_is_read_only_with_at_most_the_reopen_button(language: str) -> None:
    check_in = make_check_in(answered=True, submitted=True)
    card = receipt_card(check_in, language, can_change=True, zone=Policy().zone, today=TODAY)
    assert not inputs(card)
    [reopen] = card["actions"]
    assert reopen["data"] == {
        "ledarpuls": "checkin",
        "action": "reopen",
        "invitation": 41,
        "round": 7,
        "sent": SUBMITTED_AT.isoformat(),  # the sending-in it shows
    }
    assert "actions" not in receipt_card(
        check_in, language, can_change=False, zone=Policy().zone, today=TODAY
    )
    lines = texts(card)
    if language == "sv":
        assert lines[:2] == ["Dina svar", "Skickades in 3 juni."]  # read in 2026
        assert reopen["title"] == "Ändra mina svar"
    assert FULL_TEXTS[(Section.PRINCIPLES, "example")] in lines


def actions_of(card: dict[str, Any]) -> list[str]:
    return [a["data"]["action"] if "data" in a else a["type"] for a in card["actions"]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_changing_answers_sent_in_says_what_is_not_sent_yet(language: str) -> None:
    sent = make_check_in(answered=True, submitted=True)
    looking = summary_card(sent, language)
    # nothing changed: nothing to send in or undo, each step to change
    assert actions_of(looking) == ["Action.ShowCard"]
    changed = summary_card(replace(sent, changed=("area:BL", Section.CONFIDENCE)), language)
    assert actions_of(changed) == ["submit", "discard", "Action.ShowCard"]
    submits = [
        e["data"]
        for e in walk(changed)
        if e.get("type") == "Action.Execute" and e["verb"] != "refresh"
    ]
    assert len(submits) == 3 and all(d["sent"] == SUBMITTED_AT.isoformat() for d in submits)
    step = step_card(sent, Section.CONFIDENCE, language, today=TODAY)
    if language == "sv":
        assert "Det här är svaren du har skickat in, och de gäller." in texts(looking)[1]
        assert texts(changed)[1] == (
            "Ändringarna är inte inskickade än (Bra ledarskap, Trygghet i rollen). De räknas "
            "först när du trycker Skicka in igen – till dess gäller svaren du skickade in tidigare."
        )
        assert [a["title"] for a in changed["actions"][:2]] == ["Skicka in", "Ångra ändringarna"]
        assert "Du ändrar svar som redan är inskickade." in " ".join(texts(step))


# --- feedback ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "reading"),
    [
        ((3, 4), "Högre än förra omgången"),
        ((4, 4), "Samma som förra omgången"),
        ((2, 5, 3), "Lägre än förra omgången"),
        ((3,), "Första gången du svarar"),
    ],
)
def test_feedback_reads_the_confidence_trend(values: tuple[int, ...], reading: str) -> None:
    rounds = tuple((f"Omgång {i + 1}", v) for i, v in enumerate(values))
    card = feedback_card(Feedback(rounds, (), ()), "sv", k=3)
    assert reading in texts(card)


def test_feedback_lists_what_was_done_and_the_needs() -> None:
    picture = Feedback(
        (("Delår 1 2025", 3), ("Helår 2025", 4)),
        ("Ledarforum för enhetschefer",),
        (("support", 2, "Handledning i svåra samtal."), ("clarity", 1, "")),
    )
    lines = texts(feedback_card(picture, "sv", k=3))
    assert lines[:2] == ["Din återkoppling", "Bara du ser detta."]
    assert "• Ledarforum för enhetschefer" in lines
    assert "Stöd: Stort behov" in lines
    assert "Handledning i svåra samtal." in lines
    assert "Tydliggörande av uppgifter: Visst behov" in lines
    empty = texts(feedback_card(Feedback((), (), ()), "sv", k=3))
    assert "Inga aktiviteter har markerats som genomförda sedan förra omgången." in empty
    assert "Du har inte angett några behov." in empty
    assert "Higher than last round" in texts(feedback_card(picture, "en", k=3))


def test_summary_step_is_not_a_step_card() -> None:
    with pytest.raises(ValueError):
        step_card(make_check_in(), SUMMARY, "sv", today=TODAY)
