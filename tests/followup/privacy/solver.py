"""An exact linear attacker: what a set of published sums determines, by rational elimination.

Each published figure is a linear equation over unknowns (a chef's one-hot indicators, say):
"these chefs' indicators for level 4 add up to 2". Whatever the right-hand sides are, a linear
combination of the unknowns is determined by the equations exactly when its coefficient vector
lies in the row space of theirs — so the attacker needs only the coefficients. The row space is
kept in echelon form over `fractions.Fraction`, sparse (a row is a dict from unknown to
coefficient), so rounding never makes or hides a disclosure."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from fractions import Fraction
from typing import Any

Row = dict[Hashable, Fraction]
Vector = Mapping[Any, int | Fraction]  # unknown → coefficient; any hashable unknown


class RowSpace:
    """The span of the equations added so far; `determines(v)`: is v·x known from them?"""

    def __init__(self) -> None:
        self._order: dict[Hashable, int] = {}  # unknown → its place, in order of first sight
        self._pivots: dict[Hashable, Row] = {}  # pivot → row with 1 there and only later unknowns

    def _place(self, unknown: Hashable) -> int:
        return self._order.setdefault(unknown, len(self._order))

    def _reduce(self, vector: Vector) -> Row:
        """The vector minus its part in the row space (empty when it lies in it)."""
        row: Row = {u: Fraction(c) for u, c in vector.items() if c}
        for u in row:
            self._place(u)
        while True:
            pivots = [u for u in row if u in self._pivots]
            if not pivots:
                return row
            # eliminate the earliest pivot first: its row only brings in later unknowns, so
            # every pass moves forward and the loop ends
            pivot = min(pivots, key=self._order.__getitem__)
            factor = row[pivot]
            for u, c in self._pivots[pivot].items():
                value = row.get(u, Fraction(0)) - factor * c
                if value:
                    row[u] = value
                else:
                    row.pop(u, None)

    def add(self, vector: Vector) -> bool:
        """Add an equation's coefficients; False when the space already held them."""
        row = self._reduce(vector)
        if not row:
            return False
        pivot = min(row, key=self._order.__getitem__)
        lead = row[pivot]
        self._pivots[pivot] = {u: c / lead for u, c in row.items()}
        return True

    def determines(self, vector: Vector) -> bool:
        """Is the combination `vector`·x fixed by the equations (whatever their values)?"""
        return not self._reduce(vector)

    @property
    def rank(self) -> int:
        return len(self._pivots)
