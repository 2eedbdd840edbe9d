"""HR's small edits of the roster, one operation each, for the Teams card and the CLI alike:
find a chef, add one, move one to another department (and unit), end one's employment. Leave
is `operations.set_leave`.

Each authorises the caller (HR admins only; refusals on record as `hr.refused`), checks the card
was made from the roster as it still is (a stale card changes nothing), acts in one transaction,
writes `roster.*` to the audit log, and then lets the change reach the open rounds at once
(`followup.rounds.roster_reach`). A new chef's fields are checked exactly as a roster file's row
(`followup.imports.roster.check_chef`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from followup.forms import FormError
from followup.hr.operations import Call, authorise
from followup.imports.fields import Checker
from followup.imports.roster import check_chef
from followup.imports.tabular import Row
from followup.people.presence import roster_version
from followup.rounds.lifecycle import RoundError
from followup.rounds.roster_reach import Reach, reach_open_rounds
from storage.chef_store import ChefStore
from storage.database import Session
from storage.models import Chef, Department, EnrolmentSource
from storage.plan_store import PlanStore

MAX_FOUND = 10  # chefs a search lists on one card
# what a form's problem is called when the roster file's check found it
_FORM_CODES = {"empty_required": "required", "bad_upn": "bad_upn", "too_long": "too_long"}


@dataclass(frozen=True)
class NewChef:
    """A chef as HR's card (or the CLI) gives them, checked."""

    upn: str
    name: str
    email: str
    department_id: int
    unit: str
    object_id: str | None


@dataclass(frozen=True)
class Edited:
    """A chef after an edit, and how the open rounds took it."""

    chef: Chef
    reach: Reach

    @property
    def invited_to(self) -> list[int]:
        """The rounds the chef was invited to now."""
        return sorted(
            {round_id for round_id, chef_id in self.reach.invited if chef_id == self.chef.id}
        )


def check_new_chef(
    given: Mapping[str, Any], *, departments: Sequence[Department]
) -> tuple[NewChef | None, list[FormError]]:
    """A new chef's fields, read as the roster import reads a row, and the department chosen
    among the organisation's active ones; every problem named by its field."""
    by_id = {str(d.id): d for d in departments if d.active}
    chosen = by_id.get(str(given.get("department") or "").strip())
    values = {name: given.get(name) for name in ("upn", "name", "unit", "email", "object_id")}
    values = {k: v for k, v in values.items() if v not in (None, "")}
    values["department"] = chosen.code if chosen else None
    row = Row(file="", sheet=None, number=0, values=values)
    chk = Checker()
    spec = check_chef(chk, row)
    errors = [
        FormError(p.location.column or "", _FORM_CODES.get(p.code, p.code), dict(p.params))
        for p in chk.problems
        if p.location.column != "department"
    ]
    if chosen is None:
        errors.append(
            FormError("department", "required" if not given.get("department") else "bad_choice")
        )
    if errors or chosen is None or chosen.id is None:
        return None, errors
    return (
        NewChef(
            upn=spec.upn,
            name=spec.name,
            email=spec.email,
            department_id=chosen.id,
            unit=spec.unit,
            object_id=spec.object_id,
        ),
        [],
    )


async def find_chefs(call: Call, *, query: str) -> list[Chef]:
    """Chefs whose name, UPN or e-mail holds the words HR typed: those on the roster first,
    then those who have left (they can be added again)."""
    await authorise(call, "roster")
    found = await ChefStore(call.db).find(
        organisation_id=call.organisation_id, query=query, limit=MAX_FOUND
    )
    await call.audit("roster.find", found=len(found))
    return found


async def chef_of(call: Call, *, chef_id: int) -> Chef:
    """One chef of the caller's organisation, for HR's card about them."""
    await authorise(call, "roster")
    chef = await ChefStore(call.db).get(chef_id)
    if chef is None or chef.organisation_id != call.organisation_id or chef.removed_at:
        raise RoundError("no_such_chef")
    return chef


async def add_chef(call: Call, *, chef: NewChef) -> Edited:
    """Put a chef on the roster (or back on it, when they had left: answers they gave before
    stay theirs); they are invited to the open rounds of their department at once."""
    await authorise(call, "roster_add")
    now = call.now
    async with call.db.session() as session, session.begin():
        await _active_department(call, chef.department_id, session)
        chefs = await ChefStore(call.db).roster(call.organisation_id, session=session)
        same = next((c for c in chefs if c.upn == chef.upn), None)
        if same is not None and same.active:
            raise RoundError("chef_exists", name=same.name, upn=same.upn)
        taken = next(
            (c for c in chefs if chef.object_id and c.aad_object_id == chef.object_id), None
        )
        if taken is not None and taken is not same:
            raise RoundError("object_id_taken", upn=taken.upn)
        again = same is not None
        added = same or Chef(
            organisation_id=call.organisation_id,
            upn=chef.upn,
            email=chef.email,
            name=chef.name,
            created_at=now,
        )
        added.name, added.email, added.unit = chef.name, chef.email, chef.unit
        added.department_id = chef.department_id
        added.aad_object_id = chef.object_id or added.aad_object_id
        added.active, added.left_at, added.on_leave_until = True, None, None
        # as if from a roster file: a later import without them takes them off again
        added.source = EnrolmentSource.IMPORT
        added.updated_at = now
        session.add(added)
    assert added.id is not None
    await call.audit("roster.add", chef=added.id, department=chef.department_id, again=again)
    return Edited(added, await _reach(call))


async def move_chef(
    call: Call, *, chef_id: int, department_id: int, unit: str, version: str | None
) -> Edited:
    """Move a chef to another department (and unit). Rounds already asked keep counting their
    answers where they were; an open round of the new department invites them."""
    await authorise(call, "roster_move")
    unit = unit.strip()
    if len(unit) > 200:
        raise RoundError("unit_too_long", max=200)
    async with call.db.session() as session, session.begin():
        chef = await _editable(call, chef_id, version, session)
        await _active_department(call, department_id, session)
        before = chef.department_id
        chef.department_id, chef.unit, chef.updated_at = department_id, unit, call.now
    await call.audit("roster.move", chef=chef_id, department=department_id, before=before)
    return Edited(chef, await _reach(call))


async def end_chef(call: Call, *, chef_id: int, version: str | None) -> Edited:
    """End a chef's employment: off the roster from now (as a roster import without them), no
    more invitations or reminders; what they answered is kept, and retention counts from now."""
    await authorise(call, "roster_end")
    async with call.db.session() as session, session.begin():
        chef = await _editable(call, chef_id, version, session)
        chef.active, chef.left_at, chef.updated_at = False, call.now, call.now
    await call.audit("roster.end", chef=chef_id)
    return Edited(chef, await _reach(call))


async def _editable(call: Call, chef_id: int, version: str | None, session: Session) -> Chef:
    """The chef (locked) as HR's card showed them: of this organisation, on the roster, and
    unchanged since the card was made (a `version` of None: no card, the CLI)."""
    chef = await ChefStore(call.db).get(chef_id, lock=True, session=session)
    if chef is None or chef.organisation_id != call.organisation_id or chef.removed_at:
        raise RoundError("no_such_chef")
    if not chef.active:
        raise RoundError("chef_left", name=chef.name)
    if version is not None and version != roster_version(chef):
        raise RoundError("stale_card", name=chef.name)
    return chef


async def _active_department(call: Call, department_id: int, session: Session) -> None:
    departments = await PlanStore(call.db).departments(
        call.organisation_id, active_only=True, session=session
    )
    if department_id not in {d.id for d in departments}:
        raise RoundError("unknown_department")


async def _reach(call: Call) -> Reach:
    return await reach_open_rounds(
        call.db, organisation_id=call.organisation_id, now=call.now, policy=call.policy
    )
