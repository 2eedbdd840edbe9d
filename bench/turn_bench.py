"""Benchmark: a chef's card press against botbuilder's bare echo bot, at 1 and 100 at once.

The press is what Teams posts when a chef presses "Spara och fortsätt" on a check-in step: an
`adaptiveCard/action` invoke (a Universal Action, verb `save`) carrying the card's data with the
chef's answers merged in; Ledarpuls saves them and answers the HTTP request with the next step's
card, which Teams shows in place of the pressed one. The echo bot answers a message by sending
a reply through the (fake) Bot Connector: the SDK doing nothing.

Both bots run as their own processes on 127.0.0.1 (`ledarpuls serve`, once on SQLite and once
on PostgreSQL); each request is timed from POST to the bot's HTTP answer. The echo bot is
measured right before each Ledarpuls measurement, so each ratio compares the two under the
same load of the machine. Run with `make bench` (or `python -m bench.turn_bench --help`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select

from dialogs.cards import CARD_CONTENT_TYPE
from dialogs.check_in_cards import step_card
from followup.check_in.steps import load_check_in
from followup.imports.plan import import_plan
from followup.policy import Policy
from followup.rounds.lifecycle import create_round, open_round
from storage import migrate
from storage.database import Database, normalise_url
from storage.models import Chef, ConversationRef, Department, Invitation, Organisation, Programme
from storage.types import utcnow
from tests.fakes.bot_connector import running_connector

ROOT = Path(__file__).resolve().parent.parent
TENANT = "be7c0000-0000-4000-8000-000000000002"
# the server and credentials of the PostgreSQL run; the bench makes a database of its own there
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "ledarpuls_turn_bench"
TARGET = 0.6  # p99 of a card press at most this share of the echo bot's p99, 100 at once


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def activity(service_url: str, i: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"in-{i}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:c{i}", "aadObjectId": f"aad-{i}"},
        "recipient": {"id": "28:bot", "name": "Bot"},
        "conversation": {"id": f"a:c{i}", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-US",  # what the Playground says; the chef is answered in Swedish anyway
        **extra,
    }


def save_button(card: dict[str, Any]) -> dict[str, Any]:
    """The step card's "Spara och fortsätt": a Universal Action with the verb `save`."""
    for action in card.get("actions", []):
        if action.get("type") == "Action.Execute" and action.get("verb") == "save":
            return dict(action)
    raise AssertionError("the step card has no Action.Execute save")


async def prepare(db: Database, service_url: str, chefs: int) -> list[dict[str, Any]]:
    """An organisation with the demo plan, `chefs` chefs who installed the app, an open round;
    for each chef, the invoke of pressing save on step 1 of the card they would see."""
    now = utcnow()
    async with db.session() as s, s.begin():
        org = Organisation(tenant_id=TENANT, name="Benchkommunen", default_k=Policy().k)
        s.add(org)
    assert org.id is not None
    await import_plan(db, organisation_id=org.id, path=ROOT / "examples/demo-plan.yaml")
    async with db.session() as s, s.begin():
        department = (await s.exec(select(Department).where(Department.code == "IFO"))).one()
        programme = (await s.exec(select(Programme))).one()
        rows = [
            Chef(
                organisation_id=org.id,
                department_id=department.id,
                upn=f"c{i}@bench.example",
                email=f"c{i}@bench.example",
                name=f"Chef {i}",
            )
            for i in range(chefs)
        ]
        s.add_all(rows)
        await s.flush()
        for i, chef in enumerate(rows):
            s.add(
                ConversationRef(
                    organisation_id=org.id,
                    tenant_id=TENANT,
                    user_id=f"29:c{i}",
                    chef_id=chef.id,
                    conversation_id=f"a:c{i}",
                    service_url=service_url,
                    locale="en-US",
                    updated_at=now,
                    reference={
                        "user": {"id": f"29:c{i}"},
                        "bot": {"id": "28:bot"},
                        "conversation": {"id": f"a:c{i}"},
                        "channelId": "msteams",
                        "serviceUrl": service_url,
                    },
                )
            )
    assert programme.id is not None
    round_ = await create_round(
        db,
        organisation_id=org.id,
        programme_id=programme.id,
        title="Delår 1",
        deadline=now + timedelta(days=21),
        now=now,
        policy=Policy(),
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=now, policy=Policy())
    bodies = []
    async with db.session() as s:
        invitations = (await s.exec(select(Invitation).order_by(col(Invitation.chef_id)))).all()
    for i, invitation in enumerate(invitations):
        assert invitation.id is not None
        check_in = await load_check_in(db, invitation.id, policy=Policy())
        assert check_in is not None
        step = check_in.steps[0]
        area = check_in.area(step)
        assert area is not None
        button = save_button(step_card(check_in, step, "sv"))
        data: dict[str, Any] = dict(button["data"])
        for item in area.items:
            data[f"status:{item.id}"] = "in_progress"
            data[f"comment:{item.id}"] = "Vi har kommit en bit på väg."
        value = {
            "action": {"type": "Action.Execute", "verb": button["verb"], "data": data},
            "trigger": "manual",
        }
        bodies.append(
            activity(
                service_url,
                i,
                type="invoke",
                name="adaptiveCard/action",
                value=value,
                replyToId=f"card-{i}",
            )
        )
    return bodies


async def wait_healthy(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(600):
        try:
            async with session.get(url + "/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


async def post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> float:
    """One request; seconds from POST to the whole answer. A press must get the next card."""
    start = time.perf_counter()
    async with session.post(url + "/api/messages", json=body) as response:
        payload = await response.read()
        elapsed = time.perf_counter() - start
        assert response.status in (200, 201), (response.status, payload[:300])
    if body["type"] == "invoke":
        answer = await response.json()
        assert answer["type"] == CARD_CONTENT_TYPE, answer
    return elapsed


async def load(
    session: aiohttp.ClientSession, url: str, bodies: list[dict[str, Any]], repeats: int
) -> list[float]:
    """Every body posted `repeats` times, one after the other; all bodies at once."""
    times: list[float] = []

    async def chef(body: dict[str, Any]) -> None:
        for _ in range(repeats):
            times.append(await post(session, url, body))

    await asyncio.gather(*(chef(b) for b in bodies))
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Figures:
    database: str
    concurrent: int
    echo: Measured
    ours: Measured

    @property
    def ratio(self) -> float:
        return percentile(self.ours.times, 99) / percentile(self.echo.times, 99)


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far; 0 where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    """The latencies of a load, and the CPU time the bot's process spent on it."""

    times: list[float]
    cpu: float

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / len(self.times)


@dataclass(frozen=True)
class Bot:
    url: str
    pid: int

    async def load(
        self, session: aiohttp.ClientSession, bodies: list[dict[str, Any]], repeats: int
    ) -> Measured:
        before = cpu_seconds(self.pid)
        times = await load(session, self.url, bodies, repeats)
        return Measured(times, cpu_seconds(self.pid) - before)


@asynccontextmanager
async def bot_process(
    command: list[str], url: str, session: aiohttp.ClientSession, env: dict[str, str]
) -> AsyncIterator[Bot]:
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: ASYNC220 (started once)
    try:
        await wait_healthy(session, url)
        yield Bot(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a turn stuck on a failed run: not worth waiting
            process.kill()
            process.wait()


def bot_env(database_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    env.update(
        DATABASE_URL=database_url, PORT=str(port), RUN_SCHEDULER="false", LOG_LEVEL="WARNING"
    )
    return env


async def postgres_database(server_url: str) -> str | None:
    """A fresh database of the bench's own on the PostgreSQL server; None when none answers."""
    engine = create_async_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    except (OSError, Exception) as exc:  # no server, refused, no rights: the run goes on
        print(f"PostgreSQL at {server_url} not used: {type(exc).__name__}: {exc}")
        return None
    finally:
        await engine.dispose()
    url = make_url(normalise_url(server_url)).set(database=BENCH_DATABASE)
    return url.render_as_string(hide_password=False)


async def drop_postgres_database(server_url: str) -> None:
    engine = create_async_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def measure(
    session: aiohttp.ClientSession,
    database: str,
    database_url: str,
    connector_url: str,
    echo: Bot,
    *,
    chefs: int,
    repeats: int,
    single: int,
) -> list[Figures]:
    """Ledarpuls on one database, against the echo bot: 1 chef, then `chefs` at once."""
    db = Database(database_url)
    await migrate.upgrade(db)
    bodies = await prepare(db, connector_url, chefs)
    await db.dispose()
    echo_bodies = [activity(connector_url, i, text="hej") for i in range(chefs)]
    port = free_port()
    figures = []
    command = [sys.executable, "-m", "bot.cli", "serve"]
    url = f"http://127.0.0.1:{port}"
    async with bot_process(command, url, session, bot_env(database_url, port)) as ours:
        # warm up both (imports, first connections, the plan cache), a few at a time
        for start in range(0, chefs, 10):
            await echo.load(session, echo_bodies[start : start + 10], 1)
            await ours.load(session, bodies[start : start + 10], 1)
        for concurrent, repeat in ((1, single), (chefs, repeats)):
            figures.append(
                Figures(
                    database,
                    concurrent,
                    echo=await echo.load(session, echo_bodies[:concurrent], repeat),
                    ours=await ours.load(session, bodies[:concurrent], repeat),
                )
            )
    return figures


def ms(value: float) -> str:
    return f"{value * 1000:7.1f} ms"


def report(figures: list[Figures], *, repeats: int, single: int) -> bool:
    """The figures as a table; True when the target is met at the highest concurrency."""
    print(
        f"card press (save a step, the next card in the invoke's answer) vs botbuilder's echo "
        f"bot (one reply through the connector); 1 chef × {single} presses, "
        f"{max(f.concurrent for f in figures)} chefs × {repeats} at once; "
        f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)"
    )
    print(
        f"{'database':10s} {'chefs':>5s}   {'echo p50':>10s} {'echo p99':>10s} {'CPU':>8s}   "
        f"{'press p50':>10s} {'press p99':>10s} {'CPU':>8s}   {'p99 ratio':>9s}"
    )
    for f in figures:
        print(
            f"{f.database:10s} {f.concurrent:5d}   {ms(percentile(f.echo.times, 50))} "
            f"{ms(percentile(f.echo.times, 99))} {cpu_ms(f.echo)}   "
            f"{ms(percentile(f.ours.times, 50))} {ms(percentile(f.ours.times, 99))} "
            f"{cpu_ms(f.ours)}   {f.ratio:9.2f}"
        )
    top = max(f.concurrent for f in figures)
    met = all(f.ratio <= TARGET for f in figures if f.concurrent == top)
    means = ", ".join(
        f"{f.database} {statistics.fmean(f.ours.times) * 1000:.1f} ms"
        for f in figures
        if f.concurrent == top
    )
    print(f"mean press at {top} at once: {means}")
    print("CPU: the bot process's CPU time per request (user and system)")
    print(f"target p99 ratio ≤ {TARGET} at {top} at once: {'met' if met else 'NOT met'}")
    return met


def cpu_ms(measured: Measured) -> str:
    return f"{measured.cpu_per_request * 1000:5.1f} ms"


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ledarpuls-turns-"))
    databases = {"SQLite": f"sqlite+aiosqlite:///{folder / 'turns.db'}"}
    if not args.no_postgres:
        postgres = await postgres_database(args.postgres)
        if postgres is not None:
            databases["PostgreSQL"] = postgres
    figures: list[Figures] = []
    async with running_connector(conversation_limits=[]) as connector:
        timeout = aiohttp.ClientTimeout(total=120)
        limit = aiohttp.TCPConnector(limit=args.chefs)
        async with aiohttp.ClientSession(timeout=timeout, connector=limit) as session:
            port = free_port()
            command = [sys.executable, "-m", "bench.echo_bot", "--port", str(port)]
            url = f"http://127.0.0.1:{port}"
            async with bot_process(command, url, session, bot_env("", port)) as echo:
                for name, url in databases.items():
                    figures += await measure(
                        session,
                        name,
                        url,
                        connector.service_url,
                        echo,
                        chefs=args.chefs,
                        repeats=args.repeats,
                        single=args.single,
                    )
    if "PostgreSQL" in databases:
        await drop_postgres_database(args.postgres)
    report(figures, repeats=args.repeats, single=args.single)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chefs", type=int, default=100, help="chefs pressing at once")
    parser.add_argument("--repeats", type=int, default=5, help="presses of each, in a row")
    parser.add_argument("--single", type=int, default=100, help="presses of one chef alone")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL),
        help="a PostgreSQL server's URL (BENCH_POSTGRES_URL); the bench creates and drops "
        f"the database {BENCH_DATABASE} there",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    asyncio.run(main(parser.parse_args()))
