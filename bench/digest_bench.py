"""Benchmark: a round's digest at the size of a municipality and of a whole region.

- SQLite: 5,000 chefs × 30 activities × 8 rounds (1.2 million activity answers).
- PostgreSQL (when it answers): 50,000 chefs × 30 activities × 8 rounds (12 million activity
  answers), in a database of its own that the bench creates (`BENCH_PG_URL`, by default
  `ledarpuls_bench_digest` on the local server). Seeding takes minutes, so that database is kept
  and reused while its size matches; `--fresh` seeds it again.

The data is generated inside the database (INSERT … SELECT over a table of numbers), the same
way on both backends. The 7 earlier rounds are published in the set-up, as the scheduler does at
each close. What is measured, in a fresh process of its own so that its peak memory is the
digest's and not the set-up's:

1. **close**: counting and deciding the last round's published figures (what the scheduler does
   once, when it closes the round),
2. **digest**: what HR waits for when asking for the digest (`operations.request_digest`, the
   card in Teams, the Markdown and DOCX): the published figures, the confidence trend over all
   8 rounds, the quotes, and which departments have answers by name, and
3. **names**: the digest with every chef's identified statuses by name, as the XLSX export
   compiles it (1.5 million statuses at 50,000 chefs).

Each is timed (the digest twice: in a fresh process, and again as a running service would, its
statements compiled); on SQLite then its XLSX and DOCX. Memory is the growth of the process's
peak RSS: after the digest, and after all of it. Run with `make bench` (or
`python -m bench.digest_bench --help`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import bindparam, delete, event, insert, select, text
from sqlalchemy.engine import make_url

from dialogs.digest_cards import digest_files
from followup.digest.compile import compile_digest
from followup.digest.publication import published
from followup.policy import Policy
from followup.sections import DEFAULT_SECTIONS, NEEDS, STATUSES
from storage import migrate
from storage.database import Database, Timeouts, normalise_url
from storage.models import (
    Activity,
    Area,
    Department,
    Organisation,
    Principle,
    Programme,
    Publication,
    Round,
)
from storage.types import UTCDateTime, utcnow

PG_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/ledarpuls_bench_digest"
)
DEPARTMENTS = 8
# bump when the generated data changes: a kept PostgreSQL database of another version is seeded
# again
SEED_VERSION = 2
# the set-up writes millions of rows per statement; what is measured runs with the defaults
SET_UP = Timeouts(statement=600)
MEASURE = Timeouts(statement=60)


def _pseudo(*terms: str) -> str:
    """A deterministic pseudo-random non-negative integer in SQL, the same on both backends
    (kept inside 32 bits: the operands are integer columns)."""
    primes = (7919, 104729, 15485863)
    return (
        "(("
        + " + ".join(f"{t} * {p}" for t, p in zip(terms, primes, strict=False))
        + ") % 1000003)"
    )


def _pick(expression: str, values: tuple[str, ...]) -> str:
    cases = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"CASE {expression} % {len(values)} {cases} END"


def _marker(chefs: int, activities: int, rounds: int) -> str:
    return f"Benchkommunen {chefs}×{activities}×{rounds} v{SEED_VERSION}"


async def seed(db: Database, *, chefs: int, activities: int, rounds: int) -> None:
    """Fill an empty, migrated database: one organisation, its plan, `chefs` chefs who all
    answered every one of `rounds` closed rounds."""
    now = utcnow()
    statuses = tuple(str(s) for s in STATUSES)
    async with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # generated consistent: no foreign-key check per row of millions (a superuser's
            # setting, for this transaction only)
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            insert(Organisation),
            [
                {
                    "id": 1,
                    "tenant_id": "bench",
                    "name": _marker(chefs, activities, rounds),
                    "default_k": 3,
                }
            ],
        )
        await conn.execute(
            insert(Programme),
            [
                {
                    "id": 1,
                    "organisation_id": 1,
                    "code": "P",
                    "title": "Programmet",
                    "start_year": 2024,
                    "end_year": 2027,
                    "round_opens": [],
                    "answer_days": 21,
                }
            ],
        )
        await conn.execute(
            insert(Department),
            [
                {"id": d, "organisation_id": 1, "code": f"D{d}", "name": f"Avdelning {d}"}
                for d in range(1, DEPARTMENTS + 1)
            ],
        )
        await conn.execute(
            insert(Area),
            [
                {"id": a, "programme_id": 1, "code": f"A{a}", "name": f"Område {a}", "position": a}
                for a in (1, 2, 3, 4)
            ],
        )
        await conn.execute(
            insert(Activity),
            [
                {
                    "id": i,
                    "programme_id": 1,
                    "area_id": 1 + i % 4,
                    "code": f"AK{i}",
                    "title": f"Aktivitet {i}",
                    "position": i,
                    # most for the whole programme; every tenth only for its first years, so
                    # the rule of activities that carry on has something to look for
                    "years": [2024, 2025] if i % 10 == 0 else [2024, 2025, 2026, 2027],
                }
                for i in range(1, activities + 1)
            ],
        )
        await conn.execute(
            insert(Principle),
            [{"programme_id": 1, "number": n, "title": f"Princip {n}"} for n in range(1, 6)],
        )
        await conn.execute(
            insert(Round),
            [
                {
                    "id": r,
                    "organisation_id": 1,
                    "programme_id": 1,
                    "title": f"Omgång {r}",
                    "state": "closed",
                    "deadline": now - timedelta(days=180 * (rounds - r)),
                    "closed_at": now - timedelta(days=180 * (rounds - r)),
                    "reminder_offsets": [],
                    "reminder_cap": 2,
                    "k": 3,
                    "sections": dict(DEFAULT_SECTIONS),
                }
                for r in range(1, rounds + 1)
            ],
        )
        # a table of numbers to generate the rest from, inside the database
        await conn.execute(text("CREATE TABLE bench_n (n INTEGER PRIMARY KEY)"))
        await conn.execute(
            text("INSERT INTO bench_n (n) VALUES (:n)"),
            [{"n": n} for n in range(1, max(chefs, activities, rounds) + 1)],
        )

        def run(sql: str, **params: Any) -> Any:
            at = bindparam("at", type_=UTCDateTime)
            return conn.execute(text(sql).bindparams(at), {"at": now, **params})

        await run(
            "INSERT INTO chef (id, organisation_id, department_id, upn, email, name, unit, active,"
            " source, created_at, updated_at)"
            f" SELECT n, 1, 1 + n % {DEPARTMENTS}, 'chef' || n || '@bench.example',"
            " 'chef' || n || '@bench.example', 'Chef ' || n, '', TRUE, 'import', :at, :at"
            " FROM bench_n WHERE n <= :chefs",
            chefs=chefs,
        )
        await run(
            "INSERT INTO invitation (id, round_id, chef_id, department_id, unit, state,"
            " reminders_sent, created_at, submitted_at)"
            " SELECT (r.n - 1) * :chefs + c.id, r.n, c.id, c.department_id, '', 'submitted', 0,"
            " :at, :at FROM bench_n r CROSS JOIN chef c WHERE r.n <= :rounds",
            chefs=chefs,
            rounds=rounds,
        )
        status = _pick(_pseudo("i.chef_id", "a.n", "i.round_id"), statuses)
        for r in range(1, rounds + 1):  # a round per statement: a bounded transaction log
            await run(
                "INSERT INTO activity_status_answer (invitation_id, activity_id, status, comment,"
                f" updated_at) SELECT i.id, a.n, {status},"
                f" CASE WHEN a.n % 7 = 0 AND {status} = 'delayed' THEN 'Bemanning' ELSE '' END,"
                " :at FROM invitation i CROSS JOIN bench_n a"
                " WHERE i.round_id = :r AND a.n <= :activities",
                r=r,
                activities=activities,
            )
        ratings = [
            *((("strengths_needs", f"need.{need}"), 3) for need in NEEDS),
            (("principles", "most"), 5),
            (("confidence", "confidence"), 5),
            (("consent", "quote"), 2),
        ]
        for k, ((section, key), levels) in enumerate(ratings):
            low = 0 if levels in (2, 3) else 1
            await run(
                "INSERT INTO rating_answer (invitation_id, section, key, value, updated_at)"
                f" SELECT i.id, :section, :key, {low} + {_pseudo('i.chef_id', 'i.round_id')}"
                f" * {k + 3} % {levels}, :at FROM invitation i",
                section=section,
                key=key,
            )
        await run(
            "INSERT INTO reflection_answer (invitation_id, section, key, text, updated_at)"
            " SELECT i.id, 'strengths_needs', 'strengths',"
            " 'Jag är bra på att lyssna (' || i.chef_id || ').', :at"
            " FROM invitation i WHERE i.chef_id % 50 = 0",
        )
        await conn.execute(text("DROP TABLE bench_n"))


async def publish_earlier(db: Database, *, rounds: int, policy: Policy) -> None:
    """The set-up's part of the scheduler: the rounds before the last were published when they
    closed; the last one's publication is removed, to be measured."""
    async with db.engine.begin() as conn:
        await conn.execute(delete(Publication).where(Publication.round_id == rounds))
    for r in range(1, rounds):
        await published(db, round_id=r, now=utcnow(), policy=policy)


async def measure(url: str, *, round_id: int, files: bool) -> dict[str, float]:
    """In a fresh process: close (publish) the round, then compile its digest (twice: cold, and
    as a service that has compiled one before); with `files`, its XLSX and DOCX too."""
    policy = Policy()
    # the service's own timeouts, but a statement may run long here: how long the longest takes
    # is reported against DATABASE_STATEMENT_TIMEOUT instead of failing the run on a busy machine
    db = Database(url, timeouts=MEASURE)
    longest = [0.0]

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def started_statement(conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
    def finished_statement(conn: Any, *_: Any) -> None:
        longest[0] = max(longest[0], time.perf_counter() - conn.info["bench_started"])

    await db.ping()  # connected and warm: the baseline includes the driver
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    await published(db, round_id=round_id, now=utcnow(), policy=policy)
    closed, close_cpu = time.perf_counter() - started, time.process_time() - cpu
    longest_close, longest[0] = longest[0], 0.0
    started, cpu = time.perf_counter(), time.process_time()
    # HR's digest as `operations.request_digest` compiles it for the card and the files that
    # name no one: which departments have answers by name, not every chef's statuses
    digest = await compile_digest(db, round_id=round_id, now=utcnow(), policy=policy, names=False)
    compiled, digest_cpu = time.perf_counter() - started, time.process_time() - cpu
    # again, as a running service that has compiled a digest before (its statements cached)
    del digest
    started = time.perf_counter()
    digest = await compile_digest(db, round_id=round_id, now=utcnow(), policy=policy, names=False)
    again = time.perf_counter() - started
    departments_named = len(digest.identified)
    longest_digest, longest[0] = longest[0], 0.0
    digest_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # with every chef's statuses, as the XLSX export compiles it
    del digest
    started, cpu = time.perf_counter(), time.process_time()
    digest = await compile_digest(db, round_id=round_id, now=utcnow(), policy=policy, names=True)
    named, names_cpu = time.perf_counter() - started, time.process_time() - cpu
    rendered: dict[str, float] = {}
    if files:
        made = digest_files(digest, "sv", zone=policy.zone)
        for kind in ("xlsx", "docx"):
            started = time.perf_counter()
            made.render(kind)
            rendered[f"{kind}_s"] = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    await db.dispose()
    return {
        **rendered,
        "longest_close_s": longest_close,
        "longest_digest_s": longest_digest,
        "longest_names_s": longest[0],
        "close_s": closed,
        "close_cpu_s": close_cpu,
        "digest_s": compiled,
        "digest_cpu_s": digest_cpu,
        "again_s": again,
        "names_s": named,
        "names_cpu_s": names_cpu,
        "digest_peak_mb": (digest_peak - base) / 1024,
        "peak_mb": (peak - base) / 1024,
        "departments_named": departments_named,
        "chefs_listed": sum(len(d.chefs) for d in digest.identified),
        "respondents": digest.total.submitted,
    }


def measured(url: str, *, round_id: int, files: bool = False) -> dict[str, float]:
    """`measure` in a child process (its peak RSS is the digest's alone)."""
    done = subprocess.run(
        [
            sys.executable,
            *("-m", "bench.digest_bench", "--measure", url, "--round", str(round_id)),
            *(["--files"] if files else []),
        ],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def sqlite_run(*, chefs: int, activities: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url, timeouts=SET_UP)
        await migrate.upgrade(db)
        started = time.perf_counter()
        await seed(db, chefs=chefs, activities=activities, rounds=rounds)
        await publish_earlier(db, rounds=rounds, policy=Policy())
        set_up = time.perf_counter() - started
        await db.dispose()
        result = measured(url, round_id=rounds, files=True)
    return {**result, "set_up_s": set_up, "cached": 0}


async def postgres_answers(url: str) -> bool:
    try:
        conn = await asyncpg.connect(_dsn(url, database="postgres"), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


def _dsn(url: str, *, database: str | None = None) -> str:
    parsed = make_url(normalise_url(url)).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _recreate(url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(_dsn(url, database="postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _kept_marker(url: str) -> str | None:
    """The seed marker of a kept bench database, or None (none there, or empty)."""
    try:
        conn = await asyncpg.connect(_dsn(url), timeout=3)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        return await conn.fetchval("SELECT name FROM organisation WHERE id = 1")
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()


async def postgres_run(
    url: str, *, chefs: int, activities: int, rounds: int, fresh: bool
) -> dict[str, float]:
    url = normalise_url(url)
    cached = not fresh and await _kept_marker(url) == _marker(chefs, activities, rounds)
    started = time.perf_counter()
    if not cached:
        await _recreate(url)
    db = Database(url, timeouts=SET_UP)
    await migrate.upgrade(db)
    if not cached:
        await seed(db, chefs=chefs, activities=activities, rounds=rounds)
        async with db.engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                text("VACUUM ANALYZE")
            )
    async with db.engine.connect() as conn:
        kept = (await conn.execute(select(Publication.round_id))).scalars().all()
    if cached and set(kept) >= set(range(1, rounds)):
        async with db.engine.begin() as conn:
            await conn.execute(delete(Publication).where(Publication.round_id == rounds))
    else:
        await publish_earlier(db, rounds=rounds, policy=Policy())
    set_up = time.perf_counter() - started
    await db.dispose()
    result = measured(url, round_id=rounds)
    return {**result, "set_up_s": set_up, "cached": int(cached)}


def report(title: str, result: dict[str, float], *, target_s: float, target_mb: float) -> None:
    how = "kept from an earlier run" if result["cached"] else "seeded in this run"
    print(title)
    print(f"  set-up {result['set_up_s']:.1f} s ({how}; not measured)")
    print(
        f"  close, once by the scheduler (count + decide + keep the published figures):"
        f" {result['close_s']:.2f} s ({result['close_cpu_s']:.2f} s CPU in this process);"
        f" longest statement {result['longest_close_s']:.2f} s"
    )
    verdict_s = "ok" if result["digest_s"] < target_s else "MISSED"
    print(
        f"  digest (HR's: figures, trend over all rounds, {int(result['departments_named'])}"
        f" departments with answers by name): {result['digest_s']:.2f} s"
        f" ({result['digest_cpu_s']:.2f} s CPU in this process; target < {target_s:g} s:"
        f" {verdict_s}); compiled again: {result['again_s']:.2f} s; longest statement"
        f" {result['longest_digest_s']:.2f} s"
    )
    print(
        f"  with names (the XLSX's: {int(result['chefs_listed']):,} chefs' statuses):"
        f" {result['names_s']:.2f} s ({result['names_cpu_s']:.2f} s CPU in this process);"
        f" longest statement {result['longest_names_s']:.2f} s"
    )
    print(
        f"  (DATABASE_STATEMENT_TIMEOUT: {Timeouts().statement:g} s by default); load average"
        f" {os.getloadavg()[0]:.1f}"
    )
    if "xlsx_s" in result:
        print(f"  then its files: XLSX {result['xlsx_s']:.2f} s, DOCX {result['docx_s']:.2f} s")
    verdict_mb = "ok" if result["digest_peak_mb"] < target_mb else "MISSED"
    print(
        f"  peak RSS growth: {result['digest_peak_mb']:.0f} MB after the digest (target"
        f" < {target_mb:g} MB: {verdict_mb}), {result['peak_mb']:.0f} MB with names"
        + (" and files" if "xlsx_s" in result else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sqlite-chefs", type=int, default=5_000)
    parser.add_argument("--pg-chefs", type=int, default=50_000)
    parser.add_argument("--activities", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--fresh", action="store_true", help="seed the PostgreSQL data again")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--files", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, round_id=args.round, files=args.files))))
        return
    shape = f"× {args.activities} activities × {args.rounds} rounds"
    if not args.skip_sqlite:
        result = asyncio.run(
            sqlite_run(chefs=args.sqlite_chefs, activities=args.activities, rounds=args.rounds)
        )
        report(
            f"digest bench, SQLite: {args.sqlite_chefs:,} chefs {shape}",
            result,
            target_s=0.5,
            target_mb=500,
        )
    if args.skip_pg:
        return
    if not asyncio.run(postgres_answers(args.pg_url)):
        print("digest bench, PostgreSQL: no server answers at BENCH_PG_URL; skipped")
        return
    result = asyncio.run(
        postgres_run(
            args.pg_url,
            chefs=args.pg_chefs,
            activities=args.activities,
            rounds=args.rounds,
            fresh=args.fresh,
        )
    )
    report(
        f"digest bench, PostgreSQL: {args.pg_chefs:,} chefs {shape}",
        result,
        target_s=5,
        target_mb=500,
    )


if __name__ == "__main__":
    main()
