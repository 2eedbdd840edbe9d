"""HR's imports as one operation: checked and previewed without a change, applied once by the
admin who sent the file, refused for anyone else; the upload page's one-time slot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml
from sqlmodel import col, select

from followup.hr.imports import (
    Upload,
    apply_import,
    cancel_import,
    check_import,
    open_upload,
    preview_upload,
    run_import,
    store_upload,
)
from followup.hr.operations import Call, Refused
from followup.imports.detect import detect_kind
from followup.imports.problems import ImportRejected
from followup.imports.tabular import ImportFile
from followup.people.access import Access
from followup.policy import Policy
from followup.privacy.retention import apply_retention
from followup.rounds.lifecycle import RoundError
from storage.database import Database
from storage.models import AuditEvent, Chef, PendingImport
from storage.organisation_store import OrganisationStore
from storage.types import utcnow
from tests.conftest import ROOT
from tests.followup.check_in.test_steps import KARIN, demo

EXAMPLES = ROOT / "examples"
MARIA = "maria.akesson@demo.ledarpuls.se"
LEILA = "leila.haddad@demo.ledarpuls.se"
NEW = "nora.nilsson@demo.ledarpuls.se"


def hr(org: int, actor: str = KARIN) -> Access:
    return Access(actor=actor, organisation_id=org, admin=True)


def call(db: Database, access: Access, *, later: timedelta = timedelta(0)) -> Call:
    return Call(db, access, "teams", utcnow() + later, Policy())


def edited_roster() -> bytes:
    """The demo roster with Leila gone, Maria in another unit and Nora new."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "demo-roster.yaml").read_text("utf-8"))
    chefs = [c for c in data["chefs"] if c["upn"] != LEILA]
    for chef in chefs:
        if chef["upn"] == MARIA:
            chef["unit"] = "Familjehem"
    chefs.append({"upn": NEW, "name": "Nora Nilsson", "department": "IFO"})
    return yaml.safe_dump({"chefs": chefs}, allow_unicode=True).encode()


async def chefs(db: Database) -> dict[str, Chef]:
    async with db.session() as s:
        return {c.upn: c for c in (await s.exec(select(Chef))).all()}


async def log(db: Database) -> list[AuditEvent]:
    async with db.session() as s:
        return list((await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all())


async def pending(db: Database) -> list[PendingImport]:
    async with db.session() as s:
        return list((await s.exec(select(PendingImport))).all())


async def test_a_roster_is_previewed_without_a_change_then_applied_once(db: Database) -> None:
    org, _, _ = await demo(db)
    before = await chefs(db)
    preview = await check_import(
        call(db, hr(org)), file_name="chefer.yaml", content=edited_roster()
    )

    assert preview.kind == "roster"
    changes = preview.report.sections["chefs"]
    assert changes.added == [NEW]
    assert changes.changed == [MARIA]
    assert changes.deactivated == [LEILA]
    after = await chefs(db)
    assert NEW not in after and after[LEILA].active and after[MARIA].unit == before[MARIA].unit

    report = await apply_import(call(db, hr(org)), token=preview.token)
    assert report.sections["chefs"].added == [NEW]
    applied = await chefs(db)
    assert applied[NEW].active and not applied[LEILA].active
    assert applied[MARIA].unit == "Familjehem"
    assert await pending(db) == []  # the file (names, e-mail addresses) is gone once applied

    with pytest.raises(RoundError) as twice:
        await apply_import(call(db, hr(org)), token=preview.token)
    assert twice.value.code == "import_unknown"
    events = [e for e in await log(db) if e.action.startswith("import.")]
    assert [e.action for e in events] == ["import.checked", "import.applied"]
    assert events[1].detail["changes"]["chefs"] == {"added": 1, "changed": 1, "deactivated": 1}
    assert "Nora" not in str(events[1].detail)  # counts, never the file's content


async def test_a_broken_file_lists_every_problem_and_changes_nothing(db: Database) -> None:
    org, _, _ = await demo(db)
    broken = "E-post (UPN);Namn;Avdelning\nnot-an-address;Ny Chef;IFO\nny@x.se;;OKÄND\n".encode()
    with pytest.raises(ImportRejected) as rejected:
        await check_import(call(db, hr(org)), file_name="chefer.csv", content=broken)
    codes = sorted(p.code for p in rejected.value.problems)
    assert codes == ["bad_upn", "empty_required", "unknown_department"]
    assert {p.location.row for p in rejected.value.problems} == {2, 3}
    assert await pending(db) == []
    assert "ny@x.se" not in await chefs(db)
    assert [e.action for e in await log(db)][-1] == "import.rejected"


async def test_a_chef_is_refused_and_on_record(db: Database) -> None:
    org, _, _ = await demo(db)
    chef = Access(actor=MARIA, organisation_id=org)
    with pytest.raises(Refused):
        await check_import(call(db, chef), file_name="chefer.yaml", content=edited_roster())
    with pytest.raises(Refused):
        await open_upload(call(db, chef))
    assert await pending(db) == []
    refused = [e for e in await log(db) if e.action == "hr.refused"]
    assert [e.detail["command"] for e in refused] == ["import", "import"]


async def test_only_the_admin_who_sent_it_applies_it_and_only_in_time(db: Database) -> None:
    org, _, _ = await demo(db)
    other_org = await OrganisationStore(db).create(
        tenant_id="t2", name="Grannkommunen", default_k=3
    )
    assert other_org.id is not None
    preview = await check_import(
        call(db, hr(org)), file_name="chefer.yaml", content=edited_roster()
    )
    attempts = {
        "import_unknown": call(db, hr(other_org.id)),
        "import_not_yours": call(db, hr(org, actor="eva.lindgren@demo.ledarpuls.se")),
        "import_expired": call(db, hr(org), later=Policy().import_lifetime),
    }
    for code, caller in attempts.items():
        with pytest.raises(RoundError) as refused:
            await apply_import(caller, token=preview.token)
        assert refused.value.code == code
        with pytest.raises(RoundError):
            await cancel_import(caller, token=preview.token)
    assert NEW not in await chefs(db)

    await cancel_import(call(db, hr(org)), token=preview.token)
    assert await pending(db) == []
    assert NEW not in await chefs(db)


async def test_expired_files_are_deleted_by_the_retention_pass(db: Database) -> None:
    org, _, _ = await demo(db)
    await check_import(call(db, hr(org)), file_name="chefer.yaml", content=edited_roster())
    await apply_retention(db, now=utcnow() + Policy().import_lifetime - timedelta(minutes=1))
    assert len(await pending(db)) == 1
    await apply_retention(db, now=utcnow() + Policy().import_lifetime + timedelta(minutes=1))
    assert await pending(db) == []


async def test_plan_or_roster_is_told_by_the_file() -> None:
    for name, kind in (
        ("demo-plan.yaml", "plan"),
        ("demo-plan.xlsx", "plan"),
        ("demo-roster.yaml", "roster"),
        ("demo-roster.xlsx", "roster"),
    ):
        assert detect_kind(ImportFile.read(EXAMPLES / name)) == kind
    assert detect_kind(ImportFile("a.csv", b"Kod;Omr\xc3\xa5de;Aktivitet\n")) == "plan"
    with pytest.raises(ImportRejected) as neither:
        detect_kind(ImportFile("lista.csv", b"Namn;Telefon\nA;1\n"))
    assert [p.code for p in neither.value.problems] == ["unknown_kind"]
    with pytest.raises(ImportRejected) as unsupported:
        detect_kind(ImportFile("bild.png", b"\x89PNG"))
    assert [p.code for p in unsupported.value.problems] == ["unsupported_format"]


async def test_a_file_too_large_is_refused_before_it_is_read(db: Database) -> None:
    org, _, _ = await demo(db)
    small = Call(db, hr(org), "teams", utcnow(), Policy(import_max_bytes=100))
    with pytest.raises(ImportRejected) as rejected:
        await check_import(small, file_name="chefer.yaml", content=edited_roster())
    assert [p.code for p in rejected.value.problems] == ["file_too_large"]


async def test_the_upload_slot_takes_one_file_once_then_teams_previews_it(db: Database) -> None:
    org, _, _ = await demo(db)
    now, policy = utcnow(), Policy()
    slot = await open_upload(call(db, hr(org)))
    with pytest.raises(RoundError) as nothing_yet:
        await preview_upload(call(db, hr(org)))
    assert nothing_yet.value.code == "import_no_upload"

    stored = await store_upload(
        db,
        token=slot.token,
        file_name="chefer.yaml",
        content=edited_roster(),
        now=now,
        policy=policy,
    )
    assert stored == Upload.STORED
    again = await store_upload(
        db, token=slot.token, file_name="chefer.yaml", content=b"chefs: []", now=now, policy=policy
    )
    assert again == Upload.USED
    assert [e.action for e in await log(db)][-1] == "import.upload"

    preview = await preview_upload(call(db, hr(org)))
    assert preview.token == slot.token and preview.report.sections["chefs"].added == [NEW]
    await apply_import(call(db, hr(org)), token=preview.token)
    assert (await chefs(db))[NEW].active


async def test_an_expired_or_unknown_slot_takes_no_file(db: Database) -> None:
    org, _, _ = await demo(db)
    policy = Policy()
    slot = await open_upload(call(db, hr(org)))
    late = utcnow() + policy.upload_lifetime + timedelta(seconds=1)
    content = edited_roster()
    assert (
        await store_upload(
            db, token=slot.token, file_name="c.yaml", content=content, now=late, policy=policy
        )
        == Upload.EXPIRED
    )
    assert (
        await store_upload(
            db, token="made-up", file_name="c.yaml", content=content, now=utcnow(), policy=policy
        )
        == Upload.USED
    )
    assert (
        await store_upload(
            db, token=slot.token, file_name="c.png", content=content, now=utcnow(), policy=policy
        )
        == Upload.UNSUPPORTED
    )


async def test_the_command_line_applies_through_the_same_operation(db: Database) -> None:
    org, _, _ = await demo(db)
    cli = Call(db, hr(org, actor="cli:it"), "cli", utcnow(), Policy())
    report = await run_import(cli, kind="roster", file=ImportFile("chefer.yaml", edited_roster()))
    assert report.sections["chefs"].deactivated == [LEILA]
    [applied] = [e for e in await log(db) if e.action == "import.applied"]
    assert applied.actor == "cli:it"
