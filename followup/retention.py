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

from sqlmodel import col, delete, select, update

from storage.audit_store import AuditStore
from storage.database import Database
from storage.models import (
    ActivityStatusAnswer,
    Chef,
    Invitation,
    InvitationState,
    Organisation,
    OutboxMessage,
    RatingAnswer,
    ReflectionAnswer,
    RetentionAction,
    Round,
    RoundState,
)

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
    async with db.session() as session:
        organisations = (await session.exec(select(Organisation))).all()
        for organisation in organisations:
            cutoff = months_before(now, organisation.retention_months)
            rows = (
                await session.exec(
                    select(Round.id)
                    .where(
                        Round.organisation_id == organisation.id,
                        col(Round.state).in_([RoundState.CLOSED, RoundState.ARCHIVED]),
                        col(Round.closed_at).is_not(None),
                        col(Round.closed_at) <= cutoff,
                        col(Round.retained_at).is_(None),
                    )
                    .order_by(col(Round.closed_at), col(Round.id))
                )
            ).all()
            due += [(round_id, organisation) for round_id in rows if round_id is not None]
    return due


async def retain_round(
    db: Database, *, round_id: int, action: str, now: datetime
) -> RoundRetention | None:
    """Anonymise or purge one closed round, once; None when it was done already (or is not a
    closed round)."""
    async with db.session() as session, session.begin():
        round_ = await session.get(Round, round_id, with_for_update=True)
        if (
            round_ is None
            or round_.retained_at is not None
            or round_.state not in (RoundState.CLOSED, RoundState.ARCHIVED)
        ):
            return None
        invitations = (
            await session.exec(
                select(Invitation, Chef.department_id, Chef.unreachable_code)
                .join(Chef, col(Chef.id) == col(Invitation.chef_id), isouter=True)
                .where(Invitation.round_id == round_id)
            )
        ).all()
        ids = [invitation.id for invitation, _, _ in invitations]
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
        texts = answers = 0
        if action == RetentionAction.PURGE:
            for model in (ActivityStatusAnswer, ReflectionAnswer, RatingAnswer):
                result = await session.exec(delete(model).where(col(model.invitation_id).in_(ids)))
                answers += result.rowcount
        else:
            removed = await session.exec(
                delete(ReflectionAnswer).where(col(ReflectionAnswer.invitation_id).in_(ids))
            )
            cleared = await session.exec(
                update(ActivityStatusAnswer)
                .where(
                    col(ActivityStatusAnswer.invitation_id).in_(ids),
                    col(ActivityStatusAnswer.comment) != "",
                )
                .values(comment="")
            )
            texts = removed.rowcount + cleared.rowcount
            # when each answer was last changed could tell one chef from another: the round's
            # close is the only time left
            closed = round_.closed_at or round_.deadline
            for model in (ActivityStatusAnswer, RatingAnswer):
                await session.exec(
                    update(model).where(col(model.invitation_id).in_(ids)).values(updated_at=closed)
                )
        messages = await session.exec(
            delete(OutboxMessage).where(
                col(OutboxMessage.round_id) == round_id, col(OutboxMessage.chef_id).is_not(None)
            )
        )
        round_.retained_at = now
        done = RoundRetention(
            round_id=round_id,
            organisation_id=round_.organisation_id,
            action=action,
            invitations=detached,
            texts=texts,
            answers=answers,
            messages=messages.rowcount,
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
    async with db.session() as session, session.begin():
        organisation = await session.get(Organisation, organisation_id, with_for_update=True)
        if organisation is None:
            raise LookupError(organisation_id)
        if retention_months is not None:
            organisation.retention_months = retention_months
        if retention_action is not None:
            organisation.retention_action = retention_action
        if keep_identified_statuses is not None:
            organisation.keep_identified_statuses = keep_identified_statuses
    return organisation
