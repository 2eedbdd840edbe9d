"""`ledarpuls activity list|end` as a script runs it: the same operation as Teams, audited."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bot.test_cli import ledarpuls
from tests.bot.test_cli_rounds import db, rows

__all__ = ["db"]  # the demo database fixture


def test_hr_ends_an_activity_from_the_command_line(db: Path) -> None:
    listed = ledarpuls("activity", "list", db=db)
    assert listed.returncode == 0, listed.stderr
    assert "A14\tFortbildning i arbetsrätt, arbetsmiljö och ekonomi\t2025" in listed.stdout

    ended = ledarpuls("activity", "end", "A14", db=db)
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.startswith("Aktiviteten A14 Fortbildning i arbetsrätt")
    assert "A14" not in ledarpuls("activity", "list", db=db).stdout

    again = ledarpuls("--lang", "en", "activity", "end", "A14", db=db)
    assert again.returncode == 1 and "has already been ended" in again.stderr
    unknown = ledarpuls("activity", "end", "A99", db=db)
    assert unknown.returncode == 1 and "Det finns ingen aktivitet A99" in unknown.stderr

    ended_rows = [a for a in rows(db, "activity") if a["ended_at"] is not None]
    assert [a["code"] for a in ended_rows] == ["A14"]
    # after the fixture's two imports (the plan and the roster, on record as HR's imports)
    events = [(e["action"], json.loads(e["detail"])) for e in rows(db, "audit_event")][2:]
    assert events == [
        ("activity.list", {"via": "cli"}),
        ("activity.end", {"programme": 1, "activity": "A14", "via": "cli"}),
        ("activity.list", {"via": "cli"}),
        ("hr.refused", {"command": "end_activity", "reason": "activity_ended", "via": "cli"}),
        ("hr.refused", {"command": "end_activity", "reason": "unknown_activity", "via": "cli"}),
    ]
