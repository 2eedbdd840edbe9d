"""What the chef answered, read-only: the summary before sending in (to send, change a step or
go back) and the receipt after — one line an answer, the chef's own words as they wrote them."""

from __future__ import annotations

from datetime import date, tzinfo
from typing import Any

from dialogs.cards import card, text
from dialogs.check_in_parts import (
    GOTO_INPUT,
    RECEIPT,
    SUMMARY_VIEW,
    Element,
    activity_name,
    button,
    choice_set,
    confidence_label,
    consent_value,
    heading,
    label,
    level_label,
    live,
    need_label,
    own_text,
    principle_name,
    status_label,
    step_title,
    submit_data,
)
from dialogs.formatting import short_date, weekday_date
from dialogs.texts import t
from followup.check_in.steps import (
    AREA_PREFIX,
    SUMMARY,
    CheckIn,
)
from followup.sections import (
    NEEDS,
    Section,
)

# --- what was answered (read-only) --------------------------------------------------------


def _choice_facts(check_in: CheckIn, step: str, language: str) -> list[tuple[str, str]]:
    """The chosen options of a step, as (question, answer) rows; never the chef's free text."""
    missing = t(language, "checkin.not_answered")
    if step.startswith(AREA_PREFIX):
        area = check_in.area(step)
        return [
            (activity_name(item), status_label(item.status, language) if item.status else missing)
            for item in (area.items if area is not None else ())
        ]
    if step == Section.STRENGTHS_NEEDS:
        rows = []
        for need in NEEDS:
            level = check_in.rating(step, f"need.{need}")
            answer = missing if level is None else level_label(level, language)
            rows.append((need_label(need, language), answer))
        return rows
    if step == Section.PRINCIPLES:
        most = check_in.rating(step, "most")
        answer = missing if most is None else principle_name(check_in, most)
        return [(t(language, "checkin.principle"), answer)]
    if step == Section.CONFIDENCE:
        value = check_in.rating(step, "confidence")
        answer = missing if value is None else confidence_label(value, language)
        return [(t(language, "checkin.confidence.question"), answer)]
    if step == Section.CONSENT:
        consent = consent_value(check_in)
        answer = missing if consent is None else t(language, f"checkin.consent.{consent}")
        return [(t(language, "checkin.consent.question"), answer)]
    return []


def _answer_lines(rows: list[tuple[str, str]]) -> list[Element]:
    """Question and answer on one line each, wrapped the whole width of a phone (a FactSet's
    narrow first column splits long words such as an activity's name)."""
    return [
        {
            "type": "RichTextBlock",
            "spacing": "Small",
            "inlines": [
                {"type": "TextRun", "text": f"{question}: "},
                {"type": "TextRun", "text": answer, "weight": "Bolder"},
            ],
        }
        for question, answer in rows
    ]


def _step_answers(check_in: CheckIn, step: str, language: str) -> list[Element]:
    """A step's answers with the chef's free texts as plain TextBlocks of their own."""
    blocks: list[Element] = []
    if step.startswith(AREA_PREFIX):
        blocks += _answer_lines(_choice_facts(check_in, step, language))
        area = check_in.area(step)
        commented = [i for i in (area.items if area is not None else ()) if i.comment]
        if commented:
            blocks.append(label(t(language, "checkin.comments")))
            for item in commented:
                blocks.append(text(activity_name(item), isSubtle=True, spacing="Small"))
                blocks.append(text(item.comment, spacing="None"))
    elif step == Section.STRENGTHS_NEEDS:
        blocks.append(label(t(language, "checkin.strengths")))
        blocks.append(own_text(check_in.text(step, "strengths"), language))
        blocks.append(label(t(language, "checkin.needs_heading")))
        blocks += _answer_lines(_choice_facts(check_in, step, language))
        for need in NEEDS:
            written = check_in.text(step, f"need.{need}")
            if written:
                blocks.append(text(need_label(need, language), isSubtle=True, spacing="Small"))
                blocks.append(text(written, spacing="None"))
    elif step == Section.PRINCIPLES:
        blocks += _answer_lines(_choice_facts(check_in, step, language))
        for key in ("example", "grow"):
            blocks.append(label(t(language, f"checkin.{key}")))
            blocks.append(own_text(check_in.text(step, key), language))
    else:
        blocks += _answer_lines(_choice_facts(check_in, step, language))
    return blocks


def answer_blocks(check_in: CheckIn, language: str) -> list[Element]:
    """Every step's answers, read-only, for the summary and the receipt."""
    blocks: list[Element] = []
    for step in check_in.steps:
        if step == SUMMARY:
            continue
        blocks.append(heading(step_title(check_in, step, language)))
        blocks += _step_answers(check_in, step, language)
    return blocks


def summary_card(check_in: CheckIn, language: str, *, note: str | None = None) -> dict[str, Any]:
    """Every answer before sending in (or the answers sent in, to change). `note`: a line on
    what was just done."""
    body: list[Element] = [
        text(
            t(language, "checkin.summary.title", round=check_in.round_title),
            size="Large",
            weight="Bolder",
        ),
    ]
    if note is not None:
        body.append(text(note, spacing="Small"))
    body += _summary_intro(check_in, language)
    if not check_in.complete:
        body.append(
            text(t(language, "checkin.summary.incomplete"), color="Attention", weight="Bolder")
        )
    body += answer_blocks(check_in, language)
    steps = [s for s in check_in.steps if s != SUMMARY]
    actions: list[Element] = []
    # answers sent in: Skicka in again only with changes to send, and they can be undone
    if check_in.complete and (check_in.changed or not check_in.submitted):
        actions.append(
            button(
                t(language, "checkin.action.submit"),
                submit_data(check_in, "submit"),
                style="positive",
                associatedInputs="none",
            )
        )
    if check_in.changed:
        actions.append(
            button(
                t(language, "checkin.action.discard"),
                submit_data(check_in, "discard"),
                associatedInputs="none",
            )
        )
    if steps:
        chooser = choice_set(
            GOTO_INPUT,
            label=t(language, "checkin.summary.goto_label"),
            choices=[(s, step_title(check_in, s, language)) for s in steps],
            value=check_in.next_step if check_in.next_step != SUMMARY else steps[0],
            language=language,
            expanded=False,
        )
        goto = button(t(language, "checkin.action.goto"), submit_data(check_in, "goto"))
        actions.append(
            {
                "type": "Action.ShowCard",
                "title": t(language, "checkin.action.change"),
                "card": {"type": "AdaptiveCard", "body": [chooser], "actions": [goto]},
            }
        )
    if steps and not check_in.submitted:
        actions.append(
            button(
                t(language, "checkin.action.back"),
                submit_data(check_in, "goto", steps[-1]),
                associatedInputs="none",
            )
        )
    return live(card(body, actions), check_in, SUMMARY_VIEW)


def _summary_intro(check_in: CheckIn, language: str) -> list[Element]:
    """What the summary is: before sending in, the answers so far; after, the answers sent in
    and which changes are not sent in yet."""
    if not check_in.submitted:
        return [text(t(language, "checkin.summary.intro"), spacing="Small")]
    if not check_in.changed:
        return [text(t(language, "checkin.changes.none"), spacing="Small")]
    steps = ", ".join(step_title(check_in, s, language) for s in check_in.changed)
    return [
        text(
            t(language, "checkin.changes.unsent", steps=steps),
            color="Attention",
            weight="Bolder",
            spacing="Small",
        )
    ]


def receipt_card(
    check_in: CheckIn,
    language: str,
    *,
    can_change: bool,
    zone: tzinfo,
    today: date,
    note: str | None = None,
) -> dict[str, Any]:
    """Replaces the summary once sent in: the answers, read-only, and at most "Ändra mina svar";
    its dates with the year when it is not `today`'s. `note`: a line on what was just done."""
    body: list[Element] = [
        text(t(language, "checkin.receipt.title"), size="Large", weight="Bolder")
    ]
    if note is not None:
        body.append(text(note, spacing="Small"))
    if check_in.submitted_at is not None:
        sent = short_date(check_in.submitted_at, language, zone=zone, today=today)
        body.append(text(t(language, "checkin.receipt.date", date=sent), spacing="Small"))
    if can_change:
        until = weekday_date(check_in.deadline, language, zone=zone, today=today)
        body.append(text(t(language, "checkin.receipt.change_until", date=until), isSubtle=True))
    else:
        body.append(text(t(language, "checkin.receipt.closed"), isSubtle=True))
    body.append(text(check_in.round_title, weight="Bolder", spacing="Medium"))
    body += answer_blocks(check_in, language)
    actions = (
        [button(t(language, "checkin.action.reopen"), submit_data(check_in, "reopen"))]
        if can_change
        else None
    )
    return live(card(body, actions), check_in, RECEIPT)
