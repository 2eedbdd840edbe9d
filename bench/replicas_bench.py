"""Benchmark: a region's tenants served by two replicas of `ledarpuls serve` on one PostgreSQL.

Every part is a process of its own, as deployed: the fake Bot Connector enforcing Teams' limit
per tenant (50 requests a second, 429 with Retry-After above it), and two `ledarpuls serve`
replicas (the real command, each with its scheduler and outbox dispatcher), pointed at the fake
through the conversation references in the database (local mode: no app id, so no token). The
bench gives the database its messages while the replicas run, the way a round opening does:
it writes the outbox rows directly (one per chef and tenant, a message with a card), rather than
importing plans and rosters and opening rounds, so that it measures sending alone.

Three phases, one after the other against the same replicas:

1. **steady**: 5 tenants × 2,000 chefs; per tenant, from the fake's own log: the achieved rate
   against the limit, the most requests in any 1-second window, 429s; lost and duplicated; the
   CPU per message of the two serve processes (from /proc).
2. **throttled**: the fake answers one tenant 429 with Retry-After for a while, once a quarter
   of the phase went; the others' rate meanwhile, and what reached the throttled tenant.
3. **kill -9**: one replica (the scheduler's leader) is killed mid-send; the other takes over
   its claims. Missed (must be 0) and duplicated (at most the messages it had in flight), how
   long until its claims were queued again and sent, and until the survivor led the scheduler.

    python -m bench.replicas_bench [--database-url postgresql://…/bench_replicas]

The database (default `BENCH_REPLICAS_URL`, else the local server's `bench_replicas`) is made
afresh for each run and dropped after it: its name must contain "bench".
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import col, func, select

from storage import migrate
from storage.database import Database
from storage.models import Chef, ConversationRef, Organisation, OutboxMessage
from storage.outbox_store import OWNER_LOCK_SPACE, NewMessage, OutboxStore
from storage.types import utcnow
from tests.fakes.bot_connector import running_connector

Pipe = multiprocessing.connection.Connection
# (when, tenant, status, conversation) of every request the fake answered
Attempt = tuple[float, str, int, str]

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_replicas"
TICKS = os.sysconf("SC_CLK_TCK")


def tenant_of(index: int) -> str:
    return f"b3nc0000-0000-4000-8000-{index:012d}"


def conversation_of(tenant: int, chef: int) -> str:
    return f"a:bench-{tenant}-{chef}"


# ---- the fake connector's process ------------------------------------------------------------


def connector_process(limit: float, pipe: Pipe) -> None:
    asyncio.run(_connector(limit, pipe))


async def _freeze_now_and_then() -> None:
    """Keep the fake's log out of the garbage collector: a full collection of a heap that
    grows by every request stalls its event loop 100+ ms, and the requests that arrive
    meanwhile are stamped when it wakes, all at once — a bunch Teams' own count, at its
    edge, would not see."""
    while True:
        gc.freeze()
        await asyncio.sleep(0.5)


async def _connector(limit: float, pipe: Pipe) -> None:
    """Serve the fake; commands from the bench over the pipe: ("throttle", tenant, after,
    seconds): throttle the tenant once `after` more messages were accepted; ("log",): the
    requests answered since the last ("log",); ("stop",)."""
    freezer = asyncio.create_task(_freeze_now_and_then())
    async with running_connector(tenant_rate=limit, tenant_retry_after="1") as fake:
        pipe.send(fake.service_url)
        throttled: list[float] = []
        watchers: set[asyncio.Task[None]] = set()

        async def throttle_later(tenant: str, after: int, seconds: float) -> None:
            target = len(fake.activities) + after
            await fake.wait_until(lambda: len(fake.activities) >= target, within=3600)
            fake.throttle(seconds, tenant=tenant)
            throttled.append(time.monotonic())

        while True:
            command = await asyncio.to_thread(pipe.recv)
            if command[0] == "throttle":
                task = asyncio.create_task(throttle_later(*command[1:]))
                watchers.add(task)
                task.add_done_callback(watchers.discard)
                pipe.send("ok")
            elif command[0] == "log":
                log = [
                    (a["at"], a["tenant"], a["status"], a["conversation"]) for a in fake.attempts
                ]
                pipe.send((log, list(throttled)))
                fake.attempts.clear()
                fake.activities.clear()
                throttled.clear()
            else:
                freezer.cancel()
                pipe.send("bye")
                return


class Connector:
    """The fake connector's process, seen from the bench."""

    def __init__(self, limit: float) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._pipe, theirs = spawn.Pipe()
        self._process = spawn.Process(target=connector_process, args=(limit, theirs))
        self._process.start()
        self.service_url: str = self._pipe.recv()

    def throttle(self, tenant: str, *, after: int, seconds: float) -> None:
        self._pipe.send(("throttle", tenant, after, seconds))
        self._pipe.recv()

    def log(self) -> tuple[list[Attempt], list[float]]:
        self._pipe.send(("log",))
        log, throttled = self._pipe.recv()
        return log, throttled

    def stop(self) -> None:
        with contextlib.suppress(OSError, EOFError):
            self._pipe.send(("stop",))
            self._pipe.recv()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


# ---- the replicas ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Replica:
    """One `ledarpuls serve` process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def get(self, path: str, token: str | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=3) as answer:
                return answer.status, answer.read()
        except OSError:
            return 0, b""

    def healthz(self) -> dict[str, Any]:
        status, body = self.get("/healthz")
        return json.loads(body) if status == 200 else {}

    def cpu(self) -> float:
        """Seconds of CPU (user + system) the process used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


def start_replica(workdir: Path, name: str, env: dict[str, str]) -> Replica:
    port = free_port()
    log = workdir / f"{name}.log"
    ledarpuls = Path(sys.executable).parent / "ledarpuls"
    command = [str(ledarpuls)] if ledarpuls.exists() else [sys.executable, "-m", "bot.cli"]
    process = subprocess.Popen(
        [*command, "serve"],
        env={**env, "PORT": str(port)},
        cwd=workdir,  # no .env of the checkout's
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return Replica(process, port, log)


async def wait_ready(replicas: list[Replica], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(r.healthz().get("status") == "ok" for r in replicas):
            return
        for replica in replicas:
            if not replica.alive:
                raise SystemExit(f"a replica ended at start:\n{replica.log.read_text()[-2000:]}")
        await asyncio.sleep(0.3)
    raise SystemExit("the replicas did not answer /healthz in time")


def replica_env(args: argparse.Namespace) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}
    return {
        **keep,
        "DATABASE_URL": args.database_url,
        "HOST": "127.0.0.1",
        "MicrosoftAppId": "",  # local mode: the fake takes no token
        "OUTBOX_RATE": f"{args.rate:g}",
        "OUTBOX_CONCURRENCY": str(args.concurrency),
        "METRICS_TOKEN": "bench",
        "RUN_SCHEDULER": "true",
        "LOG_LEVEL": "WARNING",
        "SHUTDOWN_GRACE": "5",
    }


# ---- the database ----------------------------------------------------------------------------


async def fresh_database(url: str) -> None:
    """Drop and create the bench's database (its name must say bench)."""
    parsed = make_url(url)
    name = parsed.database or ""
    if "bench" not in name:
        raise SystemExit(f"the bench drops and creates its database: {name!r} is not a bench's")
    server = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.execute(f'CREATE DATABASE "{name}"')
    finally:
        await server.close()


async def drop_database(url: str) -> None:
    parsed = make_url(url)
    server = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        await server.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await server.close()


@dataclass
class Tenants:
    """The organisations and their chefs (ids), made once."""

    organisations: list[int] = field(default_factory=list)
    chefs: list[list[int]] = field(default_factory=list)


async def seed(db: Database, tenants: int, chefs: int, service_url: str) -> Tenants:
    now = utcnow()
    made = Tenants()
    for t in range(tenants):
        async with db.session() as s, s.begin():
            org = Organisation(tenant_id=tenant_of(t), name=f"Benchkommun {t}", default_k=3)
            s.add(org)
            await s.flush()
            assert org.id is not None
            rows = [
                Chef(
                    organisation_id=org.id,
                    upn=f"chef{c}@bench{t}.example",
                    email=f"chef{c}@bench{t}.example",
                    name=f"Chef {c}",
                )
                for c in range(chefs)
            ]
            s.add_all(rows)
            await s.flush()
            for c, chef in enumerate(rows):
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
                            "user": {"id": f"29:chef-{t}-{c}", "name": chef.name},
                            "bot": {"id": "28:ledarpuls", "name": "Ledarpuls"},
                            "conversation": {
                                "id": conversation,
                                "conversationType": "personal",
                                "tenantID": tenant_of(t),  # as the SDK stores it
                            },
                            "channelId": "msteams",
                            "serviceUrl": service_url,
                        },
                        updated_at=now,
                    )
                )
            made.organisations.append(org.id)
            made.chefs.append([chef.id for chef in rows if chef.id is not None])
    return made


def message_payload(name: str, phase: str) -> dict[str, Any]:
    """An invitation-sized message: a line of text and a small Adaptive Card."""
    return {
        "type": "message",
        "text": f"Hej {name}! Halvårsuppföljningen är öppen ({phase}).",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "type": "AdaptiveCard",
                    "version": "1.5",
                    "body": [
                        {"type": "TextBlock", "text": "Halvårsuppföljning", "weight": "Bolder"},
                        {"type": "TextBlock", "text": "Svara senast fredag 16.00.", "wrap": True},
                    ],
                    "actions": [{"type": "Action.Execute", "title": "Börja", "verb": "start"}],
                },
            }
        ],
    }


async def enqueue(db: Database, made: Tenants, chefs: int, phase: str) -> int:
    """One message per chef and tenant, the tenants interleaved (several rounds at once)."""
    now = utcnow()
    messages = [
        NewMessage(
            organisation_id=made.organisations[t],
            dedupe_key=f"bench:{phase}:{t}:{c}",
            kind="invitation",
            chef_id=made.chefs[t][c],
            payload=message_payload(f"Chef {c}", phase),
        )
        for c in range(chefs)
        for t in range(len(made.organisations))
    ]
    return await OutboxStore(db).enqueue(messages, now=now)


async def left(db: Database) -> int:
    counts = await OutboxStore(db).counts()
    return counts.get("queued", 0) + counts.get("sending", 0)


async def sent(db: Database) -> int:
    return (await OutboxStore(db).counts()).get("sent", 0)


async def wait_drained(db: Database, within: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < within:
        if await left(db) == 0:
            return time.monotonic() - start
        await asyncio.sleep(0.25)
    raise SystemExit(f"the outbox was not empty after {within:.0f} s")


# ---- the figures -----------------------------------------------------------------------------


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def ok(status: int) -> bool:
    return status in (200, 201)


@dataclass
class TenantFigures:
    rate: float
    most_in_a_second: int
    refused: int
    delivered: int


def tenant_figures(log: list[Attempt], tenant: str, since: float = -1.0) -> TenantFigures:
    mine = [(at, status) for at, tn, status, _ in log if tn == tenant and at >= since]
    delivered = sorted(at for at, status in mine if ok(status))
    rate = (len(delivered) - 1) / (delivered[-1] - delivered[0]) if len(delivered) > 1 else 0.0
    return TenantFigures(
        rate=rate,
        most_in_a_second=max_in_window(sorted(at for at, _ in mine)),
        refused=sum(status == 429 for _, status in mine),
        delivered=len(delivered),
    )


def lost_and_doubled(log: list[Attempt], expected: int) -> tuple[int, int]:
    delivered = collections.Counter(conv for _, _, status, conv in log if ok(status))
    return expected - len(delivered), sum(n - 1 for n in delivered.values())


def print_tenants(log: list[Attempt], tenants: int, limit: float) -> list[TenantFigures]:
    figures = [tenant_figures(log, tenant_of(t)) for t in range(tenants)]
    for t, f in enumerate(figures):
        print(
            f"    tenant {t}: {f.rate:5.1f} msg/s = {f.rate / limit:6.1%} of {limit:g}/s, "
            f"most in any 1 s {f.most_in_a_second}, 429s {f.refused}"
        )
    return figures


# ---- the phases ------------------------------------------------------------------------------


@dataclass
class Verdict:
    checks: list[tuple[str, bool]] = field(default_factory=list)

    def check(self, what: str, held: bool) -> None:
        self.checks.append((what, held))


async def steady(
    db: Database,
    made: Tenants,
    connector: Connector,
    replicas: list[Replica],
    args: argparse.Namespace,
    verdict: Verdict,
) -> None:
    cpu = [r.cpu() for r in replicas]
    total = await enqueue(db, made, args.chefs, "steady")
    wall = await wait_drained(db, total / args.rate + 120)
    cpu_used = sum(r.cpu() - before for r, before in zip(replicas, cpu, strict=True))
    log, _ = connector.log()
    print(f"  1. steady: {args.tenants} tenants × {args.chefs:,} chefs = {total:,} messages")
    figures = print_tenants(log, args.tenants, args.limit)
    lost, doubled = lost_and_doubled(log, total)
    refused = sum(f.refused for f in figures)
    print(f"    lost {lost}, duplicated {doubled}, 429s {refused}")
    print(
        f"    wall {wall:.1f} s, all tenants {total / wall:.0f} msg/s; the serve processes' CPU "
        f"{cpu_used:.1f} s = {cpu_used / total * 1000:.2f} ms a message"
    )
    verdict.check(
        "steady: every tenant ≥ 95 % of the limit",
        all(f.rate >= 0.95 * args.limit for f in figures),
    )
    verdict.check(
        "steady: never above the limit in any 1 s",
        all(f.most_in_a_second <= args.limit for f in figures),
    )
    verdict.check("steady: 0 lost, 0 duplicated, 0 429s", (lost, doubled, refused) == (0, 0, 0))


async def throttled(
    db: Database,
    made: Tenants,
    connector: Connector,
    args: argparse.Namespace,
    verdict: Verdict,
) -> None:
    chefs = args.chefs // 2
    connector.throttle(tenant_of(0), after=chefs * args.tenants // 4, seconds=args.throttle)
    total = await enqueue(db, made, chefs, "throttled")
    await wait_drained(db, total / args.rate + 120)
    log, marks = connector.log()
    print(
        f"  2. throttled: {args.tenants} × {chefs:,} messages; tenant 0 answered 429 "
        f"(Retry-After) for {args.throttle:g} s once a quarter went"
    )
    print_tenants(log, args.tenants, args.limit)
    lost, doubled = lost_and_doubled(log, total)
    if not marks:
        print("    the throttle never started")
        verdict.check("throttled: the throttle started", False)
        return
    start, end = marks[0], marks[0] + args.throttle
    during = [(at, tn, status) for at, tn, status, _ in log if start <= at < end]
    to_zero = [status for _, tn, status in during if tn == tenant_of(0)]
    others = []
    for t in range(1, args.tenants):
        sends = sorted(at for at, tn, status in during if tn == tenant_of(t) and ok(status))
        others.append(len(sends) / args.throttle)
    refused_others = sum(status == 429 for _, tn, status in during if tn != tenant_of(0))
    print(
        f"    during the {args.throttle:g} s: tenant 0 got {len(to_zero)} request(s) "
        f"({sum(s == 429 for s in to_zero)} refused: those booked before the 429 was known); "
        f"the others {min(others):.1f}–{max(others):.1f} msg/s, 429s {refused_others}"
    )
    print(f"    lost {lost}, duplicated {doubled}")
    verdict.check(
        "throttled: the others keep ≥ 95 % while tenant 0 waits",
        min(others) >= 0.95 * args.limit and refused_others == 0,
    )
    verdict.check("throttled: 0 lost, 0 duplicated", (lost, doubled) == (0, 0))


async def sending_by_owner(db: Database) -> dict[int, int]:
    async with db.session() as s:
        rows = (
            await s.exec(
                select(OutboxMessage.claimed_by, func.count())
                .where(col(OutboxMessage.state) == "sending")
                .group_by(col(OutboxMessage.claimed_by))
            )
        ).all()
    return {owner: n for owner, n in rows if owner is not None}


async def live_owners(db: Database) -> set[int]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = :space"
                " AND objsubid = 2 AND granted"
            ).bindparams(space=OWNER_LOCK_SPACE)
        )
        return {int(row[0]) for row in rows}


async def killed(
    db: Database,
    made: Tenants,
    connector: Connector,
    replicas: list[Replica],
    args: argparse.Namespace,
    verdict: Verdict,
) -> Replica:
    """Kill -9 the scheduler's leader a third of the way; the survivor, returned."""
    chefs = args.chefs // 2
    before = await sent(db)
    total = await enqueue(db, made, chefs, "killed")
    while True:
        if await sent(db) - before >= total // 3:
            break
        await asyncio.sleep(0.05)
    leaders = [r for r in replicas if r.healthz().get("scheduler", {}).get("leader")]
    victim = leaders[0] if leaders else replicas[0]
    survivor = next(r for r in replicas if r is not victim)
    owners_before = await live_owners(db)
    victim.process.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    victim.process.wait()
    # its connections close with it, and its owner lock with them
    dead: set[int] = set()
    while not dead and time.monotonic() - killed_at < 10:
        dead = owners_before - await live_owners(db)
        await asyncio.sleep(0.05)
    in_flight = sum(n for owner, n in (await sending_by_owner(db)).items() if owner in dead)
    requeued_at = leads_at = None
    while time.monotonic() - killed_at < 180:
        owners = await sending_by_owner(db)
        if requeued_at is None and not any(owner in dead for owner in owners):
            requeued_at = time.monotonic()
        if leads_at is None and survivor.healthz().get("scheduler", {}).get("leader"):
            leads_at = time.monotonic()
        if requeued_at is not None and leads_at is not None and await left(db) == 0:
            break
        await asyncio.sleep(0.2)
    await wait_drained(db, total / args.rate + 120)
    log, _ = connector.log()
    print(
        f"  3. kill -9: {args.tenants} × {chefs:,} messages; the scheduler's leader killed "
        f"after {total // 3:,} were sent"
    )
    print_tenants(log, args.tenants, args.limit)
    lost, doubled = lost_and_doubled(log, total)
    last_orphan = max(
        (at for at, _, status, conv in log if ok(status) and at >= (requeued_at or killed_at)),
        default=None,
    )
    after = [tenant_figures(log, tenant_of(t), since=killed_at + 1) for t in range(args.tenants)]
    print(f"    in flight on the killed replica: {in_flight}; missed {lost}, duplicated {doubled}")
    took = "never" if requeued_at is None else f"{requeued_at - killed_at:.1f} s"
    led = "never" if leads_at is None else f"{leads_at - killed_at:.1f} s"
    print(
        f"    its claims queued again by the survivor after {took} (the owner lock free "
        f"for the 15 s grace, then its next recovery); the survivor led the scheduler after {led}"
    )
    if last_orphan is not None:
        print(f"    everything sent {last_orphan - killed_at:.1f} s after the kill")
    print(
        f"    the survivor alone after the kill: "
        f"{min(f.rate for f in after):.1f}–{max(f.rate for f in after):.1f} msg/s per tenant"
    )
    verdict.check("kill -9: 0 missed", lost == 0)
    verdict.check("kill -9: duplicates ≤ in flight at the kill", doubled <= in_flight)
    verdict.check("kill -9: the survivor took over", requeued_at is not None)
    return survivor


async def main(args: argparse.Namespace) -> int:
    await fresh_database(args.database_url)
    db = Database(args.database_url)
    await migrate.upgrade(db)
    connector = Connector(args.limit)
    workdir = Path(tempfile.mkdtemp(prefix="replicas-bench-"))
    replicas: list[Replica] = []
    verdict = Verdict()
    load = os.getloadavg()[0]
    try:
        made = await seed(db, args.tenants, args.chefs, connector.service_url)
        env = replica_env(args)
        replicas = [start_replica(workdir, f"replica{i}", env) for i in range(args.replicas)]
        await wait_ready(replicas)
        print(
            f"{args.replicas} × `ledarpuls serve` on PostgreSQL (OUTBOX_RATE {args.rate:g}, "
            f"OUTBOX_CONCURRENCY {args.concurrency}), the fake connector in its own process at "
            f"{args.limit:g}/s per tenant; messages written to the outbox directly; "
            f"load average {load:.1f}"
        )
        await steady(db, made, connector, replicas, args, verdict)
        await throttled(db, made, connector, args, verdict)
        if len(replicas) > 1:
            survivor = await killed(db, made, connector, replicas, args, verdict)
            status, body = survivor.get("/metrics", token="bench")
            names = sorted(
                {
                    line.split("{")[0].split(" ")[0]
                    for line in body.decode().splitlines()
                    if line.startswith("ledarpuls_")
                }
            )
            print(f"    the survivor's /metrics ({status}): {', '.join(names)}")
    finally:
        for replica in replicas:
            if replica.alive:
                replica.process.send_signal(signal.SIGTERM)
        for replica in replicas:
            try:
                replica.process.wait(20)
            except subprocess.TimeoutExpired:
                replica.process.kill()
        connector.stop()
        await db.dispose()
        if not args.keep:
            await drop_database(args.database_url)
    print(f"  load average {load:.1f} → {os.getloadavg()[0]:.1f}")
    for what, held in verdict.checks:
        print(f"  {'ok    ' if held else 'MISSED'} {what}")
    for replica in replicas:
        errors = [
            line for line in replica.log.read_text(errors="replace").splitlines() if "ERROR" in line
        ]
        if errors:
            print(f"  {replica.log.name}: {len(errors)} error line(s), e.g. {errors[0][:200]}")
    return 0 if all(held for _, held in verdict.checks) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_REPLICAS_URL", DEFAULT_URL),
        help="a PostgreSQL database of the bench's own (dropped and made again)",
    )
    parser.add_argument("--tenants", type=int, default=5)
    parser.add_argument("--chefs", type=int, default=2000, help="chefs per tenant")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--limit", type=float, default=50, help="the fake's limit per tenant")
    parser.add_argument("--rate", type=float, default=48, help="OUTBOX_RATE of the replicas")
    # each replica keeps two or three tenants at 48/s, each send waiting up to 0.25 s for its
    # slot: about 40 sends under way
    parser.add_argument("--concurrency", type=int, default=64, help="OUTBOX_CONCURRENCY")
    parser.add_argument("--throttle", type=float, default=5.0, help="seconds of 429s")
    parser.add_argument("--keep", action="store_true", help="keep the database after the run")
    arguments = parser.parse_args()
    if "+asyncpg" not in arguments.database_url:
        arguments.database_url = arguments.database_url.replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )
    sys.exit(asyncio.run(main(arguments)))
