"""Roster changes reach the open rounds at once: one idempotent pass over an organisation (and
`invite_late`, for one chef who installs the app while a round of theirs is open).

Run right after every roster change (HR's card edits and leave, the roster import) and by the
scheduler's reminder pass (so a leave that simply ends by date is picked up on the next working
morning). For every open round and every active chef of its audience (by the chef's department
now):

- never invited (added, or moved into one of the round's departments): invited now — or, when
  on leave, listed as on leave, to be invited when back;
- skipped at the opening for leave and back now: the invitation becomes a real one and its
  message is queued;
- not reached because the bot had no way to the chef, and now it has one (a conversation
  matched to them, below): the invitation is queued again.

Before that, conversations of people who had the app before HR added them to the roster are
matched to their chef (by Entra object id, UPN or e-mail), so the invitation reaches them in the
chat they already have. Leave and having left are not written into invitations here: reminders
and status read them from the chef (`followup.people.presence`). Every message has its dedupe
key, every invitation is unique per round and chef, and the rounds are locked while the pass
runs, so running it twice, or on two replicas at once, changes nothing the second time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from followup.people.presence import on_leave
from followup.policy import Policy
from followup.rounds.lifecycle import departments_of, invitation_key
from storage.chef_store import ChefStore
from storage.conversation_store import ConversationStore
from storage.database import Database, Session
from storage.invitation_store import InvitationStore
from storage.models import Chef, InvitationState, OutboxKind, Round
from storage.outbox_store import NewMessage, OutboxStore
from storage.round_store import RoundStore

logger = logging.getLogger(__name__)

ALL_STATES = tuple(s.value for s in InvitationState)


@dataclass
class Reach:
    """What one pass did: (round, chef) pairs invited now, and those listed as on leave."""

    invited: list[tuple[int, int]] = field(default_factory=list)
    on_leave: list[tuple[int, int]] = field(default_factory=list)
    linked: int = 0  # conversations matched to their chef


async def reach_open_rounds(
    db: Database, *, organisation_id: int, now: datetime, policy: Policy
) -> Reach:
    """Bring the organisation's open rounds up to date with its roster (see the module)."""
    reach = Reach()
    today = policy.today(now)
    messages: list[NewMessage] = []
    async with db.session() as session, session.begin():
        # locked: a second pass (another replica, the scheduler) waits and then finds it done
        rounds = await RoundStore(db).still_open(
            now=now, organisation_id=organisation_id, lock=True, session=session
        )
        chefs = await ChefStore(db).audience(organisation_id=organisation_id, session=session)
        reach.linked = await _match_conversations(db, session, chefs, organisation_id, now=now)
        if not rounds:
            return reach
        reachable = await ConversationStore(db).for_chefs(
            [c.id for c in chefs if c.id is not None], session=session
        )
        for round_ in rounds:
            for chef_id, sequence in await _reach_round(
                db, session, round_, chefs, reach, today=today, now=now, reachable=set(reachable)
            ):
                messages.append(_invitation(round_, chef_id, sequence))
        # with the invitations they announce, in one transaction: a crash loses neither
        await OutboxStore(db).enqueue(messages, now=now, session=session)
    if reach.invited or reach.on_leave or reach.linked:
        logger.info(
            "roster reach: organisation=%s invited=%d on_leave=%d conversations_matched=%d",
            organisation_id,
            len(reach.invited),
            len(reach.on_leave),
            reach.linked,
        )
    return reach


async def reach_every_organisation(db: Database, *, now: datetime, policy: Policy) -> Reach:
    """The pass for every organisation with an open round (the scheduler's)."""
    total = Reach()
    rounds = await RoundStore(db).still_open(now=now)
    for organisation_id in sorted({r.organisation_id for r in rounds}):
        reach = await reach_open_rounds(db, organisation_id=organisation_id, now=now, policy=policy)
        total.invited += reach.invited
        total.on_leave += reach.on_leave
        total.linked += reach.linked
    return total


async def _reach_round(
    db: Database,
    session: Session,
    round_: Round,
    chefs: list[Chef],
    reach: Reach,
    *,
    today: date,
    now: datetime,
    reachable: set[int],
) -> list[tuple[int, int]]:
    """One round: the invitations to queue, as (chef, sequence)."""
    assert round_.id is not None
    chosen: set[int] | None = None
    if not round_.audience_all:
        chosen = set(await RoundStore(db).chosen_departments(round_.id, session=session))
    invitations = InvitationStore(db)
    existing = {
        i.chef_id: i
        for i in await invitations.in_states(round_id=round_.id, states=ALL_STATES, session=session)
    }
    queue: list[tuple[int, int]] = []
    for chef in chefs:
        assert chef.id is not None
        if chosen is not None and chef.department_id not in chosen:
            continue
        away = on_leave(chef, today)
        invitation = existing.get(chef.id)
        if invitation is None:
            await invitations.add(
                round_id=round_.id,
                chef_id=chef.id,
                state=InvitationState.ON_LEAVE if away else InvitationState.PENDING,
                created_at=now,
                session=session,
            )
            (reach.on_leave if away else reach.invited).append((round_.id, chef.id))
            if not away:
                queue.append((chef.id, 1))
            continue
        again = (
            invitation.state == InvitationState.UNREACHABLE
            and invitation.unreachable_code is None  # the chef's own (no way to them), no outage
            and chef.unreachable_code is None
            and chef.id in reachable
        )
        back = invitation.state == InvitationState.ON_LEAVE and not away
        if not (back or again):
            continue
        sent = await OutboxStore(db).count_of(
            round_id=round_.id,
            chef_id=chef.id,
            kind=OutboxKind.INVITATION.value,
            session=session,
        )
        invitation.state = InvitationState.PENDING
        if back:
            # the invitation is made now: HR's status counts it as invited late
            invitation.created_at = now
        reach.invited.append((round_.id, chef.id))
        queue.append((chef.id, sent + 1))
    return queue


async def _match_conversations(
    db: Database, session: Session, chefs: list[Chef], organisation_id: int, *, now: datetime
) -> int:
    """Match the organisation's unmatched conversations to active chefs by object id, UPN or
    e-mail; a chef who now has a way to be reached is reachable again, and their roster entry
    learns the Entra object id as an install would have taught it (so an HR admin who had the
    app before the roster listed her is named by her UPN in the audit log)."""
    by_name: dict[str, Chef] = {}
    for chef in chefs:
        for name in (chef.aad_object_id, chef.upn, chef.email):
            if name:
                by_name.setdefault(name.strip().lower(), chef)
    linked = 0
    for ref in await ConversationStore(db).unmatched(organisation_id, session=session):
        names = [n.lower() for n in (ref.aad_object_id, ref.upn) if n]
        found = next((by_name[n] for n in names if n in by_name), None)
        if found is None:
            continue
        ref.chef_id, chef = found.id, found
        if ref.aad_object_id and chef.id is not None:
            await ChefStore(db).link_identity(
                chef_id=chef.id, aad_object_id=ref.aad_object_id, now=now, session=session
            )
        if chef.unreachable_code is not None:
            chef.unreachable_code = None
            chef.unreachable_at = None
        linked += 1
    return linked


def _invitation(round_: Round, chef_id: int, sequence: int) -> NewMessage:
    assert round_.id is not None
    return NewMessage(
        organisation_id=round_.organisation_id,
        dedupe_key=invitation_key(round_.id, chef_id, sequence),
        kind=OutboxKind.INVITATION.value,
        round_id=round_.id,
        chef_id=chef_id,
        payload={},  # rendered when sent, so it shows the round as it is then
    )


async def invite_late(db: Database, *, chef_id: int, now: datetime, policy: Policy) -> list[int]:
    """A chef who installs the app while a round they belong to is open gets invited to it;
    one whose invitation could not be delivered before gets it again."""
    invited: list[tuple[int, int]] = []  # (round, sequence)
    async with db.session() as session, session.begin():
        chef = await ChefStore(db).get(chef_id, session=session)
        if chef is None or not chef.active:
            return []
        rounds = await RoundStore(db).still_open(
            now=now, organisation_id=chef.organisation_id, session=session
        )
        invitations = InvitationStore(db)
        for round_ in rounds:
            assert round_.id is not None
            departments = await departments_of(db, session, round_)
            if departments is not None and chef.department_id not in departments:
                continue
            existing = await invitations.of(round_id=round_.id, chef_id=chef_id, session=session)
            if existing is None:
                if not on_leave(chef, policy.today(now)):
                    await invitations.add(
                        round_id=round_.id, chef_id=chef_id, created_at=now, session=session
                    )
                    invited.append((round_.id, 1))
            elif existing.state == InvitationState.UNREACHABLE:
                sent = await OutboxStore(db).count_of(
                    round_id=round_.id,
                    chef_id=chef_id,
                    kind=OutboxKind.INVITATION.value,
                    session=session,
                )
                existing.state = InvitationState.PENDING
                invited.append((round_.id, sent + 1))
        organisation_id = chef.organisation_id
    await OutboxStore(db).enqueue(
        [
            NewMessage(
                organisation_id=organisation_id,
                dedupe_key=invitation_key(round_id, chef_id, sequence),
                kind=OutboxKind.INVITATION.value,
                round_id=round_id,
                chef_id=chef_id,
                payload={},
            )
            for round_id, sequence in invited
        ],
        now=now,
    )
    return [round_id for round_id, _ in invited]
