"""The demo organisation: demo programme and roster, self-enrolment, the Playground user as HR."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from followup.organisations import create_organisation
from followup.plan_import import import_plan
from followup.roster_import import import_roster
from storage.database import Database
from storage.models import HrRole, Organisation, Role

# The Microsoft 365 Agents Playground's own tenant and user (see README, "Local Teams client").
PLAYGROUND_TENANT_ID = "00000000-0000-0000-0000-0000000000001"
PLAYGROUND_USER_OBJECT_ID = "00000000-0000-0000-0000-0000000000020"
DEMO_NAME = "Demokommunen"


async def load_demo(
    db: Database, *, plan: Path, roster: Path, tenant_id: str | None = None
) -> Organisation | None:
    """Load the demo into an empty database; returns None when there is data already."""
    async with db.session() as session:
        if (await session.exec(select(Organisation))).first() is not None:
            return None
    org = await create_organisation(
        db, tenant_id=tenant_id or PLAYGROUND_TENANT_ID, name=DEMO_NAME, self_enrol=True
    )
    assert org.id is not None
    await import_plan(db, organisation_id=org.id, path=plan)
    await import_roster(db, organisation_id=org.id, path=roster)
    async with db.session() as session, session.begin():
        session.add(
            HrRole(
                organisation_id=org.id,
                principal=PLAYGROUND_USER_OBJECT_ID,
                role=Role.HR_ADMIN,
                created_by="demo",
            )
        )
    return org
