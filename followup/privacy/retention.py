"""Retention (gallring): N months after a round closes, its answers are anonymised or purged.

Per organisation (`retention_months`, default 24; `retention_action`, default anonymise):

- anonymise: the free texts go (reflections, and the comments beside activity statuses), and
  each invitation is detached from its chef, keeping only the department the chef had when
  invited (never the unit: a unit usually has one chef, so it would name them);
  the round's delivery messages, which name the chef, go too. No answer can then be joined to a
  name, while the round's digest keeps exactly its figures (counted per department).
- purge: the answers go altogether; the detached invitations keep the response rate.

Either way the digest of such a round holds aggregates only.

The same months after a chef left the roster (`Chef.left_at`), who they were goes: name, UPN,
e-mail, Entra object id, unit (the roster's and the one each invitation kept) and leave, their
Teams conversations and the messages through them, and the roles they held when they left (a
role granted after they left is a new engagement: it stays, and so does the conversation that
reaches them, unlinked from the chef).
The chef's row stays as a tombstone with its id and department, so invitations, answers not
yet retained and every published figure stay exactly as they were. A chef back on the roster
in time has `left_at` cleared by the import and is never touched.

Changes a chef made to answers already sent in and never sent in again (drafts) go when their
round closes; a pass deletes any left of a round that is no longer open.

The audit log has its own months (`audit_retention_months`, default 36): older rows are
deleted, and the pruning leaves one row with the count.

A pass is idempotent: a round or a chef is marked when it is done, in the same transaction, and
never touched again; pruning nothing writes nothing. Logged and audited with counts only."""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import datetime

from followup.privacy.person import person_of
from storage.answer_store import AnswerStore
from storage.audit_store import AuditStore
from storage.chef_store import ChefStore
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.draft_store import DraftStore
from storage.invitation_store import InvitationStore
from storage.models import (
    AUDIT_RETENTION_MONTHS,
    InvitationState,
    Organisation,
    RetentionAction,
    RoundState,
)
from storage.organisation_store import OrganisationStore
from storage.outbox_store import OutboxStore
from storage.pending_import_store import PendingImportStore
from storage.role_store import RoleStore
from storage.round_store import RoundStore

logger = logging.getLogger(__name__)

ACTOR = "scheduler"  # who the audit log names for the retention pass
MONTHS_RANGE = range(1, 241)  # a month at least, twenty years at most


class PolicyError(ValueError):
    """A policy value outside what is allowed; `code` is a catalogue key under `policy.error.`."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the last day of a shorter month)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class RoundRetention:
    """What retention did to one round (counts only)."""

    round_id: int
    organisation_id: int
    action: str
    invitations: int  # detached from their chefs
    texts: int  # free texts removed: reflections and status comments
    answers: int  # answers deleted (purge)
    messages: int  # delivery messages naming a chef, deleted


@dataclass(frozen=True)
class DepartedRetention:
    """What retention removed of the chefs of one organisation who had left (counts only)."""

    organisation_id: int
    chefs: int  # identities removed, rows kept as tombstones
    conversations: int  # Teams conversations deleted
    roles: int  # role rows deleted
    messages: int  # outbox messages to them deleted
    kept_conversations: int = 0  # unlinked, kept for a role granted after they left


@dataclass(frozen=True)
class AuditPruning:
    """How many rows of one organisation's audit log (None: of no organisation) were pruned."""

    organisation_id: int | None
    months: int
    rows: int


@dataclass
class RetentionPass:
    """One pass over every organisation."""

    rounds: list[RoundRetention] = field(default_factory=list)
    departed: list[DepartedRetention] = field(default_factory=list)
    audit: list[AuditPruning] = field(default_factory=list)
    pending_imports: int = 0  # plan and roster files from Teams that nobody applied in time
    drafts: int = 0  # changes never sent in, of rounds no longer open, deleted


async def due_rounds(db: Database, *, now: datetime) -> list[tuple[int, Organisation]]:
    """Rounds whose retention time has come and that are not yet retained, oldest first."""
    due: list[tuple[int, Organisation]] = []
    rounds = RoundStore(db)
    for organisation in await OrganisationStore(db).list():
        assert organisation.id is not None
        ids = await rounds.closed_unretained(
            organisation_id=organisation.id,
            closed_by=months_before(now, organisation.retention_months),
            states=(RoundState.CLOSED, RoundState.ARCHIVED),
        )
        due += [(round_id, organisation) for round_id in ids]
    return due


async def retain_round(
    db: Database, *, round_id: int, action: str, now: datetime
) -> RoundRetention | None:
    """Anonymise or purge one closed round, once; None when it was done already (or is not a
    closed round)."""
    async with db.session() as session, session.begin():
        round_ = await RoundStore(db).get(round_id, lock=True, session=session)
        if (
            round_ is None
            or round_.retained_at is not None
            or round_.state not in (RoundState.CLOSED, RoundState.ARCHIVED)
        ):
            return None
        invitations = await InvitationStore(db).detachable(round_id=round_id, session=session)
        ids = [invitation.id for invitation, _ in invitations if invitation.id is not None]
        detached = 0
        for invitation, reason in invitations:
            if invitation.chef_id is None:
                continue
            # as the digest counted it so far: under the department the invitation keeps, and
            # why they could not be reached
            if invitation.state == InvitationState.UNREACHABLE:
                invitation.unreachable_code = reason
            invitation.chef_id = None
            # a unit usually has one chef: kept, it would name them
            invitation.unit = ""
            # what could be matched with the delivery log or the conversation: gone too
            invitation.card_activity_id = None
            invitation.remind_later_at = None
            invitation.delivered_at = invitation.started_at = invitation.submitted_at = None
            detached += 1
        answers = texts = 0
        if action == RetentionAction.PURGE:
            answers = await AnswerStore(db).purge(ids, session=session)
        else:
            # the round's close is the only time left on the answers
            texts = await AnswerStore(db).anonymise(
                ids, at=round_.closed_at or round_.deadline, session=session
            )
        messages = await OutboxStore(db).forget_chefs(round_id=round_id, session=session)
        round_.retained_at = now
        done = RoundRetention(
            round_id=round_id,
            organisation_id=round_.organisation_id,
            action=action,
            invitations=detached,
            texts=texts,
            answers=answers,
            messages=messages,
        )
    return done


async def remove_identity(
    db: Database, *, chef_id: int, left_by: datetime, now: datetime
) -> DepartedRetention | None:
    """Remove who one departed chef was, once, in one transaction; None when they are back on
    the roster, left after `left_by`, or were removed already."""
    async with db.session() as session, session.begin():
        chef = await ChefStore(db).get(chef_id, lock=True, session=session)
        if (
            chef is None
            or chef.active
            or chef.removed_at is not None
            or chef.left_at is None
            or chef.left_at > left_by
        ):
            return None
        organisation_id, left_at = chef.organisation_id, chef.left_at
        person = await person_of(db, chef, session=session)
        names, refs = person.names, person.conversation_ids
        conversations = ConversationStore(db)
        roles = RoleStore(db)
        held = await roles.of_principals(
            organisation_id=organisation_id, principals=names, session=session
        )
        # the roles they held as a chef go with them; one granted after they left stays
        ended = [r.id for r in held if r.id is not None and r.created_at <= left_at]
        still_staff = len(ended) < len(held)
        messages = await OutboxStore(db).forget_recipient(
            chef_id=chef_id, conversation_ref_ids=[] if still_staff else refs, session=session
        )
        kept = await conversations.detach(refs, session=session) if still_staff else 0
        deleted = 0 if still_staff else await conversations.delete(refs, session=session)
        removed_roles = await roles.delete(ended, session=session)
        # the unit each invitation kept would name them as well as the roster's did
        await InvitationStore(db).forget_units(chef_id=chef_id, session=session)
        ChefStore.remove_identity(chef, now=now)
    return DepartedRetention(
        organisation_id=organisation_id,
        chefs=1,
        conversations=deleted,
        roles=removed_roles,
        messages=messages,
        kept_conversations=kept,
    )


async def remove_departed(
    db: Database, organisation: Organisation, *, now: datetime
) -> DepartedRetention | None:
    """Every chef of the organisation who left the roster its retention months ago, each on
    its own; the counts, or None when there was no one."""
    assert organisation.id is not None
    left_by = months_before(now, organisation.retention_months)
    done: list[DepartedRetention] = []
    for chef in await ChefStore(db).departed(organisation_id=organisation.id, left_by=left_by):
        assert chef.id is not None
        try:
            removed = await remove_identity(db, chef_id=chef.id, left_by=left_by, now=now)
        except Exception:
            logger.exception(
                "retention: departed chef %s failed; the next pass tries again", chef.id
            )
            continue
        if removed is not None:
            logger.info(
                "retention: identity of departed chef=%s removed: conversations=%s roles=%s "
                "messages=%s kept_conversations=%s",
                chef.id,
                removed.conversations,
                removed.roles,
                removed.messages,
                removed.kept_conversations,
            )
            done.append(removed)
    if not done:
        return None
    total = DepartedRetention(
        organisation_id=organisation.id,
        chefs=len(done),
        conversations=sum(d.conversations for d in done),
        roles=sum(d.roles for d in done),
        messages=sum(d.messages for d in done),
        kept_conversations=sum(d.kept_conversations for d in done),
    )
    await AuditStore(db).record(
        actor=ACTOR,
        action="retention.departed",
        at=now,
        organisation_id=organisation.id,
        detail={
            "months": organisation.retention_months,
            "chefs": total.chefs,
            "conversations": total.conversations,
            "roles": total.roles,
            "messages": total.messages,
            "kept_conversations": total.kept_conversations,
        },
    )
    return total


async def prune_audit(
    db: Database, *, organisation_id: int | None, months: int, now: datetime
) -> AuditPruning | None:
    """Delete the audit rows older than `months`, leaving one row that says how many; None
    (and no row) when there were none."""
    rows = await AuditStore(db).prune(
        organisation_id=organisation_id, before=months_before(now, months)
    )
    if not rows:
        return None
    logger.info("retention: audit log of organisation=%s pruned: rows=%s", organisation_id, rows)
    await AuditStore(db).record(
        actor=ACTOR,
        action="retention.audit",
        at=now,
        organisation_id=organisation_id,
        detail={"months": months, "rows": rows},
    )
    return AuditPruning(organisation_id, months, rows)


async def apply_retention(db: Database, *, now: datetime) -> RetentionPass:
    """The scheduler's pass: every round past its organisation's retention, then the chefs who
    left that long ago, then the audit log — each on its own (one that fails is tried again next
    time, the others go ahead)."""
    result = RetentionPass()
    try:
        # normally gone with the close already: one left by a change saved as it closed
        result.drafts = await DraftStore(db).clear_not_open()
    except Exception:
        logger.exception("retention: drafts of closed rounds failed; the next pass tries again")
    if result.drafts:
        logger.info("retention: drafts of rounds no longer open deleted: %s", result.drafts)
    await _retain_rounds(db, now=now, result=result)
    try:
        result.pending_imports = await PendingImportStore(db).purge_expired(now=now)
    except Exception:
        logger.exception("retention: expired pending imports failed")
    organisations = await OrganisationStore(db).list()
    for organisation in organisations:
        try:
            departed = await remove_departed(db, organisation, now=now)
        except Exception:
            logger.exception("retention: departed chefs of organisation %s failed", organisation.id)
            continue
        if departed is not None:
            result.departed.append(departed)
    audits: list[tuple[int | None, int]] = [(o.id, o.audit_retention_months) for o in organisations]
    # the few rows of no organisation (someone from an unknown tenant): the default months
    for organisation_id, months in [*audits, (None, AUDIT_RETENTION_MONTHS)]:
        try:
            pruned = await prune_audit(db, organisation_id=organisation_id, months=months, now=now)
        except Exception:
            logger.exception("retention: audit log of organisation %s failed", organisation_id)
            continue
        if pruned is not None:
            result.audit.append(pruned)
    return result


async def _retain_rounds(db: Database, *, now: datetime, result: RetentionPass) -> None:
    """Every round past its organisation's retention, oldest first."""
    for round_id, organisation in await due_rounds(db, now=now):
        try:
            done = await retain_round(
                db, round_id=round_id, action=organisation.retention_action, now=now
            )
        except Exception:
            logger.exception("retention: round %s failed; the next pass tries again", round_id)
            continue
        if done is None:
            continue
        logger.info(
            "retention: round=%s organisation=%s action=%s invitations=%s texts=%s "
            "answers=%s messages=%s",
            done.round_id,
            done.organisation_id,
            done.action,
            done.invitations,
            done.texts,
            done.answers,
            done.messages,
        )
        await AuditStore(db).record(
            actor=ACTOR,
            action="retention.run",
            at=now,
            organisation_id=done.organisation_id,
            round_id=done.round_id,
            detail={
                "action": done.action,
                "months": organisation.retention_months,
                "invitations": done.invitations,
                "texts": done.texts,
                "answers": done.answers,
                "messages": done.messages,
            },
        )
        result.rounds.append(done)


async def set_policy(
    db: Database,
    *,
    organisation_id: int,
    retention_months: int | None = None,
    retention_action: str | None = None,
    keep_identified_statuses: bool | None = None,
    audit_retention_months: int | None = None,
) -> Organisation:
    """Change an organisation's privacy policy; what is not given stays as it is."""
    for months in (retention_months, audit_retention_months):
        if months is not None and months not in MONTHS_RANGE:
            raise PolicyError(
                "bad_months", value=months, low=MONTHS_RANGE[0], high=MONTHS_RANGE[-1]
            )
    if retention_action is not None and retention_action not in set(RetentionAction):
        raise PolicyError("bad_action", value=retention_action)
    return await OrganisationStore(db).set_policy(
        organisation_id,
        retention_months=retention_months,
        retention_action=retention_action,
        keep_identified_statuses=keep_identified_statuses,
        audit_retention_months=audit_retention_months,
    )
