"""`ledarpuls programme end` and `round create --programme` with two programmes, as scripts run
them: exit codes, words, and what is left in the database."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.bot.test_cli import ledarpuls
from tests.bot.test_cli_rounds import db, rows
from tests.followup.hr.test_programmes import PLAN_B

__all__ = ["db"]  # the fixture: the demo organisation, its plan and roster


def test_two_programmes_a_round_names_its_own_and_one_ends(db: Path, tmp_path: Path) -> None:
    plan_b = tmp_path / "plan-b.yaml"
    plan_b.write_text(yaml.safe_dump(PLAN_B, allow_unicode=True), encoding="utf-8")
    assert ledarpuls("import", "plan", str(plan_b), db=db).returncode == 0
    assert [d["active"] for d in rows(db, "department")] == [1, 1, 1, 1]

    # two programmes: a round must say which
    args = ("round", "create", "--title", "Extra", "--deadline", "2099-06-12")
    which = ledarpuls(*args, db=db)
    assert which.returncode == 1 and "--programme" in which.stderr
    made = ledarpuls(*args, "--programme", "ledarlyft-ao", db=db)
    assert made.returncode == 0, made.stderr

    ended = ledarpuls("programme", "end", "ledarlyft-ao", db=db)
    assert ended.returncode == 0, ended.stderr
    assert "Programmet ”Ledarlyftet i äldreomsorgen 2026–2027” är avslutat" in ended.stdout
    assert "1 omgång som inte hade öppnat är arkiverad." in ended.stdout
    assert [(p["code"], p["active"]) for p in rows(db, "programme")] == [
        ("starka-chefer-2024-2027", 1),
        ("ledarlyft-ao", 0),
    ]
    assert [r["state"] for r in rows(db, "round")] == ["archived"]
    assert [d["active"] for d in rows(db, "department")] == [1, 1, 1, 1]

    # ended: no round of it, nor ending it twice; the one left needs no --programme
    again = ledarpuls("--lang", "en", "programme", "end", "ledarlyft-ao", db=db)
    assert again.returncode == 1 and "has ended" in again.stderr
    refused = ledarpuls(*args[:3], "Extra 2", *args[4:], "--programme", "ledarlyft-ao", db=db)
    assert refused.returncode == 1
    assert ledarpuls(*args[:3], "Delår 1 2099", *args[4:], db=db).returncode == 0
    unknown = ledarpuls("programme", "end", "finns-inte", db=db)
    assert unknown.returncode == 1 and "”finns-inte”" in unknown.stderr
