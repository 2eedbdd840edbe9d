"""The empty templates: every column of the importers explained in the reader's language, and a
filled-in template imports cleanly."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from dialogs.texts import LANGUAGES, t
from followup.imports.plan import import_plan
from followup.imports.roster import ROSTER_COLUMNS, import_roster
from followup.imports.tabular import ImportFile
from followup.imports.templates import EXAMPLES, TEMPLATES, template_workbook
from followup.policy import Policy
from storage.database import Database
from storage.organisation_store import OrganisationStore


def workbook(kind: str, language: str = "sv") -> bytes:
    return template_workbook(kind, words=lambda key: t(language, key))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_column_is_explained_with_an_example(language: str) -> None:
    for kind, sheets in TEMPLATES.items():
        book = load_workbook(io.BytesIO(workbook(kind, language)))
        instructions = book[t(language, "template.instructions")]
        rows = list(instructions.iter_rows(min_row=4, values_only=True))
        expected = [(s.title, c.labels[0]) for s in sheets for c in s.columns]
        assert [(r[0], r[1]) for r in rows] == expected
        assert all(r[3] and r[4] is not None for r in rows)
        assert book.sheetnames == [instructions.title, *(s.title for s in sheets)]
    roster = load_workbook(io.BytesIO(workbook("roster", language)))
    rows = list(roster[t(language, "template.instructions")].iter_rows(min_row=4, values_only=True))
    required = {r[1]: r[2] for r in rows}
    assert required["E-post (UPN)"] == t(language, "template.yes")
    assert required["Enhet"] == t(language, "template.no")
    assert [c.value for c in roster["Chefer"][1]] == [c.labels[0] for c in ROSTER_COLUMNS]


def _filled(kind: str) -> bytes:
    """The template with its example row written in, as HR would fill it."""
    book = load_workbook(io.BytesIO(workbook(kind)))
    for sheet in TEMPLATES[kind]:
        ws = book[sheet.title]
        example = EXAMPLES[sheet.id]
        if sheet.key_value:
            for row in ws.iter_rows(min_row=2):
                field = next(c.field for c in sheet.columns if c.labels[0] == row[0].value)
                row[1].value = example[field]
        else:
            ws.append([example[c.field] for c in sheet.columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_filled_in_templates_import_cleanly(db: Database) -> None:
    org = await OrganisationStore(db).create(
        tenant_id="t", name="Mallkommunen", default_k=Policy().k
    )
    assert org.id is not None
    plan = await import_plan(
        db, organisation_id=org.id, path=ImportFile("plan.xlsx", _filled("plan"))
    )
    assert plan.sections["activities"].added == ["A01"]
    assert plan.sections["departments"].added == ["IFO"]
    roster = await import_roster(
        db, organisation_id=org.id, path=ImportFile("chefer.xlsx", _filled("roster"))
    )
    assert roster.sections["chefs"].added == ["anna.andersson@kommun.se"]
