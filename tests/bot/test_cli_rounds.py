"""`ledarpuls round …` and `ledarpuls hr add` as scripts run them: JSON, exit codes, audit."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import run
from bot.settings import Settings
from tests.bot.test_cli import ledarpuls
from tests.conftest import EXAMPLES
from tests.loops import released_loop


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    assert (
        ledarpuls("org", "add", "--tenant-id", "t", "--name", "Demokommunen", db=path).returncode
        == 0
    )
    assert ledarpuls("import", "plan", str(EXAMPLES / "demo-plan.yaml"), db=path).returncode == 0
    assert (
        ledarpuls("import", "roster", str(EXAMPLES / "demo-roster.yaml"), db=path).returncode == 0
    )
    # the imports go through HR's import operation, on record as the CLI's user
    setup = rows(path, "audit_event")
    assert [e["action"] for e in setup] == ["import.applied"] * 2
    assert all(e["actor"].startswith("cli:") for e in setup)
    return path


def audit_events(path: Path) -> list[sqlite3.Row]:
    """The audit log after the fixture's two imports."""
    return rows(path, "audit_event")[2:]


def rows(path: Path, table: str) -> list[sqlite3.Row]:
    """What the command left in the database, read with plain sqlite3 (no event loop here)."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def test_a_round_from_creation_to_close(db: Path) -> None:
    created = ledarpuls(
        "round",
        "create",
        "--title",
        "Delår 1 2027",
        "--deadline",
        "2099-06-12",
        "--departments",
        "IFO,ÄO",
        db=db,
    )
    assert created.returncode == 0, created.stderr
    assert "Omgång 1 ”Delår 1 2027” är skapad (utkast)" in created.stdout

    listed = json.loads(ledarpuls("round", "list", "--json", db=db).stdout)
    assert [(r["id"], r["state"], r["response_rate"]) for r in listed] == [(1, "draft", 0.0)]

    opened = ledarpuls("round", "open", "1", db=db)
    assert opened.returncode == 0, opened.stderr
    assert "chefer bjuds in" in opened.stdout

    status = json.loads(ledarpuls("round", "status", "1", "--json", db=db).stdout)
    assert status["state"] == "open"
    assert set(status["departments"]) == {"Individ- och familjeomsorg", "Äldreomsorg"}
    assert status["total"]["invited"] + status["total"]["on_leave"] == 6
    assert len(status["not_answered"]) == status["total"]["invited"]

    reminded = ledarpuls("--lang", "en", "round", "remind", "1", db=db)
    invited = status["total"]["invited"]  # 5 while the demo has Johan on leave
    assert reminded.returncode == 0
    assert f"{invited} reminders are being sent now." in reminded.stdout
    extended = ledarpuls("round", "extend", "1", "--deadline", "2099-06-19", db=db)
    assert extended.returncode == 0 and "19 juni" in extended.stdout
    closed = ledarpuls("round", "close", "1", db=db)
    # as in Teams, closing queues the results at once (nobody answered nor installed it here)
    assert closed.returncode == 0 and "skickas nu (0 meddelanden)" in closed.stdout

    again = ledarpuls("round", "close", "1", db=db)
    assert again.returncode == 1 and "redan stängd" in again.stderr
    # a round's state in the reader's words, as Teams says it: never the code's "closed"
    reopened = ledarpuls("round", "open", "1", db=db)
    assert reopened.returncode == 1 and "den är stängd" in reopened.stderr
    assert "closed" not in reopened.stderr
    assert ledarpuls("round", "archive", "1", db=db).stdout.strip() == "Omgången är arkiverad."
    actions = [e["action"] for e in audit_events(db)]
    assert actions == [
        "round.create",
        "round.list",  # as in Teams, listing the rounds is logged too
        "round.open",
        "round.status",
        "round.remind",
        "round.extend",
        "round.close",
        "hr.refused",  # closing twice: refused, and on record
        "hr.refused",  # opening a closed round: refused too
        "round.archive",
    ]
    refused = next(e for e in audit_events(db) if e["action"] == "hr.refused")
    assert refused["round_id"] == 1
    assert json.loads(refused["detail"]) == {
        "command": "close",
        "reason": "already_closed",
        "via": "cli",
    }
    assert all(e["actor"].startswith("cli:") for e in audit_events(db))
    kinds = sorted({m["kind"] for m in rows(db, "outbox_message")})
    assert kinds == ["invitation", "reminder"]


def test_unknown_ids_and_bad_values_exit_1_with_a_clear_message(db: Path) -> None:
    unknown = ledarpuls("round", "status", "42", db=db)
    assert unknown.returncode == 1 and "Omgång 42 finns inte" in unknown.stderr
    english = ledarpuls("--lang", "en", "round", "open", "42", db=db)
    assert english.returncode == 1 and "Round 42 does not exist" in english.stderr
    bad_date = ledarpuls("round", "create", "--title", "X", "--deadline", "12/6", db=db)
    assert bad_date.returncode == 1 and "inget giltigt datum" in bad_date.stderr
    bad_department = ledarpuls(
        "round",
        "create",
        "--title",
        "X",
        "--deadline",
        "2099-01-01",
        "--departments",
        "HEMTJÄNST",
        db=db,
    )
    assert bad_department.returncode == 1 and "Okänd avdelning: HEMTJÄNST" in bad_department.stderr
    assert ledarpuls("round", "open", "x", db=db).returncode == 2
    # nothing was done; the refusals of the rules (an unknown round) are on record, with the
    # number asked for (no such round to point to); a value the CLI could not read is usage
    events = [(e["action"], e["round_id"], json.loads(e["detail"])) for e in audit_events(db)]
    assert events == [
        (
            "hr.refused",
            None,
            {"command": "status", "reason": "unknown_round", "round": 42, "via": "cli"},
        ),
        (
            "hr.refused",
            None,
            {"command": "open", "reason": "unknown_round", "round": 42, "via": "cli"},
        ),
    ]


def test_hr_admins_and_department_leads_are_bootstrapped_from_the_cli(db: Path) -> None:
    first = ledarpuls("hr", "add", "Eva.Lindgren@demo.ledarpuls.se", db=db)
    assert first.returncode == 0 and "är nu HR-administratör" in first.stdout
    assert (
        "är redan HR-administratör"
        in ledarpuls("hr", "add", "eva.lindgren@demo.ledarpuls.se", db=db).stdout
    )
    lead = ledarpuls("--lang", "en", "hr", "add", "anna@demo.ledarpuls.se", "--lead", "IFO", db=db)
    assert lead.returncode == 0 and "is now department lead" in lead.stdout
    roles = {(r["principal"], r["role"]) for r in rows(db, "hr_role")}
    assert roles == {
        ("eva.lindgren@demo.ledarpuls.se", "hr_admin"),
        ("anna@demo.ledarpuls.se", "department_lead"),
    }
    assert [e["action"] for e in audit_events(db)] == ["hr.add"] * 3


def test_the_digest_as_markdown_xlsx_and_docx_for_scripts(db: Path, tmp_path: Path) -> None:
    created = ledarpuls("round", "create", "--title", "Delår 1", "--deadline", "2099-06-12", db=db)
    assert created.returncode == 0
    assert ledarpuls("round", "open", "1", db=db).returncode == 0
    markdown = ledarpuls("digest", "1", db=db)
    assert markdown.returncode == 0 and "svarade 0 av" in markdown.stdout
    for kind in ("xlsx", "docx"):
        out = tmp_path / f"d.{kind}"
        done = ledarpuls("--lang", "en", "digest", "1", "--format", kind, "--out", str(out), db=db)
        assert done.returncode == 0 and f"The digest is written to {out}" in done.stdout
        assert out.read_bytes()[:2] == b"PK"  # an Office Open XML package
    refused = ledarpuls("digest", "1", "--format", "xlsx", db=db)
    assert refused.returncode == 1 and "--out" in refused.stderr
    unknown = ledarpuls("digest", "9", db=db)
    assert unknown.returncode == 1 and "Omgång 9 finns inte" in unknown.stderr
    exports = [e for e in audit_events(db) if e["action"] == "digest.export"]
    assert len(exports) == 3


def test_the_command_line_reads_and_shows_days_in_the_configured_time_zone(db: Path) -> None:
    new_york = {"TIMEZONE": "America/New_York"}
    created = ledarpuls(
        "round", "create", "--title", "Delår 1", "--deadline", "2099-06-12", db=db, **new_york
    )
    assert created.returncode == 0, created.stderr
    [listed] = json.loads(ledarpuls("round", "list", "--json", db=db, **new_york).stdout)
    deadline = datetime.fromisoformat(listed["deadline"])
    assert deadline.tzinfo is not None
    assert deadline.astimezone(ZoneInfo("America/New_York")) == datetime(
        2099, 6, 12, 23, 59, tzinfo=ZoneInfo("America/New_York")
    )
    # a far date carries its year
    assert "fredag 12 juni 2099 kl. 23.59" in ledarpuls("round", "list", db=db, **new_york).stdout
    # the same moment in Swedish time (the default) is Saturday morning
    assert "lördag 13 juni 2099 kl. 05.59" in ledarpuls("round", "list", db=db).stdout


def test_the_audit_log_from_the_command_line(db: Path) -> None:
    assert (
        ledarpuls(
            "round", "create", "--title", "Delår", "--deadline", "2099-06-12", db=db
        ).returncode
        == 0
    )
    assert ledarpuls("round", "status", "1", db=db).returncode == 0

    listed = ledarpuls("audit", "--since", "2000-01-01", db=db)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()[2:]  # after the fixture's imports
    assert "cli:" in lines[0] and "round.create  omgång 1" in lines[0]
    assert "round.status  omgång 1" in lines[1] and '"identified": true' in lines[1]
    assert lines[-1] == "4 händelser."

    as_json = ledarpuls("audit", "--since", "2000-01-01", "--action", "round.st", "--json", db=db)
    [event] = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert (event["action"], event["round"]) == ("round.status", 1)
    assert event["actor"].startswith("cli:")

    # reading the log is on the log too
    assert [r["action"] for r in audit_events(db)][-2:] == ["audit.read", "audit.read"]
    future = ledarpuls("--lang", "en", "audit", "--since", "2099-01-01", db=db)
    assert future.stdout.strip() == "No events in the audit log since 2099-01-01."
    bad = ledarpuls("audit", "--since", "i går", db=db)
    assert bad.returncode == 1 and "”i går” är inget giltigt datum" in bad.stderr
    assert ledarpuls("audit", db=db).returncode == 2  # --since is required


def test_roles_are_listed_and_taken_back_from_the_cli_but_never_the_last_admin(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # in this process (the commands are the same; a fresh interpreter each is only slower)
    settings = Settings(_env_file=None, database_url=f"sqlite:///{db}")  # type: ignore[call-arg]

    def hr(*args: str) -> tuple[int, str, str]:
        with released_loop():
            code = run(["hr", *args], settings)
        out, err = capsys.readouterr()
        return code, out, err

    assert hr("add", "Eva.Lindgren@demo.ledarpuls.se")[0] == 0
    assert hr("add", "anna@demo.ledarpuls.se", "--lead", "IFO")[0] == 0
    code, _, err = hr("add", "inte en adress")
    assert code == 1 and "”inte en adress” är varken en e-postadress (UPN)" in err
    code, out, _ = hr("list", "--json")
    assert [(h["principal"], h["role"], h["department"]) for h in json.loads(out)] == [
        ("eva.lindgren@demo.ledarpuls.se", "hr_admin", None),
        ("anna@demo.ledarpuls.se", "department_lead", "Individ- och familjeomsorg"),
    ]
    assert (
        hr("list")[1].splitlines()[0].startswith("eva.lindgren@demo.ledarpuls.se\tHR-administratör")
    )

    code, _, err = hr("remove", "eva.lindgren@demo.ledarpuls.se")
    assert code == 1 and "enda HR-administratör och kan inte tas bort" in err
    assert hr("add", "karin.sjoberg@demo.ledarpuls.se")[0] == 0
    code, out, _ = hr("remove", "EVA.lindgren@demo.ledarpuls.se")
    assert (
        code == 0
        and out.strip() == "eva.lindgren@demo.ledarpuls.se är inte längre HR-administratör."
    )
    code, out, _ = hr("remove", "anna@demo.ledarpuls.se", "--lead", "IFO")
    assert code == 0 and "är inte längre avdelningschef" in out
    assert "är inte HR-administratör" in hr("remove", "eva.lindgren@demo.ledarpuls.se")[1]

    code, out, _ = hr("leave", "sara.nystrom@demo.ledarpuls.se", "--until", "2099-01-31")
    assert code == 0 and out.strip() == "Sara Nyström är frånvarande till och med 31 januari 2099."
    assert hr("leave", "sara.nystrom@demo.ledarpuls.se")[1].strip() == (
        "Sara Nyström är inte längre frånvarande."
    )
    events = audit_events(db)
    assert [e["action"] for e in events] == [
        "hr.add",
        "hr.add",
        "hr.refused",  # not an address: refused, and on record
        "hr.list",
        "hr.list",
        "hr.refused",  # the last HR admin
        "hr.add",
        "hr.remove",
        "hr.remove",
        "hr.remove",
        "chef.on_leave",
        "chef.on_leave",
    ]
    # as in Teams: the lead's department is on record
    assert json.loads(events[1]["detail"])["department"] is not None
