"""A whole check-in whose every free text carries a unique marker, then a search of every log
line and everything HR can see: each marker appears only where its section's privacy mode
allows it."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application
from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from bot.app import create_app
from bot.settings import Settings
from dialogs.digest_cards import digest_formats
from followup.policy import Policy
from followup.rounds.lifecycle import create_round, open_round
from storage.models import AuditEvent, OutboxMessage, ReflectionAnswer
from storage.types import utcnow
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    add_members,
    cards_to,
    db_of,
    deliver_outbox,
    inputs,
    install,
    make_hr_admin,
    organisation,
    press,
    say,
    submit_data,
    texts_to,
)
from tests.dialogs.downloads import download_buttons, fresh_link, path_of
from tests.fakes.bot_connector import FakeBotConnector, running_connector

ClientFactory = Callable[[Application], Awaitable[TestClient[Any, Any]]]

SECTIONS = {
    "activity_status": "identified",
    "strengths_needs": "confidential",
    "principles": "private",
    "confidence": "confidential",
}


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector(conversation_limits=[]) as fake:
        add_members(fake)
        yield fake


@pytest.fixture
async def client(aiohttp_client: ClientFactory, database_url: str) -> TestClient[Any, Any]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        run_scheduler=False,
        public_url="http://127.0.0.1:3978",
        download_link_secret="s" * 40,
    )
    return await aiohttp_client(create_app(settings))


class Markers:
    """One unique word per chef and kind of text, so a find names its source."""

    def __init__(self) -> None:
        self.run = uuid.uuid4().hex[:8]

    def of(self, person: dict[str, str], kind: str) -> str:
        return f"MRK{self.run}{person['id'][3:].upper()}{kind.upper()}"

    def kinds(self, person: dict[str, str]) -> dict[str, str]:
        return {k: self.of(person, k) for k in ("delayed", "comment", "confidential", "private")}


def fill(card: dict[str, Any], marks: dict[str, str], step: str) -> dict[str, Any]:
    """A chef's answers to one step card, every text marked by what its section is."""
    values: dict[str, Any] = {}
    first_status = True
    for input_id, element in inputs(card).items():
        if element["type"] == "Input.ChoiceSet":
            choices = [c["value"] for c in element.get("choices", [])]
            if input_id.startswith("status:"):
                values[input_id] = "delayed" if first_status else "done"
                delayed, first_status = first_status, False
                if delayed:
                    values["comment:" + input_id.split(":", 1)[1]] = marks["delayed"]
            else:
                values[input_id] = choices[min(2, len(choices) - 1)]
        elif element["type"] == "Input.Text" and input_id not in values:
            if step.startswith("area:"):
                values[input_id] = marks["comment"]
            elif step == "principles":
                values[input_id] = marks["private"]
            else:
                values[input_id] = marks["confidential"]
    return values


async def check_in(
    client: TestClient[Any, Any],
    connector: FakeBotConnector,
    person: dict[str, str],
    marks: dict[str, str],
    *,
    consent: str,
) -> None:
    invitation = next(c for c in cards_to(connector, person) if "Starta" in str(c))
    await press(client, connector, person, invitation, "start")
    while True:
        card = cards_to(connector, person)[-1]
        if "Skicka in" in str(card) and "'submit'" in str(card):
            await press(client, connector, person, card, "submit")
            return
        step = submit_data(card, "save")["step"]
        values = fill(card, marks, step)
        if step == "consent":
            values = {input_id: consent for input_id in inputs(card)}
        await press(client, connector, person, card, "save", values)


def lines_of_xlsx(content: bytes) -> list[str]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [
        " | ".join(str(v) for v in row if v is not None)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]


def lines_of_docx(content: bytes) -> list[str]:
    document = Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return lines


async def test_each_text_appears_only_where_its_privacy_mode_allows(
    client: TestClient[Any, Any],
    connector: FakeBotConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    db = db_of(client)
    org, programme = await organisation(db)
    await make_hr_admin(db, org, KARIN)
    for person in (KARIN, MARIA):
        await install(client, connector, person)
    now = utcnow()
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Delår 1",
        deadline=now + timedelta(days=21),
        now=now,
        sections=SECTIONS,
        k=2,
        policy=Policy(),
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=now, policy=Policy())
    await deliver_outbox(client)

    markers = Markers()
    maria, karin = markers.kinds(MARIA), markers.kinds(KARIN)
    await check_in(client, connector, MARIA, maria, consent="yes")  # may be quoted
    await check_in(client, connector, KARIN, karin, consent="no")
    async with db.session() as s:
        stored = {r.text for r in (await s.exec(select(ReflectionAnswer))).all()}
    assert maria["confidential"] in stored and karin["private"] in stored  # kept verbatim

    # everything HR looks at: status, the digest in Teams, its three files
    hr_from, hr_updates_from = len(connector.activities), len(connector.updates)
    await say(client, connector, KARIN, "status")
    await say(client, connector, KARIN, "stäng")
    confirm = cards_to(connector, KARIN)[-1]
    await press(client, connector, KARIN, confirm, "close")  # the question becomes the status
    digest = next(c for c in reversed(cards_to(connector, KARIN)) if download_buttons(c))
    hr_lines = [
        str(a)
        for a in [*connector.activities[hr_from:], *connector.updates[hr_updates_from:]]
        if a["_conversation"] == KARIN["conv"]
    ]
    files: dict[str, list[str]] = {}
    for kind in download_buttons(digest).values():
        # each button pressed: the fresh link the bot answers with
        response = await client.get(
            path_of(await fresh_link(client, connector, KARIN, digest, kind))
        )
        assert response.status == 200
        content = await response.read()
        if kind == "pdf":
            # where LibreOffice is installed: the board's DOCX (read below) as PDF/A
            assert content.startswith(b"%PDF-")
            continue
        files[kind] = (
            lines_of_xlsx(content)
            if kind == "xlsx"
            else lines_of_docx(content)
            if kind == "docx"
            else content.decode("utf-8").splitlines()
        )
    assert set(files) == {"xlsx", "docx", "md"}
    assert set(download_buttons(digest).values()) == set(digest_formats(Policy().soffice))
    hr_view = hr_lines + [line for lines in files.values() for line in lines]

    async with db.session() as s:
        audit = [str(e.detail) for e in (await s.exec(select(AuditEvent))).all()]
        outbox = [str(m.payload) for m in (await s.exec(select(OutboxMessage))).all()]

    def found(marker: str, where: list[str]) -> list[str]:
        return [line for line in where if marker in line]

    every_marker = [m for marks in (maria, karin) for m in marks.values()]
    # no log line and no audit or outbox record carries any text a chef wrote
    assert not [m for m in every_marker if m in caplog.text]
    assert not [m for m in every_marker if found(m, audit + outbox)]

    # private: only the chef, in her own feedback; never HR
    for marks in (maria, karin):
        assert not found(marks["private"], hr_view)
    assert not found(karin["private"], [str(c) for c in cards_to(connector, MARIA)])
    # confidential without consent: nowhere HR looks
    assert not found(karin["confidential"], hr_view)
    # confidential with consent: quoted only among enough other texts (the policy's quotes_k),
    # so one chef's text alone is not quoted at all (tests/followup/digest: never with a name)
    assert not found(maria["confidential"], hr_view)
    # identified: the delayed activity's comment with the chef's name, for HR only, never in
    # the board's DOCX
    assert [line for line in found(maria["delayed"], files["xlsx"]) if "Maria Åkesson" in line]
    assert not found(maria["delayed"], files["docx"])
    assert not [line for line in files["docx"] if "Åkesson" in line or "Sjöberg" in line]
    assert "Omgången är stängd." in texts_to(connector, KARIN)
