"""A real `ledarpuls serve` killed with SIGKILL, or stopped with SIGTERM, mid-round, then
restarted, finishes the round."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from storage.database import Database
from storage.models import OutboxMessage
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


def serve(database_url: str, port: int, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    env.update(
        {
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "OUTBOX_RATE": "40",
            "OUTBOX_CONCURRENCY": str(CONCURRENCY),
            "LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def stopped(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, and its exit code, awaited off the loop (which serves the fake connector the
    stopping server still sends to); killed if it does not exit, so that no server outlives its
    test and sends from the next test's database."""
    process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.to_thread(process.wait, 60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


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
        # what Teams took from the killed one but it never marked sent stays its claim until
        # its lock has been free for the grace period; then it is queued again and goes twice
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if await OutboxStore(db).counts() == {"sent": CHEFS}:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)  # anything more would arrive now
    finally:
        assert await stopped(second) == 0, log.read_text()

    per_chef = collections.Counter(a["_conversation"] for a in connector.activities)
    duplicates = sum(n - 1 for n in per_chef.values())
    assert len(per_chef) == CHEFS  # every chef invited
    assert duplicates <= at_kill.get("sending", 0) <= CONCURRENCY  # only what was in flight
    assert await OutboxStore(db).counts() == {"sent": CHEFS}
    print(
        f"kill -9 after {delivered_before} sent, {at_kill.get('sending', 0)} in flight: "
        f"{duplicates} duplicate(s)"
    )


# what a query cancelled half-way, or a task that died unobserved, leaves in the log
CANCELLED_WORK = (
    "Traceback",
    "Event loop is closed",
    "CancelledError",
    "was never retrieved",
    "Task was destroyed",
)


@pytest.mark.chaos
@pytest.mark.parametrize("teams_says_wait", [False, True], ids=["sends-finish", "handed-back"])
async def test_sigterm_mid_round_cancels_no_query_and_loses_nothing(
    db: Database,
    database_url: str,
    connector: FakeBotConnector,
    tmp_path: Path,
    teams_says_wait: bool,
) -> None:
    org, chefs = await world(db, connector, CHEFS)
    assert await enqueue(db, org, chefs, kind="invitation") == CHEFS
    log = tmp_path / "serve.log"
    port = free_port()
    connector.latency = 0.2  # every send is under way for a while: SIGTERM finds some in flight

    first = serve(database_url, port, log, SHUTDOWN_GRACE="2", LOG_LEVEL="INFO")
    try:
        await connector.wait_for(CHEFS // 3, within=60)
        if teams_says_wait:  # a minute's Retry-After: the sends wait far beyond the grace
            connector.throttle(60)
            await connector.wait_until(lambda: connector.statuses()[429] > 0)
        at_term = time.monotonic()
        first.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(first.wait, 30) == 0, log.read_text()
        stopped_in = time.monotonic() - at_term
    finally:
        if first.poll() is None:
            first.kill()
    output = log.read_text()
    # from the signal to the database closed, as the service logged it (the rest is Python exiting)
    cleanup = [
        datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
        for line in output.splitlines()
        if line.endswith(("ledarpuls: SIGTERM: stopping", "ledarpuls: stopped"))
    ]
    assert len(cleanup) == 2, output
    assert not [s for s in CANCELLED_WORK if s in output], output
    at_exit = await OutboxStore(db).counts()
    delivered_before = len(connector.activities)
    assert at_exit.get("sending", 0) == 0  # finished or handed back: none left for the lease
    assert at_exit["sent"] == delivered_before  # every send that arrived is settled
    assert at_exit["sent"] + at_exit["queued"] == CHEFS

    connector.throttled_until = None
    connector.latency = 0.0
    async with db.session() as s:
        queued = (await s.exec(select(OutboxMessage).where(OutboxMessage.state == "queued"))).all()
    # the sends Teams answered 429 wait out its minute (not in this test); the rest go now
    throttled = sum(1 for row in queued if row.error_code is not None)
    assert throttled == 0 or teams_says_wait
    handed_back = len(queued) - throttled
    assert all(row.attempts == 0 for row in queued if row.error_code is None)

    second = serve(database_url, port, log, SHUTDOWN_GRACE="2")
    try:
        await wait_healthy(port)
        await connector.wait_until(
            lambda: len(connector.activities) >= CHEFS - throttled, within=60
        )
        await asyncio.sleep(0.5)  # anything more would arrive now
    finally:
        assert await stopped(second) == 0, log.read_text()

    per_chef = collections.Counter(a["_conversation"] for a in connector.activities)
    assert max(per_chef.values()) == 1  # nothing twice
    print(
        f"SIGTERM after {delivered_before} sent"
        f" ({'Teams saying wait' if teams_says_wait else 'sending'}):"
        f" cleaned up in {(cleanup[1] - cleanup[0]).total_seconds():.1f} s,"
        f" exited in {stopped_in:.1f} s; {handed_back} queued without an attempt,"
        f" {throttled} waiting for Teams; after restart {len(per_chef)} of {CHEFS} delivered,"
        " none twice"
    )
