"""Personal data with an end, with a clock we choose: a chef who left the roster keeps their
identity for the organisation's retention months and then loses it (name, UPN, e-mail, object
id, unit, conversations, roles) while every figure stays; one back on the roster in time is
untouched; the audit log is pruned after its own months."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlmodel import col, select

from followup.digest.compile import compile_digest
from followup.imports.roster import import_roster
from followup.privacy.retention import (
    AuditPruning,
    DepartedRetention,
    PolicyError,
    apply_retention,
    set_policy,
)
from storage.audit_store import AuditStore
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import (
    AuditEvent,
    Chef,
    ConversationRef,
    HrRole,
    OutboxKind,
    OutboxMessage,
    Role,
)
from storage.organisation_store import OrganisationStore
from storage.outbox_store import NewMessage, OutboxStore
from storage.role_store import RoleStore
from tests.conftest import EXAMPLES
from tests.followup.privacy.test_retention import everything, figures, two_closed_rounds

LEFT = datetime(2026, 7, 1, 8, tzinfo=UTC)
KARIN = "karin.sjoberg@demo.ledarpuls.se"
LEILA = "leila.haddad@demo.ledarpuls.se"
KARIN_ID = "0b7a4c1e-1111-4222-8333-944455556666"


def roster_without(tmp_path: Path, *upns: str) -> Path:
    """The demo's roster, less these chefs."""
    data = yaml.safe_load((EXAMPLES / "demo-roster.yaml").read_text(encoding="utf-8"))
    data["chefs"] = [c for c in data["chefs"] if c["upn"] not in upns]
    path = tmp_path / f"roster-{len(data['chefs'])}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def chef_by_upn(db: Database, upn: str) -> Chef:
    async with db.session() as s:
        return (await s.exec(select(Chef).where(Chef.upn == upn))).one()


async def chat(db: Database, org: int, *, user: str, upn: str, chef_id: int | None) -> None:
    await ConversationStore(db).remember(
        tenant_id="t",
        user_id=user,
        conversation_id=f"a:{user}",
        service_url="https://smba.example/",
        reference={"user": {"id": user}},
        now=LEFT,
        aad_object_id=KARIN_ID if upn == KARIN else None,
        upn=upn,
        organisation_id=org,
        chef_id=chef_id,
    )


async def test_a_departed_chef_loses_their_identity_after_retention_and_no_figure_moves(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    org, first, second = await two_closed_rounds(db)
    karin, leila = await chef_by_upn(db, KARIN), await chef_by_upn(db, LEILA)
    assert karin.id is not None and leila.id is not None
    await chat(db, org, user="29:karin", upn=KARIN, chef_id=karin.id)
    await chat(db, org, user="29:leila", upn=LEILA, chef_id=leila.id)
    ref = await ConversationStore(db).find(tenant_id="t", user_id="29:karin")
    assert ref is not None
    # a message through Karin's chat that retention of the rounds does not see
    await OutboxStore(db).enqueue(
        [
            NewMessage(
                organisation_id=org,
                dedupe_key="welcome-back",
                kind=OutboxKind.FEEDBACK,
                payload={"text": "Karin"},
                conversation_ref_id=ref.id,
            )
        ],
        now=LEFT,
    )
    roles = RoleStore(db)
    # Karin led ÄO as well as running her unit; both end when she leaves
    await roles.grant(
        organisation_id=org,
        principal=KARIN_ID,
        role=Role.DEPARTMENT_LEAD,
        department_id=karin.department_id,
        created_by="hr@demo",
        now=datetime(2026, 2, 1, tzinfo=UTC),
    )
    before = {r: figures(await compile_digest(db, round_id=r, now=LEFT)) for r in (first, second)}

    await import_roster(
        db, organisation_id=org, path=roster_without(tmp_path, KARIN, LEILA), clock=lambda: LEFT
    )
    assert (await chef_by_upn(db, KARIN)).left_at == LEFT
    # Leila becomes a department lead after leaving the chefs' roster: a new engagement
    await roles.grant(
        organisation_id=org,
        principal=LEILA,
        role=Role.DEPARTMENT_LEAD,
        department_id=leila.department_id,
        created_by="hr@demo",
        now=datetime(2026, 7, 2, tzinfo=UTC),
    )

    caplog.set_level(logging.INFO)
    # 23 months after leaving: still there
    assert (await apply_retention(db, now=datetime(2028, 6, 30, 12, tzinfo=UTC))).departed == []
    assert (await chef_by_upn(db, KARIN)).name == "Karin Sjöberg"

    at_24 = datetime(2028, 7, 1, 8, tzinfo=UTC)
    done = await apply_retention(db, now=at_24)
    assert done.departed == [
        DepartedRetention(
            organisation_id=org,
            chefs=2,
            conversations=1,
            roles=1,
            messages=1,
            kept_conversations=1,
        )
    ]
    async with db.session() as s:
        gone = (await s.exec(select(Chef).where(col(Chef.id).in_([karin.id, leila.id])))).all()
        refs = (await s.exec(select(ConversationRef))).all()
        held = (await s.exec(select(HrRole))).all()
        messages = (await s.exec(select(OutboxMessage))).all()
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    was_of = {karin.id: karin, leila.id: leila}
    assert len(gone) == 2
    for tombstone in gone:
        was = was_of[tombstone.id]
        assert (tombstone.name, tombstone.email, tombstone.unit, tombstone.aad_object_id) == (
            "",
            "",
            "",
            None,
        )
        assert tombstone.upn == f"removed:{was.id}" and tombstone.removed_at == at_24
        assert tombstone.department_id == was.department_id  # the figures' department
    # Karin's conversation and role are gone; Leila's lead role stays, and the chat that
    # reaches her, no longer linked to the chef she was
    assert [(r.upn, r.chef_id) for r in refs] == [(LEILA, None)]
    assert [(h.principal, h.role) for h in held] == [(LEILA, Role.DEPARTMENT_LEAD)]
    assert not [m for m in messages if m.chef_id in (karin.id, leila.id)]
    dump = (await everything(db)).lower()
    assert "sjöberg" not in dump and "karin" not in dump and KARIN_ID not in dump
    # nor her unit, the roster's or the one her invitations kept
    assert "hemtjänst norr" not in dump
    assert "haddad" not in dump.replace(LEILA, "")  # only where she holds her new role
    # counted, never named
    [departed] = [e for e in events if e.action == "retention.departed"]
    assert (departed.actor, departed.detail) == (
        "scheduler",
        {
            "months": 24,
            "chefs": 2,
            "conversations": 1,
            "roles": 1,
            "messages": 1,
            "kept_conversations": 1,
        },
    )
    logged = caplog.text.lower()
    assert "karin" not in logged and "haddad" not in logged and "removed" in logged

    for round_id in (first, second):
        assert figures(await compile_digest(db, round_id=round_id, now=at_24)) == before[round_id]
    # idempotent: a second pass changes nothing at all
    again = await everything(db)
    assert (await apply_retention(db, now=at_24)).departed == []
    assert await everything(db) == again


async def test_a_chef_back_on_the_roster_in_time_is_untouched(db: Database, tmp_path: Path) -> None:
    org, _, _ = await two_closed_rounds(db)
    await import_roster(
        db, organisation_id=org, path=roster_without(tmp_path, KARIN), clock=lambda: LEFT
    )
    back = datetime(2027, 1, 10, tzinfo=UTC)
    await import_roster(
        db, organisation_id=org, path=EXAMPLES / "demo-roster.yaml", clock=lambda: back
    )
    karin = await chef_by_upn(db, KARIN)
    assert (karin.active, karin.left_at) == (True, None)
    done = await apply_retention(db, now=datetime(2029, 1, 1, tzinfo=UTC))
    assert done.departed == []
    assert (await chef_by_upn(db, KARIN)).name == "Karin Sjöberg"


async def test_the_audit_log_is_pruned_after_its_own_months(db: Database) -> None:
    organisations = OrganisationStore(db)
    ours = await organisations.create(tenant_id="a", name="Alvik", default_k=3)
    theirs = await organisations.create(tenant_id="b", name="Berga", default_k=3)
    assert ours.id is not None and theirs.id is not None
    with pytest.raises(PolicyError) as caught:
        await set_policy(db, organisation_id=ours.id, audit_retention_months=0)
    assert caught.value.code == "bad_months"
    changed = await set_policy(db, organisation_id=ours.id, audit_retention_months=12)
    assert (changed.audit_retention_months, changed.retention_months) == (12, 24)
    assert (await organisations.get(theirs.id)).audit_retention_months == 36  # type: ignore[union-attr]

    audit = AuditStore(db)
    rows_at = {
        ours.id: (datetime(2025, 6, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)),
        theirs.id: (datetime(2025, 6, 1, tzinfo=UTC),),
        None: (datetime(2024, 6, 1, tzinfo=UTC),),
    }
    for organisation_id, moments in rows_at.items():
        for at in moments:
            await audit.record(
                actor="hr@a", action="round.list", at=at, organisation_id=organisation_id
            )
    now = datetime(2028, 2, 1, tzinfo=UTC)
    done = await apply_retention(db, now=now)
    # ours keeps a year; theirs and the rows of no organisation three years
    assert done.audit == [AuditPruning(ours.id, 12, 1), AuditPruning(None, 36, 1)]
    async with db.session() as s:
        rows = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    left = [(e.organisation_id, e.action, e.at.year) for e in rows]
    assert left == [
        (ours.id, "round.list", 2027),
        (theirs.id, "round.list", 2025),
        (ours.id, "retention.audit", 2028),
        (None, "retention.audit", 2028),
    ]
    assert rows[2].detail == {"months": 12, "rows": 1}
    # nothing more to prune: no new row either
    assert (await apply_retention(db, now=now)).audit == []
