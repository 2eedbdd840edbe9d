"""The figures of a digest that the privacy rules decide over, and their stored form.

A hidden figure is None. Each dataclass turns into plain JSON and back, so that what a closed
round published can be kept exactly as it was (`followup.digest.publication`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from followup.check_in.carried import department_status
from followup.sections import OPEN_STATUSES

NO_DEPARTMENT = "—"  # chefs without a department are counted under this name


@dataclass
class ActivityFigures:
    code: str
    title: str
    area: str
    counts: dict[str, int] | None  # status → how many chefs, all departments; None: hidden
    # department → status → count; None: hidden (a confidential section, a small group)
    departments: dict[str, dict[str, int] | None]
    # status → how many departments report it so (`department_status`: a department is done
    # when none of its chefs says not finished), over the published departments of the whole
    # organisation; None: hidden. `departments_hidden`: departments left out of it (small)
    department_counts: dict[str, int] | None = None
    departments_hidden: int = 0

    @property
    def answered(self) -> int:
        return sum((self.counts or {}).values())

    @property
    def still_open(self) -> int:
        return sum(n for status, n in (self.counts or {}).items() if status in OPEN_STATUSES)

    @property
    def done_everywhere(self) -> bool:
        """Every chef who answered says genomförd or ej aktuell, and someone says genomförd."""
        counts = self.counts or {}
        return bool(counts.get("done")) and not self.still_open

    @property
    def delayed_somewhere(self) -> bool:
        return bool((self.counts or {}).get("delayed"))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ActivityFigures:
        figures = cls(**data)
        if "department_counts" not in data:
            # kept before the distribution per department: worked out from the same kept
            # figures (a whole organisation's, never a cut)
            figures.department_counts, figures.departments_hidden = department_distribution(
                figures.departments, published=figures.counts is not None
            )
        return figures


def department_distribution(
    departments: dict[str, dict[str, int] | None], *, published: bool
) -> tuple[dict[str, int] | None, int]:
    """How many departments report each status (over those whose figures are published), and
    how many are left out; chefs without a department are no department."""
    if not published:
        return None, 0
    counts: dict[str, int] = {}
    hidden = 0
    for name, cell in departments.items():
        if name == NO_DEPARTMENT:
            continue
        if cell is None:
            hidden += 1
            continue
        status = department_status(status for status, n in cell.items() if n)
        if status is not None:
            counts[status] = counts.get(status, 0) + 1
    return counts, hidden


@dataclass
class CarriedActivity:
    """An activity asked in a round only because departments left it unfinished before;
    `departments`: which (names), when the activity status is identified; None otherwise."""

    code: str
    title: str
    area: str
    departments: list[str] | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CarriedActivity:
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
