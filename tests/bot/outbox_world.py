"""A small world for outbox tests: an organisation, chefs with conversations, queued messages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.connector_cache import CachingBotFrameworkAuthentication
from bot.outbox_dispatcher import OutboxDispatcher
from bot.settings import Settings
from bot.teams_notifier import TeamsNotifier
from followup.policy import Policy
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import Chef, OutboxKind
from storage.organisation_store import OrganisationStore
from storage.outbox_store import NewMessage, OutboxStore
from storage.types import utcnow
from tests.fakes.bot_connector import FakeBotConnector

TENANT = "7a1b2c3d-0000-4000-8000-00000000000a"


def conversation_of(index: int) -> str:
    return f"a:personal-{index}"


def reference(service_url: str, index: int, tenant: str = TENANT) -> dict[str, Any]:
    return {
        "activityId": None,
        "user": {"id": f"29:chef-{index}", "aadObjectId": f"aad-{index}"},
        "bot": {"id": "28:ledarpuls", "name": "Ledarpuls"},
        "conversation": {
            "id": conversation_of(index),
            "conversationType": "personal",
            "tenantId": tenant,
        },
        "channelId": "msteams",
        "serviceUrl": service_url,
    }


async def world(
    db: Database,
    connector: FakeBotConnector,
    chefs: int,
    *,
    tenant: str = TENANT,
    name: str = "Kommunen",
    first: int = 0,
) -> tuple[int, list[int]]:
    """An organisation with `chefs` chefs, each with a stored personal conversation (numbered
    from `first`: the chefs of several organisations each have their own)."""
    org = await OrganisationStore(db).create(tenant_id=tenant, name=name, default_k=Policy().k)
    assert org.id is not None
    ids: list[int] = []
    async with db.session() as session, session.begin():
        rows = [
            Chef(
                organisation_id=org.id,
                upn=f"chef{i}@kommun.example",
                email=f"chef{i}@kommun.example",
                name=f"Chef {i}",
            )
            for i in range(first, first + chefs)
        ]
        session.add_all(rows)
    ids = [c.id for c in rows if c.id is not None]
    conversations = ConversationStore(db)
    for index, chef_id in enumerate(ids, start=first):
        connector.conversation_tenants[conversation_of(index)] = tenant
        await conversations.remember(
            tenant_id=tenant,
            user_id=f"29:chef-{index}",
            conversation_id=conversation_of(index),
            service_url=connector.service_url,
            reference=reference(connector.service_url, index, tenant),
            organisation_id=org.id,
            chef_id=chef_id,
            now=utcnow(),
        )
    return org.id, ids


async def enqueue(
    db: Database, org_id: int, chef_ids: list[int], *, kind: str = "reminder", sequence: int = 1
) -> int:
    return await OutboxStore(db).enqueue(
        [
            NewMessage(
                organisation_id=org_id,
                dedupe_key=f"test:{chef_id}:{kind}:{sequence}",
                kind=kind,
                chef_id=chef_id,
                payload={"type": "message", "text": f"Hej chef {chef_id} ({sequence})"},
            )
            for chef_id in chef_ids
        ],
        now=utcnow(),
    )


#: the authentications `dispatcher` made: their HTTP sessions are closed after each test
#: (tests/bot/conftest.py), as the app closes its own at shutdown
OPEN_AUTHENTICATIONS: list[CachingBotFrameworkAuthentication] = []


def dispatcher(db: Database, **options: Any) -> OutboxDispatcher:
    authentication = CachingBotFrameworkAuthentication(
        ConfigurationBotFrameworkAuthentication(Settings(_env_file=None))  # type: ignore[call-arg]
    )
    OPEN_AUTHENTICATIONS.append(authentication)
    adapter = CloudAdapter(authentication)  # type: ignore[call-arg]
    options.setdefault("backoff_base", 0.05)
    options.setdefault("lease", timedelta(seconds=5))
    return OutboxDispatcher(db=db, notifier=TeamsNotifier(adapter, app_id=""), **options)


async def drain(d: OutboxDispatcher, db: Database, *, within: float = 120) -> None:
    """Dispatch until nothing is queued or sending any more."""
    import asyncio
    import time

    deadline = time.monotonic() + within
    store = OutboxStore(db)
    while time.monotonic() < deadline:
        await d.dispatch_once()
        counts = await store.counts()
        if counts.get("queued", 0) == 0 and counts.get("sending", 0) == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"outbox not drained: {await store.counts()}")


__all__ = ["OutboxKind"]
