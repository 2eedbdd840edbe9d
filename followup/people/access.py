"""Who may do what: HR admins run rounds; department leads follow their own departments.

Every HR operation (`followup.hr.operations`) is decided here, on the server, from the sender's
identity — never from anything a card carries — so a forwarded HR card gives a chef nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from followup.people.enrolment import Member
from storage.audit_store import AuditStore
from storage.chef_store import ChefStore
from storage.database import Database
from storage.models import HrRole, Role
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore

# what a department lead may do (for their own departments); everything else is HR's. The
# names are the commands the audit log records, refused or done.
LEAD_COMMANDS = frozenset({"rounds", "status", "digest", "identified", "export"})
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_UPN = re.compile(r"^[^@\s]{1,200}@[^@\s]{1,200}\.[^@\s]{2,}$")


@dataclass(frozen=True)
class Access:
    """What one Teams user may do in their organisation (nothing, when it has no organisation)."""

    actor: str  # who, for the audit log: the UPN when known, else the Entra object id
    organisation_id: int | None = None
    admin: bool = False
    lead_departments: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_staff(self) -> bool:
        """HR admin or department lead: may follow rounds."""
        return self.organisation_id is not None and (self.admin or bool(self.lead_departments))

    def departments(self) -> frozenset[int] | None:
        """The departments this person may follow; None means all of them."""
        return None if self.admin else self.lead_departments


def may(access: Access, command: str) -> bool:
    """HR admins may do everything in their organisation; leads only follow their departments."""
    if access.organisation_id is None:
        return False
    return access.admin or (bool(access.lead_departments) and command in LEAD_COMMANDS)


def principal_of(text: object) -> str | None:
    """Whom a role is given to: an Entra object id or a UPN, lower-case; None when the text is
    neither (a role held by a typo would let nobody in, or the wrong person)."""
    principal = text.strip().lower() if isinstance(text, str) else ""
    if _GUID.match(principal) or _UPN.match(principal):
        return principal
    return None


def actor_of(member: Member) -> str:
    return (member.upn or member.aad_object_id or member.user_id).lower()


async def access_of(db: Database, member: Member) -> Access:
    """The roles a Teams user holds, by Entra object id, UPN, or the roster's UPN for them."""
    organisation = await OrganisationStore(db).for_tenant(member.tenant_id)
    if organisation is None or organisation.id is None:
        return Access(actor=actor_of(member))
    upn = member.upn
    if upn is None and member.aad_object_id:
        # a chef's roster entry knows their UPN: saves asking Teams for it
        chef = await ChefStore(db).match(
            organisation_id=organisation.id,
            aad_object_id=member.aad_object_id,
            upn=None,
            email=None,
        )
        upn = chef.upn if chef is not None else None
    roles = await RoleStore(db).roles_of(
        organisation_id=organisation.id, aad_object_id=member.aad_object_id, upn=upn
    )
    return access_from(
        roles,
        actor=(upn or member.aad_object_id or member.user_id).lower(),
        organisation_id=organisation.id,
    )


def access_from(roles: Iterable[HrRole], *, actor: str, organisation_id: int) -> Access:
    """What the roles a person holds let them do."""
    held = list(roles)
    return Access(
        actor=actor,
        organisation_id=organisation_id,
        admin=any(r.role == Role.HR_ADMIN for r in held),
        lead_departments=frozenset(
            r.department_id
            for r in held
            if r.role == Role.DEPARTMENT_LEAD and r.department_id is not None
        ),
    )


async def audit(
    db: Database,
    access: Access,
    action: str,
    *,
    at: datetime,
    round_id: int | None = None,
    **detail: object,
) -> None:
    """One line in the audit log for an HR action (allowed or refused). Never answer text."""
    await AuditStore(db).record(
        actor=access.actor,
        action=action,
        at=at,
        organisation_id=access.organisation_id,
        round_id=round_id,
        detail=dict(detail),
    )


async def audit_refusal(
    db: Database,
    access: Access,
    area: str,
    *,
    reason: str,
    at: datetime,
    round_id: int | None = None,
    **detail: object,
) -> None:
    """One line for a refusal: `{area}.refused` with its reason code (never the values
    refused: a chef's answer is not evidence)."""
    await audit(db, access, f"{area}.refused", at=at, round_id=round_id, reason=reason, **detail)


async def chef_access(db: Database, chef_id: int | None) -> Access | None:
    """Who a chef is, for the audit log (their UPN, their organisation); None for no chef."""
    chef = await ChefStore(db).get(chef_id) if chef_id is not None else None
    if chef is None:
        return None
    return Access(actor=chef.upn.lower(), organisation_id=chef.organisation_id)
