"""Every stored column is classified as personal data or not (storage/personal_data.py), and every
personal column is described, with the retention rule the code applies, in the records document
(docs/informationshantering.md) and in the README's privacy section — so what the registrator and
the data protection officer read is what the tables hold."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table)
from followup.privacy import retention
from storage.models import Organisation
from storage.personal_data import COLUMNS, RULES, Retention, personal_columns

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "docs/informationshantering.md"
README = ROOT / "README.md"
PRIVACY_SECTION = "## My data, erasure and retention"
TOKEN = re.compile(r"`([a-z_]+)\.([a-z_]+)`")


def _tables() -> dict[str, list[str]]:
    return {
        name: [c.name for c in table.columns] for name, table in SQLModel.metadata.tables.items()
    }


def _rows(markdown: str) -> list[str]:
    """The lines of the Markdown tables (not their header separators)."""
    return [
        line
        for line in markdown.splitlines()
        if line.startswith("|") and not re.match(r"^\|[\s:|-]+\|$", line)
    ]


def _first_cell(row: str) -> str:
    return row.split("|")[1]


def _privacy_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(PRIVACY_SECTION)
    end = text.find("\n## ", start + len(PRIVACY_SECTION))
    return text[start : end if end != -1 else None]


def test_every_column_of_every_table_is_classified() -> None:
    """A new table or column fails here, by name, until storage/personal_data.py says whether
    it is personal data and, if so, under which retention rule."""
    tables = _tables()
    unclassified = [
        f"{table}.{column}"
        for table, columns in tables.items()
        for column in columns
        if column not in COLUMNS.get(table, {})
    ]
    assert not unclassified, (
        f"classify these columns in storage/personal_data.py (a Retention rule, or "
        f"NOT_PERSONAL), then describe the personal ones in docs/informationshantering.md and "
        f"the README's privacy section: {unclassified}"
    )
    gone = [
        f"{table}.{column}"
        for table, columns in COLUMNS.items()
        for column in columns
        if column not in tables.get(table, [])
    ]
    assert not gone, f"classified but not in the models: {gone}"


def _check_describes_every_personal_column(document: str, text: str) -> None:
    """Each personal column has a table row naming it (`table.column`) and its rule (`answers`,
    `roster` …); a row naming columns of several rules names each of them; a row names no column
    that does not exist."""
    rows = _rows(text)
    tables = _tables()
    missing, wrong, unknown = [], [], []
    for name, rule in personal_columns().items():
        found = [row for row in rows if f"`{name}`" in _first_cell(row)]
        if not found:
            missing.append(name)
        elif not any(f"`{rule.value}`" in row for row in found):
            wrong.append(f"{name} (rule `{rule.value}`)")
    for row in rows:
        for table, column in TOKEN.findall(_first_cell(row)):
            if table in tables and column not in tables[table]:
                unknown.append(f"{table}.{column}")
    assert not missing, f"{document} does not describe these personal columns: {missing}"
    assert not wrong, f"{document} names another retention for: {wrong}"
    assert not unknown, f"{document} names columns the models do not have: {unknown}"


def test_the_records_document_describes_every_personal_column() -> None:
    _check_describes_every_personal_column(
        "docs/informationshantering.md", RECORDS.read_text(encoding="utf-8")
    )


def test_the_readme_privacy_section_describes_every_personal_column() -> None:
    _check_describes_every_personal_column("the README's privacy section", _privacy_section())


def test_the_records_document_names_no_rule_the_code_does_not_have() -> None:
    """Every rule code the records document uses is one of the code's rules, and each rule is
    explained there under its own heading, with the settings that control it."""
    text = RECORDS.read_text(encoding="utf-8")
    for rule, controls in RULES.items():
        heading = re.search(rf"^### .*`{rule.value}`.*$", text, flags=re.MULTILINE)
        assert heading, f"docs/informationshantering.md has no heading for rule `{rule.value}`"
        body = text[heading.end() : text.find("\n### ", heading.end())]
        for setting in controls.settings:
            assert f"`{setting}`" in body, f"rule `{rule.value}` does not name `{setting}`"
    codes = set(re.findall(r"^### .*?`([a-z_]+)`", text, flags=re.MULTILINE))
    assert codes >= {r.value for r in Retention}


def test_each_rule_names_settings_and_code_that_exist() -> None:
    """The settings a rule names are the organisation's policy columns, the retention module's
    docstring names them, and the function that applies a rule is there."""
    policy_columns = set(Organisation.model_fields)
    doc = inspect.getdoc(retention) or ""
    for rule, controls in RULES.items():
        for setting in controls.settings:
            assert setting in policy_columns, (rule, setting)
            assert f"`{setting}`" in doc or setting in doc, (rule, setting)
        if controls.applied_by:
            assert callable(getattr(retention, controls.applied_by, None)), (rule, controls)
