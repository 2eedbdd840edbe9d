"""Benchmark: one round's invitations to 5,000 chefs through a fake Bot Connector at 50 msg/s.

Reports the achieved rate against the tenant limit, 429s, lost and duplicated messages, the
most messages in any one-second window, and peak RSS. Run with `make bench`."""

from __future__ import annotations

import argparse
import asyncio
import collections
import resource
import tempfile
import time
from pathlib import Path

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.connector_cache import CachingBotFrameworkAuthentication
from bot.outbox_dispatcher import OutboxDispatcher
from bot.settings import Settings
from bot.teams_notifier import TeamsNotifier
from followup.policy import Policy
from storage import migrate
from storage.database import Database
from storage.models import Chef, ConversationRef, Organisation
from storage.outbox_store import NewMessage, OutboxStore
from storage.types import utcnow
from tests.fakes.bot_connector import running_connector

TENANT = "b3nc0000-0000-4000-8000-000000000001"


async def prepare(db: Database, service_url: str, chefs: int) -> list[NewMessage]:
    now = utcnow()
    async with db.session() as s, s.begin():
        org = Organisation(tenant_id=TENANT, name="Benchkommunen", default_k=Policy().k)
        s.add(org)
        await s.flush()
        assert org.id is not None
        rows = [
            Chef(
                organisation_id=org.id,
                upn=f"chef{i}@bench.example",
                email=f"chef{i}@bench.example",
                name=f"Chef {i}",
            )
            for i in range(chefs)
        ]
        s.add_all(rows)
        await s.flush()
        for i, chef in enumerate(rows):
            conversation = f"a:bench-{i}"
            s.add(
                ConversationRef(
                    organisation_id=org.id,
                    tenant_id=TENANT,
                    user_id=f"29:chef-{i}",
                    chef_id=chef.id,
                    conversation_id=conversation,
                    service_url=service_url,
                    reference={
                        "user": {"id": f"29:chef-{i}"},
                        "bot": {"id": "28:ledarpuls"},
                        "conversation": {"id": conversation, "conversationType": "personal"},
                        "channelId": "msteams",
                        "serviceUrl": service_url,
                    },
                    updated_at=now,
                )
            )
    return [
        NewMessage(
            organisation_id=org.id,
            dedupe_key=f"round:1:chef:{c.id}:invitation:1",
            kind="invitation",
            chef_id=c.id,
            round_id=None,
            payload={"type": "message", "text": f"Hej {c.name}, en ny uppföljning väntar."},
        )
        for c in rows
    ]


async def main(chefs: int, limit: float, rate: float, database_url: str | None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ledarpuls-bench-"))
    db = Database(database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    await migrate.upgrade(db)
    async with running_connector(tenant_rate=limit, tenant_retry_after="1") as connector:
        messages = await prepare(db, connector.service_url, chefs)
        await OutboxStore(db).enqueue(messages, now=utcnow())
        authentication = CachingBotFrameworkAuthentication(
            ConfigurationBotFrameworkAuthentication(Settings(_env_file=None))  # type: ignore[call-arg]
        )
        adapter = CloudAdapter(authentication)  # type: ignore[call-arg]
        dispatcher = OutboxDispatcher(
            db=db, notifier=TeamsNotifier(adapter, app_id=""), rate=rate, concurrency=8
        )
        cpu_start, wall_start = time.process_time(), time.monotonic()
        task = asyncio.create_task(dispatcher.run(poll=0.2))
        await connector.wait_until(
            lambda: len({a["_conversation"] for a in connector.activities}) >= chefs,
            within=chefs / rate * 3 + 60,
        )
        await asyncio.sleep(1.0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await authentication.close()
        wall, cpu = time.monotonic() - wall_start, time.process_time() - cpu_start

        times = sorted(a["_at"] for a in connector.activities)
        achieved = (len(times) - 1) / (times[-1] - times[0])
        per_chef = collections.Counter(a["_conversation"] for a in connector.activities)
        counts = await OutboxStore(db).counts()
        print(f"chefs:                      {chefs}")
        print(f"tenant limit (fake):        {limit:g} msg/s; dispatcher pace {rate:g} msg/s")
        share = achieved / limit
        print(f"achieved:                   {achieved:.1f} msg/s = {share:.1%} of the limit")
        print(f"most in any 1-s window:     {connector.max_in_window(1.0)}")
        print(f"429 received:               {connector.statuses()[429]}")
        print(f"lost (never delivered):     {chefs - len(per_chef)}")
        print(f"duplicated:                 {sum(n - 1 for n in per_chef.values())}")
        print(f"outbox states:              {dict(counts)}")
        print(f"wall time:                  {wall:.1f} s; CPU {cpu:.1f} s ({cpu / wall:.0%})")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS:                   {peak:.0f} MB (dispatcher and fake connector together)")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chefs", type=int, default=5000)
    parser.add_argument("--limit", type=float, default=50)
    parser.add_argument("--rate", type=float, default=48)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(main(args.chefs, args.limit, args.rate, args.database_url))
