"""The parts every card of the chef's check-in is made of: what the chef calls each answer
(labels, titles, error messages), the data a button sends, and the inputs and text blocks the
invitation, the steps, the summary and the receipt (`check_in_cards`, `check_in_answers`) share."""

from __future__ import annotations

from typing import Any

from dialogs.card_fields import (
    CONFIDENCE,
    CONSENT,
    EXAMPLE,
    GROW,
    PRINCIPLE,
    STRENGTHS,
    input_kind,
)
from dialogs.cards import execute, text, with_refresh
from dialogs.formatting import number
from dialogs.texts import t
from followup.check_in.drafts import sending
from followup.check_in.steps import (
    AREA_PREFIX,
    SUMMARY,
    ActivityItem,
    CheckIn,
)
from followup.forms import FormError
from followup.sections import (
    CONFIDENCE_LEVELS,
    MAX_TEXT,
    NEED_LEVELS,
    NEEDS,
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


def activity_name(item: ActivityItem) -> str:
    return f"{item.code} {item.title}" if item.code else item.title


def principle_name(check_in: CheckIn, number: int) -> str:
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
            return t(language, f"checkin.field.{kind}", activity=activity_name(item))
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


def button(title: str, data: dict[str, Any], **extra: Any) -> Element:
    return execute(title, data, **extra)


def live(content: dict[str, Any], check_in: CheckIn, view: str, step: str | None = None) -> Element:
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


def label(value: str) -> Element:
    return text(value, weight="Bolder", spacing="Medium")


def own_text(value: str, language: str) -> Element:
    """A chef's own text, shown as it was written (or a note that nothing was)."""
    if value:
        return text(value, spacing="Small")
    return text(t(language, "checkin.no_text"), isSubtle=True, spacing="Small")


def choice_set(
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


def text_input(
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


def shortened(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def consent_value(check_in: CheckIn) -> str | None:
    quote = check_in.rating(Section.CONSENT, "quote")
    return None if quote is None else ("yes" if quote else "no")
