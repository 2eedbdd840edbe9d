"""Routing as a user meets it: every command word in the catalogues reaches its command and is
answered in the person's language (their choice, else the organisation's — never the word's or the
Teams locale), a pressed card reaches its handler, anything else gets the hint."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from dialogs.routes import command_words
from dialogs.texts import catalogue, t
from storage.models import AuditEvent
from tests.cards import assert_valid_cards, walk
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    Client,
    Connector,
    activity,
    cards_to,
    db_of,
    install,
    make_hr_admin,
    open_a_round,
    organisation,
    post,
    press,
    say,
)

CHEF_COMMANDS = {"help", "checkin", "answers", "change", "cancel", "my_data", "erase", "language"}


def _before_placeholder(language: str, key: str) -> str:
    """The words a text opens with, before its first `{placeholder}`."""
    entry = catalogue(language)[key]
    template = entry if isinstance(entry, str) else ""
    return template.split("{")[0].strip()


def chef_reply(command: str, language: str) -> str:
    """What Maria, invited to the open round "Delår 1" and not yet answering, reads back."""
    return {
        "help": t(language, "help.title"),
        "checkin": _before_placeholder(language, "checkin.step_of"),
        "answers": t(language, "checkin.summary.title", round="Delår 1"),
        "change": t(language, "checkin.summary.title", round="Delår 1"),  # nothing sent in
        "cancel": t(language, "checkin.cancelled"),
        "my_data": t(language, "mydata.title"),
        "erase": t(language, "mydata.erase.nothing"),
        "language": t(language, "language.current_card"),
    }[command]


def replies(connector: Connector, person: dict[str, str], since: int) -> str:
    """Every text and card text the person got after the first `since` activities."""
    parts: list[str] = []
    for sent in connector.activities[since:]:
        if sent["_conversation"] != person["conv"]:
            continue
        parts.append(sent.get("text") or "")
        for attached in sent.get("attachments") or []:
            parts.extend(str(e.get("text", "")) for e in walk(attached["content"]))
    return "\n".join(parts)


async def refused_commands(client: Client) -> list[Any]:
    async with db_of(client).session() as s:
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    return [e.detail.get("command") for e in events if e.action == "hr.refused"]


def the_words(language: str) -> list[tuple[str, str, str | None]]:
    """(word, command, its language or None when both have it) for a catalogue's words."""
    return [
        (word, command, in_language)
        for word, (command, in_language) in command_words().items()
        if in_language in (language, None)
    ]


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_every_catalogue_word_reaches_its_command_and_answers_in_the_persons_language(
    client: Client, connector: Connector, language: str
) -> None:
    db = db_of(client)
    org, programme = await organisation(db)
    await open_a_round(db, org, programme)
    await install(client, connector, MARIA)
    if language == "en":
        await say(client, connector, MARIA, "språk engelska")
    # the Teams client speaks the other language, and the words are of both: the person's
    # language still wins
    locale = "en-US" if language == "sv" else "sv-SE"
    hr_words = []
    for word, command, _ in the_words("sv") + the_words("en"):
        since = len(connector.activities)
        await say(client, connector, MARIA, word, locale=locale)
        got = replies(connector, MARIA, since)
        if command in CHEF_COMMANDS:
            assert chef_reply(command, language) in got, (word, got)
        else:
            # an HR command from a chef: refused in words, and on record under its name
            assert t(language, "hr.refused") in got, (word, got)
            hr_words.append(command)
    assert await refused_commands(client) == hr_words


async def test_a_pressed_card_reaches_its_handler_in_the_persons_language(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await organisation(db)
    round_id = await open_a_round(db, org, programme)
    await make_hr_admin(db, org, KARIN)
    await install(client, connector, KARIN)
    since = len(connector.activities)
    # the status button of a round, on a card that says English, pressed in an English client
    value = {"ledarpuls": "hr", "action": "status", "round": str(round_id), "lang": "en"}
    await post(client, activity(connector, KARIN, value=value, locale="en-US"))
    assert "Delår 1" in replies(connector, KARIN, since)
    assert t("sv", "hr.refused_card") not in replies(connector, KARIN, since)

    # the same button in a chef's hands is refused, in the chef's (Swedish) language, and the
    # refusal is on record by its action
    await install(client, connector, MARIA)
    since = len(connector.activities)
    await post(client, activity(connector, MARIA, value=value, locale="en-US"))
    assert t("sv", "hr.refused_card") in replies(connector, MARIA, since)
    assert await refused_commands(client) == ["status"]


@pytest.mark.parametrize(
    ("text", "locale", "language"),
    [
        ("vad gör du", "sv-SE", "sv"),
        ("what can you do", "en-US", "sv"),  # the organisation's language, not the locale's
        ("hjälp 3", "en-US", "sv"),  # a number after a word that takes none: no command
    ],
)
async def test_an_unknown_word_gets_the_help_hint(
    client: Client, connector: Connector, text: str, locale: str, language: str
) -> None:
    await organisation(db_of(client))
    await install(client, connector, MARIA)
    since = len(connector.activities)
    await say(client, connector, MARIA, text, locale=locale)
    assert replies(connector, MARIA, since) == t(language, "unknown.command")


@pytest.mark.parametrize(
    "value",
    [
        {"ledarpuls": "hr", "action": "launch_missiles", "lang": "en"},
        {"ledarpuls": "someone_elses", "action": "status"},
        ["not", "a", "card"],
    ],
)
async def test_a_card_that_is_none_of_ours_is_answered_politely(
    client: Client, connector: Connector, value: Any
) -> None:
    await organisation(db_of(client))
    await install(client, connector, MARIA)
    since = len(connector.activities)
    await post(client, activity(connector, MARIA, value=value, locale="en-US"))
    expected = (
        "hr.invalid_card"
        if isinstance(value, dict) and value["ledarpuls"] == "hr"
        else ("checkin.invalid_card")
    )
    assert replies(connector, MARIA, since) == t("sv", expected)


async def test_a_person_chooses_their_language_and_keeps_it(
    client: Client, connector: Connector
) -> None:
    await organisation(db_of(client))
    await install(client, connector, MARIA)
    since = len(connector.activities)
    await say(client, connector, MARIA, "språk", locale="en-US")
    assert replies(connector, MARIA, since).strip() == t("sv", "language.current_card")
    since = len(connector.activities)
    await say(client, connector, MARIA, "språk franska", locale="en-US")
    assert replies(connector, MARIA, since) == t("sv", "language.unknown")
    since = len(connector.activities)
    await say(client, connector, MARIA, "Language English!", locale="sv-SE")
    assert replies(connector, MARIA, since) == t("en", "language.chosen")
    # from now on English, whatever the word, the locale or a card's language
    since = len(connector.activities)
    await say(client, connector, MARIA, "vad gör du", locale="sv-SE")
    assert replies(connector, MARIA, since) == t("en", "unknown.command")
    since = len(connector.activities)
    await post(client, activity(connector, MARIA, value={"ledarpuls": "x", "lang": "sv"}))
    assert replies(connector, MARIA, since) == t("en", "checkin.invalid_card")
    since = len(connector.activities)
    await say(client, connector, MARIA, "språk svenska", locale="en-US")
    assert replies(connector, MARIA, since) == t("sv", "language.chosen")
    since = len(connector.activities)
    await say(client, connector, MARIA, "what can you do", locale="en-US")
    assert replies(connector, MARIA, since) == t("sv", "unknown.command")


async def test_the_language_card_chooses_with_one_press_and_says_so_in_place(
    client: Client, connector: Connector
) -> None:
    await organisation(db_of(client))
    await install(client, connector, MARIA)
    await say(client, connector, MARIA, "språk", locale="en-US")
    chooser = cards_to(connector, MARIA)[-1]
    # each language named in itself, the one she has now marked
    assert [(a["title"], a.get("style")) for a in chooser["actions"]] == [
        ("Svenska", "positive"),
        ("English", None),
    ]
    shown = await press(client, connector, MARIA, chooser, "choose", language="en")
    assert shown is not None
    assert [e["text"] for e in walk(shown["body"])][:2] == [
        t("en", "language.chosen"),
        t("en", "language.current_card"),
    ]
    # kept: what she types next is answered in English, whatever her Teams says
    since = len(connector.activities)
    await say(client, connector, MARIA, "vad gör du", locale="sv-SE")
    assert replies(connector, MARIA, since) == t("en", "unknown.command")
    assert_valid_cards([chooser, shown])
