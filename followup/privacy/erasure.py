"""A chef erases their own answers ("radera mina svar"), as the organisation's policy allows.

Erased: every free text, every choice and rating, and the activity statuses — except, when the
organisation keeps them (the default), the statuses of rounds where that section was identified:
HR received those by name, so they are public records (allmänna handlingar) that are kept and
culled (gallras) by the municipality's own rules, not by one click.

Kept, and the chef is told so: the roster row (HR's record of the employment, changed by HR's
roster import), the invitations (that the chef was asked and answered, so a digest's response
rate stays true), and the Teams conversation reference (it holds no answers, and without it the
next invitation could not reach the chef).

The chef confirms what a card showed them; the card carries a fingerprint of exactly those
answers, and erasing checks it again under a lock, so a stale card erases nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from followup.sections import Privacy, Section
from storage.answer_store import AnswerStore
from storage.chef_store import ChefStore
from storage.database import Database, Session
from storage.invitation_store import InvitationStore
from storage.models import Chef
from storage.organisation_store import OrganisationStore


class StaleErasure(Exception):
    """The confirmation was for other answers than those there are now: nothing was erased."""


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing a chef's answers removes and keeps, right now."""

    chef_id: int
    rounds: int  # rounds with something to erase
    statuses: int
    texts: int
    ratings: int
    kept_statuses: int  # identified activity statuses, kept as public records
    keep_identified_statuses: bool
    fingerprint: str

    @property
    def erases_anything(self) -> bool:
        return bool(self.statuses or self.texts or self.ratings)


@dataclass(frozen=True)
class _Rows:
    statuses: list[int]
    texts: list[int]
    ratings: list[int]
    kept: list[int]


def _kept_as_record(sections: dict[str, str], keep_identified: bool) -> bool:
    return keep_identified and sections.get(Section.ACTIVITY_STATUS) == Privacy.IDENTIFIED


async def _rows(
    db: Database, session: Session, chef: Chef, *, keep_identified: bool
) -> tuple[_Rows, int, str]:
    """The answer rows to erase and to keep, how many rounds they are in, and a fingerprint of
    them (ids and last changes, and the policy) that any change alters."""
    assert chef.id is not None
    invitations = await InvitationStore(db).rounds_of_chef(chef_id=chef.id, session=session)
    kept_invitations = {
        i.id for i, r in invitations if _kept_as_record(dict(r.sections), keep_identified)
    }
    stamps = await AnswerStore(db).stamps(
        [i.id for i, _ in invitations if i.id is not None], session=session
    )
    statuses, texts, ratings = stamps.statuses, stamps.texts, stamps.ratings
    rows = _Rows(
        statuses=sorted(i for i, inv, _ in statuses if inv not in kept_invitations),
        texts=sorted(i for i, _, _ in texts),
        ratings=sorted(i for i, _, _ in ratings),
        kept=sorted(i for i, inv, _ in statuses if inv in kept_invitations),
    )
    erased_in = {inv for _, inv, _ in texts} | {inv for _, inv, _ in ratings}
    erased_in |= {inv for _, inv, _ in statuses if inv not in kept_invitations}
    digest = hashlib.sha256(f"chef:{chef.id}:keep:{keep_identified}".encode())
    for kind, found in (("s", statuses), ("t", texts), ("r", ratings)):
        for answer_id, invitation_id, updated_at in sorted(found, key=lambda row: row[0]):
            stamp = updated_at.isoformat() if updated_at is not None else ""
            digest.update(f"|{kind}:{answer_id}:{invitation_id}:{stamp}".encode())
    return rows, len(erased_in), digest.hexdigest()[:32]


async def _keeps_identified(db: Database, chef: Chef, *, session: Session) -> bool:
    """Does the chef's organisation keep identified activity statuses as public records?"""
    organisation = await OrganisationStore(db).get(chef.organisation_id, session=session)
    assert organisation is not None
    return organisation.keep_identified_statuses


def _plan(chef: Chef, rows: _Rows, *, rounds: int, keep: bool, fingerprint: str) -> ErasurePlan:
    assert chef.id is not None
    return ErasurePlan(
        chef_id=chef.id,
        rounds=rounds,
        statuses=len(rows.statuses),
        texts=len(rows.texts),
        ratings=len(rows.ratings),
        kept_statuses=len(rows.kept),
        keep_identified_statuses=keep,
        fingerprint=fingerprint,
    )


async def plan_erasure(db: Database, *, chef_id: int) -> ErasurePlan | None:
    """What "radera mina svar" would erase and keep now; None when there is no such chef."""
    async with db.session() as session:
        chef = await ChefStore(db).get(chef_id, session=session)
        if chef is None:
            return None
        keep = await _keeps_identified(db, chef, session=session)
        rows, rounds, fingerprint = await _rows(db, session, chef, keep_identified=keep)
    return _plan(chef, rows, rounds=rounds, keep=keep, fingerprint=fingerprint)


async def erase_answers(db: Database, *, chef_id: int, fingerprint: str) -> ErasurePlan:
    """Erase what the plan with this fingerprint showed, in one transaction; returns what was
    erased and kept. Raises StaleErasure, changing nothing, when the answers (or the policy)
    are no longer what the chef confirmed."""
    async with db.session() as session, session.begin():
        # the chef's row, locked: two confirmations at once erase once
        chef = await ChefStore(db).get(chef_id, lock=True, session=session)
        if chef is None:
            raise StaleErasure(chef_id)
        keep = await _keeps_identified(db, chef, session=session)
        rows, rounds, current = await _rows(db, session, chef, keep_identified=keep)
        if current != fingerprint or not (rows.statuses or rows.texts or rows.ratings):
            raise StaleErasure(chef_id)
        await AnswerStore(db).delete(
            statuses=rows.statuses, texts=rows.texts, ratings=rows.ratings, session=session
        )
    return _plan(chef, rows, rounds=rounds, keep=keep, fingerprint=current)
