"""The figures of a digest that the privacy rules decide over, and their stored form.

A hidden figure is None. Each dataclass turns into plain JSON and back, so that what a closed
round published can be kept exactly as it was (`followup.digest.publication`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from followup.sections import OPEN_STATUSES


@dataclass
class ActivityFigures:
    code: str
    title: str
    area: str
    counts: dict[str, int] | None  # status → how many chefs, all departments; None: hidden
    # department → status → count; None: hidden (a confidential section, a small group)
    departments: dict[str, dict[str, int] | None]

    @property
    def answered(self) -> int:
        return sum((self.counts or {}).values())

    @property
    def still_open(self) -> int:
        return sum(n for status, n in (self.counts or {}).items() if status in OPEN_STATUSES)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ActivityFigures:
        return cls(**data)


@dataclass
class NeedFigures:
    need: str
    some_or_great: int | None  # respondents naming the need at all; None: too few answered
    great: int | None
    departments: dict[str, int | None]  # department → some or great; None: hidden

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NeedFigures:
        return cls(**data)


@dataclass
class Confidence:
    """'Hur trygg känner du dig i rollen som förändringsledare?' 1–5, over `n` respondents."""

    n: int
    mean: float | None = None  # None: fewer than k
    median: float | None = None
    distribution: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Confidence:
        # JSON keys are text; the levels are numbers
        return cls(
            data["n"],
            data["mean"],
            data["median"],
            {int(level): n for level, n in data["distribution"].items()},
        )


@dataclass(frozen=True)
class TrendPoint:
    """Confidence in one round of the programme: the movement toward the goal."""

    round_id: int
    title: str
    deadline: datetime
    n: int
    mean: float | None
    departments: dict[str, float | None]


def as_json(value: Any) -> Any:
    """A figure (or a list or dict of them) as plain JSON."""
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return as_json(asdict(value))
    return value
