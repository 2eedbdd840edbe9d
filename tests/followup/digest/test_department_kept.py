"""A round counts each chef under the department (and unit) they had when invited: a chef moved
by the roster afterwards changes no figure of that round, of an open round's status, nor of the
trend; the next round counts them in their new department."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlmodel import select

from followup.check_in.steps import load_check_in
from followup.digest.compile import compile_digest
from followup.imports.roster import import_roster
from followup.policy import Policy
from followup.rounds.lifecycle import close_round
from followup.rounds.progress import progress
from storage.database import Database
from storage.invitation_store import InvitationStore
from storage.models import Chef, Department
from storage.types import utcnow
from tests.conftest import EXAMPLES
from tests.followup.check_in.test_steps import demo
from tests.followup.digest.test_compile import AO, IFO, Answer, a_round
from tests.followup.rounds.test_lifecycle import everyone_at_work

MARIA = "maria.akesson@demo.ledarpuls.se"


async def move_maria_to_ao(db: Database, org: int, folder: Path) -> None:
    """The roster import that moves Maria Åkesson from IFO to ÄO (and to another unit); the
    rest of the roster as it is, Johan back at work."""
    roster = yaml.safe_load((EXAMPLES / "demo-roster.yaml").read_text(encoding="utf-8"))
    for chef in roster["chefs"]:
        chef.pop("on_leave_until", None)
        if chef["upn"] == MARIA:
            chef["department"], chef["unit"] = "ÄO", "Hemtjänst Öster"
    path = folder / "chefer.yaml"
    path.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    report = await import_roster(db, organisation_id=org, path=path)
    assert report.section("chefs").changed == [MARIA]


async def ids(db: Database) -> tuple[int, dict[str, int]]:
    async with db.session() as s:
        maria = (await s.exec(select(Chef).where(Chef.upn == MARIA))).one()
        departments = {d.name: d.id for d in (await s.exec(select(Department))).all() if d.id}
    assert maria.id is not None
    return maria.id, departments


async def test_a_chef_moved_after_a_round_changes_no_figure_of_it(
    db: Database, tmp_path: Path
) -> None:
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    answers = {
        "Maria": Answer(confidence=2, status=("done", "")),
        "Johan": Answer(confidence=3, status=("delayed", "")),
        "Leila": Answer(confidence=4, status=("done", "")),
        "Karin": Answer(confidence=4, status=("in_progress", "")),
        "Mikael": Answer(confidence=5, status=("done", "")),
        "Sara": Answer(confidence=5, status=("done", "")),
    }
    first = await a_round(db, org, programme, "Delår 1", 5, answers)
    await close_round(db, round_id=first, now=utcnow())
    second = await a_round(db, org, programme, "Delår 2", 20, answers)
    maria, departments = await ids(db)
    status_before = await progress(db, round_id=second)
    ifo_status_before = await progress(
        db, round_id=second, department_ids=frozenset({departments[IFO]})
    )

    await move_maria_to_ao(db, org, tmp_path)

    # the open round's status, HR's and the IFO lead's, counts Maria where she was asked
    assert await progress(db, round_id=second) == status_before
    assert (
        await progress(db, round_id=second, department_ids=frozenset({departments[IFO]}))
        == ifo_status_before
    )
    assert (status_before.departments[IFO].submitted, status_before.departments[AO].invited) == (
        3,
        3,
    )
    # her feedback's group is IFO's, and she is asked about IFO's activities there
    invitation = await InvitationStore(db).of(round_id=second, chef_id=maria)
    assert invitation is not None and invitation.id is not None
    assert (invitation.department_id, invitation.unit) == (departments[IFO], "Barn och unga")
    check_in = await load_check_in(db, invitation.id, policy=Policy())
    assert check_in is not None and check_in.department_id == departments[IFO]

    # the closed round, first compiled after the move: Maria answered as IFO's
    digest = await compile_digest(db, round_id=first, now=utcnow())
    assert [(d.name, d.invited, d.submitted) for d in digest.departments if d.submitted] == [
        (IFO, 3, 3),
        (AO, 3, 3),
    ]
    ifo_confidence = digest.confidence_departments[IFO]
    assert ifo_confidence is not None and ifo_confidence.mean == 3.0  # (2 + 3 + 4) / 3
    assert [c.name for d in digest.identified if d.name == IFO for c in d.chefs] == [
        "Johan Lindqvist",
        "Leila Haddad",
        "Maria Åkesson",
    ]
    lead = await compile_digest(
        db, round_id=first, now=utcnow(), department_ids=frozenset({departments[IFO]})
    )
    assert [(d.name, d.invited, d.submitted) for d in lead.departments] == [(IFO, 3, 3)]

    # the open round closes: still IFO's, and the trend keeps the first round's IFO figure
    await close_round(db, round_id=second, now=utcnow())
    closed = await compile_digest(db, round_id=second, now=utcnow())
    assert [(d.name, d.submitted) for d in closed.departments if d.submitted] == [
        (IFO, 3),
        (AO, 3),
    ]
    assert [(p.title, p.departments[IFO]) for p in closed.trend] == [
        ("Delår 1", 3.0),
        ("Delår 2", 3.0),
    ]

    # the next round asks her as ÄO's, in her new unit
    third = await a_round(db, org, programme, "Delår 3", 20, {})
    now_counted = await progress(db, round_id=third)
    assert (now_counted.departments[IFO].invited, now_counted.departments[AO].invited) == (2, 4)
    invitation = await InvitationStore(db).of(round_id=third, chef_id=maria)
    assert invitation is not None
    assert (invitation.department_id, invitation.unit) == (departments[AO], "Hemtjänst Öster")
