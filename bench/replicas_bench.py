"""Benchmark: several tenants' invitations sent by two replicas on one PostgreSQL database.

The fake Bot Connector runs in a process of its own and enforces Teams' limit per tenant; each
replica is a process with its own outbox dispatcher and engine. Optionally one tenant is
throttled (429 with Retry-After) part-way. Reports per tenant, from the fake's own log: the
achieved rate against the limit, the most requests in any 1-second window, 429s; then lost and
duplicated messages, and CPU per message of the replicas. Needs PostgreSQL:

    python -m bench.replicas_bench --database-url postgresql://… [--tenants 5 --chefs 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import multiprocessing.connection
import time
from dataclasses import dataclass
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from sqlmodel import func, select

from bot.connector_cache import CachingBotFrameworkAuthentication
from bot.outbox_dispatcher import OutboxDispatcher
from bot.settings import Settings
from bot.teams_notifier import TeamsNotifier
from storage import migrate
from storage.database import Database
from storage.models import Chef, ConversationRef, Organisation
from storage.outbox_store import NewMessage, OutboxStore
from storage.types import utcnow
from tests.fakes.bot_connector import running_connector

Pipe = multiprocessing.connection.Connection


def tenant_of(index: int) -> str:
    return f"b3nc0000-0000-4000-8000-{index:012d}"


def conversation_of(tenant: int, chef: int) -> str:
    return f"a:bench-{tenant}-{chef}"


@dataclass(frozen=True)
class Plan:
    tenants: int
    chefs: int
    limit: float
    rate: float
    throttle: float  # seconds tenant 0 is throttled once a quarter of its messages went; 0: not


# ---- the fake connector's process ------------------------------------------------------------


def connector_process(plan: Plan, pipe: Pipe) -> None:
    asyncio.run(_connector(plan, pipe))


async def _connector(plan: Plan, pipe: Pipe) -> None:
    async with running_connector(tenant_rate=plan.limit, tenant_retry_after="1") as fake:
        for t in range(plan.tenants):
            for c in range(plan.chefs):
                fake.conversation_tenants[conversation_of(t, c)] = tenant_of(t)
        pipe.send(fake.service_url)
        throttled_at = None
        if plan.throttle > 0:
            # once a quarter of all messages went
            everything = plan.tenants * plan.chefs
            await fake.wait_until(lambda: len(fake.activities) >= everything // 4, within=3600)
            throttled_at = time.monotonic()
            fake.throttle(plan.throttle, tenant=tenant_of(0))
        await asyncio.to_thread(pipe.recv)  # until the main process asks for the log
        log = [(a["at"], a["tenant"], a["status"], a["conversation"]) for a in fake.attempts]
        pipe.send((throttled_at, log))


# ---- a replica's process ---------------------------------------------------------------------


def replica_process(database_url: str, rate: float, concurrency: int, pipe: Pipe) -> None:
    asyncio.run(_replica(database_url, rate, concurrency, pipe))


async def _replica(database_url: str, rate: float, concurrency: int, pipe: Pipe) -> None:
    db = Database(database_url)
    authentication = CachingBotFrameworkAuthentication(
        ConfigurationBotFrameworkAuthentication(Settings(_env_file=None))  # type: ignore[call-arg]
    )
    adapter = CloudAdapter(authentication)  # type: ignore[call-arg]
    dispatcher = OutboxDispatcher(
        db=db, notifier=TeamsNotifier(adapter, app_id=""), rate=rate, concurrency=concurrency
    )
    cpu = time.process_time()
    task = asyncio.create_task(dispatcher.run(poll=0.2))
    await asyncio.to_thread(pipe.recv)  # until the main process says stop
    await dispatcher.shut_down(task, grace=5)
    pipe.send(time.process_time() - cpu)
    await authentication.close()
    await db.dispose()


# ---- the run ---------------------------------------------------------------------------------


async def prepare(db: Database, plan: Plan, service_url: str) -> int:
    now = utcnow()
    messages: list[NewMessage] = []
    for t in range(plan.tenants):
        async with db.session() as s, s.begin():
            org = Organisation(tenant_id=tenant_of(t), name=f"Benchkommun {t}", default_k=3)
            s.add(org)
            await s.flush()
            assert org.id is not None
            chefs = [
                Chef(
                    organisation_id=org.id,
                    upn=f"chef{c}@bench{t}.example",
                    email=f"chef{c}@bench{t}.example",
                    name=f"Chef {c}",
                )
                for c in range(plan.chefs)
            ]
            s.add_all(chefs)
            await s.flush()
            for c, chef in enumerate(chefs):
                conversation = conversation_of(t, c)
                s.add(
                    ConversationRef(
                        organisation_id=org.id,
                        tenant_id=tenant_of(t),
                        user_id=f"29:chef-{t}-{c}",
                        chef_id=chef.id,
                        conversation_id=conversation,
                        service_url=service_url,
                        reference={
                            "user": {"id": f"29:chef-{t}-{c}"},
                            "bot": {"id": "28:ledarpuls"},
                            "conversation": {"id": conversation, "conversationType": "personal"},
                            "channelId": "msteams",
                            "serviceUrl": service_url,
                        },
                        updated_at=now,
                    )
                )
                messages.append(
                    NewMessage(
                        organisation_id=org.id,
                        dedupe_key=f"bench:{t}:{c}:invitation",
                        kind="invitation",
                        chef_id=chef.id,
                        payload={"type": "message", "text": f"Hej {chef.name}, en ny uppföljning."},
                    )
                )
    # the tenants' messages interleaved, as several rounds opening at once
    messages.sort(key=lambda m: m.dedupe_key.split(":")[2])
    return await OutboxStore(db).enqueue(messages, now=now)


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def main(plan: Plan, replicas: int, concurrency: int, database_url: str) -> None:
    db = Database(database_url)
    await migrate.upgrade(db)
    async with db.session() as s:
        if (await s.exec(select(func.count()).select_from(Organisation))).one():
            await db.dispose()
            raise SystemExit("the bench fills the database: give it an empty one (createdb)")
    spawn = multiprocessing.get_context("spawn")
    fake_end, fake_here = spawn.Pipe()
    fake = spawn.Process(target=connector_process, args=(plan, fake_end))
    fake.start()
    service_url = fake_here.recv()
    total = await prepare(db, plan, service_url)
    pipes: list[Pipe] = []
    processes = []
    wall = time.monotonic()
    for _ in range(replicas):
        end, here = spawn.Pipe()
        process = spawn.Process(
            target=replica_process, args=(database_url, plan.rate, concurrency, end)
        )
        process.start()
        pipes.append(here)
        processes.append(process)
    store = OutboxStore(db)
    deadline = time.monotonic() + total / plan.rate * 3 + 120
    while time.monotonic() < deadline:
        counts = await store.counts()
        if counts.get("queued", 0) == 0 and counts.get("sending", 0) == 0:
            break
        await asyncio.sleep(0.5)
    wall = time.monotonic() - wall
    for pipe in pipes:
        pipe.send("stop")
    cpu = sum(pipe.recv() for pipe in pipes)
    fake_here.send("log")
    throttled_at, log = fake_here.recv()
    for process in [*processes, fake]:
        process.join(30)
    counts = await store.counts()
    await db.dispose()
    report(plan, replicas, total, counts, log, throttled_at, wall, cpu)


def report(
    plan: Plan,
    replicas: int,
    total: int,
    counts: collections.Counter[str],
    log: list[tuple[float, str, int, Any]],
    throttled_at: float | None,
    wall: float,
    cpu: float,
) -> None:
    print(
        f"{plan.tenants} tenants × {plan.chefs} chefs, {replicas} replicas on PostgreSQL, "
        f"the fake connector in its own process at {plan.limit:g}/s per tenant; "
        f"rate {plan.rate:g}/s per tenant"
    )
    delivered = collections.Counter(conv for _, _, status, conv in log if status in (200, 201))
    for t in range(plan.tenants):
        tenant = tenant_of(t)
        mine = [(at, status) for at, tn, status, _ in log if tn == tenant]
        ok = sorted(at for at, status in mine if status in (200, 201))
        achieved = (len(ok) - 1) / (ok[-1] - ok[0]) if len(ok) > 1 else 0.0
        refused = sum(status == 429 for _, status in mine)
        line = (
            f"  tenant {t}: {achieved:5.1f} msg/s = {achieved / plan.limit:6.1%} of the limit, "
            f"most in any 1 s {max_in_window(sorted(at for at, _ in mine))}, 429s {refused}"
        )
        if throttled_at is not None:
            during = [s for at, s in mine if throttled_at <= at < throttled_at + plan.throttle]
            line += f", requests during the {plan.throttle:g} s pause {len(during)}"
        print(line)
    print(f"  lost {total - len(delivered)}, duplicated {sum(n - 1 for n in delivered.values())}")
    print(f"  outbox states {dict(counts)}")
    print(
        f"  wall {wall:.1f} s, all tenants {total / wall:.1f} msg/s; replicas' CPU {cpu:.1f} s "
        f"= {cpu / total * 1000:.1f} ms a message"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="PostgreSQL (its bench tables)")
    parser.add_argument("--tenants", type=int, default=5)
    parser.add_argument("--chefs", type=int, default=2000, help="chefs per tenant")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--limit", type=float, default=50)
    parser.add_argument("--rate", type=float, default=45)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--throttle", type=float, default=0.0, help="seconds; 0: none")
    args = parser.parse_args()
    plan = Plan(args.tenants, args.chefs, args.limit, args.rate, args.throttle)
    asyncio.run(main(plan, args.replicas, args.concurrency, args.database_url))
