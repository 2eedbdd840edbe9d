"""A consortium's digest: one shared programme compiled across its member organisations, cut
from what each member published — never from their answers.

Each member runs its rounds of the shared plan in its own tenant and publishes them as any
round (`followup.digest.publication`). The consortium's half-year ("2026-spring") is the
members' rounds that opened in that half-year while they were members (the latest one, when a
member ran two). Its figures are compiled from those members' kept publications with the same
privacy rules (`followup.privacy.disclosure`), members taking the place of departments:

- Every figure is treated as confidential here, whatever the member's own rules: activity
  statuses that a member's HR sees by name are, to the consortium, one more organisation's
  answers. A member's figure is shown only for at least k people, and the total only when it
  counts at least k.
- A figure a member's own digest hides (fewer than k answered there) enters no total: the
  consortium knows nothing the members did not publish, so a total minus the members' own
  published figures never reveals anything either.
- A member's figure that is in a total but hidden (an identified status count under k) is
  protected by complementary suppression across the members (`suppressed`): the hidden members
  together hold at least k people, so the total minus the shown members tells nothing about
  fewer than k.
- No quote: the chefs agreed to be quoted, without names, in their own organisation's digest,
  not in another organisation's. No department, no name, no comment, no identified status.
- Decided once, when every member's round of the half-year has closed, and kept
  (`ConsortiumPublication`): a member closing later, leaving, or erasing changes nothing in it,
  so two views at different times cannot be subtracted from each other. Until then the digest
  says whom it waits for and shows no figure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from followup.digest.compile import responses_of
from followup.digest.figures import ActivityFigures, Confidence, NeedFigures, as_json
from followup.digest.publication import PUBLISHED_STATES, Publication, confidence_of, published
from followup.policy import Policy
from followup.privacy.disclosure import enough, suppressed
from followup.rounds.calendar import season
from followup.sections import NEEDS
from storage.consortium_store import ConsortiumStore
from storage.database import Database
from storage.models import Consortium, ConsortiumMember, Organisation, Round, RoundState
from storage.organisation_store import OrganisationStore


class MemberState:
    """Where a member stands in a half-year."""

    PUBLISHED = "published"  # its round closed: its published figures are in
    WAITING = "waiting"  # its round has not closed yet
    ABSENT = "absent"  # no round of the shared programme in this half-year


@dataclass
class MemberPart:
    """One member in the half-year: its round, and who it asked and who answered."""

    name: str
    state: str
    round_title: str = ""
    invited: int = 0
    submitted: int = 0


@dataclass
class ConsortiumFigures:
    """A consortium's half-year after the privacy rules: members in place of departments."""

    period: str
    k: int
    sealed: bool  # True: a member's round has not closed, so no figure is out yet
    members: list[MemberPart]
    activities: list[ActivityFigures] = field(default_factory=list)
    areas: dict[str, dict[str, int]] = field(default_factory=dict)
    needs: list[NeedFigures] = field(default_factory=list)
    principles: list[tuple[int, str, int]] | None = None
    principle_respondents: int = 0
    confidence: Confidence | None = None
    confidence_members: dict[str, Confidence | None] = field(default_factory=dict)
    # members with a figure hidden by the consortium (small, or complementary)
    hidden_members: list[str] = field(default_factory=list)
    # members with a figure their own digest hides (fewer than k there): in no total
    left_out: list[str] = field(default_factory=list)

    @property
    def invited(self) -> int:
        return sum(m.invited for m in self.members)

    @property
    def submitted(self) -> int:
        return sum(m.submitted for m in self.members)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = as_json(self)
        data["principles"] = None if self.principles is None else [list(p) for p in self.principles]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConsortiumFigures:
        return cls(
            period=data["period"],
            k=data["k"],
            sealed=data["sealed"],
            members=[MemberPart(**m) for m in data["members"]],
            activities=[ActivityFigures.from_json(a) for a in data["activities"]],
            areas=data["areas"],
            needs=[NeedFigures.from_json(n) for n in data["needs"]],
            principles=None
            if data["principles"] is None
            else [(int(n), str(title), int(c)) for n, title, c in data["principles"]],
            principle_respondents=data["principle_respondents"],
            confidence=None
            if data["confidence"] is None
            else Confidence.from_json(data["confidence"]),
            confidence_members={
                name: None if c is None else Confidence.from_json(c)
                for name, c in data["confidence_members"].items()
            },
            hidden_members=list(data["hidden_members"]),
            left_out=list(data["left_out"]),
        )


@dataclass
class ConsortiumDigest:
    """What the consortium's HR gets: its programme, the half-year and its figures."""

    organisation: str
    programme: str
    goal: str
    compiled_at: datetime
    figures: ConsortiumFigures
    periods: list[str]  # every half-year a member has a round in, latest last


# --- half-years -----------------------------------------------------------------------------


def period_of(round_: Round, zone: ZoneInfo) -> str | None:
    """The half-year a round opened in, e.g. "2026-spring" (None: it has not opened)."""
    if round_.opens_at is None:
        return None
    opened = round_.opens_at.astimezone(zone).date()
    return f"{opened.year}-{season(opened)}"


def opened(round_: Round) -> bool:
    """Has the round opened (open now, or closed since)? A draft, a scheduled round and one
    skipped before it opened are nobody's half-year yet."""
    return round_.state == RoundState.OPEN or (
        round_.state in PUBLISHED_STATES and round_.closed_at is not None
    )


def _while_member(round_: Round, member: ConsortiumMember) -> bool:
    assert round_.opens_at is not None
    return round_.opens_at >= member.joined_at and (
        member.left_at is None or round_.opens_at < member.left_at
    )


def member_rounds(
    members: list[tuple[ConsortiumMember, Organisation]], rounds: list[Round], zone: ZoneInfo
) -> dict[str, dict[int, Round]]:
    """Half-year → member organisation id → its round of it (the latest that opened in it
    while a member)."""
    by_programme = {m.programme_id: m for m, _ in members}
    periods: dict[str, dict[int, Round]] = {}
    for round_ in sorted(rounds, key=lambda r: (r.opens_at, r.id or 0)):
        member = by_programme.get(round_.programme_id)
        period = period_of(round_, zone)
        if (
            member is None
            or period is None
            or not opened(round_)
            or not _while_member(round_, member)
        ):
            continue
        periods.setdefault(period, {})[member.organisation_id] = round_
    return periods


# --- compiling ------------------------------------------------------------------------------


def _shown(sizes: dict[str, int], k: int, hidden: set[str]) -> tuple[bool, set[str]]:
    """Is the total of a breakdown over members shown, and which members' figures are not."""
    total = enough(sum(sizes.values()), k)
    small = set(sizes) if not total else suppressed(sizes, k)
    hidden |= small
    return total, small


def compile_members(
    period: str, parts: Sequence[tuple[MemberPart, Publication | None]], *, k: int
) -> ConsortiumFigures:
    """The half-year's figures from the members' publications (None: a member without one),
    with the rules in the module's docstring."""
    figures = ConsortiumFigures(period, k, sealed=False, members=[p for p, _ in parts])
    done = [(part.name, pub) for part, pub in parts if pub is not None and not pub.sealed]
    hidden: set[str] = set()
    left_out: set[str] = set()

    # activity statuses, by the shared plan's codes
    order: dict[str, ActivityFigures] = {}
    cells: dict[str, dict[str, dict[str, int]]] = {}
    for name, pub in done:
        for a in pub.activities or []:
            order.setdefault(a.code, a)
            if a.counts is None:
                left_out.add(name)
                continue
            cells.setdefault(a.code, {})[name] = a.counts
    for code, planned in order.items():
        by_member = cells.get(code, {})
        sizes = {name: sum(c.values()) for name, c in by_member.items()}
        total, small = _shown(sizes, k, hidden)
        counts: Counter[str] = Counter()
        for c in by_member.values():
            counts.update(c)
        figures.activities.append(
            ActivityFigures(
                planned.code,
                planned.title,
                planned.area,
                dict(counts) if total and by_member else None,
                {name: None if name in small else dict(c) for name, c in sorted(by_member.items())},
            )
        )
        if total and by_member:
            area = figures.areas.setdefault(planned.area, {})
            for status, n in counts.items():
                area[status] = area.get(status, 0) + n

    # needs: a member's figure is in when its own digest shows it
    respondents = {part.name: part.submitted for part, _ in parts}
    for need in NEEDS:
        named: dict[str, NeedFigures] = {}
        for name, pub in done:
            for figure in pub.needs or []:
                if figure.need != need:
                    continue
                if figure.some_or_great is None:
                    left_out.add(name)
                else:
                    named[name] = figure
        if not named:
            continue
        sizes = {name: respondents[name] for name in named}
        total, small = _shown(sizes, k, hidden)
        figures.needs.append(
            NeedFigures(
                need,
                sum(n.some_or_great or 0 for n in named.values()) if total else None,
                sum(n.great or 0 for n in named.values()) if total else None,
                {
                    name: None if name in small else n.some_or_great
                    for name, n in sorted(named.items())
                },
            )
        )

    # principles chosen (the shared plan's numbers)
    chosen: Counter[int] = Counter()
    titles: dict[int, str] = {}
    for name, pub in done:
        if pub.principles is None:
            if pub.principle_respondents:
                left_out.add(name)
            continue
        figures.principle_respondents += pub.principle_respondents
        for number, title, count in pub.principles:
            titles.setdefault(number, title)
            chosen[number] += count
    if titles and enough(figures.principle_respondents, k):
        figures.principles = [(n, titles[n], chosen[n]) for n in sorted(titles)]

    # confidence, pooled from the members' published distributions
    distributions: dict[str, Counter[int]] = {}
    for name, pub in done:
        own = pub.confidence
        if own is None:
            continue
        if own.mean is None:
            if own.n:
                left_out.add(name)
            continue
        distributions[name] = Counter({int(v): n for v, n in own.distribution.items()})
    if distributions:
        sizes = {name: sum(d.values()) for name, d in distributions.items()}
        total, small = _shown(sizes, k, hidden)
        pooled: Counter[int] = Counter()
        for d in distributions.values():
            pooled.update(d)
        figures.confidence = confidence_of(pooled, k) if total else Confidence(sum(sizes.values()))
        figures.confidence_members = {
            name: None if name in small else confidence_of(d, k)
            for name, d in sorted(distributions.items())
        }

    figures.hidden_members = sorted(hidden)
    figures.left_out = sorted(left_out)
    return figures


async def consortium_figures(
    db: Database,
    consortium: Consortium,
    *,
    period: str | None,
    now: datetime,
    policy: Policy,
) -> tuple[ConsortiumFigures, list[str]]:
    """The figures of a half-year (None: the latest a member has a round in), kept once every
    member's round of it has closed; and every half-year there is."""
    assert consortium.id is not None
    store = ConsortiumStore(db)
    members = await store.members(consortium.id)
    rounds = await store.rounds([m.programme_id for m, _ in members])
    periods = member_rounds(members, rounds, policy.zone)
    ordered = sorted(periods)
    if period is None and ordered:
        period = ordered[-1]
    if period is None:
        return ConsortiumFigures("", 0, sealed=True, members=[]), ordered
    kept = await store.publication(consortium.id, period)
    if kept is not None:
        return ConsortiumFigures.from_json(kept.figures), ordered
    taking_part = periods.get(period, {})
    organisation = await OrganisationStore(db).get(consortium.organisation_id)
    assert organisation is not None
    k = max([organisation.default_k, *(r.k for r in taking_part.values())])
    parts: list[tuple[MemberPart, Publication | None]] = []
    for member, org in members:
        round_ = taking_part.get(member.organisation_id)
        if round_ is None or round_.id is None:
            parts.append((MemberPart(org.name, MemberState.ABSENT), None))
            continue
        if round_.state not in PUBLISHED_STATES:
            parts.append((MemberPart(org.name, MemberState.WAITING, round_.title), None))
            continue
        pub = await published(db, round_id=round_.id, now=now, policy=policy)
        assert pub is not None
        responses = responses_of(pub.invitations)
        part = MemberPart(
            org.name,
            MemberState.PUBLISHED,
            round_.title,
            sum(responses.invited.values()),
            sum(responses.submitted.values()),
        )
        parts.append((part, pub))
    if any(p.state == MemberState.WAITING for p, _ in parts) or not any(
        p.state == MemberState.PUBLISHED for p, _ in parts
    ):
        return ConsortiumFigures(period, k, sealed=True, members=[p for p, _ in parts]), ordered
    figures = compile_members(period, parts, k=k)
    kept = await store.publish_once(consortium.id, period, figures.to_json(), at=now)
    return ConsortiumFigures.from_json(kept.figures), ordered
