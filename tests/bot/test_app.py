"""The HTTP edge: health, the help text through the real Bot Framework turn, and bad requests."""

from __future__ import annotations

import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select

from bot.app import create_app
from bot.settings import Settings
from storage import migrate
from storage.database import Database
from storage.models import Organisation
from tests.fakes.bot_connector import FakeBotConnector, running_connector

ClientFactory = Callable[[Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector() as fake:
        yield fake


def settings_for(database_url: str, **extra: Any) -> Settings:
    # no scheduler and no dispatcher: these tests are about the HTTP edge alone
    return Settings(_env_file=None, database_url=database_url, run_scheduler=False, **extra)  # type: ignore[call-arg]


def message(service_url: str, text: str, *, locale: str = "sv-SE", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "m1",
        "text": text,
        "locale": locale,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:chef", "name": "Anna Lind", "aadObjectId": "aad-anna"},
        "recipient": {"id": "28:bot", "name": "Ledarpuls"},
        "conversation": {"id": "a:personal-1", "conversationType": "personal", "tenantId": "t1"},
        "channelData": {"tenant": {"id": "t1"}},
        **extra,
    }


async def test_healthz_checks_the_database(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    client = await aiohttp_client(create_app(settings_for(database_url)))
    response = await client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    # what IT needs of this replica, nothing personal
    assert body["database"] == {
        "reachable": True,
        "backend": "postgresql" if database_url.startswith("postgresql") else "sqlite",
        "migration": migrate.head_revision(),
        "migration_expected": migrate.head_revision(),
        "migrated": True,
    }
    # no scheduler in this app: it runs on another replica, or nowhere
    assert body["scheduler"] == {"runs_here": False, "leader": False}


async def test_healthz_reports_a_database_that_does_not_answer(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    from bot.app import DATABASE

    app = create_app(settings_for(database_url))
    client = await aiohttp_client(app)
    database = app[DATABASE]
    working = database.engine
    # the database goes away under a running service
    database.engine = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none").engine
    response = await client.get("/healthz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "database unavailable"
    assert body["database"]["reachable"] is False and body["database"]["migrated"] is False
    await database.engine.dispose()
    database.engine = working


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("hjälp", "sv-SE", "förändringsledare"),
        ("Hjälp!", "sv-SE", "förändringsledare"),
        # the Teams locale changes nothing: the organisation's language (Swedish) is spoken
        ("help", "en-US", "förändringsledare"),
        ("hjälp", None, "förändringsledare"),
    ],
)
async def test_help_is_answered_in_the_users_language(
    aiohttp_client: ClientFactory,
    database_url: str,
    connector: FakeBotConnector,
    text: str,
    locale: str | None,
    expected: str,
) -> None:
    client = await aiohttp_client(create_app(settings_for(database_url)))
    body = message(connector.service_url, text, locale=locale)
    response = await client.post("/api/messages", json=body)
    assert response.status in (200, 201)
    # the first message from an unknown tenant is greeted, then answered
    *_, reply = await connector.wait_for(2)
    assert expected in reply["text"]
    assert reply["_conversation"] == "a:personal-1"
    assert reply["replyToId"] == "m1"


async def test_unknown_text_gets_a_pointer_to_help(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> None:
    client = await aiohttp_client(create_app(settings_for(database_url)))
    await client.post("/api/messages", json=message(connector.service_url, "vad är klockan"))
    *_, reply = await connector.wait_for(2)
    assert "hjälp" in reply["text"]


BAD_BODIES: list[tuple[str, Any]] = [
    ("not an object", [1, 2]),
    ("no type", {"channelId": "msteams"}),
    ("type is a number", {"type": 5}),
    (
        "no service url",
        {
            "type": "message",
            "channelId": "msteams",
            "from": {"id": "x"},
            "conversation": {"id": "c"},
        },
    ),
    (
        "from is a string",
        {
            "type": "message",
            "channelId": "msteams",
            "serviceUrl": "http://x/",
            "from": "me",
            "conversation": {"id": "c"},
        },
    ),
    (
        "conversation without id",
        {
            "type": "message",
            "channelId": "msteams",
            "serviceUrl": "http://x/",
            "from": {"id": "x"},
            "conversation": {},
        },
    ),
    (
        "entities not a list",
        {
            "type": "message",
            "channelId": "msteams",
            "serviceUrl": "http://x/",
            "from": {"id": "x"},
            "conversation": {"id": "c"},
            "entities": {"a": 1},
        },
    ),
    (
        "tenant not an object",
        {
            "type": "message",
            "channelId": "msteams",
            "serviceUrl": "http://x/",
            "from": {"id": "x"},
            "conversation": {"id": "c"},
            "channelData": {"tenant": "t"},
        },
    ),
]


@pytest.mark.parametrize(("case", "body"), BAD_BODIES, ids=[c for c, _ in BAD_BODIES])
async def test_malformed_activities_get_400_and_write_nothing(
    aiohttp_client: ClientFactory, database_url: str, case: str, body: Any
) -> None:
    app = create_app(settings_for(database_url))
    client = await aiohttp_client(app)
    response = await client.post("/api/messages", json=body)
    assert response.status == 400, case
    from bot.app import DATABASE

    async with app[DATABASE].session() as s:
        assert (await s.exec(select(Organisation))).all() == []


async def test_malformed_json_wrong_type_and_oversized_bodies(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    client = await aiohttp_client(create_app(settings_for(database_url)))
    headers = {"Content-Type": "application/json"}
    assert (await client.post("/api/messages", data=b"{not json", headers=headers)).status == 400
    assert (await client.post("/api/messages", data=b"\xff\xfe", headers=headers)).status == 400
    assert (
        await client.post("/api/messages", data=b"text", headers={"Content-Type": "text/plain"})
    ).status == 415
    big = json.dumps({"type": "message", "text": "x" * (1024 * 1024 + 10)}).encode()
    assert (await client.post("/api/messages", data=io.BytesIO(big), headers=headers)).status == 413
    assert (await client.get("/api/messages")).status == 405


def _token(app_id: str, *, kid: str | None = "k1", expires_in: int = 3600) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = {"kid": kid} if kid else {}
    claims = {
        "aud": app_id,
        "iss": "https://api.botframework.com",
        "exp": int(time.time()) + expires_in,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer garbage",
        "Basic dXNlcjpwYXNz",
        "Bearer a.b.c",
        "TOKEN:other-app",
        "TOKEN:expired",
        "TOKEN:no-kid",
        "HS256",
    ],
)
async def test_with_an_app_id_requests_without_a_valid_token_get_401(
    aiohttp_client: ClientFactory,
    database_url: str,
    connector: FakeBotConnector,
    authorization: str | None,
) -> None:
    app_id = "7f0e3c2a-1111-2222-3333-444455556666"
    settings = settings_for(
        database_url, APP_ID=app_id, APP_PASSWORD="not-a-real-secret", APP_TYPE="MultiTenant"
    )
    client = await aiohttp_client(create_app(settings))
    headers: dict[str, str] = {}
    if authorization == "TOKEN:other-app":
        authorization = "Bearer " + _token("some-other-app")
    elif authorization == "TOKEN:expired":
        authorization = "Bearer " + _token(app_id, expires_in=-3600)
    elif authorization == "TOKEN:no-kid":
        authorization = "Bearer " + _token(app_id, kid=None)
    elif authorization == "HS256":
        authorization = "Bearer " + jwt.encode(
            {"aud": app_id, "exp": int(time.time()) + 60},
            "secret-of-32-bytes-at-the-least!",
            algorithm="HS256",
        )
    if authorization is not None:
        headers["Authorization"] = authorization
    response = await client.post(
        "/api/messages", json=message(connector.service_url, "hjälp"), headers=headers
    )
    assert response.status == 401
    assert connector.activities == []
