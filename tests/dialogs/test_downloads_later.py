"""The digest the scheduler sends at midnight, read days later: its buttons still give the file,
to whoever may see it then, through a fresh link; a link kept from before has expired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlmodel import col, select

from bot.app import ADAPTER, create_app
from bot.download_links import DownloadLinks
from bot.outbox_dispatcher import OutboxDispatcher
from bot.settings import Settings
from bot.teams_notifier import TeamsNotifier
from dialogs.outbox_renderer import OutboxRenderer
from followup.rounds.calendar import close_with_results
from storage.models import AuditEvent, Department, Role
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.bot.test_download_links import file_name_of
from tests.dialogs.checkin_world import (
    KARIN,
    activity,
    add_members,
    add_person,
    cards_to,
    db_of,
    install,
    open_a_round,
    organisation,
    post,
    texts_to,
)
from tests.dialogs.conftest import ClientFactory
from tests.dialogs.downloads import digest_buttons, download_buttons, fresh_link, path_of
from tests.fakes.bot_connector import FakeBotConnector, running_connector

SECRET = "s" * 40
# a department lead of Äldreomsorg, who is no chef herself
LEA = {
    "id": "29:lea",
    "aadObjectId": "1a2b3c4d-0001-4000-8000-0000000000a1",
    "upn": "lea.larsson@demo.ledarpuls.se",
    "name": "Lea Larsson",
    "conv": "a:lea",
}


class Clock:
    """The app's time, moved by the test."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def app(
    database_url: str, aiohttp_client: ClientFactory
) -> AsyncIterator[tuple[TestClient[Any, Any], FakeBotConnector, Clock, Settings]]:
    clock = Clock()
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
        yield await aiohttp_client(create_app(settings, clock=clock)), fake, clock, settings


async def test_a_digest_card_pressed_days_later_gives_a_fresh_link_to_whoever_may_see_it_now(
    app: tuple[TestClient[Any, Any], FakeBotConnector, Clock, Settings],
) -> None:
    client, connector, clock, settings = app
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
        now=clock.now,
    )
    await roles.grant(
        organisation_id=org,
        principal=LEA["upn"],
        role=Role.DEPARTMENT_LEAD,
        created_by="test",
        now=clock.now,
        department_id=ao,
    )
    for person in (KARIN, LEA):
        await install(client, connector, person)
    round_id = await open_a_round(db, org, programme, title="Delår 1 Äldreomsorg")

    # the scheduler closes the round at midnight and the outbox sends the digest to both
    await close_with_results(db, round_id=round_id, now=clock.now)
    dispatcher = OutboxDispatcher(
        db=db,
        notifier=TeamsNotifier(client.app[ADAPTER], app_id=""),
        render=OutboxRenderer(db, policy=settings.policy(), clock=clock, downloads=True),
        conversation_interval=0,
    )
    while await dispatcher.dispatch_once():
        pass
    karins, leas = cards_to(connector, KARIN)[-1], cards_to(connector, LEA)[-1]
    for digest in (karins, leas):
        assert "Delår 1 Äldreomsorg" in str(digest)
        # no link on a card that stays in the chat: a button per file
        assert download_buttons(digest) == digest_buttons(settings.soffice)
    kept = await fresh_link(client, connector, KARIN, karins, "docx")  # pressed that night

    clock.now += timedelta(days=3)  # Monday morning
    expired = await client.get(path_of(kept))
    assert expired.status == 410
    assert "Tryck på knappen i Teams igen så får du en ny." in await expired.text()
    # the same card, pressed now: a fresh link, and the file
    link = await fresh_link(client, connector, KARIN, karins, "xlsx")
    assert "Länken gäller i 15 minuter och bara för dig." in str(cards_to(connector, KARIN)[-1])
    download = await client.get(path_of(link))
    assert download.status == 200 and (await download.read())[:2] == b"PK"
    disposition = download.headers["Content-Disposition"]
    assert file_name_of(disposition) == "Sammanställning Delår 1 Äldreomsorg.xlsx"

    # Lea's press gives her cut: her department's, as her role is now
    link = await fresh_link(client, connector, LEA, leas, "md")
    links = DownloadLinks(
        secret=SECRET.encode(),
        base_url="",
        lifetime=settings.policy().link_lifetime,
        clock=clock,
    )
    grant = links.check(path_of(link).rsplit("/", 1)[1])
    assert grant is not None and grant.departments == frozenset({ao})
    assert grant.actor == LEA["upn"]
    text = (await (await client.get(path_of(link))).read()).decode()
    assert "Äldreomsorg" in text and "Individ- och familjeomsorg" not in text

    # Lea is no longer a lead: the same card gives her nothing, and the refusal is on record
    await roles.revoke(
        organisation_id=org, principal=LEA["upn"], role=Role.DEPARTMENT_LEAD, department_id=ao
    )
    cards_before = len(cards_to(connector, LEA))
    leas_press = {**leas["actions"][0]["data"]}
    await post(client, activity(connector, LEA, value=leas_press))
    assert len(cards_to(connector, LEA)) == cards_before  # no link
    assert texts_to(connector, LEA)[-1] == (
        "Det här kortet är till för HR i din organisation, så jag har inte gjort något."
    )
    async with db.session() as s:
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    assert [(e.action, e.detail.get("command")) for e in events if e.actor == LEA["upn"]][-1] == (
        "hr.refused",
        "digest",
    )
    downloads = [(e.actor, e.detail) for e in events if e.action == "digest.download"]
    assert downloads == [
        (KARIN["upn"], {"format": "xlsx"}),
        (LEA["upn"], {"format": "md"}),
    ]
