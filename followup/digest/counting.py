"""Counting what a round may publish, over the whole organisation and at one moment: who was
asked and answered (an open round counting who is away today as away), the activity statuses,
needs, principles, confidence and the texts consented to be quoted — before the privacy rules of
`publication.decide` say what of it is shown."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from followup.digest.carried import count_carried
from followup.people.presence import Presence, presence
from followup.policy import Policy
from followup.privacy.disclosure import may_quote, reported
from followup.sections import NEEDS, Privacy, Section
from storage.database import Database, Session
from storage.digest_store import (
    DigestStore,
    DigestSubject,
    InvitationCount,
    PlannedActivity,
    RatingCount,
    StatusCount,
)
from storage.models import Chef, InvitationState

QUOTED_TEXTS = {
    Section.STRENGTHS_NEEDS: ("strengths", *(f"need.{n}" for n in NEEDS)),
    Section.PRINCIPLES: ("example", "grow"),
}
CONSENT = (Section.CONSENT, "quote")  # the rating that says yes (1) to being quoted


@dataclass(frozen=True)
class Counted:
    """What the database counted for a round over the whole organisation, before the privacy
    rules; what is not to be published is not even counted (None, or empty)."""

    invitations: list[InvitationCount]
    plan: list[PlannedActivity] | None  # None: activity statuses are not reported
    statuses: list[StatusCount]
    needs: list[RatingCount] | None  # None: not reported
    principles: list[RatingCount]  # the principle chosen as most important
    principle_titles: list[tuple[int, str]]
    confidence: list[RatingCount] | None  # None: not reported
    quotes: dict[str, list[tuple[int, str, str]]]  # section → (answer id, key, text)
    # activity id → the departments it was asked of only because it carried on unfinished
    carried: dict[int, set[int]] = field(default_factory=dict)


def away_today(
    counts: list[InvitationCount],
    unanswered: list[tuple[int | None, str, str | None, Chef | None]],
    today: date,
) -> list[InvitationCount]:
    """The invitation counts with each chef away today (gone from the roster, on leave) who
    has not sent answers in counted as `left` or `on_leave`: what closing the round will write
    down (`followup.people.presence` is the rule)."""
    tally = Counter({(c.department_id, c.state, c.unreachable_code): c.n for c in counts})
    for department_id, state, reason, chef in unanswered:
        where = presence(chef, today) if chef is not None else Presence.PRESENT
        if where == Presence.PRESENT:
            continue
        away = InvitationState.LEFT if where == Presence.LEFT else InvitationState.ON_LEAVE
        tally[(department_id, state, reason)] -= 1
        tally[(department_id, str(away), reason)] += 1
    return [InvitationCount(d, state, why, n) for (d, state, why), n in tally.items() if n > 0]


async def count(
    db: Database,
    subject: DigestSubject,
    *,
    sealed: bool,
    policy: Policy,
    today: date | None = None,
    session: Session | None = None,
) -> Counted:
    """Everything a round publishes, counted over the whole organisation; `sealed`: the round is
    not closed, so only identified activity statuses are counted, and who is away `today` is
    counted as away (as HR's status counts them)."""
    store = DigestStore(db)
    round_ = subject.round
    assert round_.id is not None and subject.programme.id is not None
    round_id, programme_id, sections = round_.id, subject.programme.id, round_.sections

    def published(section: str) -> bool:
        privacy = sections.get(section, "")
        return reported(privacy) and (not sealed or privacy == Privacy.IDENTIFIED)

    invitations = await store.invitations(round_id=round_id, session=session)
    if sealed and today is not None:
        unanswered = await store.unanswered_with_chef(round_id=round_id, session=session)
        invitations = away_today(invitations, unanswered, today)
    plan: list[PlannedActivity] | None = None
    statuses: list[StatusCount] = []
    carried: dict[int, set[int]] = {}
    if published(Section.ACTIVITY_STATUS):
        statuses = await store.statuses(round_id=round_id, session=session)
        plan = await store.plan(programme_id=programme_id, session=session)
        carried = await count_carried(db, round_, invitations, policy=policy, session=session)
    # the ratings counted, (section, key) with None for every key of the section: one read of
    # the round's ratings for all of them (a region's round is hundreds of thousands)
    wanted: list[tuple[str, str | None]] = []
    if published(Section.STRENGTHS_NEEDS):
        wanted.append((Section.STRENGTHS_NEEDS, None))
    if not sealed:
        # how many chose a principle is told even when the section is not reported
        wanted.append((Section.PRINCIPLES, "most"))
    if published(Section.CONFIDENCE):
        wanted.append((Section.CONFIDENCE, "confidence"))
    rated = await store.section_ratings(round_id=round_id, wanted=wanted, session=session)

    def ratings(section: str, key: str | None = None) -> list[RatingCount]:
        return [
            RatingCount(r.key, r.value, r.department_id, r.n)
            for r in rated
            if r.section == section and (key is None or r.key == key)
        ]

    needs = ratings(Section.STRENGTHS_NEEDS) if published(Section.STRENGTHS_NEEDS) else None
    principles = ratings(Section.PRINCIPLES, "most") if not sealed else []
    titles: list[tuple[int, str]] = []
    if published(Section.PRINCIPLES):
        titles = await store.principles(programme_id=programme_id, session=session)
    confidence = None
    if published(Section.CONFIDENCE):
        confidence = ratings(Section.CONFIDENCE, "confidence")
    quotes: dict[str, list[tuple[int, str, str]]] = {}
    respondents = sum(c.n for c in invitations if c.state == InvitationState.SUBMITTED)
    for section, keys in QUOTED_TEXTS.items():
        privacy = sections.get(section, "")
        if not sealed and may_quote(privacy, consented=True, respondents=respondents, k=round_.k):
            quotes[str(section)] = await store.consented_texts(
                round_id=round_id, section=section, keys=keys, consent=CONSENT, session=session
            )
    return Counted(
        invitations=invitations,
        plan=plan,
        statuses=statuses,
        needs=needs,
        principles=principles,
        principle_titles=titles,
        confidence=confidence,
        quotes=quotes,
        carried=carried,
    )


# --- the privacy rules, breakdown by breakdown ------------------------------------------------
