"""The chef's own data in Teams: what is stored about them ("mina data") with its files, and
erasing their answers ("radera mina svar") — the question first, then what was done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from functools import partial
from typing import Any

from dialogs.cards import card, execute, facts, text
from dialogs.digest_cards import MEDIA_TYPES, texts_in
from dialogs.download_cards import download_button
from dialogs.formatting import duration, local, short_date, short_day
from dialogs.texts import LANGUAGES, t
from followup.privacy.erasure import ErasurePlan
from followup.privacy.my_data import MyData, RoundAnswers
from followup.privacy.my_data_files import (
    json_bytes,
    kept_label,
    role_label,
    step_label,
    write_xlsx,
)
from followup.sections import QUESTION_SECTIONS, Section

# download links to a chef's own data: (chef, organisation, language, actor) → format → url;
# made when the chef presses a download button, never put on a card
MyDataLinks = Callable[..., dict[str, str]]
FORMATS = ("json", "xlsx")
FILE_TYPES = {"json": "application/json; charset=utf-8", "xlsx": MEDIA_TYPES["xlsx"]}
# the `ledarpuls` value of every button of these cards (Universal Actions: each answer shows
# in place of the pressed card)
SUBMIT_KIND = "mydata"
MY_DATA = "my_data"  # the erase question came in place of the my-data card (its `back`)

Element = dict[str, Any]


def submit_data(action: str, language: str, **extra: Any) -> dict[str, Any]:
    return {"ledarpuls": SUBMIT_KIND, "action": action, "lang": language, **extra}


def _heading(value: str) -> Element:
    return text(value, weight="Bolder", size="Medium", spacing="Large", separator=True)


# --- mina data ---------------------------------------------------------------------------------


def _section_line(answers: RoundAnswers, section: str, *, language: str) -> str:
    if section == Section.ACTIVITY_STATUS:
        choices = len(answers.statuses)
        texts = sum(1 for s in answers.statuses if s.comment)
    else:
        choices = sum(1 for g in answers.ratings if g.section == section)
        texts = sum(1 for x in answers.texts if x.section == section)
    privacy = t(language, f"mydata.privacy.{answers.privacy(section)}")
    return t(
        language,
        "mydata.round.counts",
        choices=t(language, "mydata.round.choices", count=choices),
        texts=t(language, "mydata.round.texts", count=texts),
        privacy=privacy,
    )


def _round_blocks(
    answers: RoundAnswers, language: str, *, zone: tzinfo, today: date
) -> list[Element]:
    state = t(language, f"state.{answers.round_state}")
    blocks: list[Element] = [
        text(t(language, "mydata.round.title", title=answers.title, state=state), weight="Bolder")
    ]
    if answers.submitted_at is not None:
        when = short_date(answers.submitted_at, language, zone=zone, today=today)
        blocks.append(text(t(language, "checkin.receipt.date", date=when), spacing="None"))
    else:
        state_label = t(language, f"mydata.invitation.{answers.invitation_state}")
        blocks.append(text(state_label, isSubtle=True, spacing="None"))
    asked = [s for s in QUESTION_SECTIONS if s in answers.sections]
    if any(g.section == Section.CONSENT for g in answers.ratings):
        asked.append(Section.CONSENT)
    rows = [
        (t(language, f"checkin.section.{s}"), _section_line(answers, s, language=language))
        for s in asked
    ]
    if rows:
        blocks.append(facts(rows))
    if answers.unsent:
        steps = ", ".join(step_label(u.step, partial(t, language)) for u in answers.unsent)
        blocks.append(text(t(language, "mydata.round.unsent", steps=steps), color="Attention"))
    return blocks


def my_data_card(
    data: MyData,
    language: str,
    *,
    downloads: bool,
    link_lifetime: timedelta,
    zone: tzinfo,
    today: date,
) -> dict[str, Any]:
    """What is stored about the chef, to their eyes only, with a button per file (`downloads`:
    when the bot has a public address) that asks for a fresh link to all of it. Its dates have
    their year when it is not `today`'s (the files have every date in full)."""
    r = data.roster
    roster = [
        (t(language, "mydata.field.name"), r.name),
        (t(language, "mydata.field.upn"), r.upn),
        (t(language, "mydata.field.email"), r.email),
        (t(language, "mydata.field.department"), r.department or "–"),
        (t(language, "mydata.field.unit"), r.unit or "–"),
        (t(language, "mydata.field.source"), t(language, f"mydata.source.{r.source}")),
        (
            t(language, "mydata.field.since"),
            short_date(r.created_at, language, zone=zone, today=today),
        ),
    ]
    if r.on_leave_until is not None:
        roster.append(
            (
                t(language, "mydata.field.on_leave_until"),
                short_day(r.on_leave_until, language, today=today),
            )
        )
    words = texts_in(language)
    body: list[Element] = [
        text(t(language, "mydata.title"), size="Large", weight="Bolder"),
        text(t(language, "mydata.intro"), spacing="Small"),
        _heading(t(language, "mydata.roster", organisation=data.organisation)),
        facts(roster),
    ]
    if r.left_at is not None:
        left = short_date(r.left_at, language, zone=zone, today=today)
        body.append(text(t(language, "mydata.left", date=left, count=data.retention_months)))
    if data.roles:
        body.append(_heading(t(language, "mydata.roles")))
        body.append(
            facts(
                [
                    (role_label(g, words), short_date(g.since, language, zone=zone, today=today))
                    for g in data.roles
                ]
            )
        )
    for conversation in data.conversations:
        body.append(_heading(t(language, "mydata.conversation")))
        yes_no = t(language, "mydata.yes" if conversation.installed else "mydata.no")
        body.append(
            facts(
                [
                    (t(language, "mydata.field.locale"), conversation.locale or "–"),
                    (
                        t(language, "mydata.field.chosen_language"),
                        t(language, f"language.name.{conversation.chosen_language}")
                        if conversation.chosen_language in LANGUAGES
                        else "–",
                    ),
                    (t(language, "mydata.field.timezone"), conversation.timezone or "–"),
                    (t(language, "mydata.field.installed"), yes_no),
                    (
                        t(language, "mydata.field.last_contact"),
                        short_date(conversation.updated_at, language, zone=zone, today=today),
                    ),
                    (t(language, "mydata.field.kept"), kept_label(conversation, words)),
                ]
            )
        )
        body.append(text(t(language, "mydata.conversation.why"), isSubtle=True, size="Small"))
    body.append(_heading(t(language, "mydata.rounds")))
    if not data.rounds:
        body.append(text(t(language, "mydata.no_rounds"), isSubtle=True))
    for answers in reversed(data.rounds):  # the newest first
        body += _round_blocks(answers, language, zone=zone, today=today)
    body.append(
        text(
            t(language, f"mydata.retention.{data.retention_action}", count=data.retention_months),
            isSubtle=True,
            size="Small",
            spacing="Large",
        )
    )
    body.append(
        text(
            t(
                language,
                "mydata.audit",
                count=data.audit_rows,
                months=data.audit_retention_months,
            ),
            isSubtle=True,
            size="Small",
        )
    )
    actions: list[Element] = []
    if downloads:
        body.append(
            text(
                t(language, "mydata.download.expires", lifetime=duration(link_lifetime, language)),
                isSubtle=True,
                size="Small",
            )
        )
        actions += [
            download_button(
                t(language, f"mydata.download.{kind}"),
                kind=SUBMIT_KIND,
                language=language,
                format=kind,
            )
            for kind in FORMATS
        ]
    else:
        body.append(text(t(language, "mydata.download.unavailable"), isSubtle=True, size="Small"))
    # the question comes in place of this card; Avbryt brings it back
    actions.append(
        execute(
            t(language, "mydata.action.erase"), submit_data("ask_erase", language, back=MY_DATA)
        )
    )
    return card(body, actions)


def my_data_file(data: MyData, *, kind: str, language: str, now: datetime) -> bytes:
    """The chef's data as a file: JSON (everything, as stored) or XLSX (in their language)."""
    if kind == "json":
        return json_bytes(data, compiled_at=now)
    if kind == "xlsx":
        return write_xlsx(data, texts_in(language))
    raise ValueError(kind)


def my_data_file_name(kind: str, language: str, *, now: datetime, zone: tzinfo) -> str:
    day = local(now, zone=zone).date()
    return f"{t(language, 'mydata.file_name')}-{day.isoformat()}.{kind}"


# --- radera mina svar ------------------------------------------------------------------------


def _kept_blocks(plan: ErasurePlan, language: str) -> list[Element]:
    """What stays, and why: the chef is told exactly."""
    lines = []
    if plan.kept_statuses:
        lines.append(t(language, "mydata.erase.kept_statuses", count=plan.kept_statuses))
    if plan.on_roster:
        lines.append(t(language, "mydata.erase.kept_roster"))
    else:
        lines.append(t(language, "mydata.erase.kept_roster_left", count=plan.retention_months))
    lines.append(t(language, "mydata.erase.kept_participation"))
    if plan.roles:
        lines.append(t(language, "mydata.erase.kept_roles", count=plan.roles))
    if plan.kept_conversations:
        lines.append(t(language, "mydata.erase.kept_conversation"))
    if plan.audit_rows:
        lines.append(
            t(
                language,
                "mydata.erase.kept_audit",
                count=plan.audit_rows,
                months=plan.audit_retention_months,
            )
        )
    return [
        text(t(language, "mydata.erase.kept_heading"), weight="Bolder", spacing="Medium"),
        *(text(f"- {line}", spacing="Small") for line in lines),
    ]


def _counts(plan: ErasurePlan, language: str) -> Element:
    rows = [
        (t(language, "mydata.erase.texts"), str(plan.texts)),
        (t(language, "mydata.erase.ratings"), str(plan.ratings)),
        (t(language, "mydata.erase.statuses"), str(plan.statuses)),
    ]
    if plan.drafts:
        rows.append((t(language, "mydata.erase.drafts"), str(plan.drafts)))
    if plan.conversations:
        # off the roster: nothing will be sent to them again
        rows.append((t(language, "mydata.erase.conversations"), str(plan.conversations)))
    return facts(rows)


def erase_card(
    plan: ErasurePlan, language: str, *, issued: datetime, back: str | None = None
) -> dict[str, Any]:
    """The question before anything is erased: what goes, what stays and why; `back`: the
    card it took the place of (`MY_DATA`), which Avbryt brings back."""
    body: list[Element] = [
        text(t(language, "mydata.erase.title"), size="Large", weight="Bolder"),
        text(t(language, "mydata.erase.intro"), spacing="Small"),
        _counts(plan, language),
        text(t(language, "mydata.erase.effect"), spacing="Small"),
        *_kept_blocks(plan, language),
    ]
    confirm = submit_data(
        "erase",
        language,
        chef=plan.chef_id,
        plan=plan.fingerprint,
        issued=issued.isoformat(),
    )
    came_from = {"back": back} if back == MY_DATA else {}
    actions: list[Element] = [
        execute(t(language, "mydata.erase.confirm"), confirm, style="destructive"),
        execute(t(language, "mydata.erase.cancel"), submit_data("cancel", language, **came_from)),
    ]
    return card(body, actions)


def cancelled_card(language: str) -> dict[str, Any]:
    """Replaces the question when the chef answers Avbryt."""
    return card([text(t(language, "mydata.erase.cancelled"), weight="Bolder")])


def erased_card(plan: ErasurePlan, language: str) -> dict[str, Any]:
    """Replaces the question once done: exactly what was erased and what was kept."""
    return card(
        [
            text(t(language, "mydata.erase.done_title"), size="Large", weight="Bolder"),
            text(t(language, "mydata.erase.done"), spacing="Small"),
            _counts(plan, language),
            *_kept_blocks(plan, language),
        ]
    )


def nothing_to_erase_card(plan: ErasurePlan, language: str) -> dict[str, Any]:
    """No answers to erase: said so, with what is kept all the same."""
    return card(
        [
            text(t(language, "mydata.erase.nothing"), weight="Bolder"),
            *_kept_blocks(plan, language),
        ]
    )
