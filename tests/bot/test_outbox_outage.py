"""Chaos: a 60-second 503 outage of the Bot Connector in the middle of a 150-chef fan-out, with
the dispatcher's real clock and the default retry policy: every chef invited, exactly once.

Run by `make chaos` (about two minutes); the figures go into the README's "Surviving faults"."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import AsyncIterator

import pytest

from storage.database import Database
from storage.outbox_store import OutboxStore
from tests.bot.outbox_world import conversation_of, dispatcher, enqueue, world
from tests.fakes.bot_connector import FakeBotConnector, running_connector

CHEFS = 150
OUTAGE = 60.0

logger = logging.getLogger(__name__)


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector(latency=0.02) as fake:
        yield fake


@pytest.mark.chaos
async def test_a_minute_of_503_during_a_fan_out_loses_and_doubles_nothing(
    db: Database, connector: FakeBotConnector
) -> None:
    org, chefs = await world(db, connector, CHEFS)
    assert await enqueue(db, org, chefs, kind="invitation") == CHEFS
    d = dispatcher(db, rate=40, backoff_base=2.0)  # the production back-off: 2 s … 5 min
    task = asyncio.create_task(d.run(poll=0.2))
    start = time.monotonic()
    try:
        await connector.wait_for(20, within=30)  # the fan-out is under way
        connector.fail_next = [503] * 1_000_000  # then the connector goes down
        down_at = time.monotonic()
        delivered_before = len(connector.activities)
        await asyncio.sleep(OUTAGE)
        connector.fail_next = []
        up_at = time.monotonic()
        await connector.wait_until(
            lambda: len({a["_conversation"] for a in connector.activities}) >= CHEFS,
            within=600,
        )
        done_at = time.monotonic()
        await asyncio.sleep(2.0)  # anything doubled would show by now
    finally:
        d.stop()
        await task

    received = collections.Counter(a["_conversation"] for a in connector.activities)
    counts = await OutboxStore(db).counts()
    refused = connector.statuses()[503]
    figures = (
        f"{CHEFS} chefs, 503 for {OUTAGE:.0f} s after {delivered_before} were delivered:"
        f" {len(received)} of {CHEFS} delivered, {sum(received.values()) - len(received)}"
        f" duplicates, {refused} refused sends, all delivered {done_at - up_at:.1f} s after"
        f" the connector came back ({done_at - start:.1f} s in all, outage from"
        f" {down_at - start:.1f} s)"
    )
    logger.warning("%s", figures)
    print(figures)  # the figures of a chaos run, for the README
    assert received == {conversation_of(i): 1 for i in range(CHEFS)}, figures
    assert counts == {"sent": CHEFS}, figures
    assert refused > 0, figures
