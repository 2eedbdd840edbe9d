"""A small organisation written straight into the tables, for the stores' own tests: two
departments, a programme with two activities, chefs, and rounds with invitations and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from followup.policy import Policy
from storage.database import Database
from storage.invitation_store import InvitationStore
from storage.models import (
    Activity,
    ActivityStatusAnswer,
    Area,
    Chef,
    Department,
    Organisation,
    Principle,
    Programme,
    RatingAnswer,
    ReflectionAnswer,
    Round,
)

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
RULES = Policy()  # the columns storage leaves to the domain (k, reminders, the calendar)


@dataclass
class World:
    """Ids of what `world()` wrote."""

    organisation: int
    programme: int
    departments: dict[str, int]  # code → id
    activities: list[int]
    chefs: dict[str, int] = field(default_factory=dict)  # first name → id


async def world(db: Database) -> World:
    """Demokommunen: IFO and ÄO, a programme with two activities in one area, two principles."""
    async with db.session() as s, s.begin():
        org = Organisation(tenant_id="t-1", name="Demokommunen", default_k=RULES.k)
        s.add(org)
        await s.flush()
        assert org.id is not None
        ifo = Department(organisation_id=org.id, code="IFO", name="Individ- och familjeomsorg")
        ao = Department(organisation_id=org.id, code="AO", name="Äldreomsorg")
        programme = Programme(
            organisation_id=org.id,
            code="P1",
            title="Programmet",
            start_year=2026,
            end_year=2027,
            round_opens=list(RULES.round_opens),
            answer_days=RULES.answer_days,
        )
        s.add_all([ifo, ao, programme])
        await s.flush()
        assert programme.id is not None and ifo.id is not None and ao.id is not None
        area = Area(programme_id=programme.id, code="L", name="Ledarskap")
        s.add(area)
        await s.flush()
        assert area.id is not None
        second = Activity(programme_id=programme.id, area_id=area.id, code="A2", title="Nätverk")
        first = Activity(programme_id=programme.id, area_id=area.id, code="A1", title="Workshop")
        second.position, first.position = 1, 0
        s.add_all([second, first])
        s.add_all(
            [
                Principle(programme_id=programme.id, number=2, title="Vi strävar framåt"),
                Principle(programme_id=programme.id, number=1, title="Positiv människosyn"),
                Principle(programme_id=programme.id, number=3, title="Gammal", active=False),
            ]
        )
        await s.flush()
        assert first.id is not None and second.id is not None
        return World(
            organisation=org.id,
            programme=programme.id,
            departments={"IFO": ifo.id, "AO": ao.id},
            activities=[first.id, second.id],
        )


async def add_chef(
    db: Database,
    w: World,
    name: str,
    *,
    department: str | None,
    unreachable: str | None = None,
    unit: str = "",
) -> int:
    async with db.session() as s, s.begin():
        chef = Chef(
            organisation_id=w.organisation,
            department_id=w.departments[department] if department else None,
            unit=unit,
            upn=f"{name.split()[0].lower()}@kommun.se",
            email=f"{name.split()[0].lower()}@kommun.se",
            name=name,
            unreachable_code=unreachable,
        )
        s.add(chef)
        await s.flush()
        assert chef.id is not None
        w.chefs[name.split()[0]] = chef.id
        return chef.id


async def add_round(
    db: Database,
    w: World,
    *,
    title: str = "Delår 1 2026",
    state: str = "open",
    days: int = 10,
    sections: dict[str, str] | None = None,
) -> int:
    async with db.session() as s, s.begin():
        round_ = Round(
            organisation_id=w.organisation,
            programme_id=w.programme,
            title=title,
            state=state,
            deadline=NOW + timedelta(days=days),
            sections=sections or {},
            k=RULES.k,
            reminder_offsets=list(RULES.reminder_offsets),
            reminder_cap=RULES.reminder_cap,
        )
        s.add(round_)
        await s.flush()
        assert round_.id is not None
        return round_.id


async def invite(
    db: Database,
    *,
    round_id: int,
    chef_id: int,
    state: str = "submitted",
    statuses: dict[int, tuple[str, str]] | None = None,
    ratings: dict[tuple[str, str], int] | None = None,
    texts: dict[tuple[str, str], str] | None = None,
) -> int:
    """An invitation in this state, with these answers."""
    async with db.session() as s, s.begin():
        # as the lifecycle invites: with the chef's department and unit as they are now
        invitation = await InvitationStore(db).add(
            round_id=round_id, chef_id=chef_id, state=state, created_at=NOW, session=s
        )
        await s.flush()
        assert invitation.id is not None
        for activity_id, (status, comment) in (statuses or {}).items():
            s.add(
                ActivityStatusAnswer(
                    invitation_id=invitation.id,
                    activity_id=activity_id,
                    status=status,
                    comment=comment,
                )
            )
        for (section, key), value in (ratings or {}).items():
            s.add(RatingAnswer(invitation_id=invitation.id, section=section, key=key, value=value))
        for (section, key), text in (texts or {}).items():
            s.add(
                ReflectionAnswer(invitation_id=invitation.id, section=section, key=key, text=text)
            )
        return invitation.id
