"""`ledarpuls chef add|move|end` and a roster import while a round is open: the same operations as
HR's cards, with their exit codes, audit lines and effects on the open round."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bot.test_cli import ledarpuls
from tests.bot.test_cli_rounds import db, rows

__all__ = ["db"]  # the fixture: the demo organisation, plan and roster from the command line

NORA = "nora.nilsson@demo.ledarpuls.se"


def invitations_to(path: Path, upn: str) -> list[str]:
    [chef] = [r for r in rows(path, "chef") if r["upn"] == upn]
    return [m["kind"] for m in rows(path, "outbox_message") if m["chef_id"] == chef["id"]]


def test_a_chef_added_moved_and_ended_from_the_command_line_reaches_the_open_round(
    db: Path, tmp_path: Path
) -> None:
    created = ledarpuls("round", "create", "--title", "Delår 1", "--deadline", "2099-06-12", db=db)
    assert created.returncode == 0, created.stderr
    opened = ledarpuls("round", "open", "1", db=db)
    assert opened.returncode == 0, opened.stderr

    bad = ledarpuls("chef", "add", "nora@", "--name", "Nora", "--department", "IFO", db=db)
    assert bad.returncode == 1 and "”nora@” är ingen e-postadress" in bad.stderr
    unknown = ledarpuls("chef", "add", NORA, "--name", "Nora", "--department", "XYZ", db=db)
    assert unknown.returncode == 1 and "Okänd avdelning: XYZ" in unknown.stderr
    added = ledarpuls("chef", "add", NORA, "--name", "Nora Nilsson", "--department", "IFO", db=db)
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == (
        "Nora Nilsson finns nu i registret. Inbjuden till 1 öppen omgång."
    )
    assert invitations_to(db, NORA) == ["invitation"]
    twice = ledarpuls("chef", "add", NORA, "--name", "Nora Nilsson", "--department", "IFO", db=db)
    assert twice.returncode == 1 and "finns redan i registret" in twice.stderr

    moved = ledarpuls("chef", "move", NORA, "--department", "ÄO", "--unit", "Hemtjänst", db=db)
    assert moved.returncode == 0 and moved.stdout.strip() == "Nora Nilsson är flyttad."
    ended = ledarpuls("chef", "end", NORA, db=db)
    assert ended.returncode == 0 and "Nora Nilsson har slutat" in ended.stdout
    again = ledarpuls("chef", "end", NORA, db=db)
    assert again.returncode == 1 and "har redan slutat" in again.stderr

    status = json.loads(ledarpuls("round", "status", "1", "--json", db=db).stdout)
    assert (status["total"]["left"], status["total"]["invited_late"]) == (1, 0)
    actions = [(r["action"], json.loads(r["detail"]).get("via")) for r in rows(db, "audit_event")]
    for action in ("roster.add", "roster.move", "roster.end"):
        assert (action, "cli") in actions
    assert ("hr.refused", "cli") in actions


def test_a_roster_import_while_a_round_is_open_invites_the_new_chefs(
    db: Path, tmp_path: Path
) -> None:
    created = ledarpuls("round", "create", "--title", "Delår 1", "--deadline", "2099-06-12", db=db)
    assert created.returncode == 0, created.stderr
    assert ledarpuls("round", "open", "1", db=db).returncode == 0
    roster = tmp_path / "chefer.csv"
    demo = rows(db, "chef")
    lines = ["E-post (UPN);Namn;Avdelning;Enhet"]
    lines += [f"{c['upn']};{c['name']};{_code(db, c['department_id'])};{c['unit']}" for c in demo]
    lines.append(f"{NORA};Nora Nilsson;LSS;Daglig verksamhet")
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    imported = ledarpuls("import", "roster", str(roster), db=db)
    assert imported.returncode == 0, imported.stderr
    assert invitations_to(db, NORA) == ["invitation"]
    status = json.loads(ledarpuls("round", "status", "1", "--json", db=db).stdout)
    assert status["total"]["invited_late"] >= 1


def _code(path: Path, department_id: int) -> str:
    [department] = [d for d in rows(path, "department") if d["id"] == department_id]
    return str(department["code"])
