"""/metrics: what IT watches while a round goes out, and who may read it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application
from prometheus_client.parser import text_string_to_metric_families

from bot.app import DATABASE, DISPATCHER, create_app
from bot.settings import Settings
from followup.policy import Policy
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import Chef
from storage.organisation_store import OrganisationStore
from storage.types import utcnow
from tests.bot.outbox_world import enqueue
from tests.fakes.bot_connector import FakeBotConnector, running_connector

ClientFactory = Callable[[Application], Awaitable[TestClient[Any, Any]]]

LULEA = "7a1b2c3d-0000-4000-8000-0000000000a1"
PITEA = "7a1b2c3d-0000-4000-8000-0000000000b2"
FAMILIES = {
    "ledarpuls_outbox_messages",
    "ledarpuls_database_up",
    "ledarpuls_messages_sent",
    "ledarpuls_teams_throttled",
    "ledarpuls_messages_not_sent",
    "ledarpuls_turn_seconds",
    "ledarpuls_scheduler_leader",
}


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector() as fake:
        yield fake


def settings_for(database_url: str, **extra: Any) -> Settings:
    # no background tasks unless a test asks: it dispatches itself, step by step
    extra.setdefault("run_scheduler", False)
    return Settings(_env_file=None, database_url=database_url, **extra)  # type: ignore[call-arg]


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: TestClient[Any, Any], **headers: str) -> tuple[set[str], Samples]:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    families = list(text_string_to_metric_families(await response.text()))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples
    }
    return {f.name for f in families}, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def organisation(
    db: Database, connector: FakeBotConnector, *, tenant: str, chefs: int
) -> tuple[int, list[int]]:
    """An organisation (a tenant) whose chefs each have a personal conversation."""
    org = await OrganisationStore(db).create(tenant_id=tenant, name=tenant, default_k=Policy().k)
    assert org.id is not None
    async with db.session() as session, session.begin():
        rows = [
            Chef(
                organisation_id=org.id,
                upn=f"chef{i}@{tenant}.example",
                email=f"chef{i}@{tenant}.example",
                name=f"Chef {i}",
            )
            for i in range(chefs)
        ]
        session.add_all(rows)
    ids = [c.id for c in rows if c.id is not None]
    for chef_id in ids:
        conversation = f"a:personal-{tenant}-{chef_id}"
        await ConversationStore(db).remember(
            tenant_id=tenant,
            user_id=f"29:{tenant}-{chef_id}",
            conversation_id=conversation,
            service_url=connector.service_url,
            reference={
                "user": {"id": f"29:{tenant}-{chef_id}"},
                "bot": {"id": "28:ledarpuls", "name": "Ledarpuls"},
                "conversation": {
                    "id": conversation,
                    "conversationType": "personal",
                    "tenantId": tenant,
                },
                "channelId": "msteams",
                "serviceUrl": connector.service_url,
            },
            organisation_id=org.id,
            chef_id=chef_id,
            now=utcnow(),
        )
    return org.id, ids


async def test_every_family_is_there_from_the_start(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    client = await aiohttp_client(create_app(settings_for(database_url)))
    names, samples = await scrape(client)
    assert names >= FAMILIES
    assert value(samples, "ledarpuls_database_up") == 1
    assert value(samples, "ledarpuls_scheduler_leader") == 0  # no scheduler runs here


async def test_a_round_going_out_moves_the_outbox_and_the_counters_per_tenant(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> None:
    app = create_app(settings_for(database_url))
    client = await aiohttp_client(app)
    db, dispatcher = app[DATABASE], app[DISPATCHER]
    lulea, lulea_chefs = await organisation(db, connector, tenant=LULEA, chefs=3)
    pitea, pitea_chefs = await organisation(db, connector, tenant=PITEA, chefs=2)
    await enqueue(db, lulea, lulea_chefs)
    await enqueue(db, pitea, pitea_chefs)

    _, before = await scrape(client)
    assert value(before, "ledarpuls_outbox_messages", tenant=LULEA, state="queued") == 3
    assert value(before, "ledarpuls_outbox_messages", tenant=PITEA, state="queued") == 2
    assert value(before, "ledarpuls_outbox_messages", tenant=PITEA, state="failed") == 0

    while await dispatcher.dispatch_once():
        pass
    await connector.wait_for(5)

    _, after = await scrape(client)
    assert value(after, "ledarpuls_messages_sent_total", tenant=LULEA) == 3
    assert value(after, "ledarpuls_messages_sent_total", tenant=PITEA) == 2
    assert value(after, "ledarpuls_outbox_messages", tenant=LULEA, state="queued") == 0
    assert value(after, "ledarpuls_outbox_messages", tenant=PITEA, state="queued") == 0
    assert value(after, "ledarpuls_teams_throttled_total", tenant=LULEA) == 0


async def test_a_429_counts_for_its_own_tenant_only(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> None:
    app = create_app(settings_for(database_url))
    client = await aiohttp_client(app)
    db, dispatcher = app[DATABASE], app[DISPATCHER]
    lulea, lulea_chefs = await organisation(db, connector, tenant=LULEA, chefs=1)
    pitea, pitea_chefs = await organisation(db, connector, tenant=PITEA, chefs=1)

    connector.fail_next = [429]  # Teams throttles the next message: Luleå's
    await enqueue(db, lulea, lulea_chefs)
    await dispatcher.dispatch_once()
    _, throttled = await scrape(client)
    assert value(throttled, "ledarpuls_teams_throttled_total", tenant=LULEA) == 1
    assert value(throttled, "ledarpuls_messages_sent_total", tenant=LULEA) == 0
    # waiting to be tried again, in the outbox
    assert value(throttled, "ledarpuls_outbox_messages", tenant=LULEA, state="queued") == 1

    await enqueue(db, pitea, pitea_chefs)
    while len(connector.activities) < 2:  # Luleå's again after its Retry-After, and Piteå's
        await dispatcher.dispatch_once()
        await asyncio.sleep(0.05)

    _, done = await scrape(client)
    assert value(done, "ledarpuls_teams_throttled_total", tenant=LULEA) == 1
    assert value(done, "ledarpuls_teams_throttled_total", tenant=PITEA) == 0
    assert value(done, "ledarpuls_messages_sent_total", tenant=LULEA) == 1
    assert value(done, "ledarpuls_messages_sent_total", tenant=PITEA) == 1


async def test_an_unreachable_chef_is_counted_as_not_sent(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> None:
    app = create_app(settings_for(database_url))
    client = await aiohttp_client(app)
    db = app[DATABASE]
    lulea, [chef] = await organisation(db, connector, tenant=LULEA, chefs=1)
    connector.blocked[f"a:personal-{LULEA}-{chef}"] = "ConversationBlockedByUser"
    await enqueue(db, lulea, [chef])
    await app[DISPATCHER].dispatch_once()
    _, samples = await scrape(client)
    assert (
        value(samples, "ledarpuls_messages_not_sent_total", tenant=LULEA, outcome="unreachable")
        == 1
    )
    assert value(samples, "ledarpuls_outbox_messages", tenant=LULEA, state="unreachable") == 1


async def test_turns_are_timed_by_activity_type(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> None:
    client = await aiohttp_client(create_app(settings_for(database_url)))
    body = {
        "type": "message",
        "id": "m1",
        "text": "hjälp",
        "channelId": "msteams",
        "serviceUrl": connector.service_url,
        "from": {"id": "29:chef", "name": "Anna Lind", "aadObjectId": "aad-anna"},
        "recipient": {"id": "28:bot", "name": "Ledarpuls"},
        "conversation": {"id": "a:personal-1", "conversationType": "personal", "tenantId": "t1"},
        "channelData": {"tenant": {"id": "t1"}},
    }
    assert (await client.post("/api/messages", json=body)).status in (200, 201)
    # refused before any turn: not a turn, not timed
    assert (await client.post("/api/messages", json={"type": "message"})).status == 400
    _, samples = await scrape(client)
    assert value(samples, "ledarpuls_turn_seconds_count", type="message") == 1
    assert value(samples, "ledarpuls_turn_seconds_count", type="invoke") == 0
    # nothing of the person in the figures
    text = await (await client.get("/metrics")).text()
    assert "Anna" not in text and "aad-anna" not in text and "29:chef" not in text


async def test_the_replica_that_leads_says_so_and_two_apps_count_apart(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> None:
    leading = await aiohttp_client(create_app(settings_for(database_url, run_scheduler=True)))
    web_only = await aiohttp_client(create_app(settings_for(database_url)))
    for _ in range(200):  # the first tick takes the leader's lock
        _, samples = await scrape(leading)
        if value(samples, "ledarpuls_scheduler_leader") == 1:
            break
        await asyncio.sleep(0.05)
    assert value(samples, "ledarpuls_scheduler_leader") == 1
    _, other = await scrape(web_only)
    assert value(other, "ledarpuls_scheduler_leader") == 0
    health = await (await leading.get("/healthz")).json()
    assert health["scheduler"] == {"runs_here": True, "leader": True}


async def test_from_elsewhere_it_is_not_there_without_the_token(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    client = await aiohttp_client(create_app(settings_for(database_url)))
    # a proxy on this machine passing on a request from outside
    response = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status == 404


async def test_with_a_token_set_only_a_scraper_that_sends_it_reads(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    client = await aiohttp_client(
        create_app(settings_for(database_url, metrics_token="s3cret-scrape"))
    )
    assert (await client.get("/metrics")).status == 404
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status == 404
    names, _ = await scrape(client, Authorization="Bearer s3cret-scrape")
    assert names >= FAMILIES
    forwarded = await client.get(
        "/metrics",
        headers={"Authorization": "Bearer s3cret-scrape", "X-Forwarded-For": "203.0.113.9"},
    )
    assert forwarded.status == 200  # the token is what counts, wherever it comes from
