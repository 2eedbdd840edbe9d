"""The Adaptive Cards of the chef's check-in: invitation, steps, summary, receipt and feedback.

One card walks the chef through: the invitation becomes step 1, each step the next (or the one
before, with Tillbaka), the summary, then the receipt — each press answered in place (Universal
Actions, `dialogs.cards`). Each card also asks for its current state whenever it is shown
(`refresh`, `VIEW`): an old card, or one on another device, shows where the check-in stands,
and a closed round's invitation shows that it is closed, without buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo
from typing import Any

from dialogs.card_fields import (
    CONFIDENCE,
    CONSENT,
    EXAMPLE,
    GROW,
    PRINCIPLE,
    STRENGTHS,
    comment_input,
    input_kind,
    need_input,
    need_text_input,
    status_input,
)
from dialogs.cards import card, execute, facts, text, with_refresh
from dialogs.formatting import number, short_date, short_day, weekday_date
from dialogs.texts import t
from followup.check_in.drafts import sending
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
    MAX_TEXT,
    NEED_LEVELS,
    NEEDS,
    QUESTION_SECTIONS,
    STATUSES,
    Privacy,
    Section,
)

Element = dict[str, Any]

# the `ledarpuls` value of every submit of these cards (Teams merges the inputs beside it)
SUBMIT_KIND = "checkin"
# the summary's "Ändra" card: the step to go to arrives under this input id
GOTO_INPUT = "goto_step"
# what a card shows, for its `refresh` (the data key `view`)
INVITATION, STEP, SUMMARY_VIEW, RECEIPT = "invitation", "step", "summary", "receipt"
VIEWS = frozenset({INVITATION, STEP, SUMMARY_VIEW, RECEIPT})
# an activity's description is the plan's text; a long one would crowd the card
MAX_DESCRIPTION = 160


# --- labels --------------------------------------------------------------------------------


def status_label(status: str, language: str) -> str:
    return t(language, f"checkin.status.{status}") if status in STATUSES else status


def need_label(need: str, language: str) -> str:
    return t(language, f"checkin.need.{need}") if need in NEEDS else need


def level_label(level: int, language: str) -> str:
    return t(language, f"checkin.level.{level}") if level in NEED_LEVELS else str(level)


def confidence_label(value: int, language: str) -> str:
    return t(language, f"checkin.confidence.{value}") if value in CONFIDENCE_LEVELS else str(value)


def privacy_line(privacy: str, language: str, *, k: int) -> str:
    """Who sees a section's answers; a confidential one says the round's own k."""
    mode = privacy if privacy in set(Privacy) else Privacy.CONFIDENTIAL
    return t(language, f"checkin.privacy.{mode}", k=k)


def step_title(check_in: CheckIn, step: str, language: str) -> str:
    """The area's name for an activity step, else the section's title."""
    if step.startswith(AREA_PREFIX):
        area = check_in.area(step)
        if area is None:
            return step.removeprefix(AREA_PREFIX)
        if area.pages > 1:
            return t(
                language, "checkin.area_page", area=area.name, page=area.page, pages=area.pages
            )
        return area.name
    if step in set(Section) or step == SUMMARY:
        return t(language, f"checkin.section.{step}")
    return step


def _activity_name(item: ActivityItem) -> str:
    return f"{item.code} {item.title}" if item.code else item.title


def _principle_name(check_in: CheckIn, number: int) -> str:
    for principle in check_in.principles:
        if principle.number == number:
            return f"{principle.number}. {principle.title}"
    return str(number)


def field_name(check_in: CheckIn, step: str, name: str, language: str) -> str:
    """What the chef calls the input `name` (an input id of a step card)."""
    kind, key = input_kind(name)
    if kind in ("status", "comment") and key.isdigit():
        area = check_in.area(step)
        items = area.items if area is not None else ()
        item = next((i for i in items if i.id == int(key)), None)
        if item is not None:
            return t(language, f"checkin.field.{kind}", activity=_activity_name(item))
    if kind == "need" and key in NEEDS:
        return t(language, "checkin.field.need", need=need_label(key, language))
    if kind == "need_text" and key in NEEDS:
        return t(language, "checkin.field.need_text", need=need_label(key, language))
    labels = {
        STRENGTHS: "checkin.strengths",
        PRINCIPLE: "checkin.principle",
        EXAMPLE: "checkin.example",
        GROW: "checkin.grow",
        CONFIDENCE: "checkin.confidence.question",
        CONSENT: "checkin.consent.question",
    }
    return t(language, labels[name]) if name in labels else name


def error_message(check_in: CheckIn, step: str, error: FormError, language: str) -> str:
    field = field_name(check_in, step, error.name, language)
    # numbers as the reader writes them: "3 000 tecken, högst 1 000"
    params = {
        key: number(value, language) if isinstance(value, int) else value
        for key, value in error.params.items()
    }
    return t(language, f"checkin.error.{error.code}", field=field, **params)


# --- building blocks -----------------------------------------------------------------------


def submit_data(check_in: CheckIn, action: str, step: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ledarpuls": SUBMIT_KIND,
        "action": action,
        "invitation": check_in.invitation_id,
        "round": check_in.round_id,
    }
    if step is not None:
        data["step"] = step
    sent = sending(check_in)
    if sent is not None:
        # which sending-in the card shows: a card from before the next one changes nothing
        data["sent"] = sent
    return data


def _submit(title: str, data: dict[str, Any], **extra: Any) -> Element:
    return execute(title, data, **extra)


def _live(
    content: dict[str, Any], check_in: CheckIn, view: str, step: str | None = None
) -> Element:
    """`content` that shows the check-in's current state each time it is shown: the same
    `view` (and step) as it stands then — or the receipt, or closed."""
    data: dict[str, Any] = {
        "ledarpuls": SUBMIT_KIND,
        "invitation": check_in.invitation_id,
        "round": check_in.round_id,
        "view": view,
    }
    if step is not None:
        data["step"] = step
    return with_refresh(content, data)


def heading(value: str) -> Element:
    return text(value, weight="Bolder", size="Medium", spacing="Large", separator=True)


def _label(value: str) -> Element:
    return text(value, weight="Bolder", spacing="Medium")


def _plain(value: str, language: str) -> Element:
    """A chef's own text, shown as it was written (or a note that nothing was)."""
    if value:
        return text(value, spacing="Small")
    return text(t(language, "checkin.no_text"), isSubtle=True, spacing="Small")


def _choice_set(
    input_id: str,
    *,
    label: str,
    choices: list[tuple[str, str]],
    value: str | None,
    language: str,
    expanded: bool,
) -> Element:
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "expanded" if expanded else "compact",
        "choices": [{"title": title, "value": v} for v, title in choices],
        "isRequired": True,
        "errorMessage": t(language, "checkin.choose_one"),
    }
    if expanded:
        element["wrap"] = True  # long choices (a principle, the consent) on several lines
    if value is not None:
        element["value"] = value
    return element


def _text_input(
    input_id: str, *, value: str, label: str, language: str, placeholder: str | None = None
) -> Element:
    """A free text the chef may leave empty. Its limit is in the label, before anything is
    typed, and checked by the client's `regex` with a message under the field; there is no
    `maxLength`, which makes clients cut a pasted text silently. The server refuses a longer
    text too (`followup.check_in.step_checks`), saying which field and the limit."""
    limit = number(MAX_TEXT, language)
    element: Element = {
        "type": "Input.Text",
        "id": input_id,
        "isMultiline": True,
        "label": t(language, "checkin.label.optional_text", label=label, max=limit),
        "regex": f"^[\\s\\S]{{0,{MAX_TEXT}}}$",
        "errorMessage": t(language, "checkin.label.too_long", max=limit),
    }
    if placeholder is not None:
        element["placeholder"] = placeholder
    if value:
        element["value"] = value
    return element


def _short(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


# --- the invitation -----------------------------------------------------------------------


def invitation_card(
    check_in: CheckIn,
    language: str,
    *,
    zone: tzinfo,
    today: date | None = None,
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
        return _live(card(body), check_in, INVITATION)
    count, minutes = check_in.activity_count, check_in.minutes()
    if count == 0:
        size = t(language, "checkin.invitation.size_no_activities", minutes=minutes)
    else:
        size = t(language, "checkin.invitation.size", count=count, minutes=minutes)
    body += [
        text(size, spacing="Medium"),
        text(t(language, "checkin.invitation.pause"), isSubtle=True, spacing="Small"),
        _label(t(language, "checkin.invitation.who_sees")),
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
        _submit(t(language, start), submit_data(check_in, "start"), style="positive"),
        _submit(t(language, "checkin.action.later"), submit_data(check_in, "later")),
    ]
    return _live(card(body, actions), check_in, INVITATION)


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


def _activity_inputs(item: ActivityItem, language: str) -> Element:
    items: list[Element] = [text(_activity_name(item), weight="Bolder")]
    if item.description:
        items.append(text(_short(item.description, MAX_DESCRIPTION), isSubtle=True, spacing="None"))
    details = []
    if item.owner:
        details.append(t(language, "checkin.owner", owner=item.owner))
    if item.due is not None:
        details.append(t(language, "checkin.due", date=short_day(item.due, language)))
    if details:
        items.append(text(" · ".join(details), isSubtle=True, size="Small", spacing="None"))
    if item.last_status:
        last = status_label(item.last_status, language)
        # a carried activity is asked past the plan's years: say why it is still here
        key = "checkin.carried" if item.carried else "checkin.last_status"
        items.append(text(t(language, key, status=last), size="Small"))
    items.append(
        _choice_set(
            status_input(item.id),
            label=t(language, "checkin.field.status", activity=_activity_name(item)),
            choices=[(s, status_label(s, language)) for s in STATUSES],
            value=item.status or item.last_status or None,
            language=language,
            expanded=False,
        )
        | {"placeholder": t(language, "checkin.status_placeholder")}
    )
    items += _on_request(
        _text_input(
            comment_input(item.id),
            value=item.comment,
            # no placeholder: the label says it all, and twenty activities make a long card
            label=t(language, "checkin.field.comment", activity=_activity_name(item)),
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


def _area_body(area: AreaBlock, language: str) -> list[Element]:
    return [
        text(t(language, "checkin.area_intro"), spacing="Small"),
        *(_activity_inputs(item, language) for item in area.items),
    ]


def _strengths_needs_body(check_in: CheckIn, step: str, language: str) -> list[Element]:
    body: list[Element] = [
        _text_input(
            STRENGTHS,
            label=t(language, "checkin.strengths"),
            value=check_in.text(step, "strengths"),
            placeholder=t(language, "checkin.strengths_placeholder"),
            language=language,
        ),
        _label(t(language, "checkin.needs_heading")),
    ]
    levels = [(str(level), level_label(level, language)) for level in NEED_LEVELS]
    for need in NEEDS:
        rating = check_in.rating(step, f"need.{need}")
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    _choice_set(
                        need_input(need),
                        label=t(language, "checkin.field.need", need=need_label(need, language)),
                        choices=levels,
                        value=None if rating is None else str(rating),
                        language=language,
                        expanded=False,
                    ),
                    *_on_request(
                        _text_input(
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
        _choice_set(
            PRINCIPLE,
            label=t(language, "checkin.principle"),
            choices=[(str(p.number), f"{p.number}. {p.title}") for p in check_in.principles],
            value=None if most is None else str(most),
            language=language,
            expanded=True,
        ),
        _text_input(
            EXAMPLE,
            label=t(language, "checkin.example"),
            value=check_in.text(step, "example"),
            placeholder=t(language, "checkin.text_placeholder"),
            language=language,
        ),
        _text_input(
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
        _choice_set(
            CONFIDENCE,
            label=t(language, "checkin.confidence.question"),
            choices=[(str(v), confidence_label(v, language)) for v in CONFIDENCE_LEVELS],
            value=None if value is None else str(value),
            language=language,
            expanded=True,
        )
    ]


def _consent_value(check_in: CheckIn) -> str | None:
    quote = check_in.rating(Section.CONSENT, "quote")
    return None if quote is None else ("yes" if quote else "no")


def _consent_body(check_in: CheckIn, language: str) -> list[Element]:
    return [
        text(t(language, "checkin.consent.intro"), spacing="Small"),
        _choice_set(
            CONSENT,
            label=t(language, "checkin.consent.question"),
            choices=[(v, t(language, f"checkin.consent.{v}")) for v in ("yes", "no")],
            value=_consent_value(check_in),
            language=language,
            expanded=True,
        ),
    ]


def step_card(
    check_in: CheckIn, step: str, language: str, errors: Sequence[FormError] = ()
) -> dict[str, Any]:
    """The card for one step (not the summary: see summary_card); raises ValueError if unknown."""
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
        body += _area_body(area, language)
    elif step == Section.STRENGTHS_NEEDS:
        body += _strengths_needs_body(check_in, step, language)
    elif step == Section.PRINCIPLES:
        body += _principles_body(check_in, step, language)
    elif step == Section.CONFIDENCE:
        body += _confidence_body(check_in, step, language)
    elif step == Section.CONSENT:
        body += _consent_body(check_in, language)
    actions = [
        _submit(
            t(language, "checkin.action.save"),
            submit_data(check_in, "save", step),
            style="positive",
        )
    ]
    back = _back_to(check_in, step)
    if back is not None:
        # back without saving this step: nothing on it is checked, nothing is kept
        actions.append(
            _submit(
                t(language, "checkin.action.back"),
                submit_data(check_in, "goto", back),
                associatedInputs="none",
            )
        )
    return _live(card(body, actions), check_in, STEP, step)


def _back_to(check_in: CheckIn, step: str) -> str | None:
    """The step before `step` (the last one for the summary); None for the first."""
    index = check_in.steps.index(step)
    return check_in.steps[index - 1] if index > 0 else None


# --- what was answered (read-only) --------------------------------------------------------


def _choice_facts(check_in: CheckIn, step: str, language: str) -> list[tuple[str, str]]:
    """The chosen options of a step, as (question, answer) rows; never the chef's free text."""
    missing = t(language, "checkin.not_answered")
    if step.startswith(AREA_PREFIX):
        area = check_in.area(step)
        return [
            (_activity_name(item), status_label(item.status, language) if item.status else missing)
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
        answer = missing if most is None else _principle_name(check_in, most)
        return [(t(language, "checkin.principle"), answer)]
    if step == Section.CONFIDENCE:
        value = check_in.rating(step, "confidence")
        answer = missing if value is None else confidence_label(value, language)
        return [(t(language, "checkin.confidence.question"), answer)]
    if step == Section.CONSENT:
        consent = _consent_value(check_in)
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
            blocks.append(_label(t(language, "checkin.comments")))
            for item in commented:
                blocks.append(text(_activity_name(item), isSubtle=True, spacing="Small"))
                blocks.append(text(item.comment, spacing="None"))
    elif step == Section.STRENGTHS_NEEDS:
        blocks.append(_label(t(language, "checkin.strengths")))
        blocks.append(_plain(check_in.text(step, "strengths"), language))
        blocks.append(_label(t(language, "checkin.needs_heading")))
        blocks += _answer_lines(_choice_facts(check_in, step, language))
        for need in NEEDS:
            written = check_in.text(step, f"need.{need}")
            if written:
                blocks.append(text(need_label(need, language), isSubtle=True, spacing="Small"))
                blocks.append(text(written, spacing="None"))
    elif step == Section.PRINCIPLES:
        blocks += _answer_lines(_choice_facts(check_in, step, language))
        for key in ("example", "grow"):
            blocks.append(_label(t(language, f"checkin.{key}")))
            blocks.append(_plain(check_in.text(step, key), language))
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
            _submit(
                t(language, "checkin.action.submit"),
                submit_data(check_in, "submit"),
                style="positive",
                associatedInputs="none",
            )
        )
    if check_in.changed:
        actions.append(
            _submit(
                t(language, "checkin.action.discard"),
                submit_data(check_in, "discard"),
                associatedInputs="none",
            )
        )
    if steps:
        chooser = _choice_set(
            GOTO_INPUT,
            label=t(language, "checkin.summary.goto_label"),
            choices=[(s, step_title(check_in, s, language)) for s in steps],
            value=check_in.next_step if check_in.next_step != SUMMARY else steps[0],
            language=language,
            expanded=False,
        )
        goto = _submit(t(language, "checkin.action.goto"), submit_data(check_in, "goto"))
        actions.append(
            {
                "type": "Action.ShowCard",
                "title": t(language, "checkin.action.change"),
                "card": {"type": "AdaptiveCard", "body": [chooser], "actions": [goto]},
            }
        )
    if steps and not check_in.submitted:
        actions.append(
            _submit(
                t(language, "checkin.action.back"),
                submit_data(check_in, "goto", steps[-1]),
                associatedInputs="none",
            )
        )
    return _live(card(body, actions), check_in, SUMMARY_VIEW)


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
    today: date | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Replaces the summary once sent in: the answers, read-only, and at most "Ändra mina svar".
    `note`: a line on what was just done."""
    body: list[Element] = [
        text(t(language, "checkin.receipt.title"), size="Large", weight="Bolder")
    ]
    if note is not None:
        body.append(text(note, spacing="Small"))
    if check_in.submitted_at is not None:
        sent = short_date(check_in.submitted_at, language, zone=zone)
        body.append(text(t(language, "checkin.receipt.date", date=sent), spacing="Small"))
    if can_change:
        until = weekday_date(check_in.deadline, language, zone=zone, today=today)
        body.append(text(t(language, "checkin.receipt.change_until", date=until), isSubtle=True))
    else:
        body.append(text(t(language, "checkin.receipt.closed"), isSubtle=True))
    body.append(text(check_in.round_title, weight="Bolder", spacing="Medium"))
    body += answer_blocks(check_in, language)
    actions = (
        [_submit(t(language, "checkin.action.reopen"), submit_data(check_in, "reopen"))]
        if can_change
        else None
    )
    return _live(card(body, actions), check_in, RECEIPT)
