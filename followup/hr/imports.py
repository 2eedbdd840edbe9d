"""HR's plan and roster imports as one operation for Teams and the command line.

A file is checked all-or-nothing exactly as `ledarpuls import` checks it, and previewed by
running the real import in a transaction that is rolled back, so the preview and the import
cannot disagree. From Teams the file then waits (`pending_import`, bound to the organisation and
the HR admin who sent it, for the policy's `import_lifetime`) until that admin presses Verkställ
or Avbryt. Every import is applied by `run_import`, whichever front asked; the audit log gets
the kind and the counts, never the file's content."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from followup.hr.operations import Call, authorise
from followup.imports.changes import ImportReport
from followup.imports.detect import KINDS, detect_kind
from followup.imports.plan import import_plan
from followup.imports.problems import ImportRejected, Location, Problem
from followup.imports.roster import import_roster
from followup.imports.tabular import ImportFile, file_format
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from followup.rounds.roster_reach import reach_open_rounds
from storage.audit_store import AuditStore
from storage.database import Database
from storage.models import PendingImport
from storage.pending_import_store import PendingImportStore

logger = logging.getLogger(__name__)

COMMAND = "import"  # the name the audit log (and the refusals) know these operations by


@dataclass(frozen=True)
class Preview:
    """What a checked file would do, and the token its Verkställ and Avbryt name."""

    token: str
    kind: str
    file_name: str
    report: ImportReport
    expires_at: datetime


def new_token() -> str:
    """Random and unguessable: it names a file waiting for its admin, or an upload slot."""
    return secrets.token_urlsafe(32)


def too_large(file_name: str, policy: Policy) -> ImportRejected:
    return ImportRejected(
        [
            Problem(
                Location(file_name),
                "file_too_large",
                {"max_mb": policy.import_max_bytes // 2**20},
            )
        ]
    )


def _counts(report: ImportReport) -> dict[str, dict[str, int]]:
    return {
        name: {
            "added": len(c.added),
            "changed": len(c.changed),
            "deactivated": len(c.deactivated),
        }
        for name, c in report.sections.items()
    }


async def _import(
    call: Call,
    *,
    kind: str,
    file: ImportFile,
    preview: bool,
    programme_code: str | None = None,
) -> ImportReport:
    if kind == "plan":
        return await import_plan(
            call.db,
            organisation_id=call.organisation_id,
            path=file,
            programme_code=programme_code,
            clock=lambda: call.now,
            preview=preview,
        )
    return await import_roster(
        call.db,
        organisation_id=call.organisation_id,
        path=file,
        clock=lambda: call.now,
        preview=preview,
    )


async def check_import(
    call: Call,
    *,
    file_name: str,
    content: bytes,
    kind: str | None = None,
    slot: str | None = None,
) -> Preview:
    """Check a file and say what it would do, changing nothing; it then waits for Verkställ.
    `slot`: the upload page's slot the file is in (it waits there); else it is stored now.
    Raises ImportRejected with every problem of the file (and stores nothing)."""
    await authorise(call, COMMAND)
    try:
        if len(content) > call.policy.import_max_bytes:
            raise too_large(file_name, call.policy)
        file = ImportFile(file_name, content)
        file_format(file)
        found = kind if kind in KINDS else detect_kind(file)
        report = await _import(call, kind=found, file=file, preview=True)
    except ImportRejected as rejected:
        await call.audit(
            "import.rejected", kind=kind, problems=len(rejected.problems), via_slot=slot is not None
        )
        if slot is not None:
            await PendingImportStore(call.db).delete(token=slot)
        raise
    store = PendingImportStore(call.db)
    expires_at = call.now + call.policy.import_lifetime
    if slot is None:
        token = new_token()
        await store.create(
            organisation_id=call.organisation_id,
            token=token,
            uploaded_by=call.access.actor,
            now=call.now,
            expires_at=expires_at,
            file_name=file_name,
            content=content,
            kind=found,
        )
    else:
        token = slot
        await store.checked(token=slot, kind=found)
        pending = await store.get(slot)
        expires_at = pending.expires_at if pending is not None else expires_at
    await call.audit("import.checked", kind=found, changes=_counts(report))
    return Preview(token, found, file_name, report, expires_at)


async def _own(call: Call, token: str) -> PendingImport:
    """The waiting file the token names, when it is this admin's and still waiting."""
    pending = await PendingImportStore(call.db).get(token) if token else None
    if pending is None or pending.organisation_id != call.organisation_id:
        raise RoundError("import_unknown")
    if pending.uploaded_by != call.access.actor:
        raise RoundError("import_not_yours")
    if pending.expires_at <= call.now:
        raise RoundError("import_expired")
    if pending.content is None or pending.kind not in KINDS:
        raise RoundError("import_unknown")
    return pending


async def apply_import(call: Call, *, token: str) -> ImportReport:
    """Verkställ: apply the waiting file its admin previewed, once. Raises RoundError for a
    file that is gone, someone else's or expired, ImportRejected for one the database no
    longer takes (the plan changed since the preview, say): then nothing changed."""
    await authorise(call, COMMAND)
    pending = await _own(call, token)
    store = PendingImportStore(call.db)
    if not await store.claim(token=token, now=call.now):
        raise RoundError("import_unknown")  # pressed twice: the other press applies it
    assert pending.content is not None
    try:
        report = await run_import(
            call, kind=pending.kind, file=ImportFile(pending.file_name, pending.content)
        )
    except Exception:
        await store.release(token=token)
        raise
    await store.delete(token=token)
    return report


async def cancel_import(call: Call, *, token: str) -> str:
    """Avbryt: the waiting file goes, unapplied; its name, for the answer."""
    await authorise(call, COMMAND)
    pending = await _own(call, token)
    await PendingImportStore(call.db).delete(token=token)
    await call.audit("import.cancelled", kind=pending.kind)
    return pending.file_name


async def run_import(
    call: Call, *, kind: str, file: ImportFile, programme_code: str | None = None
) -> ImportReport:
    """Apply a plan or roster file now, all or nothing: the one place every import goes
    through (Verkställ in Teams, `ledarpuls import`), so what follows an import is added here."""
    await authorise(call, COMMAND)
    report = await _import(call, kind=kind, file=file, preview=False, programme_code=programme_code)
    await call.audit("import.applied", kind=kind, changes=_counts(report))
    logger.info("import applied: organisation=%s kind=%s", call.organisation_id, kind)
    if kind == "roster":
        # the open rounds take the new roster at once: new chefs invited, leave and leavers read
        await reach_open_rounds(
            call.db, organisation_id=call.organisation_id, now=call.now, policy=call.policy
        )
    return report


# --- the upload page -------------------------------------------------------------------------


async def open_upload(call: Call) -> PendingImport:
    """A one-time slot for a file, for an HR admin whose Teams cannot send files: its token
    goes into the upload page's link, for the policy's `upload_lifetime`."""
    await authorise(call, COMMAND)
    slot = await PendingImportStore(call.db).create(
        organisation_id=call.organisation_id,
        token=new_token(),
        uploaded_by=call.access.actor,
        now=call.now,
        expires_at=call.now + call.policy.upload_lifetime,
    )
    await call.audit("import.upload_link")
    return slot


class Upload(StrEnum):
    """What became of a file sent on the upload page."""

    STORED = "stored"
    USED = "used"  # the slot has its file already, or is gone
    EXPIRED = "expired"
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"


async def upload_slot(db: Database, *, token: str, now: datetime) -> Upload | None:
    """Whether the slot can take a file: None when it can, else why not."""
    slot = await PendingImportStore(db).get(token) if token else None
    if slot is None or slot.content is not None:
        return Upload.USED
    if slot.expires_at <= now:
        return Upload.EXPIRED
    return None


async def store_upload(
    db: Database, *, token: str, file_name: str, content: bytes, now: datetime, policy: Policy
) -> Upload:
    """The upload page's file into its slot, once; then it waits for its admin's preview in
    Teams. Audited as the slot's admin (`import.upload`)."""
    refused = await upload_slot(db, token=token, now=now)
    if refused is not None:
        return refused
    if len(content) > policy.import_max_bytes:
        return Upload.TOO_LARGE
    try:
        file_format(ImportFile(file_name, content))
    except ImportRejected:
        return Upload.UNSUPPORTED
    store = PendingImportStore(db)
    slot = await store.get(token)
    if slot is None or not await store.fill(
        token=token,
        file_name=file_name,
        content=content,
        now=now,
        expires_at=now + policy.import_lifetime,
    ):
        return Upload.USED
    await AuditStore(db).record(
        actor=slot.uploaded_by,
        action="import.upload",
        at=now,
        organisation_id=slot.organisation_id,
        detail={"bytes": len(content)},
    )
    return Upload.STORED


async def preview_upload(call: Call) -> Preview:
    """`förhandsgranska`: check the newest file this admin put on the upload page."""
    await authorise(call, COMMAND)
    pending = await PendingImportStore(call.db).latest_upload(
        organisation_id=call.organisation_id, uploaded_by=call.access.actor, now=call.now
    )
    if pending is None or pending.content is None:
        raise RoundError("import_no_upload")
    return await check_import(
        call, file_name=pending.file_name, content=pending.content, slot=pending.token
    )
