"""The Adaptive Cards of the chef's check-in: the invitation and the steps (the summary and the
receipt are `check_in_answers`, what they are made of `check_in_parts`).

One card walks the chef through: the invitation becomes step 1, each step the next (or the one
before, with Tillbaka), the summary, then the receipt — each press answered in place (Universal
Actions, `dialogs.cards`). Each card also asks for its current state whenever it is shown
(`refresh`, `VIEW`): an old card, or one on another device, shows where the check-in stands,
and a closed round's invitation shows that it is closed, without buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta, tzinfo
from typing import Any

from dialogs.card_fields import (
    CONFIDENCE,
    CONSENT,
    EXAMPLE,
    GROW,
    PRINCIPLE,
    STRENGTHS,
    comment_input,
    need_input,
    need_text_input,
    status_input,
)
from dialogs.cards import card, facts, text
from dialogs.check_in_parts import (
    INVITATION,
    MAX_DESCRIPTION,
    STEP,
    Element,
    activity_name,
    button,
    choice_set,
    confidence_label,
    consent_value,
    error_message,
    label,
    level_label,
    live,
    need_label,
    privacy_line,
    shortened,
    status_label,
    step_title,
    submit_data,
    text_input,
)
from dialogs.formatting import duration, short_day, weekday_date
from dialogs.texts import t
from followup.check_in.steps import (
    AREA_PREFIX,
    SUMMARY,
    ActivityItem,
    AreaBlock,
    CheckIn,
)
from followup.forms import FormError
from followup.sections import (
    CONFIDENCE_LEVELS,
    NEED_LEVELS,
    NEEDS,
    QUESTION_SECTIONS,
    STATUSES,
    Section,
)

# --- the invitation -----------------------------------------------------------------------


def invitation_card(
    check_in: CheckIn,
    language: str,
    *,
    zone: tzinfo,
    today: date,
    note: str | None = None,
) -> dict[str, Any]:
    """A round's invitation: its title, the last day (with the year when it is not `today`'s),
    and Starta (Fortsätt once something is answered). `note`: a line on what was just done
    ("Då påminner jag dig …")."""
    body: list[Element] = [
        text(check_in.round_title, size="Large", weight="Bolder"),
        text(
            t(
                language,
                "checkin.invitation.deadline",
                date=weekday_date(check_in.deadline, language, zone=zone, today=today),
            ),
            weight="Bolder",
            spacing="Small",
        ),
    ]
    if note is not None:
        body.append(text(note, color="Good", weight="Bolder", spacing="Medium"))
    if check_in.submitted:
        body.append(text(t(language, "checkin.invitation.submitted"), spacing="Medium"))
        return live(card(body), check_in, INVITATION)
    count = check_in.activity_count
    minutes = duration(timedelta(minutes=check_in.minutes()), language)
    if count == 0:
        size = t(language, "checkin.invitation.size_no_activities", minutes=minutes)
    else:
        size = t(language, "checkin.invitation.size", count=count, minutes=minutes)
    body += [
        text(size, spacing="Medium"),
        text(t(language, "checkin.invitation.pause"), isSubtle=True, spacing="Small"),
        label(t(language, "checkin.invitation.who_sees")),
    ]
    rows = [
        (
            t(language, f"checkin.section.{section}"),
            privacy_line(check_in.privacy(section), language, k=check_in.k),
        )
        for section in QUESTION_SECTIONS
        if check_in.asks(section)
    ]
    if check_in.asks_consent:
        rows.append(
            (
                t(language, "checkin.invitation.quotes_title"),
                t(language, "checkin.invitation.quotes"),
            )
        )
    if rows:
        body.append(facts(rows))
    start = "checkin.action.continue" if check_in.answers_started else "checkin.action.start"
    actions = [
        button(t(language, start), submit_data(check_in, "start"), style="positive"),
        button(t(language, "checkin.action.later"), submit_data(check_in, "later")),
    ]
    return live(card(body, actions), check_in, INVITATION)


def closed_card(check_in: CheckIn, language: str) -> dict[str, Any]:
    """A closed round's invitation, answers never sent in: closed, and no buttons."""
    body: list[Element] = [
        text(check_in.round_title, size="Large", weight="Bolder"),
        text(t(language, "checkin.closed"), spacing="Small"),
    ]
    return card(body)


# --- the steps ----------------------------------------------------------------------------


def _step_position(check_in: CheckIn, step: str) -> tuple[int, int]:
    steps = check_in.steps
    return steps.index(step) + 1, len(steps) - 1


def _step_privacy(check_in: CheckIn, step: str) -> str | None:
    if step.startswith(AREA_PREFIX):
        return check_in.privacy(Section.ACTIVITY_STATUS)
    if step == Section.CONSENT:
        return None  # the step itself explains how quotes are used
    return check_in.privacy(step)


def _error_block(
    check_in: CheckIn, step: str, errors: Sequence[FormError], language: str
) -> Element:
    items = [text(t(language, "checkin.errors_heading"), weight="Bolder", color="Attention")]
    items += [
        text(
            "• " + error_message(check_in, step, error, language),
            color="Attention",
            spacing="Small",
        )
        for error in errors
    ]
    return {"type": "Container", "style": "attention", "items": items, "spacing": "Medium"}


def _activity_inputs(item: ActivityItem, language: str, *, today: date) -> Element:
    items: list[Element] = [text(activity_name(item), weight="Bolder")]
    if item.description:
        items.append(
            text(shortened(item.description, MAX_DESCRIPTION), isSubtle=True, spacing="None")
        )
    details = []
    if item.owner:
        details.append(t(language, "checkin.owner", owner=item.owner))
    if item.due is not None:
        details.append(t(language, "checkin.due", date=short_day(item.due, language, today=today)))
    if details:
        items.append(text(" · ".join(details), isSubtle=True, size="Small", spacing="None"))
    if item.last_status:
        last = status_label(item.last_status, language)
        # a carried activity is asked past the plan's years: say why it is still here
        key = "checkin.carried" if item.carried else "checkin.last_status"
        items.append(text(t(language, key, status=last), size="Small"))
    items.append(
        choice_set(
            status_input(item.id),
            label=t(language, "checkin.field.status", activity=activity_name(item)),
            choices=[(s, status_label(s, language)) for s in STATUSES],
            value=item.status or item.last_status or None,
            language=language,
            expanded=False,
        )
        | {"placeholder": t(language, "checkin.status_placeholder")}
    )
    items += _on_request(
        text_input(
            comment_input(item.id),
            value=item.comment,
            # no placeholder: the label says it all, and twenty activities make a long card
            label=t(language, "checkin.field.comment", activity=activity_name(item)),
            language=language,
        ),
        t(language, "checkin.action.comment"),
    )
    return {"type": "Container", "items": items, "separator": True, "spacing": "Medium"}


def _on_request(field: Element, title: str) -> list[Element]:
    """An optional text field behind a button that shows it (a phone screen is short): shown
    from the start when it holds something already."""
    shown = bool(field.get("value"))
    toggle = {
        "type": "ActionSet",
        "spacing": "Small",
        "isVisible": not shown,
        "id": f"{field['id']}:show",
        "actions": [
            {
                "type": "Action.ToggleVisibility",
                "title": title,
                "targetElements": [field["id"], f"{field['id']}:show"],
            }
        ],
    }
    return [toggle, {**field, "isVisible": shown}]


def _area_body(area: AreaBlock, language: str, *, today: date) -> list[Element]:
    return [
        text(t(language, "checkin.area_intro"), spacing="Small"),
        *(_activity_inputs(item, language, today=today) for item in area.items),
    ]


def _strengths_needs_body(check_in: CheckIn, step: str, language: str) -> list[Element]:
    body: list[Element] = [
        text_input(
            STRENGTHS,
            label=t(language, "checkin.strengths"),
            value=check_in.text(step, "strengths"),
            placeholder=t(language, "checkin.strengths_placeholder"),
            language=language,
        ),
        label(t(language, "checkin.needs_heading")),
    ]
    levels = [(str(level), level_label(level, language)) for level in NEED_LEVELS]
    for need in NEEDS:
        rating = check_in.rating(step, f"need.{need}")
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    choice_set(
                        need_input(need),
                        label=t(language, "checkin.field.need", need=need_label(need, language)),
                        choices=levels,
                        value=None if rating is None else str(rating),
                        language=language,
                        expanded=False,
                    ),
                    *_on_request(
                        text_input(
                            need_text_input(need),
                            value=check_in.text(step, f"need.{need}"),
                            placeholder=t(language, "checkin.need_text_placeholder"),
                            label=t(
                                language,
                                "checkin.field.need_text",
                                need=need_label(need, language),
                            ),
                            language=language,
                        ),
                        t(language, "checkin.action.comment"),
                    ),
                ],
            }
        )
    return body


def _principles_body(check_in: CheckIn, step: str, language: str) -> list[Element]:
    most = check_in.rating(step, "most")
    return [
        choice_set(
            PRINCIPLE,
            label=t(language, "checkin.principle"),
            choices=[(str(p.number), f"{p.number}. {p.title}") for p in check_in.principles],
            value=None if most is None else str(most),
            language=language,
            expanded=True,
        ),
        text_input(
            EXAMPLE,
            label=t(language, "checkin.example"),
            value=check_in.text(step, "example"),
            placeholder=t(language, "checkin.text_placeholder"),
            language=language,
        ),
        text_input(
            GROW,
            label=t(language, "checkin.grow"),
            value=check_in.text(step, "grow"),
            placeholder=t(language, "checkin.text_placeholder"),
            language=language,
        ),
    ]


def _confidence_body(check_in: CheckIn, step: str, language: str) -> list[Element]:
    value = check_in.rating(step, "confidence")
    return [
        choice_set(
            CONFIDENCE,
            label=t(language, "checkin.confidence.question"),
            choices=[(str(v), confidence_label(v, language)) for v in CONFIDENCE_LEVELS],
            value=None if value is None else str(value),
            language=language,
            expanded=True,
        )
    ]


def _consent_body(check_in: CheckIn, language: str) -> list[Element]:
    return [
        text(t(language, "checkin.consent.intro"), spacing="Small"),
        choice_set(
            CONSENT,
            label=t(language, "checkin.consent.question"),
            choices=[(v, t(language, f"checkin.consent.{v}")) for v in ("yes", "no")],
            value=consent_value(check_in),
            language=language,
            expanded=True,
        ),
    ]


def step_card(
    check_in: CheckIn,
    step: str,
    language: str,
    errors: Sequence[FormError] = (),
    *,
    today: date,
) -> dict[str, Any]:
    """The card for one step (not the summary: see summary_card), an activity's due day with
    its year when it is not `today`'s; raises ValueError if unknown."""
    if step not in check_in.steps or step == SUMMARY:
        raise ValueError(f"the round has no step {step!r}")
    number, total = _step_position(check_in, step)
    body: list[Element] = [
        text(
            t(language, "checkin.step_of", n=number, total=total),
            isSubtle=True,
            size="Small",
        ),
        text(step_title(check_in, step, language), size="Large", weight="Bolder", spacing="None"),
    ]
    privacy = _step_privacy(check_in, step)
    if privacy is not None:
        body.append(
            text(privacy_line(privacy, language, k=check_in.k), isSubtle=True, spacing="Small")
        )
    if check_in.submitted:
        body.append(text(t(language, "checkin.changes.step_note"), color="Warning"))
    if errors:
        body.append(_error_block(check_in, step, errors, language))
    if step.startswith(AREA_PREFIX):
        area = check_in.area(step)
        assert area is not None  # the step is one of check_in.steps
        body += _area_body(area, language, today=today)
    elif step == Section.STRENGTHS_NEEDS:
        body += _strengths_needs_body(check_in, step, language)
    elif step == Section.PRINCIPLES:
        body += _principles_body(check_in, step, language)
    elif step == Section.CONFIDENCE:
        body += _confidence_body(check_in, step, language)
    elif step == Section.CONSENT:
        body += _consent_body(check_in, language)
    actions = [
        button(
            t(language, "checkin.action.save"),
            submit_data(check_in, "save", step),
            style="positive",
        )
    ]
    back = _back_to(check_in, step)
    if back is not None:
        # back without saving this step: nothing on it is checked, nothing is kept
        actions.append(
            button(
                t(language, "checkin.action.back"),
                submit_data(check_in, "goto", back),
                associatedInputs="none",
            )
        )
    return live(card(body, actions), check_in, STEP, step)


def _back_to(check_in: CheckIn, step: str) -> str | None:
    """The step before `step` (the last one for the summary); None for the first."""
    index = check_in.steps.index(step)
    return check_in.steps[index - 1] if index > 0 else None
