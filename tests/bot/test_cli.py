"""The `ledarpuls` command as IT and HR run it: exit codes and messages they can trust."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import pytest
from openpyxl import load_workbook

from bot import cli
from bot.settings import Settings
from tests.conftest import EXAMPLES, ROOT
from tests.loops import released_loop


@dataclass(frozen=True)
class Ran:
    """What one run of the command left behind: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def ledarpuls(*args: str, db: Path, **env: str) -> Ran:
    """Run `ledarpuls ARGS` on the database `db` with the environment of this test run."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    return run_in_process(args, {**environment, "DATABASE_URL": f"sqlite:///{db}", **env})


def run_in_process(args: Sequence[str], environment: dict[str, str]) -> Ran:
    """Run `ledarpuls ARGS` in this process, with settings from `environment` as a script's
    (sparing a Python start per command; `test_the_installed_command_runs` starts a real one)."""
    out, err = io.StringIO(), io.StringIO()
    with (
        patch.dict(os.environ, environment, clear=True),
        redirect_stdout(out),
        redirect_stderr(err),
        released_loop(),
    ):
        try:
            code = cli.run(list(args), Settings(_env_file=None))  # type: ignore[call-arg]
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
    return Ran(code, out.getvalue(), err.getvalue())


def ledarpuls_process(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    """Run the command as IT does, in a Python process of its own."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    environment.update(DATABASE_URL=f"sqlite:///{db}")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def test_organisation_plan_and_roster_from_the_command_line(db: Path) -> None:
    assert "Det finns inga organisationer" in ledarpuls("org", "list", db=db).stdout
    created = ledarpuls("org", "add", "--tenant-id", "ABC-123", "--name", "Region Gotland", db=db)
    assert created.returncode == 0, created.stderr
    assert "Region Gotland" in created.stdout
    again = ledarpuls("org", "add", "--tenant-id", "abc-123", "--name", "Igen", db=db)
    assert again.returncode == 1
    assert "finns redan" in again.stderr

    plan = ledarpuls("import", "plan", str(EXAMPLES / "demo-plan.xlsx"), db=db)
    assert plan.returncode == 0, plan.stderr
    assert "Aktiviteter: 18 har lagts till, 0 har ändrats, 0 har avaktiverats" in plan.stdout
    roster = ledarpuls(
        "--lang", "en", "import", "roster", str(EXAMPLES / "demo-roster.yaml"), db=db
    )
    assert roster.returncode == 0, roster.stderr
    assert "Unit managers: 12 added" in roster.stdout
    unchanged = ledarpuls("import", "roster", str(EXAMPLES / "demo-roster.xlsx"), db=db)
    assert "inget behövde ändras" in unchanged.stdout


def test_a_broken_file_exits_1_and_lists_each_problem_with_its_row(
    db: Path, tmp_path: Path
) -> None:
    ledarpuls("org", "add", "--tenant-id", "t", "--name", "Kommunen", db=db)
    ledarpuls("import", "plan", str(EXAMPLES / "demo-plan.yaml"), db=db)
    wb = load_workbook(EXAMPLES / "demo-roster.xlsx")
    wb["Chefer"]["C4"] = "Hemtjänsten"
    wb["Chefer"]["H5"] = "i morgon"
    broken = tmp_path / "lista.xlsx"
    wb.save(broken)

    result = ledarpuls("import", "roster", str(broken), db=db)
    assert result.returncode == 1
    assert "Importen avbröts – inget har ändrats. 2 fel i lista.xlsx:" in result.stderr
    assert (
        "lista.xlsx, blad Chefer, rad 4, kolumn C (Avdelning): Okänd avdelning ”Hemtjänsten”."
        in result.stderr
    )
    assert "rad 5, kolumn H (Frånvarande till): ”i morgon” är inget giltigt datum" in result.stderr

    english = ledarpuls("--lang", "en", "import", "roster", str(broken), db=db)
    assert (
        "lista.xlsx, sheet Chefer, row 4, column C (Avdelning): Unknown department"
        in english.stderr
    )


def test_unknown_organisation_and_missing_file(db: Path) -> None:
    missing_org = ledarpuls("import", "plan", str(EXAMPLES / "demo-plan.yaml"), db=db)
    assert missing_org.returncode == 1
    assert "Det finns ingen organisation ännu" in missing_org.stderr
    ledarpuls("org", "add", "--tenant-id", "t1", "--name", "A", db=db)
    ledarpuls("org", "add", "--tenant-id", "t2", "--name", "B", db=db)
    ambiguous = ledarpuls("import", "plan", str(EXAMPLES / "demo-plan.yaml"), db=db)
    assert ambiguous.returncode == 1 and "--org" in ambiguous.stderr
    wrong = ledarpuls("import", "plan", str(EXAMPLES / "demo-plan.yaml"), "--org", "C", db=db)
    assert wrong.returncode == 1 and "Organisationen C finns inte" in wrong.stderr
    named = ledarpuls("import", "plan", str(EXAMPLES / "demo-plan.yaml"), "--org", "b", db=db)
    assert named.returncode == 0, named.stderr
    no_file = ledarpuls("import", "roster", "finns-inte.xlsx", db=db)
    assert no_file.returncode == 1 and "Filen finns-inte.xlsx finns inte" in no_file.stderr


def test_demo_loads_once(db: Path) -> None:
    first = ledarpuls("demo", "load", db=db)
    assert first.returncode == 0, first.stderr
    assert "Demokommunen" in first.stdout
    assert "redan data" in ledarpuls("demo", "load", db=db).stdout


def test_the_installed_command_runs(db: Path) -> None:
    from storage.migrate import head_revision

    result = ledarpuls_process("db", "upgrade", db=db)
    assert result.returncode == 0, result.stderr
    assert f"version {head_revision()}" in result.stdout
    assert ledarpuls_process("nonsense", db=db).returncode == 2


def test_db_upgrade_reports_the_version(db: Path) -> None:
    result = ledarpuls("db", "upgrade", db=db)
    assert result.returncode == 0
    from storage.migrate import head_revision

    assert f"version {head_revision()}" in result.stdout


def test_serve_refuses_to_listen_beyond_this_computer_without_an_app_id(db: Path) -> None:
    result = ledarpuls("serve", db=db, HOST="0.0.0.0")
    assert result.returncode == 1
    assert "Vägrar starta" in result.stderr
    assert not db.exists()  # refused before touching anything


def test_a_tenants_own_send_rate_from_the_command_line(db: Path) -> None:
    ledarpuls("org", "add", "--tenant-id", "t", "--name", "Kommunen", db=db)
    shown = ledarpuls("org", "rate", db=db)
    assert shown.returncode == 0, shown.stderr
    assert "Kommunen: högst 45 meddelanden i sekunden" in shown.stdout
    assert "installationens standard" in shown.stdout
    own = ledarpuls("--lang", "en", "org", "rate", "--per-second", "20", db=db)
    assert own.returncode == 0, own.stderr
    assert "Kommunen: at most 20 messages a second to the tenant" in own.stdout
    assert "The deployment's default is 45" in own.stdout
    wrong = ledarpuls("--lang", "en", "org", "rate", "--per-second", "60", db=db)
    assert wrong.returncode == 1 and "at most 50 messages a second" in wrong.stderr
    assert "högst 20 meddelanden" in ledarpuls("org", "rate", db=db).stdout  # unchanged
    back = ledarpuls("org", "rate", "--default", db=db)
    assert "högst 45 meddelanden" in back.stdout and "standard" in back.stdout


def test_usage_errors_exit_2(db: Path) -> None:
    assert ledarpuls("import", db=db).returncode == 2
    assert ledarpuls("nonsense", db=db).returncode == 2


def test_the_privacy_policy_from_the_command_line(db: Path) -> None:
    ledarpuls("org", "add", "--tenant-id", "t", "--name", "Kommunen", db=db)
    shown = ledarpuls("org", "policy", db=db)
    assert shown.returncode == 0, shown.stderr
    assert "24 månader efter att en omgång har stängts anonymiseras svaren" in shown.stdout
    assert "Granskningsloggen sparas i 36 månader." in shown.stdout
    options = ["--months", "36", "--retention", "purge", "--keep-identified-statuses", "no"]
    options += ["--audit-months", "48"]
    changed = ledarpuls("org", "policy", *options, db=db)
    assert changed.returncode == 0, changed.stderr
    assert "36 månader efter att en omgång har stängts raderas svaren" in changed.stdout
    assert "raderas också svaren om aktiviteternas status" in changed.stdout
    assert "36 månader efter att en chef har lämnat personallistan" in changed.stdout
    assert "Granskningsloggen sparas i 48 månader." in changed.stdout
    wrong = ledarpuls("--lang", "en", "org", "policy", "--months", "0", db=db)
    assert wrong.returncode == 1
    assert "between 1 and 240, not 0" in wrong.stderr
    wrong = ledarpuls("--lang", "en", "org", "policy", "--audit-months", "241", db=db)
    assert wrong.returncode == 1 and "between 1 and 240, not 241" in wrong.stderr
    assert "36 månader" in ledarpuls("org", "policy", db=db).stdout  # unchanged
