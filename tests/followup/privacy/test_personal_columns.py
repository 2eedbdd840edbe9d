"""What storage/personal_data.py (and so docs/informationshantering.md) says each retention rule
does, the retention pass does: at the organisation's retention months, no personal column under
a rule that ends with the chef or the round holds a departed chef's names or any free text, and no
answer of a retained round is linked to a chef. Columns under `audit` (their own months) and
`kept` (the organisation's own plan) are the documented exceptions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, col, select

from followup.imports.roster import import_roster
from followup.privacy.retention import apply_retention
from storage.database import Database
from storage.models import Invitation
from storage.personal_data import Retention, personal_columns
from tests.followup.privacy.test_departed import (
    KARIN,
    KARIN_ID,
    LEFT,
    chat,
    chef_by_upn,
    roster_without,
)
from tests.followup.privacy.test_retention import TEXTS, two_closed_rounds

# 24 months (the default) after Karin left, and after both rounds closed
AT_24 = datetime(2028, 7, 1, 8, tzinfo=UTC)
EXEMPT = {Retention.AUDIT, Retention.KEPT}


async def personal_values(db: Database) -> dict[str, list[str]]:
    """Every value of every personal column, as lower-case text."""
    found: dict[str, list[str]] = {}
    async with db.session() as s:
        for name in personal_columns():
            table, column = name.split(".")
            query = sa_select(SQLModel.metadata.tables[table].c[column])
            found[name] = [repr(v).lower() for v in (await s.exec(query)).scalars().all()]  # type: ignore[call-overload]
    return found


async def test_at_retention_no_personal_column_names_a_departed_chef_or_keeps_free_text(
    db: Database, tmp_path: Path
) -> None:
    org, first, second = await two_closed_rounds(db)
    karin = await chef_by_upn(db, KARIN)
    assert karin.id is not None
    await chat(db, org, user="29:karin", upn=KARIN, chef_id=karin.id)
    names = {n.lower() for n in (karin.name, karin.upn, karin.email, KARIN_ID, karin.unit) if n}
    before = await personal_values(db)
    # what is looked for is there to begin with
    assert any(n in v for values in before.values() for v in values for n in names)
    assert any(t.lower() in v for values in before.values() for v in values for t in TEXTS)

    await import_roster(
        db, organisation_id=org, path=roster_without(tmp_path, KARIN), clock=lambda: LEFT
    )
    await apply_retention(db, now=AT_24)

    after = await personal_values(db)
    left = {
        (name, value)
        for name, rule in personal_columns().items()
        if rule not in EXEMPT
        for value in after[name]
        if any(n in value for n in names) or any(t.lower() in value for t in TEXTS)
    }
    assert left == set()
    async with db.session() as s:
        linked = (
            await s.exec(
                select(Invitation).where(
                    col(Invitation.round_id).in_([first, second]),
                    col(Invitation.chef_id).is_not(None),
                )
            )
        ).all()
    assert linked == []
