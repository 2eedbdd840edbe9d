"""Retention (gallring): N months after a round closes, its answers are anonymised or purged.

Per organisation (`retention_months`, default 24; `retention_action`, default anonymise):

- anonymise: the free texts go (reflections, and the comments beside activity statuses), and
  each invitation is detached from its chef, keeping only the chef's department as it was then;
  the round's delivery messages, which name the chef, go too. No answer can then be joined to a
  name, while the round's digest keeps exactly its figures (counted per department).
- purge: the answers go altogether; the detached invitations keep the response rate.

Either way the digest of such a round holds aggregates only. A pass is idempotent: a round is
marked when it is done, in the same transaction, and never touched again. Logged and audited
with counts only."""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import datetime

from storage.answer_store import AnswerStore
from storage.audit_store import AuditStore
from storage.database import Database
from storage.invitation_store import InvitationStore
from storage.models import InvitationState, Organisation, RetentionAction, RoundState
from storage.organisation_store import OrganisationStore
from storage.outbox_store import OutboxStore
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


@dataclass
class RetentionPass:
    """One pass over every organisation."""

    rounds: list[RoundRetention] = field(default_factory=list)


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
        ids = [invitation.id for invitation, _, _ in invitations if invitation.id is not None]
        detached = 0
        for invitation, department_id, reason in invitations:
            if invitation.chef_id is None:
                continue
            # as the digest counted it so far: under the chef's department, and why they could
            # not be reached
            invitation.department_id = department_id
            if invitation.state == InvitationState.UNREACHABLE:
                invitation.unreachable_code = reason
            invitation.chef_id = None
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


async def apply_retention(db: Database, *, now: datetime) -> RetentionPass:
    """The scheduler's pass: every round past its organisation's retention, one at a time, each
    on its own (one that fails is tried again next time, the others go ahead)."""
    result = RetentionPass()
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
    return result


async def set_policy(
    db: Database,
    *,
    organisation_id: int,
    retention_months: int | None = None,
    retention_action: str | None = None,
    keep_identified_statuses: bool | None = None,
) -> Organisation:
    """Change an organisation's privacy policy; what is not given stays as it is."""
    if retention_months is not None and retention_months not in MONTHS_RANGE:
        raise PolicyError(
            "bad_months", value=retention_months, low=MONTHS_RANGE[0], high=MONTHS_RANGE[-1]
        )
    if retention_action is not None and retention_action not in set(RetentionAction):
        raise PolicyError("bad_action", value=retention_action)
    return await OrganisationStore(db).set_policy(
        organisation_id,
        retention_months=retention_months,
        retention_action=retention_action,
        keep_identified_statuses=keep_identified_statuses,
    )
