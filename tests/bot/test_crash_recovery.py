"""A real `ledarpuls serve` killed with SIGKILL mid-round, then restarted, finishes the round."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from storage.database import Database
from storage.outbox_store import OutboxStore
from tests.bot.outbox_world import enqueue, world
from tests.bot.test_dev import free_port
from tests.conftest import ROOT
from tests.fakes.bot_connector import FakeBotConnector, running_connector

CHEFS = 150
CONCURRENCY = 8


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector(latency=0.02) as fake:
        yield fake


def serve(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    env.update(
        DATABASE_URL=database_url,
        PORT=str(port),
        OUTBOX_RATE="40",
        OUTBOX_CONCURRENCY=str(CONCURRENCY),
        LOG_LEVEL="WARNING",
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("serve did not become healthy")


async def test_a_killed_dispatcher_finishes_the_round_after_restart(
    db: Database, database_url: str, connector: FakeBotConnector, tmp_path: Path
) -> None:
    org, chefs = await world(db, connector, CHEFS)
    assert await enqueue(db, org, chefs, kind="invitation") == CHEFS
    log = tmp_path / "serve.log"
    port = free_port()

    first = serve(database_url, port, log)
    try:
        await connector.wait_for(CHEFS // 3, within=60)
        first.send_signal(signal.SIGKILL)  # no chance to clean up
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = await OutboxStore(db).counts()
    delivered_before = len(connector.activities)
    assert 0 < delivered_before < CHEFS, "kill the dispatcher mid-round"

    second = serve(database_url, port, log)
    try:
        await wait_healthy(port)
        await connector.wait_until(
            lambda: len({a["_conversation"] for a in connector.activities}) == CHEFS, within=60
        )
        await asyncio.sleep(0.5)  # anything more would arrive now
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0, log.read_text()

    per_chef = collections.Counter(a["_conversation"] for a in connector.activities)
    duplicates = sum(n - 1 for n in per_chef.values())
    assert len(per_chef) == CHEFS  # every chef invited
    assert duplicates <= at_kill.get("sending", 0) <= CONCURRENCY  # only what was in flight
    assert await OutboxStore(db).counts() == {"sent": CHEFS}
    print(
        f"kill -9 after {delivered_before} sent, {at_kill.get('sending', 0)} in flight: "
        f"{duplicates} duplicate(s)"
    )
