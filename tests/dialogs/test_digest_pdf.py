"""The board's report as PDF/A from Teams: a button on the digest card where LibreOffice is
installed, none where it is not, and a plain message (nothing made, nothing on record) when it
went away between the card and the press.

LibreOffice is played by a stand-in here (`stand_in_soffice`); what the real one makes of the
report is tested in tests/followup/digest/test_pdf.py where it is installed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlmodel import col, select

from bot.app import create_app
from bot.settings import Settings
from storage.models import AuditEvent
from tests.bot.test_download_links import file_name_of
from tests.dialogs.checkin_world import (
    KARIN,
    add_members,
    card_action,
    cards_to,
    db_of,
    install,
    make_hr_admin,
    open_a_round,
    organisation,
    post,
    say,
    texts_to,
)
from tests.dialogs.conftest import ClientFactory
from tests.dialogs.downloads import digest_buttons, download_buttons, fresh_link, path_of
from tests.dialogs.test_privacy_marker import lines_of_docx
from tests.fakes.bot_connector import FakeBotConnector, running_connector
from tests.followup.digest.test_pdf import converted_from, stand_in_soffice, uninstall


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector(conversation_limits=[]) as fake:
        add_members(fake)
        yield fake


async def bot_with(
    database_url: str, aiohttp_client: ClientFactory, soffice: str
) -> TestClient[Any, Any]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        run_scheduler=False,
        public_url="http://127.0.0.1:3978",
        download_link_secret="s" * 40,
        soffice=soffice,
    )
    return await aiohttp_client(create_app(settings))


async def karins_digest(client: TestClient[Any, Any], connector: FakeBotConnector) -> int:
    """Karin, HR admin, with a round open: the round's number."""
    db = db_of(client)
    org, programme = await organisation(db)
    await make_hr_admin(db, org, KARIN)
    await install(client, connector, KARIN)
    return await open_a_round(db, org, programme, title="Delår 1 2026")


async def downloads_on_record(client: TestClient[Any, Any]) -> list[dict[str, Any]]:
    async with db_of(client).session() as s:
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    return [e.detail for e in events if e.action == "digest.download"]


async def test_where_libreoffice_is_installed_hr_downloads_the_pdf_a_from_the_card(
    database_url: str,
    aiohttp_client: ClientFactory,
    connector: FakeBotConnector,
    tmp_path: Path,
) -> None:
    soffice = stand_in_soffice(tmp_path)
    client = await bot_with(database_url, aiohttp_client, soffice)
    round_id = await karins_digest(client, connector)
    await say(client, connector, KARIN, f"sammanställning {round_id}")
    card = cards_to(connector, KARIN)[-1]
    assert download_buttons(card) == {
        "Ladda ner XLSX": "xlsx",
        "Ladda ner DOCX": "docx",
        "Ladda ner PDF/A": "pdf",
        "Ladda ner som text": "md",
    }
    assert download_buttons(card) == digest_buttons(soffice)
    link = await fresh_link(client, connector, KARIN, card, "pdf")
    assert "Din fil är klar: Sammanställning Delår 1 2026.pdf" in str(cards_to(connector, KARIN))
    response = await client.get(path_of(link))
    assert response.status == 200 and response.content_type == "application/pdf"
    assert file_name_of(response.headers["Content-Disposition"]) == (
        "Sammanställning Delår 1 2026.pdf"
    )
    # made from the board's DOCX, as HR downloads it: the same text, the same rules
    pdf = converted_from(await response.read())
    docx = await client.get(path_of(await fresh_link(client, connector, KARIN, card, "docx")))
    assert lines_of_docx(pdf) == lines_of_docx(await docx.read())
    assert await downloads_on_record(client) == [{"format": "pdf"}, {"format": "docx"}]

    # LibreOffice uninstalled while the card stays in the chat: the same button, pressed now
    uninstall(soffice)
    cards_before = len(cards_to(connector, KARIN))
    button = next(a for a in card["actions"] if (a.get("data") or {}).get("format") == "pdf")
    await post(client, card_action(connector, KARIN, button, {}, reply_to=card.get("_id")))
    assert texts_to(connector, KARIN)[-1] == (
        "PDF/A kan inte göras just nu: LibreOffice finns inte längre på servern. Ladda ner DOCX"
        " i stället – den har samma innehåll."
    )
    assert len(cards_to(connector, KARIN)) == cards_before  # no link, no card
    assert len(await downloads_on_record(client)) == 2  # nothing more
    # the link made before: a page that says so, and no file
    gone = await client.get(path_of(link))
    assert gone.status == 503 and "PDF/A kan inte göras just nu" in await gone.text()
    # the digest asked for again offers what can be made now
    await say(client, connector, KARIN, f"sammanställning {round_id}")
    assert download_buttons(cards_to(connector, KARIN)[-1]) == digest_buttons(soffice)
    assert "pdf" not in download_buttons(cards_to(connector, KARIN)[-1]).values()


async def test_without_libreoffice_the_card_offers_no_pdf_a(
    database_url: str,
    aiohttp_client: ClientFactory,
    connector: FakeBotConnector,
    tmp_path: Path,
) -> None:
    client = await bot_with(database_url, aiohttp_client, str(tmp_path / "none" / "soffice"))
    round_id = await karins_digest(client, connector)
    await say(client, connector, KARIN, f"sammanställning {round_id}")
    assert download_buttons(cards_to(connector, KARIN)[-1]) == {
        "Ladda ner XLSX": "xlsx",
        "Ladda ner DOCX": "docx",
        "Ladda ner som text": "md",
    }
