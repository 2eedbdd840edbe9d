"""What a round asks: its sections, their privacy modes, and the fixed answer options."""

from __future__ import annotations

from enum import StrEnum

from storage.models import ActivityStatus


class Section(StrEnum):
    ACTIVITY_STATUS = "activity_status"
    STRENGTHS_NEEDS = "strengths_needs"
    PRINCIPLES = "principles"
    CONFIDENCE = "confidence"
    CONSENT = "consent"


class Privacy(StrEnum):
    IDENTIFIED = "identified"  # HR sees who said what
    CONFIDENTIAL = "confidential"  # HR sees only totals over at least k respondents
    PRIVATE = "private"  # only the chef sees it, in their own feedback


# the sections that ask questions, in the order a chef meets them (consent follows when needed)
QUESTION_SECTIONS = (
    Section.ACTIVITY_STATUS,
    Section.STRENGTHS_NEEDS,
    Section.PRINCIPLES,
    Section.CONFIDENCE,
)

# the activity status section asks one step per area of the plan: "area:<the area's code>"
AREA_PREFIX = "area:"

DEFAULT_SECTIONS: dict[str, str] = {
    Section.ACTIVITY_STATUS: Privacy.IDENTIFIED,
    Section.STRENGTHS_NEEDS: Privacy.CONFIDENTIAL,
    Section.PRINCIPLES: Privacy.CONFIDENTIAL,
    Section.CONFIDENCE: Privacy.CONFIDENTIAL,
}

# activity statuses in the order the card offers them: storage's vocabulary, named once there
STATUSES: tuple[ActivityStatus, ...] = tuple(ActivityStatus)
# an activity not yet done nor set aside: asked about again next round
OPEN_STATUSES = frozenset(
    {ActivityStatus.NOT_STARTED, ActivityStatus.IN_PROGRESS, ActivityStatus.DELAYED}
)
# the needs the commission names: stöd, förändring, fortbildning, nätverk, tydliggörande
NEEDS = ("support", "change", "training", "networks", "clarity")
NEED_LEVELS = (0, 1, 2)  # none, some, great
CONFIDENCE_LEVELS = (1, 2, 3, 4, 5)
MAX_TEXT = 1000
