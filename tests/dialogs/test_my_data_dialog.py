"""A chef's own data: "mina data" shows it and its files download for real through the
endpoint (JSON, XLSX) with the chef's answers and nothing of another chef's; "radera mina svar" asks
first, erases as the policy says and tells what was kept; a stale or forwarded confirmation
changes nothing; everything is audited, without answer text."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from followup.digest.compile import compile_digest
from storage.database import Database
from storage.models import (
    ActivityStatusAnswer,
    AuditEvent,
    Chef,
    Invitation,
    RatingAnswer,
    ReflectionAnswer,
)
from storage.types import utcnow
from tests.cards import assert_valid_cards
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    Client,
    Connector,
    answer_all,
    cards_to,
    db_of,
    deliver_outbox,
    install,
    open_a_round,
    organisation,
    press,
    say,
    texts_to,
)
from tests.dialogs.downloads import download_buttons, fresh_link

KARINS = "Karins-markor-4711"
MARIAS = "Marias-markor-0815"


async def answer(client: Client, connector: Connector, person: dict[str, str], marker: str) -> None:
    """Start, fill in every step with texts carrying `marker`, and send in."""
    invitation = next(c for c in cards_to(connector, person) if "Starta" in str(c))
    await press(client, connector, person, invitation, "start")
    while True:
        card = cards_to(connector, person)[-1]
        if "Skicka in" in str(card):
            await press(client, connector, person, card, "submit")
            return
        await press(client, connector, person, card, "save", answer_all(card, text=marker))


async def both_answered(client: Client, connector: Connector) -> int:
    """The demo with an open round (statuses identified) that Karin and Maria answered."""
    db = db_of(client)
    org, programme = await organisation(db)
    for person in (KARIN, MARIA):
        await install(client, connector, person)
    round_id = await open_a_round(db, org, programme)
    await deliver_outbox(client)
    await answer(client, connector, KARIN, KARINS)
    await answer(client, connector, MARIA, MARIAS)
    return round_id


def last_card(connector: Connector, person: dict[str, str]) -> dict[str, Any]:
    return cards_to(connector, person)[-1]


def last_text(connector: Connector, person: dict[str, str]) -> str:
    return texts_to(connector, person)[-1]


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def audit(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    async with db.session() as s:
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    return [(e.actor, e.action, e.detail) for e in events]


async def answers_of(db: Database, upn: str) -> tuple[int, int, int]:
    """How many statuses, texts and ratings a chef has stored."""
    async with db.session() as s:
        chef = (await s.exec(select(Chef).where(Chef.upn == upn))).one()
        mine = select(Invitation.id).where(Invitation.chef_id == chef.id).scalar_subquery()
        return (
            len(
                (
                    await s.exec(
                        select(ActivityStatusAnswer).where(
                            col(ActivityStatusAnswer.invitation_id).in_(mine)
                        )
                    )
                ).all()
            ),
            len(
                (
                    await s.exec(
                        select(ReflectionAnswer).where(
                            col(ReflectionAnswer.invitation_id).in_(mine)
                        )
                    )
                ).all()
            ),
            len(
                (
                    await s.exec(
                        select(RatingAnswer).where(col(RatingAnswer.invitation_id).in_(mine))
                    )
                ).all()
            ),
        )


@pytest.mark.parametrize("world", ["endpoint"], indirect=True)
async def test_my_data_shows_everything_and_downloads_for_real(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    await both_answered(client, connector)

    await say(client, connector, KARIN, "mina data")
    card = last_card(connector, KARIN)
    shown = str(card)
    assert "Det här har Ledarpuls sparat om dig" in shown
    assert "Karin Sjöberg" in shown and "Äldreomsorg" in shown and "Delår 1 (öppen)" in shown
    assert "syns med ditt namn" in shown and "bara i sammanställningar" in shown
    assert "24 månader efter att en omgång har stängts" in shown
    assert MARIAS not in shown and "Maria" not in shown
    # buttons, no links: a link is made when one is pressed, for whoever presses it
    buttons = download_buttons(card)
    assert buttons == {"Ladda ner JSON": "json", "Ladda ner XLSX": "xlsx"}
    urls = {
        title: await fresh_link(client, connector, KARIN, card, kind)
        for title, kind in buttons.items()
    }

    download = await client.get(path_of(urls["Ladda ner JSON"]))
    assert download.status == 200
    assert download.headers["Content-Type"].startswith("application/json")
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    exported = json.loads(await download.read())
    assert exported["roster"]["upn"] == KARIN["upn"]
    [round_] = exported["rounds"]
    assert round_["invitation_state"] == "submitted" and round_["activity_statuses"]
    assert any(KARINS in x["text"] for x in round_["texts"])
    raw = json.dumps(exported, ensure_ascii=False)
    assert MARIAS not in raw and MARIA["upn"] not in raw

    xlsx = await client.get(path_of(urls["Ladda ner XLSX"]))
    body = await xlsx.read()
    assert xlsx.status == 200 and body[:2] == b"PK"
    cells = [
        str(c)
        for ws in load_workbook(io.BytesIO(body))
        for row in ws.iter_rows(values_only=True)
        for c in row
    ]
    assert any(KARINS in c for c in cells) and not any(MARIAS in c for c in cells)

    # Karin's card pressed by Maria (forwarded, say) gives Maria her own data; a damaged link,
    # or a digest's, gives nothing but a page that says so
    marias = await fresh_link(client, connector, MARIA, card, "json")
    hers = await (await client.get(path_of(marias))).read()
    assert MARIAS.encode() in hers and KARINS.encode() not in hers
    damaged = path_of(urls["Ladda ner JSON"])[:-4] + "AAAA"
    assert (await client.get(damaged)).status == 404
    digest_path = path_of(urls["Ladda ner JSON"]).replace("/my-data/", "/digest/")
    refused = await client.get(digest_path)
    assert refused.status == 404 and "Länken fungerar inte" in await refused.text()

    events = await audit(db)
    exports = [(actor, d) for actor, action, d in events if action == "mydata.export"]
    assert exports == [
        (KARIN["upn"], {"format": "json", "rounds": 1}),
        (KARIN["upn"], {"format": "xlsx", "rounds": 1}),
        (MARIA["upn"], {"format": "json", "rounds": 1}),
    ]
    assert KARINS not in str(events)

    await say(client, connector, KARIN, "language english")
    await say(client, connector, KARIN, "my data", locale="en-GB")
    english = last_card(connector, KARIN)
    assert "What Ledarpuls stores about you" in str(english) and "Download XLSX" in str(english)
    await say(client, connector, KARIN, "språk svenska")
    await say(client, connector, KARIN, "hjälp")
    assert "**mina data**" in last_text(connector, KARIN)
    assert "**radera mina svar**" in last_text(connector, KARIN)
    assert_valid_cards([card, english])


async def test_erasing_asks_first_keeps_public_records_and_says_so(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    round_id = await both_answered(client, connector)
    statuses, texts, ratings = await answers_of(db, KARIN["upn"])
    assert statuses and texts and ratings
    marias = await answers_of(db, MARIA["upn"])
    before = await compile_digest(db, round_id=round_id, now=utcnow())

    await say(client, connector, KARIN, "radera mina svar")
    question = last_card(connector, KARIN)
    asked = str(question)
    assert "Radera dina svar?" in asked and "Det går inte att ångra" in asked
    assert "Det här sparas, och varför" in asked and "allmänna handlingar" in asked
    assert "HR:s uppgifter om din anställning" in asked
    assert await answers_of(db, KARIN["upn"]) == (statuses, texts, ratings)  # nothing yet

    # forwarded to Maria: refused, on record, nothing changed (her card stays as it is)
    assert await press(client, connector, MARIA, question, "erase") is None
    assert last_text(connector, MARIA) == (
        "Det här kortet gäller någon annans svar, så inget har ändrats."
    )
    # the card's time made older than a quarter of an hour: nothing erased, the question
    # again in its place
    again = await press(
        client, connector, KARIN, question, "erase", issued="2020-01-01T08:00:00+00:00"
    )
    assert last_text(connector, KARIN).startswith("Kortet är mer än 15 minuter gammalt")
    assert again is not None and "Radera dina svar?" in str(again)
    assert await press(client, connector, KARIN, question, "erase", chef="1; DROP TABLE") is None
    assert last_text(connector, KARIN).startswith("Jag kunde inte läsa det kortet")
    assert await answers_of(db, KARIN["upn"]) == (statuses, texts, ratings)

    done = await press(client, connector, KARIN, question, "erase")
    assert done is not None  # the question became the answer, in its place
    assert last_card(connector, KARIN)["_id"] == question["_id"]
    told = str(done)
    assert "Dina svar är raderade" in told
    assert f"'Fritexter', 'value': '{texts}'" in told
    assert f"'Val och skattningar', 'value': '{ratings}'" in told
    assert f"({statuses} svar)" in told and "allmänna handlingar" in told
    # identified statuses kept as public records; every text and rating erased; Maria's intact
    assert await answers_of(db, KARIN["upn"]) == (statuses, 0, 0)
    assert await answers_of(db, MARIA["upn"]) == marias
    after = await compile_digest(db, round_id=round_id, now=utcnow())
    assert after.total == before.total  # she still answered the round
    # the round is open: no confidential figure is out, so none can move
    assert before.confidence is None and after.confidence is None

    # the old question pressed again: it showed answers that are gone, so nothing happens
    await press(client, connector, KARIN, question, "erase")
    assert last_text(connector, KARIN).startswith("Dina svar har ändrats sedan kortet skickades")
    assert "Det finns inga svar att radera" in str(last_card(connector, KARIN))
    assert await answers_of(db, KARIN["upn"]) == (statuses, 0, 0)

    events = await audit(db)
    erased = [(a, d) for a, action, d in events if action == "mydata.erase"]
    assert erased == [
        (
            KARIN["upn"],
            {
                "rounds": 1,
                "statuses": 0,
                "texts": texts,
                "ratings": ratings,
                "kept_statuses": statuses,
                "conversations": 0,
            },
        )
    ]
    refused = [(a, d) for a, action, d in events if action == "mydata.refused"]
    # each refusal on record, with its reason: forwarded, too old, unreadable, outdated
    assert refused == [
        (MARIA["upn"], {"reason": "not_yours"}),
        (KARIN["upn"], {"reason": "expired"}),
        (KARIN["upn"], {"reason": "invalid_card"}),
        (KARIN["upn"], {"reason": "changed"}),
    ]
    assert KARINS not in str(events)

    await say(client, connector, KARIN, "language english")
    await say(client, connector, KARIN, "delete my answers", locale="en-GB")
    english = last_card(connector, KARIN)
    assert "There are no answers to delete" in str(english)
    assert_valid_cards([question, done, english])


async def test_cancelling_and_a_chef_outside_the_roster(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    await both_answered(client, connector)
    await say(client, connector, KARIN, "radera mina svar")
    question = last_card(connector, KARIN)
    cancelled = await press(client, connector, KARIN, question, "cancel")
    assert cancelled is not None and "Inget har raderats." in str(cancelled)  # in its place
    assert "Radera" not in str(cancelled)
    # asked from her data: the question in their place, and Avbryt brings them back
    await say(client, connector, KARIN, "mina data")
    mine = last_card(connector, KARIN)
    asked = await press(client, connector, KARIN, mine, "ask_erase")
    assert asked is not None and "Radera dina svar?" in str(asked)
    assert last_card(connector, KARIN)["_id"] == mine["_id"]
    back = await press(client, connector, KARIN, {**asked, "_id": mine["_id"]}, "cancel")
    assert back is not None and "Det här har Ledarpuls sparat om dig" in str(back)
    assert (await answers_of(db, KARIN["upn"]))[1] > 0
    assert_valid_cards([cancelled, asked, back])
    assert (await answers_of(db, KARIN["upn"]))[1] > 0

    stranger = {
        "id": "29:okand",
        "aadObjectId": "99999999-0000-4000-8000-000000000009",
        "upn": "okand@annanstans.se",
        "name": "Okänd Person",
        "conv": "a:okand",
    }
    await say(client, connector, stranger, "mina data")
    assert last_text(connector, stranger).startswith("Du finns inte i Ledarpuls personallista")
    await press(client, connector, stranger, question, "erase")
    assert last_text(connector, stranger).startswith("Det här kortet gäller någon annans svar")
    assert (await answers_of(db, KARIN["upn"]))[1] > 0
