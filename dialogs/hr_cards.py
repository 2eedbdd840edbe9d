"""The Adaptive Cards HR works with to run rounds: a new round, the list of rounds, status,
extend, change, the calendar, close (the cards about people are in `people_cards.py`). Built
from data; every press is checked again on the server.

Every button is a Universal Action (`Action.Execute`): the answer shows in place of the pressed
card. A round's card and its status card carry a `refresh` (`ROUND_VIEW`, `STATUS_VIEW`): one
opened later shows the round as it is then (an opened round's card without Öppna nu)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from dialogs.card_fields import (
    ANALYSIS,
    ANSWER_DAYS,
    CAP,
    DEADLINE,
    DEPARTMENTS,
    NEXT_STEPS,
    OPENS,
    PROGRAMME,
    REMINDERS,
    TITLE,
    K,
    section_input,
)
from dialogs.cards import (
    REFRESH,
    card,
    execute,
    limited_text,
    text,
    verbatim,
    verbatim_facts,
    with_refresh,
)
from dialogs.formatting import (
    clock,
    date_time,
    day_of_year,
    duration,
    local,
    short_date,
    short_day,
)
from dialogs.texts import catalogue, t
from followup.digest.report import percent_text
from followup.hr.analysis import MAX_ANALYSIS, opened, version_of, writable
from followup.policy import Policy
from followup.rounds.form import MAX_TITLE, SKIP, suggested_last_day
from followup.rounds.lifecycle import Audience
from followup.rounds.progress import Counts, Progress, RoundRow
from followup.rounds.workdays import working_day_from
from followup.sections import DEFAULT_SECTIONS, QUESTION_SECTIONS, Privacy, Section
from storage.models import Department, Programme, Round, RoundState

Element = dict[str, Any]

SUBMIT_KIND = "hr"  # the `ledarpuls` value of every submit of these cards
MAX_NAMES = 60  # names listed on a status card; the rest as "+ N"
MAX_ROUNDS = 20  # rounds listed on one card

# what a refreshed card shows (its refresh data's `view`)
ROUND_VIEW = "round"
STATUS_VIEW = "status"
# a button on the list of rounds says so (`card`): its answer comes below the list, which
# shows other rounds too, instead of in its place
ROUNDS_LIST = "rounds"
# the headings a round's card can have, by key (its refresh data's `heading`)
HEADINGS = frozenset({"created", "changed", "extended", "opened", "skipped", "heads_up"})


def submit(title: str, action: str, language: str, **data: Any) -> Element:
    """A button of HR's cards: a Universal Action with what the press is about."""
    return execute(title, {"ledarpuls": SUBMIT_KIND, "action": action, "lang": language, **data})


def refresh_data(view: str, round_: Round, language: str, **extra: Any) -> dict[str, Any]:
    """What a round's card (`view`) asks for when it is shown again: only which round, as
    which card, and in which state it was shown — never who may see it."""
    return {
        "ledarpuls": SUBMIT_KIND,
        "view": view,
        "round": round_.id,
        "state": str(round_.state),
        "lang": language,
        **extra,
    }


def back_to_round(round_: Round, language: str) -> Element:
    """Tillbaka on a form that took a round's card's place: the round's card again, as the
    round is now — what the form held is neither sent nor checked, nothing is written."""
    data = {**refresh_data(ROUND_VIEW, round_, language), "action": REFRESH}
    return execute(t(language, "hr.action.back"), data, associatedInputs="none")


def state_label(state: str, language: str) -> str:
    return t(language, f"state.{state}") if state in set(RoundState) else state


def reason_label(
    code: str, language: str, *, retry_window: timedelta = Policy.send_retry_window
) -> str:
    """Why a chef cannot be reached, in words; the Teams error code when it is a new one.
    `retry_window`: how long a message Teams did not take was tried (the policy's)."""
    key = f"hr.reason.{code}"
    if key in catalogue(language):
        return t(language, key, window=duration(retry_window, language))
    return t(language, "hr.reason.other", code=code)


def sections_line(round_: Round, language: str) -> str:
    return ", ".join(
        f"{t(language, f'checkin.section.{name}')} ({t(language, f'hr.privacy.{privacy}')})"
        for name, privacy in round_.sections.items()
        if name in set(Section) and privacy in set(Privacy)
    )


def round_actions(round_: Round, language: str, **data: Any) -> list[Element]:
    """What HR can do with a round in its current state (`data`: added to every button's)."""
    state, rid = round_.state, round_.id

    def button(label: str, action: str) -> Element:
        return submit(t(language, label), action, language, round=rid, **data)

    if state in (RoundState.DRAFT, RoundState.SCHEDULED):
        return [
            button("hr.action.open", "open"),
            button("hr.action.change", "change_form"),
            button("hr.action.skip", "skip"),
        ]
    if state == RoundState.OPEN:
        return [
            button("hr.action.refresh", "status"),
            button("hr.action.remind", "remind"),
            button("hr.action.extend", "extend_form"),
            button("hr.action.close", "close_form"),
        ]
    if state == RoundState.ARCHIVED and round_.closed_at is None:
        return []  # skipped: it never opened, so it has nothing to follow
    # HR's analysis for the board's report, until retention settles the round's record
    written = round_.analysis or round_.next_steps
    analysis = "hr.action.analysis_edit" if written else "hr.action.analysis"
    return [
        button("hr.action.digest", "digest"),
        button("hr.action.status", "status"),
        *([button(analysis, "analysis_form")] if writable(round_) else []),
    ]


def analysis_line(round_: Round, language: str, *, zone: tzinfo, today: date) -> str | None:
    """Whether HR has written the round's analysis, and when (None: a round that never
    opened, which has nothing to analyse); the day with its year when it is not `today`'s."""
    if not opened(round_):
        return None
    if round_.analysis_at is None or not (round_.analysis or round_.next_steps):
        return t(language, "hr.round.analysis_none")
    written = [name for name in ("analysis", "next_steps") if getattr(round_, name)]
    which = written[0] if len(written) == 1 else "both"
    saved = short_date(round_.analysis_at, language, zone=zone, today=today)
    return t(language, f"hr.round.analysis_saved.{which}", date=saved)


# --- a new round ---------------------------------------------------------------------------


def new_round_card(
    language: str,
    *,
    programmes: Sequence[Programme],
    departments: Sequence[tuple[Department, int]],
    everyone: Audience,
    today: date,
    k: int,
    policy: Policy,
) -> dict[str, Any]:
    """The form for a new round, with how many chefs each department and the whole reach;
    the last day, reminders and cap filled in with the policy's defaults."""
    section_inputs: list[Element] = []
    for section in QUESTION_SECTIONS:
        section_inputs.append(
            {
                "type": "Input.ChoiceSet",
                "id": section_input(section),
                "label": t(language, f"checkin.section.{section}"),
                "style": "compact",
                "value": DEFAULT_SECTIONS.get(section, SKIP),
                "choices": [
                    {"title": t(language, f"hr.privacy.{mode}"), "value": mode}
                    for mode in (*Privacy, SKIP)
                ],
            }
        )
    body: list[Element] = [
        text(t(language, "hr.new.title"), size="Large", weight="Bolder"),
        text(t(language, "hr.new.intro"), isSubtle=True),
        limited_text(
            TITLE,
            label=t(language, "hr.new.title_label"),
            limit=MAX_TITLE,
            language=language,
            required_error=t(language, "hr.error.required", field=t(language, "hr.field.title")),
            placeholder=t(language, "hr.new.title_placeholder"),
        ),
        *(
            [
                {
                    "type": "Input.ChoiceSet",
                    "id": PROGRAMME,
                    "label": t(language, "hr.new.programme_label"),
                    "style": "compact",
                    "isRequired": True,
                    # no programme chosen beforehand: a round in the wrong one asks the wrong
                    # chefs about the wrong activities
                    "placeholder": t(language, "hr.new.programme_placeholder"),
                    "errorMessage": t(
                        language, "hr.error.required", field=t(language, "hr.field.programme")
                    ),
                    "choices": [{"title": p.title, "value": str(p.id)} for p in programmes],
                }
            ]
            if len(programmes) > 1
            else []
        ),
        department_choices(departments, language),
        text(
            t(
                language,
                "hr.new.reach_all",
                count=len(everyone.invited),
                on_leave=len(everyone.on_leave),
            ),
            isSubtle=True,
            size="Small",
        ),
        {
            "type": "Input.Date",
            "id": OPENS,
            "label": t(language, "hr.new.opens_label"),
            "min": today.isoformat(),
        },
        {
            "type": "Input.Date",
            "id": DEADLINE,
            "label": t(language, "hr.new.deadline_label"),
            "value": suggested_last_day(today, policy=policy).isoformat(),
            "min": (today + timedelta(days=1)).isoformat(),
            "isRequired": True,
            "errorMessage": t(
                language, "hr.error.required", field=t(language, "hr.field.deadline")
            ),
        },
        limited_text(
            REMINDERS,
            label=t(language, "hr.new.reminders_label"),
            limit=40,
            language=language,
            value=", ".join(str(days) for days in policy.reminder_offsets),
        ),
        {
            "type": "Input.Number",
            "id": CAP,
            "label": t(language, "hr.new.cap_label"),
            "value": policy.reminder_cap,
            "min": 0,
            "max": 10,
        },
        text(t(language, "hr.new.sections_heading"), weight="Bolder", spacing="Large"),
        *section_inputs,
        {
            "type": "Input.Number",
            "id": K,
            "label": t(language, "hr.new.k_label"),
            "value": k,
            "min": 2,
            "max": 50,
        },
    ]
    only = {"programme": programmes[0].id} if len(programmes) == 1 else {}
    return card(body, [submit(t(language, "hr.new.create"), "create", language, **only)])


def round_card(
    round_: Round,
    language: str,
    *,
    audience: Audience,
    departments: Sequence[str],
    zone: tzinfo,
    today: date,
    heading: str | None = None,
    heading_key: str | None = None,
) -> dict[str, Any]:
    """A round as HR set it up: dates (with the year when it is not `today`'s), reminders,
    sections, whom it reaches, what to do next; `heading` above it (what just happened:
    `heading_key`, one of `HEADINGS`, shown again while the round is in the same state when
    the card is refreshed)."""
    reminders = [
        short_date(round_.deadline - timedelta(days=d), language, zone=zone, today=today)
        for d in round_.reminder_offsets
    ]
    body: list[Element] = []
    if heading:
        body.append(verbatim(heading, isSubtle=True))
    body += [
        verbatim(f"{round_.id} · {round_.title}", size="Large", weight="Bolder"),
        verbatim_facts(
            [
                (t(language, "hr.round.state"), state_label(round_.state, language)),
                (
                    t(language, "hr.round.opens"),
                    short_date(round_.opens_at, language, zone=zone, today=today)
                    if round_.opens_at
                    else t(language, "hr.round.opens_manually"),
                ),
                (
                    t(language, "hr.round.deadline"),
                    short_date(round_.deadline, language, zone=zone, today=today),
                ),
                (
                    t(language, "hr.round.reminders"),
                    ", ".join(reminders) or t(language, "hr.round.no_reminders"),
                ),
                (
                    t(language, "hr.round.audience"),
                    ", ".join(departments) or t(language, "hr.round.audience_all"),
                ),
                (t(language, "hr.round.sections"), sections_line(round_, language)),
                (t(language, "hr.round.k"), str(round_.k)),
                *(
                    [(t(language, "hr.round.analysis"), line)]
                    if (line := analysis_line(round_, language, zone=zone, today=today))
                    else []
                ),
            ]
        ),
        text(t(language, "hr.round.reach", count=len(audience.invited)), weight="Bolder"),
    ]
    if audience.on_leave:
        body.append(
            verbatim(
                t(
                    language,
                    "hr.round.on_leave",
                    count=len(audience.on_leave),
                    names=", ".join(c.name for c in audience.on_leave),
                ),
                isSubtle=True,
            )
        )
    shown = {"heading": heading_key} if heading_key in HEADINGS else {}
    return with_refresh(
        card(body, round_actions(round_, language)),
        refresh_data(ROUND_VIEW, round_, language, **shown),
    )


# --- following rounds ------------------------------------------------------------------------


def rounds_card(
    rows: Sequence[RoundRow], language: str, *, zone: tzinfo, today: date
) -> dict[str, Any]:
    """Every round with its state, response rate and last day (with the year when it is not
    `today`'s), newest first, each with its actions."""
    body: list[Element] = [text(t(language, "hr.rounds.title"), size="Large", weight="Bolder")]
    if not rows:
        body.append(text(t(language, "hr.rounds.none")))
    for row in rows[:MAX_ROUNDS]:
        round_ = row.round
        actions = round_actions(round_, language, card=ROUNDS_LIST)[:2]
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    verbatim(f"{round_.id} · {round_.title}", weight="Bolder"),
                    text(
                        t(
                            language,
                            "hr.rounds.row",
                            state=state_label(round_.state, language),
                            rate=percent_text(row.response_rate),
                            deadline=short_date(round_.deadline, language, zone=zone, today=today),
                        ),
                        isSubtle=True,
                        spacing="None",
                    ),
                    *([{"type": "ActionSet", "actions": actions}] if actions else []),
                ],
            }
        )
    return card(body)


COUNTS = ("invited", "delivered", "started", "submitted", "unreachable", "on_leave")


def _department(name: str, counts: Counts, language: str, **style: Any) -> Element:
    """A department's figures under its name, "Inbjudna: 12 · Nådda: 8 · …": at a phone's
    width a table of seven columns has no room for its headers, and the line wraps instead."""
    numbers = (
        counts.invited,
        counts.delivered,
        counts.started,
        counts.submitted,
        counts.unreachable,
        counts.on_leave,
    )
    figures = " · ".join(
        f"{t(language, f'hr.status.{key}')}: {n}" for key, n in zip(COUNTS, numbers, strict=True)
    )
    return {
        "type": "Container",
        "spacing": "Small",
        "items": [verbatim(name, **style), text(figures, size="Small", spacing="None")],
    }


def status_card(
    p: Progress,
    language: str,
    *,
    now: datetime,
    zone: tzinfo,
    lead_scope: bool = False,
    retry_window: timedelta = Policy.send_retry_window,
    names: bool = True,
) -> dict[str, Any]:
    """Invited, reached, started, submitted, unreachable (why) and on leave, per department;
    who has not submitted when the round reports activity status with names (`names`: False
    for a card refreshed by itself, which writes nothing, so shows no name either: every read
    of names is on record)."""
    round_ = p.round
    table = [
        *(_department(name, counts, language) for name, counts in p.departments.items()),
        _department(t(language, "hr.status.total"), p.total, language, weight="Bolder"),
    ]
    body: list[Element] = [
        verbatim(t(language, "hr.status.title", title=round_.title), size="Large", weight="Bolder"),
        text(
            t(
                language,
                "hr.status.subtitle",
                state=state_label(round_.state, language),
                deadline=short_date(
                    round_.deadline, language, zone=zone, today=local(now, zone=zone).date()
                ),
            ),
            isSubtle=True,
            spacing="None",
        ),
        text(
            t(
                language,
                "hr.status.rate",
                submitted=p.total.submitted,
                invited=p.total.invited,
                rate=percent_text(p.total.response_rate),
            ),
            weight="Bolder",
        ),
        *table,
    ]
    if p.total.left or p.total.late:
        changes = t(language, "hr.status.roster_changes", left=p.total.left, late=p.total.late)
        body.append(text(changes, size="Small"))
    if lead_scope:
        body.append(text(t(language, "hr.status.lead_scope"), isSubtle=True, size="Small"))
    if p.total.reasons:
        body.append(text(t(language, "hr.status.reasons"), weight="Bolder"))
        body += [
            verbatim(  # a reason Teams names with a code we do not know shows the code
                t(
                    language,
                    "hr.status.reason_line",
                    reason=reason_label(code, language, retry_window=retry_window),
                    count=n,
                ),
                spacing="None",
            )
            for code, n in sorted(p.total.reasons.items())
        ]
    if p.not_answered is None:
        body.append(text(t(language, "hr.status.not_identified"), isSubtle=True))
    elif p.not_answered:
        more = len(p.not_answered) - len(p.not_answered[:MAX_NAMES])
        body.append(
            text(
                t(language, "hr.status.not_answered", count=len(p.not_answered)),
                weight="Bolder",
            )
        )
        if names:
            listed = ", ".join(p.not_answered[:MAX_NAMES])
            body.append(verbatim(listed + (f" + {more}" if more else ""), spacing="None"))
        else:
            body.append(text(t(language, "hr.status.names_on_request"), spacing="None"))
    elif round_.state == RoundState.OPEN and p.total.invited:
        body.append(text(t(language, "hr.status.all_answered")))
    body.append(
        text(
            date_time(now, language, zone=zone, today=local(now, zone=zone).date()),
            isSubtle=True,
            size="Small",
            spacing="Small",
        )
    )
    actions = [] if lead_scope else round_actions(round_, language)
    return with_refresh(card(body, actions), refresh_data(STATUS_VIEW, round_, language))


# --- changing a round --------------------------------------------------------------------------


def extend_card(round_: Round, language: str, *, today: date, zone: tzinfo) -> dict[str, Any]:
    current = local(round_.deadline, zone=zone).date()
    return card(
        [
            verbatim(
                t(language, "hr.extend.title", title=round_.title), size="Large", weight="Bolder"
            ),
            text(
                t(
                    language,
                    "hr.extend.intro",
                    deadline=short_date(round_.deadline, language, zone=zone, today=today),
                ),
                isSubtle=True,
            ),
            {
                "type": "Input.Date",
                "id": DEADLINE,
                "label": t(language, "hr.extend.deadline_label"),
                # a week later, on a working day (a holiday moves it on)
                "value": working_day_from(current + timedelta(days=7)).isoformat(),
                "min": (max(current, today) + timedelta(days=1)).isoformat(),
                "isRequired": True,
                "errorMessage": t(
                    language, "hr.error.required", field=t(language, "hr.field.deadline")
                ),
            },
        ],
        [
            submit(t(language, "hr.extend.submit"), "extend", language, round=round_.id),
            back_to_round(round_, language),
        ],
    )


def department_choices(
    departments: Sequence[tuple[Department, int]], language: str, *, chosen: Sequence[int] = ()
) -> Element:
    """Which departments a round is for, with how many chefs each has; none chosen: all."""
    choice: Element = {
        "type": "Input.ChoiceSet",
        "id": DEPARTMENTS,
        "label": t(language, "hr.new.audience_label"),
        "isMultiSelect": True,
        "style": "expanded",
        "wrap": True,  # a long department's name on two lines at a phone's width, not cut off
        "choices": [
            {
                "title": t(language, "hr.new.department_choice", name=d.name, count=count),
                "value": str(d.id),
            }
            for d, count in departments
        ],
    }
    if chosen:
        choice["value"] = ",".join(str(i) for i in chosen)
    return choice


def change_card(
    round_: Round,
    language: str,
    *,
    departments: Sequence[tuple[Department, int]],
    chosen: Sequence[int],
    today: date,
    zone: tzinfo,
) -> dict[str, Any]:
    """Change a round that has not opened: its opening day, its last day, its audience."""
    opens: Element = {
        "type": "Input.Date",
        "id": OPENS,
        "label": t(language, "hr.new.opens_label"),
        "min": today.isoformat(),
    }
    if round_.opens_at is not None:
        opens["value"] = local(round_.opens_at, zone=zone).date().isoformat()
    return card(
        [
            verbatim(
                t(language, "hr.change.title", title=round_.title), size="Large", weight="Bolder"
            ),
            text(t(language, "hr.change.intro"), isSubtle=True),
            opens,
            {
                "type": "Input.Date",
                "id": DEADLINE,
                "label": t(language, "hr.new.deadline_label"),
                "value": local(round_.deadline, zone=zone).date().isoformat(),
                "min": (today + timedelta(days=1)).isoformat(),
                "isRequired": True,
                "errorMessage": t(
                    language, "hr.error.required", field=t(language, "hr.field.deadline")
                ),
            },
            department_choices(departments, language, chosen=chosen),
            text(t(language, "hr.change.audience_hint"), isSubtle=True, size="Small"),
        ],
        [
            submit(t(language, "hr.change.submit"), "change", language, round=round_.id),
            back_to_round(round_, language),
        ],
    )


def calendar_card(
    programme: Programme,
    language: str,
    *,
    next_opening: tuple[str, date] | None,
    policy: Policy,
    today: date,
) -> dict[str, Any]:
    """A programme's half-yearly calendar, to change; the next opening with its year when it
    is not `today`'s."""
    days = ", ".join(day_of_year(month_day, language) for month_day in programme.round_opens) or t(
        language, "hr.calendar.no_days"
    )
    body: list[Element] = [
        verbatim(
            t(language, "hr.calendar.title", programme=programme.title),
            size="Large",
            weight="Bolder",
        ),
        text(
            t(
                language,
                "hr.calendar.intro",
                days=days,
                time=clock(policy.opens_at, language),
                ahead=duration(policy.heads_up, language),
                count=programme.answer_days,
                start=programme.start_year,
                end=programme.end_year,
            ),
            isSubtle=True,
        ),
    ]
    if next_opening is not None:
        title, day = next_opening
        body.append(
            verbatim(
                t(
                    language,
                    "hr.calendar.next",
                    title=title,
                    date=short_day(day, language, today=today),
                )
            )
        )
    body += [
        limited_text(
            OPENS,
            label=t(language, "hr.calendar.opens_label"),
            limit=40,
            language=language,
            required_error=t(language, "hr.error.required", field=t(language, "hr.field.opens")),
            value=", ".join(programme.round_opens),
        ),
        {
            "type": "Input.Number",
            "id": ANSWER_DAYS,
            "label": t(language, "hr.calendar.days_label"),
            "value": programme.answer_days,
            "min": 1,
            "max": 120,
            "isRequired": True,
            "errorMessage": t(
                language, "hr.error.required", field=t(language, "hr.field.answer_days")
            ),
        },
        text(t(language, "hr.calendar.hint"), isSubtle=True, size="Small"),
    ]
    return card(
        body,
        [
            submit(t(language, "hr.calendar.submit"), "calendar", language, programme=programme.id),
            # ending it asks first (dialogs.hr_programmes)
            submit(
                t(language, "hr.programme.end_button"),
                "programme_end_form",
                language,
                programme=programme.id,
            ),
        ],
    )


def close_card(p: Progress, language: str) -> dict[str, Any]:
    return card(
        [
            verbatim(
                t(language, "hr.close.title", title=p.round.title), size="Large", weight="Bolder"
            ),
            text(
                t(
                    language,
                    "hr.close.body",
                    submitted=p.total.submitted,
                    invited=p.total.invited,
                )
            ),
        ],
        [
            submit(t(language, "hr.close.submit"), "close", language, round=p.round.id),
            back_to_round(p.round, language),
        ],
    )


# --- HR's analysis and next steps ----------------------------------------------------------------


def analysis_card(round_: Round, language: str, *, zone: tzinfo, today: date) -> dict[str, Any]:
    """HR's analysis and next steps for the board's report, to write or change: each text's
    limit in its label before anything is typed, what is saved already filled in (and when,
    with the year when it is not `today`'s), an empty field clears its text. Sent with the
    version it was made from (someone saving meanwhile is not overwritten unseen)."""
    body: list[Element] = [
        verbatim(
            t(language, "hr.analysis.title", title=round_.title), size="Large", weight="Bolder"
        ),
        text(t(language, "hr.analysis.intro"), isSubtle=True),
    ]
    if round_.state == RoundState.OPEN:
        body.append(text(t(language, "hr.analysis.still_open"), isSubtle=True, size="Small"))
    for input_id, name in ((ANALYSIS, "analysis"), (NEXT_STEPS, "next_steps")):
        body.append(
            limited_text(
                input_id,
                label=t(language, f"hr.analysis.label.{name}"),
                limit=MAX_ANALYSIS,
                language=language,
                isMultiline=True,
                placeholder=t(language, f"hr.analysis.placeholder.{name}"),
                value=getattr(round_, name) or "",
            )
        )
    hint = t(language, "hr.analysis.hint")
    if round_.analysis_at is not None:
        saved = short_date(round_.analysis_at, language, zone=zone, today=today)
        hint = f"{t(language, 'hr.analysis.last_saved', date=saved)} {hint}"
    body.append(text(hint, isSubtle=True, size="Small"))
    return card(
        body,
        [
            submit(
                t(language, "hr.analysis.submit"),
                "analysis",
                language,
                round=round_.id,
                seen=version_of(round_),
            ),
            back_to_round(round_, language),
        ],
    )
