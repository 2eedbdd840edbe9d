"""The consortium's figures from its members' publications: k per member and overall,
complementary suppression across members, and nothing a member's own digest hides."""

from __future__ import annotations

from followup.digest.consortium import (
    ConsortiumFigures,
    MemberPart,
    MemberState,
    compile_members,
)
from followup.digest.figures import ActivityFigures, Confidence, NeedFigures
from followup.digest.publication import Publication

K = 3


def publication(
    *,
    statuses: dict[str, int] | None,
    confidence: Confidence | None,
    need: int | None = None,
    principles: list[tuple[int, str, int]] | None = None,
    principle_respondents: int = 0,
    asked_needs: bool = True,
) -> Publication:
    return Publication(
        round_id=1,
        k=K,
        sealed=False,
        departments={"IFO": 1},
        invitations=[],
        activities=[ActivityFigures("A01", "Chefsnätverk", "Nätverk", statuses, {"IFO": statuses})],
        areas={},
        needs=[NeedFigures("support", need, None if need is None else 1, {"IFO": need})]
        if asked_needs
        else None,
        principles=principles,
        principle_respondents=principle_respondents,
        confidence=confidence,
        confidence_departments={},
        quotes=[],
        hidden_departments=[],
    )


def member(name: str, submitted: int) -> MemberPart:
    return MemberPart(name, MemberState.PUBLISHED, "Delår 1", submitted, submitted)


def spread(n: int, level: int = 4) -> Confidence:
    return Confidence(n, float(level), float(level), {level: n})


def test_a_small_members_statuses_are_hidden_and_cannot_be_subtracted_from_the_total() -> None:
    # three members: Stor (10 answers), Mellan (5) and Liten (1, its statuses identified at home)
    parts = [
        (member("Stor", 10), publication(statuses={"done": 6, "delayed": 4}, confidence=None)),
        (member("Mellan", 5), publication(statuses={"done": 5}, confidence=None)),
        (member("Liten", 1), publication(statuses={"delayed": 1}, confidence=None)),
    ]
    figures = compile_members("2026-spring", parts, k=K)
    [activity] = figures.activities
    assert activity.counts == {"done": 11, "delayed": 5}  # every member's published statuses
    # Liten under k, and the smallest other member with it, so the hidden hold at least k
    assert activity.departments == {
        "Liten": None,
        "Mellan": None,
        "Stor": {"done": 6, "delayed": 4},
    }
    shown = sum(sum(c.values()) for c in activity.departments.values() if c is not None)
    assert sum(activity.counts.values()) - shown >= K
    assert figures.hidden_members == ["Liten", "Mellan"]
    assert figures.areas == {"Nätverk": {"done": 11, "delayed": 5}}


def test_a_figure_a_members_own_digest_hides_is_in_no_total() -> None:
    parts = [
        (member("Stor", 6), publication(statuses=None, confidence=spread(6, 4), need=4)),
        (member("Liten", 2), publication(statuses=None, confidence=Confidence(2), need=None)),
    ]
    figures = compile_members("2026-spring", parts, k=K)
    assert figures.confidence == Confidence(6, 4.0, 4.0, {1: 0, 2: 0, 3: 0, 4: 6, 5: 0})
    assert list(figures.confidence_members) == ["Stor"]
    [need] = figures.needs
    assert (need.some_or_great, need.departments) == (4, {"Stor": 4})
    # a confidential activity hidden at Stor and at Liten: no figure at all
    assert figures.activities[0].counts is None and figures.activities[0].departments == {}
    assert figures.left_out == ["Liten", "Stor"]


def test_confidence_is_pooled_from_the_members_distributions_and_kept_as_json() -> None:
    parts = [
        (member("A", 3), publication(statuses=None, confidence=spread(3, 5))),
        (member("B", 4), publication(statuses=None, confidence=spread(4, 2))),
    ]
    figures = compile_members("2026-autumn", parts, k=K)
    assert figures.confidence is not None
    assert (figures.confidence.n, figures.confidence.mean, figures.confidence.median) == (
        7,
        round((3 * 5 + 4 * 2) / 7, 2),
        2.0,
    )
    assert ConsortiumFigures.from_json(figures.to_json()) == figures


def test_principles_only_when_enough_chose_over_the_members() -> None:
    chosen = [(1, "Vi följer upp och återkopplar", 2), (2, "Vi är tydliga", 1)]
    parts = [
        (
            member("A", 3),
            publication(
                statuses={"done": 3},
                confidence=None,
                principles=chosen,
                principle_respondents=3,
                asked_needs=False,
            ),
        ),
        (
            member("B", 2),
            publication(
                statuses={"done": 2}, confidence=None, principle_respondents=2, asked_needs=False
            ),
        ),
    ]
    figures = compile_members("2026-spring", parts, k=K)
    assert figures.principles == chosen and figures.principle_respondents == 3
    assert figures.left_out == ["B"]
