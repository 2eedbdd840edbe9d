"""The chef's feedback after a round: their own picture (confidence over the rounds, what they
finished, the needs they named) beside the group's published figures — for them only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dialogs.cards import card, facts, text
from dialogs.check_in_parts import (
    Element,
    confidence_label,
    heading,
    level_label,
    need_label,
)
from dialogs.texts import t
from followup.check_in.steps import Feedback
from followup.digest.compile import Confidence, Digest
from followup.digest.report import number_text


def _trend(values: Sequence[int], language: str) -> str:
    if len(values) < 2:
        return t(language, "checkin.feedback.first")
    before, now = values[-2], values[-1]
    reading = "higher" if now > before else "lower" if now < before else "same"
    return t(language, f"checkin.feedback.{reading}")


def _mean(confidence: Confidence | None, language: str) -> str:
    if confidence is None or confidence.mean is None:
        return t(language, "checkin.feedback.not_shown")
    return t(
        language, "checkin.feedback.mean", mean=number_text(confidence.mean), count=confidence.n
    )


def group_blocks(group: Digest | None, language: str, *, k: int) -> list[Element]:
    """Beside the chef's own answers, the group's: the organisation's published figures and
    their department's when it is published (the same figures HR has); until the round closes,
    when they come."""
    body: list[Element] = [heading(t(language, "checkin.feedback.group"))]
    if group is None:
        body.append(text(t(language, "checkin.feedback.group_later", k=k), isSubtle=True))
        return body
    if group.confidence is not None:
        rows = [(t(language, "checkin.feedback.organisation"), _mean(group.confidence, language))]
        rows += [
            (
                t(language, "checkin.feedback.your_department", department=name),
                _mean(confidence, language),
            )
            for name, confidence in group.confidence_departments.items()
        ]
        body.append(facts(rows))
        earlier = [p for p in group.trend if p.mean is not None]
        if len(earlier) > 1:
            body.append(text(t(language, "checkin.feedback.group_trend"), weight="Bolder"))
            body.append(facts([(p.title, number_text(p.mean)) for p in earlier]))
    named = sorted(
        (n for n in group.needs or [] if n.some_or_great), key=lambda n: -(n.some_or_great or 0)
    )[:3]
    if named:
        body.append(text(t(language, "checkin.feedback.group_needs"), weight="Bolder"))
        body += [
            text(
                t(
                    language,
                    "checkin.feedback.need_count",
                    need=need_label(n.need, language),
                    count=n.some_or_great,
                ),
                spacing="Small",
            )
            for n in named
        ]
    if len(body) == 1:
        body.append(text(t(language, "checkin.feedback.not_shown"), isSubtle=True))
    return body


def feedback_card(
    feedback: Feedback, language: str, *, group: Digest | None = None, k: int
) -> dict[str, Any]:
    """The chef's own picture after a round, beside the group's; only they see it."""
    body: list[Element] = [
        text(t(language, "checkin.feedback.title"), size="Large", weight="Bolder"),
        text(t(language, "checkin.privacy.private"), isSubtle=True, spacing="Small"),
        heading(t(language, "checkin.feedback.confidence")),
    ]
    if feedback.confidence:
        body.append(
            facts([(title, confidence_label(v, language)) for title, v in feedback.confidence])
        )
        values = [v for _, v in feedback.confidence]
        body.append(text(_trend(values, language), weight="Bolder", spacing="Small"))
    else:
        body.append(text(t(language, "checkin.feedback.no_confidence"), isSubtle=True))
    body.append(heading(t(language, "checkin.feedback.done")))
    if feedback.done_since_last:
        body += [text(f"• {title}", spacing="Small") for title in feedback.done_since_last]
    else:
        body.append(text(t(language, "checkin.feedback.done_none"), isSubtle=True))
    body.append(heading(t(language, "checkin.feedback.needs")))
    if feedback.needs:
        for need, level, written in feedback.needs:
            line = f"{need_label(need, language)}: {level_label(level, language)}"
            body.append(text(line, weight="Bolder", spacing="Small"))
            if written:
                body.append(text(written, spacing="None"))
    else:
        body.append(text(t(language, "checkin.feedback.needs_none"), isSubtle=True))
    body += group_blocks(group, language, k=k)
    return card(body)
