"""Benchmark: the digest of the last of 8 rounds for 5,000 chefs × 30 activities (1.2 million
activity answers), with its trend over all 8 rounds; then its XLSX and DOCX.

Reports the time to compile, to render each file, and peak RSS. Run with `make bench`."""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from dialogs.digest_cards import digest_files
from followup.digest.compile import compile_digest
from followup.policy import Policy
from followup.sections import DEFAULT_SECTIONS, NEEDS, STATUSES
from storage import migrate
from storage.database import Database
from storage.models import (
    Activity,
    ActivityStatusAnswer,
    Area,
    Chef,
    Department,
    Invitation,
    Organisation,
    Principle,
    Programme,
    RatingAnswer,
    ReflectionAnswer,
    Round,
)
from storage.types import utcnow

CHUNK = 20_000


async def _bulk(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await conn.execute(insert(table), rows[start : start + CHUNK])


async def prepare(db: Database, *, chefs: int, activities: int, rounds: int) -> int:
    """Fill the database; returns the last round's id."""
    rng = random.Random(2026)
    now = utcnow()
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(Organisation), [{"id": 1, "tenant_id": "bench", "name": "Benchkommunen"}]
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
                }
            ],
        )
        departments = [
            {"id": d, "organisation_id": 1, "code": f"D{d}", "name": f"Avdelning {d}"}
            for d in range(1, 9)
        ]
        await _bulk(conn, Department, departments)
        await _bulk(
            conn,
            Area,
            [
                {"id": a, "programme_id": 1, "code": f"A{a}", "name": f"Område {a}"}
                for a in (1, 2, 3, 4)
            ],
        )
        await _bulk(
            conn,
            Activity,
            [
                {
                    "id": i,
                    "programme_id": 1,
                    "area_id": 1 + i % 4,
                    "code": f"AK{i}",
                    "title": f"Aktivitet {i}",
                    "position": i,
                }
                for i in range(1, activities + 1)
            ],
        )
        await _bulk(
            conn,
            Principle,
            [{"programme_id": 1, "number": n, "title": f"Princip {n}"} for n in range(1, 6)],
        )
        await _bulk(
            conn,
            Chef,
            [
                {
                    "id": c,
                    "organisation_id": 1,
                    "department_id": 1 + c % 8,
                    "upn": f"chef{c}@bench.example",
                    "email": f"chef{c}@bench.example",
                    "name": f"Chef {c}",
                }
                for c in range(1, chefs + 1)
            ],
        )
        invitation_id = 0
        for r in range(1, rounds + 1):
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
                        "sections": dict(DEFAULT_SECTIONS),
                    }
                ],
            )
            invitations, statuses, ratings, texts = [], [], [], []
            for c in range(1, chefs + 1):
                invitation_id += 1
                invitations.append(
                    {"id": invitation_id, "round_id": r, "chef_id": c, "state": "submitted"}
                )
                for a in range(1, activities + 1):
                    status = rng.choice(STATUSES)
                    statuses.append(
                        {
                            "invitation_id": invitation_id,
                            "activity_id": a,
                            "status": status,
                            "comment": "Bemanning" if status == "delayed" and a % 7 == 0 else "",
                        }
                    )
                for need in NEEDS:
                    ratings.append(
                        {
                            "invitation_id": invitation_id,
                            "section": "strengths_needs",
                            "key": f"need.{need}",
                            "value": rng.choice((0, 1, 2)),
                        }
                    )
                for section, key, value in (
                    ("principles", "most", rng.randint(1, 5)),
                    ("confidence", "confidence", rng.randint(1, 5)),
                    ("consent", "quote", rng.randint(0, 1)),
                ):
                    ratings.append(
                        {
                            "invitation_id": invitation_id,
                            "section": section,
                            "key": key,
                            "value": value,
                        }
                    )
                if c % 50 == 0:
                    texts.append(
                        {
                            "invitation_id": invitation_id,
                            "section": "strengths_needs",
                            "key": "strengths",
                            "text": f"Jag är bra på att lyssna ({c}).",
                        }
                    )
            await _bulk(conn, Invitation, invitations)
            await _bulk(conn, ActivityStatusAnswer, statuses)
            await _bulk(conn, RatingAnswer, ratings)
            await _bulk(conn, ReflectionAnswer, texts)
    return rounds


async def run(chefs: int, activities: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await migrate.upgrade(db)
        started = time.perf_counter()
        last = await prepare(db, chefs=chefs, activities=activities, rounds=rounds)
        filled = time.perf_counter() - started
        started = time.perf_counter()
        digest = await compile_digest(db, round_id=last, now=utcnow())
        compiled = time.perf_counter() - started
        files = digest_files(digest, "sv", zone=Policy().zone)
        timings = {}
        for kind in ("xlsx", "docx"):
            started = time.perf_counter()
            files.render(kind)
            timings[kind] = time.perf_counter() - started
        await db.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    answers = chefs * activities * rounds
    print(f"digest bench: {chefs} chefs × {activities} activities × {rounds} rounds")
    print(f"  {answers:,} activity answers written in {filled:.1f} s (set-up, not measured)")
    print(f"  compile (SQLite, with the trend over {rounds} rounds): {compiled:.2f} s")
    print(f"  XLSX: {timings['xlsx']:.2f} s   DOCX with charts: {timings['docx']:.2f} s")
    total = compiled + timings["xlsx"] + timings["docx"]
    print(f"  total {total:.2f} s (target < 3 s), peak RSS {rss:.0f} MB (target < 300 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chefs", type=int, default=5000)
    parser.add_argument("--activities", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.chefs, args.activities, args.rounds))


if __name__ == "__main__":
    main()
