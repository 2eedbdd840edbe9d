"""Installs and identities through the real endpoint: matched, greeted, reachable or not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application
from sqlmodel import select

from bot.app import DATABASE, create_app
from bot.settings import Settings
from followup.imports.plan import import_plan
from followup.imports.roster import import_roster
from followup.policy import Policy
from storage.database import Database
from storage.models import Chef, ConversationRef, Organisation
from storage.organisation_store import OrganisationStore
from tests.conftest import EXAMPLES
from tests.fakes.bot_connector import FakeBotConnector, running_connector

ClientFactory = Callable[[Application], Awaitable[TestClient[Any, Any]]]
TENANT = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
KARIN = {"id": "29:karin", "aadObjectId": "1a2b3c4d-0001-4000-8000-000000000004"}


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector() as fake:
        fake.add_member(
            KARIN["id"],
            name="Karin Sjöberg",
            aad_object_id=KARIN["aadObjectId"],
            user_principal_name="Karin.Sjoberg@demo.ledarpuls.se",
            email="karin.sjoberg@demo.ledarpuls.se",
            tenant_id=TENANT,
        )
        fake.add_member(
            "29:stranger",
            name="Stina Främling",
            aad_object_id="9f9f9f9f-0000-4000-8000-000000000099",
            user_principal_name="stina.framling@demo.ledarpuls.se",
            tenant_id=TENANT,
        )
        yield fake


async def organisation(db: Database, *, self_enrol: bool = False) -> int:
    org = await OrganisationStore(db).create(
        tenant_id=TENANT, name="Demokommunen", self_enrol=self_enrol, default_k=Policy().k
    )
    assert org.id is not None
    await import_plan(db, organisation_id=org.id, path=EXAMPLES / "demo-plan.yaml")
    await import_roster(db, organisation_id=org.id, path=EXAMPLES / "demo-roster.yaml")
    return org.id


def activity(
    connector: FakeBotConnector,
    kind: str,
    user: dict[str, str],
    *,
    conversation: str = "a:karin-personal",
    conversation_type: str = "personal",
    service_url: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": kind,
        "id": f"in-{kind}",
        "channelId": "msteams",
        "serviceUrl": service_url or connector.service_url,
        "from": user,
        "recipient": {"id": "28:ledarpuls", "name": "Ledarpuls"},
        "conversation": {
            "id": conversation,
            "conversationType": conversation_type,
            "tenantId": TENANT,
        },
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "sv-SE",
        **extra,
    }


@pytest.fixture
async def app(aiohttp_client: ClientFactory, database_url: str) -> TestClient[Any, Any]:
    settings = Settings(_env_file=None, database_url=database_url, run_scheduler=False)  # type: ignore[call-arg]
    return await aiohttp_client(create_app(settings))


def db_of(client: TestClient[Any, Any]) -> Database:
    return client.app[DATABASE]


async def chef(db: Database, upn: str) -> Chef:
    async with db.session() as s:
        return (await s.exec(select(Chef).where(Chef.upn == upn))).one()


async def test_install_matches_the_chef_greets_once_and_keeps_the_conversation(
    app: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    db = db_of(app)
    await organisation(db)
    install = activity(connector, "installationUpdate", KARIN, action="add")
    assert (await app.post("/api/messages", json=install)).status in (200, 201)
    members_added = activity(
        connector, "conversationUpdate", KARIN, membersAdded=[KARIN, {"id": "28:ledarpuls"}]
    )
    assert (await app.post("/api/messages", json=members_added)).status in (200, 201)

    [welcome] = await connector.wait_for(1)
    card = welcome["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = " ".join(b.get("text", "") for b in card["content"]["body"])
    assert "Välkommen till Ledarpuls, Karin!" in texts
    facts = card["content"]["body"][3]["facts"]
    assert [f["title"] for f in facts] == ["Med ditt namn", "Bara som sammanställning", "Citat"]

    karin = await chef(db, "karin.sjoberg@demo.ledarpuls.se")
    assert karin.aad_object_id == KARIN["aadObjectId"]  # remembered from the lookup
    assert karin.unreachable_code is None
    async with db.session() as s:
        [ref] = (await s.exec(select(ConversationRef))).all()
    assert (ref.chef_id, ref.conversation_id, ref.installed) == (karin.id, "a:karin-personal", True)
    assert ref.reference["conversation"]["id"] == "a:karin-personal"
    assert len(connector.activities) == 1  # greeted once, not twice


async def test_uninstall_makes_the_chef_unreachable_and_reinstall_reachable(
    app: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    db = db_of(app)
    await organisation(db)
    await app.post(
        "/api/messages", json=activity(connector, "installationUpdate", KARIN, action="add")
    )
    await app.post(
        "/api/messages", json=activity(connector, "installationUpdate", KARIN, action="remove")
    )
    karin = await chef(db, "karin.sjoberg@demo.ledarpuls.se")
    assert karin.unreachable_code == "AppUninstalled"
    async with db.session() as s:
        [ref] = (await s.exec(select(ConversationRef))).all()
    assert ref.installed is False

    await app.post(
        "/api/messages", json=activity(connector, "installationUpdate", KARIN, action="add")
    )
    karin = await chef(db, "karin.sjoberg@demo.ledarpuls.se")
    assert karin.unreachable_code is None
    assert len(await connector.wait_for(2)) == 2  # welcomed again


async def test_every_activity_refreshes_service_url_and_locale(
    app: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    db = db_of(app)
    await organisation(db)
    await app.post(
        "/api/messages", json=activity(connector, "installationUpdate", KARIN, action="add")
    )
    moved = connector.service_url.rstrip("/") + "/"  # same server, as Teams may move regions
    message = activity(
        connector,
        "message",
        KARIN,
        service_url=moved.replace("127.0.0.1", "localhost"),
        text="help",
        locale="en-GB",
        localTimezone="Europe/London",
    )
    await app.post("/api/messages", json=message)
    async with db.session() as s:
        [ref] = (await s.exec(select(ConversationRef))).all()
    assert ref.service_url.startswith("http://localhost:")
    assert ref.reference["serviceUrl"] == ref.service_url
    assert (ref.locale, ref.timezone) == ("en-GB", "Europe/London")


async def test_someone_not_in_the_roster_is_told_to_ask_hr(
    app: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    db = db_of(app)
    await organisation(db)
    stranger = {"id": "29:stranger", "aadObjectId": "9f9f9f9f-0000-4000-8000-000000000099"}
    await app.post(
        "/api/messages",
        json=activity(
            connector, "installationUpdate", stranger, conversation="a:stina", action="add"
        ),
    )
    [reply] = await connector.wait_for(1)
    assert "Be HR att lägga till dig" in reply["text"]
    assert "stina.framling@demo.ledarpuls.se" in reply["text"]
    async with db.session() as s:
        assert (await s.exec(select(Chef).where(Chef.upn.startswith("stina")))).all() == []  # type: ignore[attr-defined]


async def test_self_enrolment_adds_the_chef_when_the_organisation_allows_it(
    app: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    db = db_of(app)
    await organisation(db, self_enrol=True)
    stranger = {"id": "29:stranger", "aadObjectId": "9f9f9f9f-0000-4000-8000-000000000099"}
    await app.post(
        "/api/messages",
        json=activity(
            connector, "installationUpdate", stranger, conversation="a:stina", action="add"
        ),
    )
    [welcome] = await connector.wait_for(1)
    texts = " ".join(b.get("text", "") for b in welcome["attachments"][0]["content"]["body"])
    assert "Du har lagts till som enhetschef i Demokommunen" in texts
    stina = await chef(db, "stina.framling@demo.ledarpuls.se")
    assert (stina.source, stina.name, stina.active) == ("self", "Stina Främling", True)


async def test_an_unknown_tenant_and_a_group_chat_are_answered_kindly(
    app: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    db = db_of(app)
    await app.post(
        "/api/messages", json=activity(connector, "installationUpdate", KARIN, action="add")
    )
    [reply] = await connector.wait_for(1)
    assert "inte igång för din organisation" in reply["text"]

    await organisation(db)
    await app.post(
        "/api/messages",
        json=activity(
            connector,
            "installationUpdate",
            KARIN,
            conversation="19:group",
            action="add",
            conversation_type="groupChat",
        ),
    )
    replies = await connector.wait_for(2)
    assert "personliga chatten" in replies[-1]["text"]
    async with db.session() as s:
        refs = (await s.exec(select(ConversationRef))).all()
    assert [r.conversation_id for r in refs] == ["a:karin-personal"]


async def test_english_teams_gets_the_welcome_in_the_organisations_language(
    app: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    db = db_of(app)
    org = await organisation(db)
    install = activity(connector, "installationUpdate", KARIN, action="add", locale="en-US")
    await app.post("/api/messages", json=install)
    [welcome] = await connector.wait_for(1)
    # a Swedish organisation welcomes in Swedish, whatever the Teams client says
    assert welcome["attachments"][0]["content"]["body"][0]["text"] == (
        "Välkommen till Ledarpuls, Karin!"
    )
    # an organisation whose default is English welcomes in English
    async with db.session() as s, s.begin():
        stored = await s.get(Organisation, org)
        assert stored is not None
        stored.default_language = "en"
    stranger = {"id": "29:stranger", "aadObjectId": "9f9f9f9f-0000-4000-8000-000000000099"}
    other = activity(
        connector,
        "installationUpdate",
        stranger,
        conversation="a:stina",
        action="add",
        locale="sv-SE",
    )
    await app.post("/api/messages", json=other)
    *_, reply = await connector.wait_for(2)
    assert "You are not in the list of unit managers" in reply["text"]


async def test_a_chef_invited_before_installing_gets_the_invitation_on_install(
    app: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    from bot.app import DISPATCHER
    from tests.dialogs.checkin_world import open_a_round

    db = db_of(app)
    org = await organisation(db)
    async with db.session() as s:
        from storage.models import Programme

        programme = (await s.exec(select(Programme))).one()
    assert programme.id is not None
    await open_a_round(db, org, programme.id)
    while await app.app[DISPATCHER].dispatch_once():  # nobody has the app: all unreachable
        pass
    assert connector.activities == []

    await app.post(
        "/api/messages", json=activity(connector, "installationUpdate", KARIN, action="add")
    )
    while await app.app[DISPATCHER].dispatch_once():
        pass
    cards = [a["attachments"][0]["content"] for a in connector.activities if a.get("attachments")]
    assert len(cards) == 2  # the welcome, then the invitation to the open round
    assert "Starta" in str(cards[1])
