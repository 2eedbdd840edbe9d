"""Teams and the command line run the same operations with the same effects: one world drives
them through Teams, an identical one through `ledarpuls`, and the database and the audit log
must tell the same story."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlmodel import col, select

from bot.cli import run
from bot.settings import Settings
from followup.imports.plan import import_plan
from followup.imports.roster import import_roster
from followup.policy import Policy
from followup.rounds.lifecycle import create_round
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import (
    AuditEvent,
    Chef,
    ConversationRef,
    Department,
    HrRole,
    Invitation,
    OutboxMessage,
    Programme,
    Role,
    Round,
)
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.conftest import EXAMPLES
from tests.dialogs import test_hr_dialog
from tests.dialogs.checkin_world import KARIN, MARIA, TENANT, db_of, install
from tests.dialogs.conftest import at_work
from tests.dialogs.test_hr_dialog import (
    hr_button,
    last_card,
    last_text,
    press,
    say,
)
from tests.fakes.bot_connector import FakeBotConnector
from tests.followup.check_in.test_steps import answer_everything

# the HR test world's connector, which also knows the HR admin of another municipality
connector = test_hr_dialog.connector

CLI_TENANT = "0c1d2e3f-4a5b-4c6d-8e7f-000000000002"  # the command line's twin organisation
EVA = "eva.lindgren@demo.ledarpuls.se"
ANNA = "anna.berg@demo.ledarpuls.se"
SARA = "sara.nystrom@demo.ledarpuls.se"
TITLE = "Delår 1"
RULES = Policy()  # both fronts run under the default settings' policy


@pytest.fixture
def app_clock() -> Callable[[], datetime]:
    """HR's "påminn" sends at once in working hours (outside them it asks first): these
    tests run the app at work, whatever the hour they run at."""
    return at_work


async def world(db: Database, tenant: str) -> tuple[int, int]:
    """The demo organisation, Karin its HR admin, and a draft round: the same for both fronts."""
    organisation = await OrganisationStore(db).create(
        tenant_id=tenant, name="Demokommunen", default_k=RULES.k
    )
    org = organisation.id
    assert org is not None
    await import_plan(db, organisation_id=org, path=EXAMPLES / "demo-plan.yaml")
    await import_roster(db, organisation_id=org, path=EXAMPLES / "demo-roster.yaml")
    now = utcnow()
    await RoleStore(db).grant(
        organisation_id=org,
        principal=KARIN["aadObjectId"],
        role=Role.HR_ADMIN,
        created_by="test",
        now=now,
    )
    async with db.session() as s:
        programme = (await s.exec(select(Programme).where(Programme.organisation_id == org))).one()
    assert programme.id is not None
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme.id,
        title=TITLE,
        deadline=now + timedelta(days=21),
        now=now,
        policy=RULES,
    )
    assert round_.id is not None
    return org, round_.id


async def twin_installs(db: Database, *, source: int, target: int) -> None:
    """The installs Teams recorded in one organisation, as the same people in the twin."""
    async with db.session() as s:
        refs = (
            await s.exec(select(ConversationRef).where(ConversationRef.organisation_id == source))
        ).all()
        chefs = (await s.exec(select(Chef).where(Chef.organisation_id == target))).all()
    by_upn = {c.upn: c.id for c in chefs}
    for ref in refs:
        await ConversationStore(db).remember(
            tenant_id=CLI_TENANT,
            user_id=ref.user_id,
            conversation_id=ref.conversation_id,
            service_url=ref.service_url,
            reference=ref.reference,
            now=utcnow(),
            aad_object_id=ref.aad_object_id,
            upn=ref.upn,
            organisation_id=target,
            chef_id=by_upn.get(ref.upn) if ref.upn else None,
        )


async def answer(db: Database, round_id: int, upn: str) -> None:
    async with db.session() as s:
        invitation = (
            await s.exec(
                select(Invitation)
                .join(Chef, col(Chef.id) == col(Invitation.chef_id))
                .where(Invitation.round_id == round_id, Chef.upn == upn)
            )
        ).one()
    assert invitation.id is not None
    await answer_everything(db, invitation.id)


async def ids(db: Database, org: int) -> tuple[dict[str, int], dict[str, int]]:
    """Chefs by UPN and departments by code: what a card carries, the CLI names."""
    async with db.session() as s:
        chefs = (await s.exec(select(Chef).where(Chef.organisation_id == org))).all()
        departments = (
            await s.exec(select(Department).where(Department.organisation_id == org))
        ).all()
    return (
        {c.upn: c.id for c in chefs if c.upn and c.id},
        {d.code: d.id for d in departments if d.id},
    )


async def changes(db: Database, org: int) -> dict[str, Any]:
    """What the operations left in one organisation, without its ids (the twins' differ)."""
    async with db.session() as s:
        chefs = {
            c.id: c for c in (await s.exec(select(Chef).where(Chef.organisation_id == org))).all()
        }
        refs = {
            r.id: r.user_id
            for r in (
                await s.exec(select(ConversationRef).where(ConversationRef.organisation_id == org))
            ).all()
        }
        departments = {
            d.id: d.code
            for d in (
                await s.exec(select(Department).where(Department.organisation_id == org))
            ).all()
        }
        rounds = (await s.exec(select(Round).where(Round.organisation_id == org))).all()
        titles = {r.id: r.title for r in rounds}
        invitations = (
            await s.exec(select(Invitation).where(col(Invitation.round_id).in_(list(titles))))
        ).all()
        outbox = (
            await s.exec(select(OutboxMessage).where(OutboxMessage.organisation_id == org))
        ).all()
        roles = (await s.exec(select(HrRole).where(HrRole.organisation_id == org))).all()
        audit = (
            await s.exec(
                select(AuditEvent)
                .where(AuditEvent.organisation_id == org)
                .order_by(col(AuditEvent.id))
            )
        ).all()

    def upn(chef_id: int | None) -> str | None:
        return chefs[chef_id].upn if chef_id in chefs else None

    return {
        "rounds": sorted(
            (
                r.title,
                r.state,
                RULES.local(r.deadline),
                r.closed_at is not None,
                r.results_queued_at is not None,
            )
            for r in rounds
        ),
        "invitations": sorted(
            (titles[i.round_id], upn(i.chef_id), i.state, i.reminders_sent) for i in invitations
        ),
        "outbox": Counter(
            (m.kind, titles.get(m.round_id), upn(m.chef_id) or refs.get(m.conversation_ref_id))
            for m in outbox
        ),
        "on_leave": sorted((c.upn, c.on_leave_until) for c in chefs.values() if c.on_leave_until),
        "roles": sorted((r.principal, r.role, departments.get(r.department_id)) for r in roles),
        "audit": [(e.action, titles.get(e.round_id), sorted(e.detail)) for e in audit],
    }


async def ledarpuls(capsys: pytest.CaptureFixture[str], database_url: str, *args: str) -> str:
    """One command line, in this process, against the same database; its output."""
    settings = Settings(_env_file=None, database_url=database_url, run_scheduler=False)  # type: ignore[call-arg]
    code = await asyncio.to_thread(run, [*args, "--org", CLI_TENANT], settings)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


async def test_each_operation_has_the_same_effects_from_teams_and_the_command_line(
    client: TestClient[Any, Any],
    connector: FakeBotConnector,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = db_of(client)
    teams_org, teams_round = await world(db, TENANT)
    cli_org, cli_round = await world(db, CLI_TENANT)
    for person in (KARIN, MARIA):
        await install(client, connector, person)
    await twin_installs(db, source=teams_org, target=cli_org)
    chefs, departments = await ids(db, teams_org)
    later = (RULES.today(utcnow()) + timedelta(days=28)).isoformat()
    until = (RULES.today(utcnow()) + timedelta(days=10)).isoformat()

    # Teams: Karin presses and types
    await press(client, connector, KARIN, hr_button("open", teams_round), "open")
    await answer(db, teams_round, MARIA["upn"])
    await say(client, connector, KARIN, "frånvarande")
    await press(
        client,
        connector,
        KARIN,
        last_card(connector, KARIN),
        "leave",
        {"chef": str(chefs[SARA]), "until": until},
    )
    await say(client, connector, KARIN, f"påminn {teams_round}")
    await say(client, connector, KARIN, f"förläng {teams_round}")
    await press(
        client, connector, KARIN, last_card(connector, KARIN), "extend", {"deadline": later}
    )
    await say(client, connector, KARIN, "lägg till hr")
    add = last_card(connector, KARIN)
    await press(client, connector, KARIN, add, "add_hr", {"principal": EVA})
    await press(
        client,
        connector,
        KARIN,
        add,
        "add_hr",
        {"principal": ANNA, "role": f"lead:{departments['IFO']}"},
    )
    await say(client, connector, KARIN, "ta bort hr")
    remove = last_card(connector, KARIN)
    await press(
        client,
        connector,
        KARIN,
        remove,
        "remove_hr",
        {"principal": ANNA, "role": f"lead:{departments['IFO']}"},
    )
    assert last_text(connector, KARIN) == f"{ANNA} är inte längre avdelningschef."
    await press(client, connector, KARIN, hr_button("close", teams_round), "close")
    assert "Omgången är stängd." in [a.get("text") for a in connector.activities]

    # the command line: the same, in its twin
    await ledarpuls(capsys, database_url, "round", "open", str(cli_round))
    await answer(db, cli_round, MARIA["upn"])
    await ledarpuls(capsys, database_url, "hr", "leave", SARA, "--until", until)
    await ledarpuls(capsys, database_url, "round", "remind", str(cli_round))
    await ledarpuls(capsys, database_url, "round", "extend", str(cli_round), "--deadline", later)
    await ledarpuls(capsys, database_url, "hr", "add", EVA)
    await ledarpuls(capsys, database_url, "hr", "add", ANNA, "--lead", "IFO")
    await ledarpuls(capsys, database_url, "hr", "remove", ANNA, "--lead", "IFO")
    await ledarpuls(capsys, database_url, "round", "close", str(cli_round))

    teams, cli = await changes(db, teams_org), await changes(db, cli_org)
    for what in ("rounds", "invitations", "on_leave", "roles"):
        assert teams[what] == cli[what], what
    assert teams["rounds"] == [(TITLE, "closed", teams["rounds"][0][2], True, True)]
    assert ("feedback", TITLE, MARIA["upn"]) in cli["outbox"]
    assert cli["outbox"][("reminder", TITLE, KARIN["upn"])] == 1
    # the one difference: Karin, closing in Teams, is shown the digest there and then, so the
    # outbox does not send it to her again (and her reading it is logged)
    assert teams["outbox"] + Counter({("digest", TITLE, KARIN["id"]): 1}) == cli["outbox"]
    assert teams["audit"][-1] == ("digest.view", TITLE, ["via"])
    assert teams["audit"][:-1] == cli["audit"]
    assert [action for action, _, _ in cli["audit"]] == [
        "round.open",
        "chef.on_leave",
        "round.remind",
        "round.extend",
        "hr.add",
        "hr.add",
        "hr.remove",
        "round.close",
    ]
