"""The export of the published figures in Teams: "exportera" or the digest card's button, a
file per press through a fresh link; the same rows as `ledarpuls export`; a lead's export cut
to their departments."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlmodel import col, select

from bot.app import create_app
from bot.cli import run
from bot.settings import Settings
from followup.rounds.lifecycle import close_round
from storage.models import AuditEvent, Department, Role
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.bot.test_download_links import file_name_of
from tests.cards import assert_valid_cards
from tests.dialogs.checkin_world import (
    KARIN,
    TENANT,
    add_members,
    add_person,
    card_action,
    cards_to,
    db_of,
    install,
    organisation,
    post,
    say,
)
from tests.dialogs.conftest import ClientFactory
from tests.dialogs.downloads import path_of
from tests.dialogs.test_downloads_later import LEA, SECRET
from tests.fakes.bot_connector import FakeBotConnector, running_connector
from tests.followup.digest.test_compile import AO, IFO, LSS, Answer, a_round

CONFIDENTIAL = {
    "activity_status": "identified",
    "strengths_needs": "confidential",
    "principles": "confidential",
    "confidence": "confidential",
}


@pytest.fixture
async def app(
    database_url: str, aiohttp_client: ClientFactory
) -> AsyncIterator[tuple[TestClient[Any, Any], FakeBotConnector, Settings]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        run_scheduler=False,
        public_url="http://127.0.0.1:3978",
        download_link_secret=SECRET,
    )
    async with running_connector(conversation_limits=[]) as fake:
        add_members(fake)
        add_person(fake, LEA)
        yield await aiohttp_client(create_app(settings)), fake, settings


def export_buttons(card: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """An export card's buttons: title → (scope, format); never a link."""
    buttons = {}
    for action in card.get("actions", []):
        assert "url" not in action
        data = action.get("data") or {}
        if data.get("action") == "export_download":
            buttons[action["title"]] = (data["scope"], data["format"])
    return buttons


async def download(
    client: TestClient[Any, Any],
    connector: FakeBotConnector,
    person: dict[str, str],
    card: dict[str, Any],
    scope: str,
    kind: str,
) -> tuple[bytes, str]:
    """Press the export card's button for a file, follow the link it answers with: the file
    and its name."""
    [button] = [
        a
        for a in card["actions"]
        if (a.get("data") or {}).get("action") == "export_download"
        and (a["data"]["scope"], a["data"]["format"]) == (scope, kind)
    ]
    await post(client, card_action(connector, person, button, {}, reply_to=card.get("_id")))
    answer = cards_to(connector, person)[-1]
    assert_valid_cards([answer])
    [link] = [a["url"] for a in answer["actions"] if a["type"] == "Action.OpenUrl"]
    response = await client.get(path_of(link))
    assert response.status == 200, await response.text()
    return await response.read(), file_name_of(response.headers["Content-Disposition"])


def csv_rows(content: bytes) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";")
    return list(reader)


async def test_hr_and_a_lead_export_in_teams_and_the_command_line_gives_the_same_rows(
    app: tuple[TestClient[Any, Any], FakeBotConnector, Settings],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client, connector, settings = app
    db = db_of(client)
    org, programme = await organisation(db)
    async with db.session() as s:
        ao = (await s.exec(select(Department).where(Department.code == "ÄO"))).one().id
    roles = RoleStore(db)
    await roles.grant(
        organisation_id=org,
        principal=KARIN["aadObjectId"],
        role=Role.HR_ADMIN,
        created_by="test",
        now=utcnow(),
    )
    await roles.grant(
        organisation_id=org,
        principal=LEA["upn"],
        role=Role.DEPARTMENT_LEAD,
        created_by="test",
        now=utcnow(),
        department_id=ao,
    )
    for person in (KARIN, LEA):
        await install(client, connector, person)
    answers = {
        "Maria": Answer(3, support=2),
        "Leila": Answer(4),
        "Karin": Answer(5, support=1),
        "Mikael": Answer(4),
        "Sara": Answer(3),
        "Erik": Answer(2, support=2),  # alone in LSS
    }
    round_id = await a_round(db, org, programme, "Delår 1 2026", 5, answers, CONFIDENTIAL)
    await close_round(db, round_id=round_id, now=utcnow())

    # the digest card offers the export; "exportera" shows the same card
    await say(client, connector, KARIN, f"sammanställning {round_id}")
    digest = cards_to(connector, KARIN)[-1]
    [to_export] = [a for a in digest["actions"] if a["title"] == "Exportera för Power BI"]
    await post(client, card_action(connector, KARIN, to_export, {}, reply_to=digest.get("_id")))
    card = cards_to(connector, KARIN)[-1]
    assert_valid_cards([card])
    assert export_buttons(card) == {
        "CSV – den här omgången": ("round", "csv"),
        "XLSX – den här omgången": ("round", "xlsx"),
        "CSV – alla stängda omgångar": ("programme", "csv"),
        "XLSX – alla stängda omgångar": ("programme", "xlsx"),
    }
    await say(client, connector, KARIN, "exportera")
    assert export_buttons(cards_to(connector, KARIN)[-1]) == export_buttons(card)

    content, name = await download(client, connector, KARIN, card, "round", "csv")
    assert name == "Ledarpuls export Delår 1 2026.csv"
    teams = csv_rows(content)
    confidence = [r for r in teams if r["section"] == "confidence"]
    hidden = {r["department"] for r in confidence if r["suppressed"] == "group_protected"}
    assert hidden == {IFO, LSS}  # two of Maria and Leila, one of Erik: together three
    xlsx, xlsx_name = await download(client, connector, KARIN, card, "programme", "xlsx")
    assert xlsx[:2] == b"PK" and xlsx_name == "Ledarpuls export starka-chefer-2024-2027.xlsx"

    # the command line, on the same database: the same rows
    out = tmp_path / "export.csv"
    cli_settings = Settings(_env_file=None, database_url=settings.database_url, run_scheduler=False)  # type: ignore[call-arg]
    code = await asyncio.to_thread(
        run, ["export", str(round_id), "--out", str(out), "--org", TENANT], cli_settings
    )
    printed, err = capsys.readouterr()
    assert code == 0, err
    assert f"Exporten är skriven till {out} ({len(teams)} rader)." in printed
    assert csv_rows(out.read_bytes()) == teams
    assert out.read_bytes() == content

    # Lea leads Äldreomsorg: the organisation's figures and her department's, nothing else
    await say(client, connector, LEA, "exportera")
    leas = cards_to(connector, LEA)[-1]
    assert "Du får siffrorna för hela organisationen och för dina egna avdelningar." in str(leas)
    mine = csv_rows((await download(client, connector, LEA, leas, "round", "csv"))[0])
    assert {r["department"] for r in mine} == {"", AO}
    assert mine == [
        r
        for r in teams
        if r["department"] == AO or (r["level"] == "organisation" and r["section"] != "response")
    ]

    async with db.session() as s:
        exports = (
            await s.exec(
                select(AuditEvent)
                .where(AuditEvent.action == "figures.export")
                .order_by(col(AuditEvent.id))
            )
        ).all()
    assert [(e.actor, e.detail["format"], e.detail["departments"]) for e in exports] == [
        (KARIN["upn"], "csv", None),
        (KARIN["upn"], "xlsx", None),
        (exports[2].actor, "csv", None),
        (LEA["upn"], "csv", [ao]),
    ]
    assert exports[2].actor.startswith("cli:")


async def test_an_open_round_has_nothing_to_export_yet(
    app: tuple[TestClient[Any, Any], FakeBotConnector, Settings],
) -> None:
    client, connector, _ = app
    db = db_of(client)
    org, programme = await organisation(db)
    await RoleStore(db).grant(
        organisation_id=org,
        principal=KARIN["aadObjectId"],
        role=Role.HR_ADMIN,
        created_by="test",
        now=utcnow(),
    )
    await install(client, connector, KARIN)
    round_id = await a_round(db, org, programme, "Delår 1 2026", 5, {"Maria": Answer(3)})
    await say(client, connector, KARIN, f"exportera {round_id}")
    said = str(connector.activities[-1])
    assert "inte stängd än" in said and "Delår 1 2026" in said
