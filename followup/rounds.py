"""Collection rounds (omgångar): creating one, opening it for its audience, finding it again.

Opening resolves the audience — every active chef, or the chosen departments; chefs on leave are
skipped and listed — and queues one invitation per chef in the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from followup.sections import DEFAULT_SECTIONS
from storage.database import Database
from storage.models import (
    Chef,
    Invitation,
    InvitationState,
    OutboxKind,
    Round,
    RoundDepartment,
    RoundState,
)
from storage.outbox_store import NewMessage, OutboxStore

STOCKHOLM = ZoneInfo("Europe/Stockholm")


class RoundError(ValueError):
    """A rule of the round lifecycle was broken; `code` names it for the text catalogue."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Opening:
    """What opening a round did."""

    invited: list[int] = field(default_factory=list)
    on_leave: list[int] = field(default_factory=list)
    queued: int = 0


def invitation_key(round_id: int, chef_id: int, sequence: int = 1) -> str:
    return f"round:{round_id}:chef:{chef_id}:{OutboxKind.INVITATION.value}:{sequence}"


async def create_round(
    db: Database,
    *,
    organisation_id: int,
    programme_id: int,
    title: str,
    deadline: datetime,
    now: datetime,
    created_by: str = "",
    department_ids: Sequence[int] = (),
    sections: dict[str, str] | None = None,
    k: int = 3,
    reminder_offsets: Sequence[int] = (7, 2),
    reminder_cap: int = 2,
) -> Round:
    chosen = dict(DEFAULT_SECTIONS) if sections is None else dict(sections)
    if not chosen:
        raise RoundError("no_sections")
    round_ = Round(
        organisation_id=organisation_id,
        programme_id=programme_id,
        title=title.strip(),
        deadline=deadline,
        audience_all=not department_ids,
        sections=chosen,
        k=k,
        reminder_offsets=list(reminder_offsets),
        reminder_cap=reminder_cap,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    async with db.session() as session, session.begin():
        session.add(round_)
        await session.flush()
        assert round_.id is not None
        for department_id in department_ids:
            session.add(RoundDepartment(round_id=round_.id, department_id=department_id))
    return round_


def on_leave(chef: Chef, today: date) -> bool:
    return chef.on_leave_until is not None and chef.on_leave_until >= today


async def open_round(db: Database, *, round_id: int, now: datetime) -> Opening:
    """Open the round: invite every chef of its audience who is not on leave."""
    opening = Opening()
    today = now.astimezone(STOCKHOLM).date()
    async with db.session() as session, session.begin():
        round_ = await session.get(Round, round_id, with_for_update=True)
        if round_ is None:
            raise RoundError("unknown_round", round=round_id)
        if round_.state not in (RoundState.DRAFT, RoundState.SCHEDULED):
            raise RoundError("not_openable", state=round_.state)
        if round_.deadline <= now:
            raise RoundError("deadline_passed")
        query = select(Chef).where(Chef.organisation_id == round_.organisation_id, col(Chef.active))
        if not round_.audience_all:
            departments = select(RoundDepartment.department_id).where(
                RoundDepartment.round_id == round_id
            )
            query = query.where(col(Chef.department_id).in_(departments))
        chefs = list((await session.exec(query.order_by(col(Chef.id)))).all())
        for chef in chefs:
            assert chef.id is not None
            leave = on_leave(chef, today)
            session.add(
                Invitation(
                    round_id=round_id,
                    chef_id=chef.id,
                    state=InvitationState.ON_LEAVE if leave else InvitationState.PENDING,
                    created_at=now,
                )
            )
            (opening.on_leave if leave else opening.invited).append(chef.id)
        round_.state = RoundState.OPEN
        round_.opens_at = round_.opens_at or now
        round_.updated_at = now
        organisation_id = round_.organisation_id
    opening.queued = await OutboxStore(db).enqueue(
        [
            NewMessage(
                organisation_id=organisation_id,
                dedupe_key=invitation_key(round_id, chef_id),
                kind=OutboxKind.INVITATION.value,
                round_id=round_id,
                chef_id=chef_id,
                payload={},  # rendered when sent, so it shows the round as it is then
            )
            for chef_id in opening.invited
        ],
        now=now,
    )
    return opening


async def get_round(db: Database, round_id: int) -> Round | None:
    async with db.session() as session:
        return await session.get(Round, round_id)
