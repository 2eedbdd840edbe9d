"""Where a card press's milliseconds go: the bot in this process (`create_app`, as `ledarpuls
serve` runs it), the same presses as `bench.turn_bench`, counted and profiled.

Prints the SQL statements and connection checkouts of one press, then `--chefs` chefs pressing
`--repeats` times at once under pyinstrument (a dev dependency), its call tree cut at
`--cut` per cent of the time. `python -m bench.press_profile [--postgres URL]`."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from pyinstrument import Profiler
from sqlalchemy import event

from bench.turn_bench import (
    drop_postgres_database,
    load,
    postgres_database,
    prepare,
)
from bot.app import DATABASE, create_app
from bot.settings import Settings
from storage import migrate
from storage.database import Database
from tests.fakes.bot_connector import running_connector


class Counts:
    """SQL statements (by their first words) and pool checkouts of an engine."""

    def __init__(self, db: Database) -> None:
        self.statements: Counter[str] = Counter()
        self.checkouts = 0
        self.connects = 0
        self.hops: Counter[str] = Counter()
        if db.dialect == "sqlite":
            count_hops(self.hops)
        engine = db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)
        event.listen(engine.pool, "connect", self._connect)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = " ".join(statement.split()[:6])
        self.statements[words[:90]] += 1

    def _checkout(self, *_args: Any) -> None:
        self.checkouts += 1

    def _connect(self, *_args: Any) -> None:
        self.connects += 1

    def reset(self) -> None:
        self.statements.clear()
        self.checkouts = 0
        self.connects = 0
        self.hops.clear()


def count_hops(counts: Counter[str]) -> None:
    """Count the calls aiosqlite hands to its thread (each a wait for the next loop turn)."""
    import aiosqlite.core

    original = aiosqlite.core.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counts[getattr(fn, "__name__", type(fn).__name__)] += 1
        return await original(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = counted  # type: ignore[method-assign]


async def run(args: argparse.Namespace) -> None:
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='ledarpuls-press-')) / 'p.db'}"
    if args.postgres:
        made = await postgres_database(args.postgres)
        assert made is not None, "PostgreSQL does not answer"
        url = made
    db = Database(url)
    await migrate.upgrade(db)
    async with running_connector(conversation_limits=[]) as connector:
        bodies = await prepare(db, connector.service_url, args.chefs)
        await db.dispose()
        settings = Settings(_env_file=None, database_url=url, run_scheduler=False)  # type: ignore[call-arg]
        app = create_app(settings)
        async with TestServer(app, host="127.0.0.1") as server:
            base = str(server.make_url("")).rstrip("/")
            counts = Counts(app[DATABASE])
            async with aiohttp.ClientSession() as session:
                await load(session, base, bodies, 1)  # warm: imports, plan cache, connections
                counts.reset()
                await load(session, base, bodies[:1], 1)
                print(
                    f"one press: {sum(counts.statements.values())} statements, "
                    f"{counts.checkouts} connection checkouts, "
                    f"{sum(counts.hops.values())} calls into aiosqlite's thread "
                    f"({dict(counts.hops.most_common())})"
                )
                for statement, count in counts.statements.most_common():
                    print(f"  {count:3d} × {statement}")
                counts.reset()
                if args.cpu:
                    for _ in range(3):
                        started = time.process_time()
                        await load(session, base, bodies[: args.concurrent], args.repeats)
                        spent = time.process_time() - started
                        presses = args.concurrent * args.repeats
                        print(
                            f"CPU per press (bot and bench client): {spent / presses * 1000:.2f} ms"
                        )
                    return
                profiler = Profiler(interval=0.0005, async_mode=args.async_mode)
                profiler.start()
                await load(session, base, bodies[: args.concurrent], args.repeats)
                profiler.stop()
                print(
                    f"{args.concurrent} chefs × {args.repeats} presses: "
                    f"{counts.checkouts} checkouts, {counts.connects} new connections"
                )
    if args.postgres:
        await drop_postgres_database(args.postgres)
    print(
        profiler.output_text(
            unicode=True, color=False, show_all=False, time="percent_of_total", flat=args.flat
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chefs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrent", type=int, default=100, help="chefs pressing at once")
    parser.add_argument("--postgres", help="a PostgreSQL server's URL, instead of SQLite")
    parser.add_argument(
        "--cpu", action="store_true", help="CPU per press, three times, instead of a profile"
    )
    parser.add_argument("--flat", action="store_true", help="time per function, not a tree")
    parser.add_argument("--async-mode", default="disabled", help="pyinstrument async_mode")
    asyncio.run(run(parser.parse_args()))
