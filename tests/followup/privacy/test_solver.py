"""The attacker's solver on systems small enough to work out by hand."""

from __future__ import annotations

from fractions import Fraction

from tests.followup.privacy.solver import RowSpace

LEVELS = (1, 2, 3, 4, 5)


def one_value_each(space: RowSpace, chefs: str) -> None:
    """Each chef gave exactly one rating: their indicators add up to 1."""
    for chef in chefs:
        space.add({(chef, level): 1 for level in LEVELS})


def rating(chef: str) -> dict[tuple[str, int], int]:
    return {(chef, level): level for level in LEVELS}


def test_a_total_minus_the_parts_shown_gives_the_one_left_away() -> None:
    # the subtraction: all seven, ÄO's three and IFO's three leave LSS's one
    space = RowSpace()
    one_value_each(space, "abcdefg")
    for group in ("abcdefg", "abc", "def"):
        space.add({k: v for chef in group for k, v in rating(chef).items()})
    assert space.determines(rating("g"))
    assert not space.determines(rating("a"))
    assert not space.determines({("g", 2): 1})  # the sum, not which level (linearly)


def test_a_distribution_of_one_gives_each_level_away() -> None:
    space = RowSpace()
    one_value_each(space, "ab")
    for level in LEVELS:
        space.add({("a", level): 1, ("b", level): 1})  # both: the organisation's distribution
        space.add({("a", level): 1})  # a alone: a department of one
    assert all(space.determines({("b", level): 1}) for level in LEVELS)
    assert space.determines(rating("b"))


def test_two_chefs_counted_only_together_stay_hidden() -> None:
    space = RowSpace()
    one_value_each(space, "abc")
    for level in LEVELS:
        space.add({("a", level): 1, ("b", level): 1, ("c", level): 1})
        space.add({("b", level): 1, ("c", level): 1})  # b and c are symmetric
    assert space.determines(rating("a"))
    assert space.determines({("b", 4): 1, ("c", 4): 1})
    for chef in "bc":
        assert not space.determines(rating(chef))
        assert not any(space.determines({(chef, level): 1}) for level in LEVELS)


def test_equations_already_known_add_nothing_and_fractions_stay_exact() -> None:
    space = RowSpace()
    assert space.add({"x": 3, "y": 1})
    assert space.add({"x": 1, "y": Fraction(1, 3), "z": 1})
    assert not space.add({"x": 6, "y": 2})
    assert space.rank == 2
    assert space.determines({"z": 7})  # (second − first / 3) × 7
    assert not space.determines({"x": 1})
    assert not space.determines({"w": 1})  # an unknown no equation names
    assert space.determines({})
