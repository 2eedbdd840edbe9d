"""The demo organisation: demo programme and roster, self-enrolment, the Playground user as HR."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from followup.imports.plan import import_plan
from followup.imports.roster import import_roster
from followup.policy import Policy
from storage.database import Database
from storage.models import HrRole, Organisation, Role
from storage.organisation_store import OrganisationStore

# The demo's tenant and HR admins, as examples/playground.yml gives them to the Playground:
# Karin Sjöberg (the Playground's own user, also a chef) and Eva Lindgren (HR only).
DEMO_TENANT_ID = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
DEMO_HR = ("1a2b3c4d-0001-4000-8000-000000000004", "6b0e7c1a-2f3d-4e5a-9b6c-7d8e9f0a1b2c")
DEMO_NAME = "Demokommunen"


async def load_demo(
    db: Database, *, plan: Path, roster: Path, policy: Policy, tenant_id: str | None = None
) -> Organisation | None:
    """Load the demo into an empty database; returns None when there is data already."""
    async with db.session() as session:
        if (await session.exec(select(Organisation))).first() is not None:
            return None
    org = await OrganisationStore(db).create(
        tenant_id=tenant_id or DEMO_TENANT_ID,
        name=DEMO_NAME,
        default_k=policy.k,
        self_enrol=True,
    )
    assert org.id is not None
    await import_plan(db, organisation_id=org.id, path=plan)
    await import_roster(db, organisation_id=org.id, path=roster)
    async with db.session() as session, session.begin():
        for principal in DEMO_HR:
            session.add(
                HrRole(
                    organisation_id=org.id,
                    principal=principal,
                    role=Role.HR_ADMIN,
                    created_by="demo",
                )
            )
    return org
