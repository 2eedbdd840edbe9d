"""The privacy rules, in one place; every output (Teams, XLSX, DOCX, Markdown, CLI) goes
through them.

- No figure for a group smaller than k (the round's; the policy gives the default).
- No figure that reveals a hidden one by subtraction: when exactly one figure of a breakdown
  with a known total is hidden, the next smallest is hidden too.
- Free text only from chefs who said yes to quotes, only from confidential sections, never with a
  name, and only when the round has at least k respondents.
- Confidential answers are never joined to a name, anywhere."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

from followup.sections import Privacy

K = TypeVar("K", bound=Hashable)


def enough(n: int, k: int) -> bool:
    """May a figure over a group of `n` people be shown?"""
    return n >= k


def hidden_groups(sizes: Mapping[K, int], k: int) -> set[K]:
    """The groups of a breakdown whose figures must not be shown: those with 1 to k-1 people,
    and — when that leaves exactly one hidden — the next smallest, so the total minus the
    others does not give the hidden one away. Empty groups have no figure to hide."""
    hidden = {group for group, n in sizes.items() if 0 < n < k}
    if len(hidden) == 1:
        others = sorted(
            (n, repr(group)) for group, n in sizes.items() if group not in hidden and n > 0
        )
        if others:
            smallest = others[0][1]
            hidden |= {g for g in sizes if repr(g) == smallest}
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
