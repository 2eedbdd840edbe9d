"""Token validation takes its keys from a fake Entra asynchronously: never blocking the loop,
401 within the timeout when the keys do not come, and no fetch per forged request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity

from bot.app import create_app
from bot.settings import Settings
from bot.signing_keys import (
    BACKOFF_FIRST_SECONDS,
    REFRESH_AFTER_SECONDS,
    UNKNOWN_KEY_REFETCH_SECONDS,
    KeyRing,
    SigningKeyUnavailable,
)
from tests.fakes.bot_connector import FakeBotConnector, running_connector
from tests.fakes.entra import FakeEntra, new_key, running_entra

ClientFactory = Callable[[Application], Awaitable[TestClient[Any, Any]]]

APP_ID = "7f0e3c2a-1111-2222-3333-444455556666"


@pytest.fixture
async def entra() -> AsyncIterator[FakeEntra]:
    async with running_entra() as fake:
        yield fake


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector() as fake:
        yield fake


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings(database_url: str, entra: FakeEntra, **extra: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        run_scheduler=False,
        APP_ID=APP_ID,
        APP_PASSWORD="not-a-real-secret",
        APP_TYPE="MultiTenant",
        openid_metadata_url=entra.metadata_url,
        **extra,
    )


def activity(service_url: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "m1",
        "text": "hjälp",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:chef", "aadObjectId": "aad-anna"},
        "recipient": {"id": "28:bot"},
        "conversation": {"id": "a:personal-1", "conversationType": "personal", "tenantId": "t1"},
        "channelData": {"tenant": {"id": "t1"}},
    }


async def authenticate(token: str, service_url: str) -> Any:
    """botbuilder's own validation, as the app configures it."""
    authentication = ConfigurationBotFrameworkAuthentication(
        Settings(_env_file=None, APP_ID=APP_ID, APP_PASSWORD="x")  # type: ignore[call-arg]
    )
    return await authentication.authenticate_request(
        Activity().deserialize(activity(service_url)), f"Bearer {token}"
    )


async def test_botbuilder_accepts_a_token_signed_with_a_published_key_and_no_other(
    entra: FakeEntra,
) -> None:
    service_url = "https://smba.trafficmanager.net/emea/"
    ring = KeyRing(source=entra.metadata_url)
    try:
        with ring.installed():
            result = await authenticate(entra.token(APP_ID, service_url=service_url), service_url)
            assert result.claims_identity.claims["aud"] == APP_ID
            forged = entra.token(APP_ID, service_url=service_url, key=new_key())
            with pytest.raises(Exception, match=r"[Ss]ignature"):
                await authenticate(forged, service_url)
    finally:
        await ring.close()
    # fetched once, and the next token checked with the keys kept
    assert (entra.metadata_requests, entra.key_requests) == (1, 1)


async def test_a_hanging_key_endpoint_never_blocks_the_loop_and_the_request_gets_401(
    aiohttp_client: ClientFactory,
    database_url: str,
    entra: FakeEntra,
    connector: FakeBotConnector,
) -> None:
    client = await aiohttp_client(
        create_app(settings(database_url, entra, openid_fetch_timeout=0.5))
    )
    entra.hang = True
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        token = entra.token(APP_ID, service_url=connector.service_url)
        response = await client.post(
            "/api/messages",
            json=activity(connector.service_url),
            headers={"Authorization": f"Bearer {token}"},
        )
    finally:
        ticking.cancel()
    assert response.status == 401
    assert entra.metadata_requests == 1
    # the loop went on while the keys were awaited (a blocking fetch would have held it)
    assert ticks >= 5
    assert connector.activities == []


async def test_a_failing_key_endpoint_is_not_asked_again_for_every_request(
    aiohttp_client: ClientFactory,
    database_url: str,
    entra: FakeEntra,
    connector: FakeBotConnector,
) -> None:
    client = await aiohttp_client(create_app(settings(database_url, entra)))
    entra.fail_with = 503
    forger = new_key()
    for _ in range(10):  # forged, but plausible at first look: each reaches the validation
        token = entra.token(APP_ID, service_url=connector.service_url, key=forger)
        response = await client.post(
            "/api/messages",
            json=activity(connector.service_url),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status == 401
    # one fetch (two if a very slow machine outlasted the first 5-second back-off; the exact
    # back-off is tested below with a clock of the test's own)
    assert entra.metadata_requests in (1, 2)
    assert connector.activities == []


async def test_old_keys_serve_while_new_ones_are_fetched_in_the_background(
    entra: FakeEntra,
) -> None:
    clock = Clock()
    ring = KeyRing(source=entra.metadata_url, monotonic=clock)
    try:
        keys = ring.for_url("https://login.botframework.com/v1/.well-known/openidconfiguration")
        first = await keys.get("fake-entra-key-1")
        clock.now += REFRESH_AFTER_SECONDS + 1
        entra.hang = True  # the refresh hangs: the key in hand still serves at once
        assert await keys.get("fake-entra-key-1") == first
        await entra_settles(lambda: entra.metadata_requests == 2)
        entra.release()
        await entra_settles(lambda: entra.key_requests == 2)
    finally:
        await ring.close()


async def test_a_failed_fetch_backs_off_and_unknown_key_ids_refetch_rarely(
    entra: FakeEntra,
) -> None:
    clock = Clock()
    ring = KeyRing(source=entra.metadata_url, monotonic=clock)
    try:
        keys = ring.for_url("https://login.botframework.com/v1/.well-known/openidconfiguration")
        entra.fail_with = 500
        for _ in range(5):
            with pytest.raises(SigningKeyUnavailable):
                await keys.get("fake-entra-key-1")
        assert entra.metadata_requests == 1
        clock.now += BACKOFF_FIRST_SECONDS + 0.1
        entra.fail_with = None
        assert await keys.get("fake-entra-key-1")  # the next try, after the back-off
        assert entra.metadata_requests == 2
        # a key id nobody published (a forger's) does not refetch for each token...
        for _ in range(5):
            with pytest.raises(SigningKeyUnavailable):
                await keys.get("made-up")
        assert entra.metadata_requests == 2
        # ...only once the keys are a few minutes old (a key Microsoft just rolled over to)
        clock.now += UNKNOWN_KEY_REFETCH_SECONDS + 1
        with pytest.raises(SigningKeyUnavailable):
            await keys.get("made-up")
        assert entra.metadata_requests == 3
    finally:
        await ring.close()


async def entra_settles(done: Callable[[], bool]) -> None:
    for _ in range(200):
        if done():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the background fetch did not come")
