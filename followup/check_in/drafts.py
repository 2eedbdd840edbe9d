"""Changing answers already sent in: the submitted version counts until a new one is sent.

After **Skicka in** the invitation stays submitted. A step the chef changes is kept as a draft
(the step's form values, one row per step), shown on the cards in place of what was sent in,
and written to the answer tables only when the chef sends in again — by the same checks and the
same writer as a step before the first sending-in, all drafts in one transaction with the new
receipt. A chef who opens the answers and stops is still counted with the earlier version and
gets no reminders; "Ångra ändringarna" deletes the drafts; a round's close deletes them too.

Each card carries the sending-in it was built on (`sending`): a card from before the answers
were sent in (again) changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from followup.check_in.step_checks import Clean, validate
from followup.check_in.steps import (
    AREA_PREFIX,
    CheckIn,
    queue_receipt,
    with_answers,
)
from followup.forms import FormError
from followup.sections import NEEDS, Section
from storage.answer_store import Answers, AnswerStore
from storage.database import Database
from storage.draft_store import DraftStore
from storage.models import InvitationState


def sending(check_in: CheckIn) -> str | None:
    """The sending-in the check-in shows (when the answers were sent in), for a card to carry;
    None before the first."""
    if check_in.submitted and check_in.submitted_at is not None:
        return check_in.submitted_at.isoformat()
    return None


def moment(value: Any) -> datetime | None:
    """A card's sending-in read back; None for none, or for anything that is not one."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def stale(check_in: CheckIn, sent: datetime | None) -> bool:
    """A card built on another sending-in than the current one (or before the first)."""
    return check_in.submitted and (sent is None or sent != check_in.submitted_at)


# --- a step's form values, kept as a draft ---------------------------------------------------


def form_values(check_in: CheckIn, step: str, clean: Clean) -> dict[str, Any]:
    """A checked step's answers as the step's form values (what `validate` reads), to keep as
    JSON: only what the step asks, so a draft is never bigger than the step."""
    if step.startswith(AREA_PREFIX):
        return {
            "activities": {
                str(item_id): {"status": status, "comment": comment}
                for item_id, (status, comment) in clean.statuses.items()
            }
        }
    if step == Section.STRENGTHS_NEEDS:
        return {
            "strengths": clean.texts.get((step, "strengths"), ""),
            "needs": {
                need: {
                    "level": clean.ratings.get((step, f"need.{need}")),
                    "text": clean.texts.get((step, f"need.{need}"), ""),
                }
                for need in NEEDS
            },
        }
    if step == Section.PRINCIPLES:
        return {
            "principle": clean.ratings.get((step, "most")),
            "example": clean.texts.get((step, "example"), ""),
            "grow": clean.texts.get((step, "grow"), ""),
        }
    if step == Section.CONFIDENCE:
        return {"confidence": clean.ratings.get((step, "confidence"))}
    if step == Section.CONSENT:
        return {"consent": "yes" if clean.ratings.get((step, "quote")) else "no"}
    raise ValueError(f"the round has no step {step!r}")


def _read(values: Mapping[str, Any]) -> dict[str, Any]:
    # JSON keeps the activities' ids as text; the step's form has them as numbers
    given = dict(values)
    activities = given.get("activities")
    if isinstance(activities, Mapping):
        given["activities"] = {
            int(key) if isinstance(key, str) and key.isdigit() else key: value
            for key, value in activities.items()
        }
    return given


def check_draft(
    check_in: CheckIn, step: str, values: Mapping[str, Any]
) -> tuple[Clean, list[FormError]]:
    """A draft checked again as a step is (the plan may have changed since it was kept)."""
    return validate(check_in, step, _read(values))


def differs(sent: Answers, clean: Clean) -> bool:
    """Whether a step's answers differ from the ones sent in."""
    return (
        any(sent.statuses.get(key) != value for key, value in clean.statuses.items())
        or any(sent.texts.get(key, "") != value for key, value in clean.texts.items())
        or any(sent.ratings.get(key) != value for key, value in clean.ratings.items())
    )


# --- the check-in with its drafts --------------------------------------------------------------


async def with_drafts(db: Database, check_in: CheckIn) -> CheckIn:
    """The check-in as the chef is changing it: each step's draft in place of what was sent in,
    and which steps changed. A draft the round no longer takes is left out."""
    if not check_in.submitted:
        return check_in
    drafts = await DraftStore(db).of_invitation(check_in.invitation_id)
    shown, changed = check_in, []
    for step in check_in.steps:
        if step not in drafts:
            continue
        clean, errors = check_draft(check_in, step, drafts[step])
        if errors:
            continue
        shown = with_answers(shown, clean)
        changed.append(step)
    return replace(shown, changed=tuple(changed))


async def save_change(
    db: Database,
    check_in: CheckIn,
    step: str,
    clean: Clean,
    *,
    sent: datetime | None,
    now: datetime,
) -> CheckIn:
    """A step changed after the answers were sent in: kept as a draft, or — changed back to
    what was sent in — its draft goes. Raises StaleDraft, keeping nothing, when the answers are
    no longer the sending-in at `sent`. Returns the check-in as the chef now sees it."""
    submitted = await AnswerStore(db).load(check_in.invitation_id)
    change = differs(submitted, clean)
    await DraftStore(db).put(
        invitation_id=check_in.invitation_id,
        step=step,
        values=form_values(check_in, step, clean) if change else None,
        sent=sent,
        now=now,
    )
    changed = {*check_in.changed, step} if change else set(check_in.changed) - {step}
    return replace(
        with_answers(check_in, clean),
        changed=tuple(s for s in check_in.steps if s in changed),
    )


@dataclass(frozen=True)
class SentAgain:
    """What pressing Skicka in on changed answers did: `outcome` is "sent", "nothing" (no
    change to send), "stale" (the card was not for the current sending-in) or "invalid" (a
    changed step no longer passes its checks: `step`, `errors`)."""

    outcome: str
    step: str = ""
    errors: list[FormError] = field(default_factory=list)


async def send_again(
    db: Database, check_in: CheckIn, *, sent: datetime | None, now: datetime
) -> SentAgain:
    """Send the changed steps in: each draft checked again and written to the answer tables,
    the drafts deleted, the sending-in stamped and its receipt queued — in one transaction, so
    the answers count either as before or with every change."""
    async with db.session() as session, session.begin():
        invitation, drafts = await DraftStore(db).take(check_in.invitation_id, session=session)
        if (
            invitation is None
            or invitation.state != InvitationState.SUBMITTED
            or sent is None
            or invitation.submitted_at != sent
        ):
            return SentAgain("stale")
        changes: list[Answers] = []
        for step in check_in.steps:
            if step not in drafts:
                continue  # a draft of a step the round no longer asks is dropped below
            clean, errors = check_draft(check_in, step, drafts[step])
            if errors:
                return SentAgain("invalid", step, errors)
            changes.append(Answers(clean.statuses, clean.texts, clean.ratings))
        await DraftStore(db).clear([check_in.invitation_id], session=session)
        if not changes:
            return SentAgain("nothing")
        await AnswerStore(db).submit(
            invitation_id=check_in.invitation_id, now=now, changes=changes, session=session
        )
        await queue_receipt(db, check_in, now=now, session=session)
    return SentAgain("sent")


async def discard(db: Database, check_in: CheckIn) -> int:
    """ "Ångra ändringarna": the drafts go, the answers sent in stay; how many steps went."""
    return await DraftStore(db).clear([check_in.invitation_id])
