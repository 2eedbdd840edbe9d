"""A step's answers checked again on the server (clients differ, cards get forwarded): exactly
what the step asks, each value one that was offered, texts within their limit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationInfo

from followup.forms import FormError, check, problem
from followup.sections import (
    AREA_PREFIX,
    CONFIDENCE_LEVELS,
    MAX_TEXT,
    NEED_LEVELS,
    NEEDS,
    STATUSES,
    Section,
)

if TYPE_CHECKING:
    from followup.check_in.steps import CheckIn


def _text(value: Any) -> str:
    """A free text: trimmed, at most MAX_TEXT characters; anything but text is refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise problem("not_offered")
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise problem("too_long", max=MAX_TEXT, length=len(text))
    return text


def _choose(value: Any, offered: tuple[Any, ...]) -> Any:
    """One of the offered options (numbers may come as text); nothing chosen is "required"."""
    if value is None or value == "":
        raise problem("required")
    choice: Any = value
    if isinstance(offered[0], int):
        try:
            choice = int(str(value))
        except ValueError:
            choice = None
    if choice not in offered:
        raise problem("not_offered")
    return choice


def _one_of(offered: tuple[Any, ...]) -> PlainValidator:
    return PlainValidator(lambda value: _choose(value, offered))


def _principle(value: Any, info: ValidationInfo) -> int | None:
    # the numbers of the programme's principles; a round without any does not ask
    numbers: tuple[int, ...] = (info.context or {}).get("principles", ())
    return _choose(value, numbers) if numbers else None


Text = Annotated[str, PlainValidator(_text)]


class ActivityAnswer(BaseModel):
    """An activity's status, and a comment if the chef has one."""

    status: Annotated[str, _one_of(STATUSES)]
    comment: Text = ""


class AreaAnswers(BaseModel):
    """An area step: every activity of the area the chef is asked about, by activity id."""

    activities: dict[int, ActivityAnswer]


class NeedAnswer(BaseModel):
    """How much the chef needs of one kind of support (0–2), and in their words."""

    level: Annotated[int, _one_of(NEED_LEVELS)]
    text: Text = ""


class StrengthsNeedsAnswers(BaseModel):
    """The strengths and needs step: the strengths in words, every need rated."""

    strengths: Text = ""
    needs: dict[str, NeedAnswer]


class PrinciplesAnswers(BaseModel):
    """The principles step: the principle most lived by (its number), an example, what to grow."""

    # validated when absent too: a round with principles needs one chosen
    model_config = ConfigDict(validate_default=True)
    principle: Annotated[int | None, PlainValidator(_principle)] = None
    example: Text = ""
    grow: Text = ""


class ConfidenceAnswers(BaseModel):
    """Confidence in the role, 1–5."""

    confidence: Annotated[int, _one_of(CONFIDENCE_LEVELS)]


class ConsentAnswers(BaseModel):
    """Whether the chef's free texts may be quoted."""

    consent: Annotated[str, _one_of(("yes", "no"))]


@dataclass
class Clean:
    statuses: dict[int, tuple[str, str]] = field(default_factory=dict)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)
    ratings: dict[tuple[str, str], int] = field(default_factory=dict)


def _answers(given: Mapping[str, Any], key: str, names: Iterable[Any]) -> dict[Any, Any]:
    # exactly what the step asks about, each as a mapping; more than that is ignored
    asked = given.get(key)
    asked = asked if isinstance(asked, Mapping) else {}
    return {name: a if isinstance(a := asked.get(name), Mapping) else {} for name in names}


def validate(
    check_in: CheckIn, step: str, given: Mapping[str, Any]
) -> tuple[Clean, list[FormError]]:
    """Check a step's answers again on the server (clients differ, cards get forwarded).

    `given` holds them under the step model's field names: `activities` (activity id →
    `status`, `comment`), `strengths`, `needs` (need → `level`, `text`), `principle`,
    `example`, `grow`, `confidence` or `consent`; the errors are named by the same paths."""
    clean, errors = Clean(), list[FormError]()
    if step.startswith(AREA_PREFIX):
        area = check_in.area(step)
        if area is None or not area.items:
            return clean, [FormError("step", "unknown_step")]
        activities = _answers(given, "activities", (item.id for item in area.items))
        areas, errors = check(AreaAnswers, {"activities": activities})
        if areas is not None:
            for item_id, answer in areas.activities.items():
                clean.statuses[item_id] = (answer.status, answer.comment)
    elif step == Section.STRENGTHS_NEEDS:
        needs = _answers(given, "needs", NEEDS)
        answers, errors = check(StrengthsNeedsAnswers, {**given, "needs": needs})
        if answers is not None:
            clean.texts[(step, "strengths")] = answers.strengths
            for need, rated in answers.needs.items():
                clean.ratings[(step, f"need.{need}")] = rated.level
                clean.texts[(step, f"need.{need}")] = rated.text
    elif step == Section.PRINCIPLES:
        numbers = tuple(p.number for p in check_in.principles)
        principles, errors = check(PrinciplesAnswers, given, context={"principles": numbers})
        if principles is not None:
            if principles.principle is not None:
                clean.ratings[(step, "most")] = principles.principle
            clean.texts[(step, "example")] = principles.example
            clean.texts[(step, "grow")] = principles.grow
    elif step == Section.CONFIDENCE:
        confidence, errors = check(ConfidenceAnswers, given)
        if confidence is not None:
            clean.ratings[(step, "confidence")] = confidence.confidence
    elif step == Section.CONSENT:
        consent, errors = check(ConsentAnswers, given)
        if consent is not None:
            clean.ratings[(step, "quote")] = 1 if consent.consent == "yes" else 0
    else:
        errors.append(FormError("step", "unknown_step"))
    if step not in check_in.steps and FormError("step", "unknown_step") not in errors:
        errors.append(FormError("step", "unknown_step"))
    return clean, errors
