"""Who holds a role in an organisation — HR admins and department leads — given, taken back and
listed by an HR admin, as an operation each (authorise → act → audit) for Teams and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from followup.hr.operations import Call, authorise
from followup.people.access import principal_of
from followup.rounds.lifecycle import RoundError
from storage.models import Role
from storage.organisation_store import OrganisationStore
from storage.role_store import LastHrAdmin, RoleStore


@dataclass(frozen=True)
class RoleChange:
    """A role given or taken back; `changed` is False when there was nothing to do."""

    principal: str
    role: Role
    department_id: int | None
    changed: bool


@dataclass(frozen=True)
class RoleHolder:
    """Someone with a role, for the list."""

    principal: str
    role: Role
    department_id: int | None
    department: str | None
    added_by: str
    added_at: datetime


async def _role(call: Call, *, principal: str, department_id: int | None) -> tuple[str, Role]:
    """The principal checked (a UPN or an Entra object id) and the role a department means."""
    checked = principal_of(principal)
    if checked is None:
        raise RoundError("bad_principal", principal=principal.strip()[:80])
    if department_id is None:
        return checked, Role.HR_ADMIN
    departments = await OrganisationStore(call.db).departments(call.organisation_id)
    if department_id not in {d.id for d in departments}:
        raise RoundError("unknown_department")
    return checked, Role.DEPARTMENT_LEAD


async def add_role(call: Call, *, principal: str, department_id: int | None = None) -> RoleChange:
    """Make someone HR admin, or (with a department) lead of that department."""
    await authorise(call, "add_hr")
    checked, role = await _role(call, principal=principal, department_id=department_id)
    added = await RoleStore(call.db).grant(
        organisation_id=call.organisation_id,
        principal=checked,
        role=role,
        department_id=department_id,
        created_by=call.access.actor,
        now=call.now,
    )
    await call.audit("hr.add", principal=checked, role=role, department=department_id)
    return RoleChange(checked, role, department_id, added)


async def remove_role(
    call: Call, *, principal: str, department_id: int | None = None
) -> RoleChange:
    """Take an HR admin's role back (or a lead's, with their department); refused for the last
    HR admin, who alone could run the organisation's rounds. It takes effect on their next
    command: roles are looked up afresh every time."""
    await authorise(call, "remove_hr")
    checked, role = await _role(call, principal=principal, department_id=department_id)
    try:
        removed = await RoleStore(call.db).revoke(
            organisation_id=call.organisation_id,
            principal=checked,
            role=role,
            department_id=department_id,
        )
    except LastHrAdmin as exc:
        raise RoundError("last_admin", principal=checked) from exc
    await call.audit(
        "hr.remove", principal=checked, role=role, department=department_id, removed=removed
    )
    return RoleChange(checked, role, department_id, removed)


async def list_roles(call: Call) -> list[RoleHolder]:
    """Who holds which role in the organisation: HR admins first, then leads by department."""
    await authorise(call, "roles")
    departments = {
        d.id: d.name for d in await OrganisationStore(call.db).departments(call.organisation_id)
    }
    holders = [
        RoleHolder(
            principal=r.principal,
            role=Role(r.role),
            department_id=r.department_id,
            department=departments.get(r.department_id) if r.department_id else None,
            added_by=r.created_by,
            added_at=r.created_at,
        )
        for r in await RoleStore(call.db).holders(call.organisation_id)
    ]
    await call.audit("hr.list", holders=len(holders))
    return holders
