"""A chef erases their own answers ("radera mina svar"), as the organisation's policy allows.

Erased: every free text, every choice and rating, every change not sent in (a draft), and the
activity statuses — except, when the organisation keeps them (the default), the statuses sent in
to rounds where that section was identified: HR received those by name, so they are public
records (allmänna handlingar) that are kept and culled (gallras) by the municipality's own
rules, not by one click.

Kept, and the chef is told so: the roster row (HR's record of the employment, changed by HR's
roster import; for a chef who has left, removed by retention after the organisation's months),
the invitations (that the chef was asked and answered, so a digest's response rate stays true),
the roles the chef holds (HR's decision, revoked by HR), the audit rows that name the chef (the
record of who did what, pruned after the audit log's months), and — while the chef is on the
roster — the Teams conversation reference (it holds no answers, and without it the next
invitation could not reach the chef). A chef no longer on the roster, holding no role, is sent
nothing more: their conversation references go too, with any message still waiting in them.

The chef confirms what a card showed them; the card carries a fingerprint of exactly those
answers, and erasing checks it again under a lock, so a stale card erases nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from followup.privacy.person import person_of
from followup.sections import Privacy, Section
from storage.answer_store import AnswerStore
from storage.audit_store import AuditStore
from storage.chef_store import ChefStore
from storage.conversation_store import ConversationStore
from storage.database import Database, Session
from storage.draft_store import DraftStore
from storage.invitation_store import InvitationStore
from storage.models import Chef, Organisation
from storage.organisation_store import OrganisationStore
from storage.outbox_store import OutboxStore
from storage.role_store import RoleStore


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
    conversations: int = 0  # Teams conversations removed: the chef is no longer on the roster
    on_roster: bool = True
    roles: int = 0  # roles held, kept (HR revokes them)
    kept_conversations: int = 0
    audit_rows: int = 0  # audit rows naming the chef, kept until the audit log's months
    audit_retention_months: int = 36
    retention_months: int = 24  # after leaving the roster, the identity goes
    drafts: int = 0  # rounds with changes not sent in (drafts)

    @property
    def erases_anything(self) -> bool:
        return bool(
            self.statuses or self.texts or self.ratings or self.conversations or self.drafts
        )


@dataclass(frozen=True)
class _Rows:
    statuses: list[int]
    texts: list[int]
    ratings: list[int]
    kept: list[int]
    conversations: list[int]  # to remove with the answers
    kept_conversations: int
    roles: int
    audit_rows: int
    drafts: list[int]  # invitations with changes not sent in

    @property
    def anything(self) -> bool:
        return bool(
            self.statuses or self.texts or self.ratings or self.conversations or self.drafts
        )


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
    drafts = await DraftStore(db).of_invitations(
        [i.id for i, _ in invitations if i.id is not None], session=session
    )
    rows = _Rows(
        statuses=sorted(i for i, inv, _ in statuses if inv not in kept_invitations),
        texts=sorted(i for i, _, _ in texts),
        ratings=sorted(i for i, _, _ in ratings),
        kept=sorted(i for i, inv, _ in statuses if inv in kept_invitations),
        conversations=[],
        kept_conversations=0,
        roles=0,
        audit_rows=0,
        drafts=[],
    )
    erased_in = {inv for _, inv, _ in texts} | {inv for _, inv, _ in ratings}
    erased_in |= {inv for _, inv, _ in statuses if inv not in kept_invitations}
    person = await person_of(db, chef, session=session)
    roles = await RoleStore(db).of_principals(
        organisation_id=chef.organisation_id, principals=person.names, session=session
    )
    # off the roster and without a role, nothing will be sent to the chef again
    ends = not chef.active and not roles
    refs = person.conversation_ids
    rows = _Rows(
        statuses=rows.statuses,
        texts=rows.texts,
        ratings=rows.ratings,
        kept=rows.kept,
        conversations=refs if ends else [],
        kept_conversations=0 if ends else len(refs),
        roles=len(roles),
        audit_rows=await AuditStore(db).naming(
            organisation_id=chef.organisation_id,
            principals=person.names,
            chef_id=chef.id,
            session=session,
        ),
        drafts=sorted({d.invitation_id for d in drafts}),
    )
    erased_in |= set(rows.drafts)
    digest = hashlib.sha256(
        f"chef:{chef.id}:keep:{keep_identified}:active:{chef.active}:roles:{len(roles)}".encode()
    )
    digest.update(f"|c:{sorted(rows.conversations)}".encode())
    for kind, found in (("s", statuses), ("t", texts), ("r", ratings)):
        for answer_id, invitation_id, updated_at in sorted(found, key=lambda row: row[0]):
            stamp = updated_at.isoformat() if updated_at is not None else ""
            digest.update(f"|{kind}:{answer_id}:{invitation_id}:{stamp}".encode())
    for draft in drafts:
        digest.update(f"|d:{draft.id}:{draft.updated_at.isoformat()}".encode())
    return rows, len(erased_in), digest.hexdigest()[:32]


async def _organisation(db: Database, chef: Chef, *, session: Session) -> Organisation:
    """The chef's organisation, whose policy says what is kept."""
    organisation = await OrganisationStore(db).get(chef.organisation_id, session=session)
    assert organisation is not None
    return organisation


def _plan(
    chef: Chef, rows: _Rows, *, rounds: int, organisation: Organisation, fingerprint: str
) -> ErasurePlan:
    assert chef.id is not None
    return ErasurePlan(
        chef_id=chef.id,
        rounds=rounds,
        statuses=len(rows.statuses),
        texts=len(rows.texts),
        ratings=len(rows.ratings),
        kept_statuses=len(rows.kept),
        keep_identified_statuses=organisation.keep_identified_statuses,
        fingerprint=fingerprint,
        conversations=len(rows.conversations),
        on_roster=chef.active,
        roles=rows.roles,
        kept_conversations=rows.kept_conversations,
        audit_rows=rows.audit_rows,
        audit_retention_months=organisation.audit_retention_months,
        retention_months=organisation.retention_months,
        drafts=len(rows.drafts),
    )


async def plan_erasure(db: Database, *, chef_id: int) -> ErasurePlan | None:
    """What "radera mina svar" would erase and keep now; None when there is no such chef."""
    async with db.session() as session:
        chef = await ChefStore(db).get(chef_id, session=session)
        if chef is None:
            return None
        organisation = await _organisation(db, chef, session=session)
        rows, rounds, fingerprint = await _rows(
            db, session, chef, keep_identified=organisation.keep_identified_statuses
        )
    return _plan(chef, rows, rounds=rounds, organisation=organisation, fingerprint=fingerprint)


async def erase_answers(db: Database, *, chef_id: int, fingerprint: str) -> ErasurePlan:
    """Erase what the plan with this fingerprint showed, in one transaction; returns what was
    erased and kept. Raises StaleErasure, changing nothing, when the answers (or the policy)
    are no longer what the chef confirmed."""
    async with db.session() as session, session.begin():
        # the chef's row, locked: two confirmations at once erase once
        chef = await ChefStore(db).get(chef_id, lock=True, session=session)
        if chef is None:
            raise StaleErasure(chef_id)
        organisation = await _organisation(db, chef, session=session)
        rows, rounds, current = await _rows(
            db, session, chef, keep_identified=organisation.keep_identified_statuses
        )
        if current != fingerprint or not rows.anything:
            raise StaleErasure(chef_id)
        await AnswerStore(db).delete(
            statuses=rows.statuses, texts=rows.texts, ratings=rows.ratings, session=session
        )
        await DraftStore(db).clear(rows.drafts, session=session)
        if rows.conversations:
            await OutboxStore(db).forget_recipient(
                chef_id=chef_id, conversation_ref_ids=rows.conversations, session=session
            )
            await ConversationStore(db).delete(rows.conversations, session=session)
    return _plan(chef, rows, rounds=rounds, organisation=organisation, fingerprint=current)
