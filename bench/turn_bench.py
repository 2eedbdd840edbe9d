"""Benchmark: a card submit (save + next card) for 100 concurrent chefs, against an echo bot.

Both bots run as their own processes on 127.0.0.1 and talk to the same fake Bot Connector;
each request is timed from POST to the bot's HTTP answer (the turn has sent its replies by
then). Run with `make bench`."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlmodel import select

from followup.check_in.steps import load_check_in
from followup.imports.plan import import_plan
from followup.policy import Policy
from followup.rounds.lifecycle import create_round, open_round
from storage import migrate
from storage.database import Database
from storage.models import Chef, ConversationRef, Department, Invitation, Organisation, Programme
from storage.types import utcnow
from tests.fakes.bot_connector import running_connector

ROOT = Path(__file__).resolve().parent.parent
TENANT = "be7c0000-0000-4000-8000-000000000002"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def prepare(db: Database, service_url: str, chefs: int) -> list[dict[str, Any]]:
    """An organisation with the demo plan, `chefs` chefs who installed the app, an open round."""
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
        invitations = (await s.exec(select(Invitation).order_by(Invitation.chef_id))).all()
    for i, invitation in enumerate(invitations):
        assert invitation.id is not None
        check_in = await load_check_in(db, invitation.id, policy=Policy())
        assert check_in is not None
        step = check_in.steps[0]
        area = check_in.area(step)
        assert area is not None
        values: dict[str, Any] = {
            "ledarpuls": "checkin",
            "action": "save",
            "invitation": invitation.id,
            "round": round_.id,
            "step": step,
        }
        for item in area.items:
            values[f"status:{item.id}"] = "in_progress"
            values[f"comment:{item.id}"] = "Vi har kommit en bit på väg."
        bodies.append(activity(service_url, i, value=values, replyToId=f"card-{i}"))
    return bodies


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
        "locale": "sv-SE",
        **extra,
    }


async def wait_healthy(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with session.get(url + "/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


async def load(
    session: aiohttp.ClientSession, url: str, bodies: list[dict[str, Any]], repeats: int
) -> list[float]:
    """Every body posted `repeats` times, all chefs at once; seconds per request."""
    times: list[float] = []

    async def chef(body: dict[str, Any]) -> None:
        for _ in range(repeats):
            start = time.perf_counter()
            async with session.post(url + "/api/messages", json=body) as response:
                await response.read()
                assert response.status in (200, 201), response.status
            times.append(time.perf_counter() - start)

    await asyncio.gather(*(chef(b) for b in bodies))
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(chefs: int, repeats: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ledarpuls-turns-"))
    database_url = f"sqlite+aiosqlite:///{folder / 'turns.db'}"
    db = Database(database_url)
    await migrate.upgrade(db)
    async with running_connector(conversation_limits=[]) as connector:
        bodies = await prepare(db, connector.service_url, chefs)
        await db.dispose()
        echo_bodies = [activity(connector.service_url, i, text="hej") for i in range(chefs)]
        ports = {"ledarpuls": free_port(), "echo": free_port()}
        env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
        env.update(
            DATABASE_URL=database_url,
            PORT=str(ports["ledarpuls"]),
            RUN_SCHEDULER="false",
            LOG_LEVEL="WARNING",
        )
        processes = [
            subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: ASYNC220 (started once)
            for command in (
                [sys.executable, "-m", "bot.cli", "serve"],
                [sys.executable, "-m", "bench.echo_bot", "--port", str(ports["echo"])],
            )
        ]
        try:
            timeout = aiohttp.ClientTimeout(total=120)
            connector_limit = aiohttp.TCPConnector(limit=chefs)
            async with aiohttp.ClientSession(timeout=timeout, connector=connector_limit) as session:
                urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
                for url in urls.values():
                    await wait_healthy(session, url)
                # warm up both (imports, first connections), then measure them in turn
                await load(session, urls["echo"], echo_bodies, 1)
                await load(session, urls["ledarpuls"], bodies, 1)
                results = {
                    "echo": await load(session, urls["echo"], echo_bodies, repeats),
                    "ledarpuls": await load(session, urls["ledarpuls"], bodies, repeats),
                }
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=20)
    print(f"{chefs} concurrent chefs × {repeats} requests each, one process per bot, 2 cores")
    for name, times in results.items():
        label = {
            "echo": "botbuilder echo bot (one reply)",
            "ledarpuls": "Ledarpuls card submit (save, next card)",
        }[name]
        print(
            f"{label:55s} p50 {percentile(times, 50) * 1000:7.1f} ms   "
            f"p99 {percentile(times, 99) * 1000:7.1f} ms   "
            f"mean {statistics.fmean(times) * 1000:7.1f} ms"
        )
    ratio = percentile(results["ledarpuls"], 99) / percentile(results["echo"], 99)
    print(f"p99 ratio Ledarpuls / echo bot: {ratio:.2f} (target ≤ 1.5)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chefs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.chefs, args.repeats))
