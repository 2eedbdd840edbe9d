"""One language per person, as a chef and HR meet it: their own choice (`language english`),
else their organisation's (Swedish) — in every answer, card, error, proactive message and file,
whatever locale their Teams client says. And the chef's feedback comes once, when the round
closes; sending answers in brings a receipt."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from dialogs.texts import t
from followup.policy import Policy
from followup.rounds.calendar import close_with_results
from followup.rounds.progress import remind
from storage.types import utcnow
from tests.cards import assert_valid_cards
from tests.dialogs.checkin_world import (
    KARIN,
    Client,
    Connector,
    activity,
    answer_all,
    cards_to,
    db_of,
    deliver_outbox,
    install,
    make_hr_admin,
    open_a_round,
    organisation,
    post,
    press,
    say,
    texts_to,
)
from tests.dialogs.downloads import fresh_link, path_of

ENGLISH_TEAMS = "en-US"  # what the Agents Playground, and many a Teams client, says


def opening(language: str, key: str) -> str:
    """A text's words before its first placeholder."""
    return t(language, key, round="{round}", deadline="{deadline}", date="{date}").split("{")[0]


def new_activities(connector: Connector, since: int) -> list[dict[str, Any]]:
    return [a for a in connector.activities[since:] if a["_conversation"] == KARIN["conv"]]


def feedback_messages(connector: Connector) -> list[dict[str, Any]]:
    """What brought Karin her own feedback: the line above it names the closed round."""
    closed = opening("sv", "feedback.closed"), opening("en", "feedback.closed")
    return [
        a
        for a in connector.activities
        if a["_conversation"] == KARIN["conv"] and (a.get("text") or "").startswith(closed)
    ]


async def press_in_english_teams(
    client: Client,
    connector: Connector,
    card: dict[str, Any],
    action: str,
    values: dict[str, Any] | None = None,
) -> None:
    await press(client, connector, KARIN, card, action, values, locale=ENGLISH_TEAMS)


async def say_in_english_teams(client: Client, connector: Connector, text: str) -> None:
    await say(client, connector, KARIN, text, locale=ENGLISH_TEAMS)


async def test_a_chef_in_english_teams_gets_swedish_everywhere_until_she_chooses_english(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await organisation(db)
    await install(client, connector, KARIN, locale=ENGLISH_TEAMS)
    round_id = await open_a_round(db, org, programme)

    # the invitation from the outbox, the first step, an error and a reminder: all Swedish
    await deliver_outbox(client, paced=False)
    invitation = cards_to(connector, KARIN)[-1]
    assert "Starta" in str(invitation) and "Start" not in str(invitation).replace("Starta", "")
    await press_in_english_teams(client, connector, invitation, "start")
    step = cards_to(connector, KARIN)[-1]
    assert t("sv", "checkin.step_of", n=1, total=9).split(" ")[0] in str(step)  # "Steg"
    await post(
        client, activity(connector, KARIN, value={"ledarpuls": "nonsense"}, locale=ENGLISH_TEAMS)
    )
    assert texts_to(connector, KARIN)[-1] == t("sv", "checkin.invalid_card")
    await say_in_english_teams(client, connector, "what is this")
    assert texts_to(connector, KARIN)[-1] == t("sv", "unknown.command")
    await remind(db, round_id=round_id, now=utcnow(), policy=Policy())
    await deliver_outbox(client, paced=False)
    assert texts_to(connector, KARIN, with_cards=True)[-1].startswith(
        opening("sv", "reminder.text")
    )

    # she chooses English (her Teams may say anything): from now on everything is English
    await say(client, connector, KARIN, "language english", locale="sv-SE")
    assert texts_to(connector, KARIN)[-1] == t("en", "language.chosen")
    await press(client, connector, KARIN, step, "save", answer_all(step))  # a Swedish client
    second = cards_to(connector, KARIN)[-1]
    assert t("en", "checkin.step_of", n=2, total=9).split(" ")[0] in str(second)  # "Step"
    # anything she writes in the middle brings her step back, in English
    await say(client, connector, KARIN, "vad är det här", locale="sv-SE")
    assert cards_to(connector, KARIN)[-1]["body"] == second["body"]
    await remind(db, round_id=round_id, now=utcnow(), policy=Policy())
    await deliver_outbox(client, paced=False)
    assert texts_to(connector, KARIN, with_cards=True)[-1].startswith(
        opening("en", "reminder.text")
    )

    # she answers the rest and sends them in: a receipt from the outbox, no feedback yet
    card = second
    while "submit" not in str(card):
        await press_in_english_teams(client, connector, card, "save", answer_all(card))
        card = cards_to(connector, KARIN)[-1]
    await press(client, connector, KARIN, card, "submit")
    since = len(connector.activities)
    await deliver_outbox(client, paced=False)
    [receipt] = new_activities(connector, since)
    assert receipt["text"].startswith(opening("en", "feedback.receipt"))
    assert not receipt.get("attachments")  # a receipt, not the feedback
    assert feedback_messages(connector) == []

    # the round closes: her own feedback, once, in English
    await close_with_results(db, round_id=round_id, now=utcnow())
    await deliver_outbox(client, paced=False)
    await deliver_outbox(client, paced=False)
    [feedback] = feedback_messages(connector)
    assert feedback["text"] == t("en", "feedback.closed", round="Delår 1")
    assert_valid_cards([feedback["attachments"][0]["content"], invitation, step, second])


async def workbook_cells(client: Client, link: str) -> list[str]:
    """Every filled-in cell of the workbook a download link gives, as text."""
    download = await client.get(path_of(link))  # type: ignore[union-attr]
    return [
        str(c)
        for sheet in load_workbook(io.BytesIO(await download.read()))
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c is not None
    ]


@pytest.mark.parametrize("world", ["endpoint"], indirect=True)  # the files are downloaded
async def test_hr_in_english_teams_gets_swedish_and_after_choosing_english_english_files(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await organisation(db)
    await make_hr_admin(db, org, KARIN)
    await install(client, connector, KARIN, locale=ENGLISH_TEAMS)
    await open_a_round(db, org, programme)

    # an English word in an English Teams client: HR's card in the organisation's Swedish
    await say_in_english_teams(client, connector, "rounds")
    assert "Omgångar" in str(cards_to(connector, KARIN)[-1])
    await say_in_english_teams(client, connector, "språk")
    assert t("sv", "language.current_card") in str(cards_to(connector, KARIN)[-1])
    await say_in_english_teams(client, connector, "help")
    assert t("sv", "help.commands.language") in texts_to(connector, KARIN)[-1]

    await say_in_english_teams(client, connector, "language english")
    await say(client, connector, KARIN, "omgångar", locale="sv-SE")
    assert "Rounds" in str(cards_to(connector, KARIN)[-1])

    # closing the round: the digest in English, and its file too
    await say(client, connector, KARIN, "stäng", locale="sv-SE")
    confirm = cards_to(connector, KARIN)[-1]
    await press(client, connector, KARIN, confirm, "close")
    # the confirmation became the closed round's status in its place; the digest came below
    title = t("en", "digest.title", round="Delår 1")
    digest = next(c for c in reversed(cards_to(connector, KARIN)) if title in str(c))
    link = await fresh_link(client, connector, KARIN, digest, "xlsx")
    cells = await workbook_cells(client, link)
    assert any(t("en", "digest.title", round="Delår 1") in c for c in cells)
    assert not any(t("sv", "digest.title", round="Delår 1") in c for c in cells)

    # and her own data as a file, in English too
    await say(client, connector, KARIN, "mina data", locale="sv-SE")
    mine = cards_to(connector, KARIN)[-1]
    assert t("en", "mydata.title") in str(mine)
    link = await fresh_link(client, connector, KARIN, mine, "xlsx")
    cells = await workbook_cells(client, link)
    assert t("en", "mydata.field.locale") in cells
    assert t("sv", "mydata.field.locale") not in cells
    # the choice itself is her data: shown, and in the file
    assert t("en", "language.name.en") in str(mine)
    assert t("en", "mydata.field.chosen_language") in cells and "en" in cells
