"""The privacy rules, in one place; every output (Teams, XLSX, DOCX, Markdown, CLI) goes
through them.

- No figure for a group smaller than k (the round's; the policy gives the default).
- No figure that reveals a hidden one by subtraction: the hidden groups of a breakdown together
  hold at least k people (`suppressed`).
- Free text only from chefs who said yes to quotes, only from confidential sections, never with a
  name, and only when the round has at least k respondents (and, when quoted, at least the
  policy's `quotes_k` different texts).
- Confidential answers are never joined to a name, anywhere."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

from followup.sections import Privacy

K = TypeVar("K", bound=Hashable)


def enough(n: int, k: int) -> bool:
    """May a figure over a group of `n` people be shown?"""
    return n >= k


def suppressed(sizes: Mapping[K, int], k: int) -> set[K]:
    """The groups of a breakdown whose figures must not be shown, when the breakdown's total is.

    Primary: those with 1 to k-1 people. Complementary: the total minus the shown groups gives
    the hidden groups together, so together they must hold at least k people; the smallest shown
    groups are hidden too until they do. Then no sum of shown figures tells anything about fewer
    than k people (groups of a breakdown do not overlap, so a hidden group cannot be told apart
    from the other hidden ones). Empty groups have nothing to hide."""
    hidden = {group for group, n in sizes.items() if 0 < n < k}
    together = sum(sizes[group] for group in hidden)
    shown = sorted(
        ((n, repr(group), group) for group, n in sizes.items() if group not in hidden and n > 0),
        key=lambda item: (item[0], item[1]),
    )
    while hidden and together < k and shown:
        n, _, group = shown.pop(0)
        hidden.add(group)
        together += n
    return hidden


def may_quote(privacy: str, *, consented: bool, respondents: int, k: int) -> bool:
    """Free text of a section may be quoted (without a name) in a digest."""
    return privacy == Privacy.CONFIDENTIAL and consented and enough(respondents, k)


def names_allowed(privacy: str) -> bool:
    """May an answer of a section in this mode stand beside the chef's name (outside their own
    view)? Only identified ones."""
    return privacy == Privacy.IDENTIFIED


def reported(privacy: str) -> bool:
    """Does a section in this mode appear in HR's outputs at all? Private ones never do."""
    return privacy in (Privacy.IDENTIFIED, Privacy.CONFIDENTIAL)
