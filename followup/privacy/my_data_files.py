"""A chef's own data as files: JSON for machines (everything, as stored) and XLSX with a sheet per
kind of data, with the labels both use. What is in them is `followup.privacy.my_data`'s."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from followup.privacy.my_data import (
    QUESTIONS,
    ConversationDetails,
    MyData,
    RatingItem,
    RoleDetails,
    Text,
)
from followup.sections import (
    AREA_PREFIX,
    CONFIDENCE_LEVELS,
    NEED_LEVELS,
    NEEDS,
    STATUSES,
    Privacy,
    Section,
)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def as_json(data: MyData, *, compiled_at: datetime) -> dict[str, Any]:
    """The chef's data as plain JSON values: codes as stored, times in ISO 8601 (UTC)."""
    r = data.roster
    return {
        "compiled_at": _iso(compiled_at),
        "organisation": data.organisation,
        "policy": {
            "retention_months": data.retention_months,
            "retention_action": data.retention_action,
            "keep_identified_statuses": data.keep_identified_statuses,
            "audit_retention_months": data.audit_retention_months,
        },
        "roster": {
            "name": r.name,
            "upn": r.upn,
            "email": r.email,
            "department": r.department,
            "unit": r.unit,
            "aad_object_id": r.aad_object_id,
            "active": r.active,
            "on_leave_until": _iso(r.on_leave_until),
            "source": r.source,
            "created_at": _iso(r.created_at),
            "updated_at": _iso(r.updated_at),
            "left_at": _iso(r.left_at),
        },
        "roles": [
            {"role": g.role, "department": g.department or None, "since": _iso(g.since)}
            for g in data.roles
        ],
        "teams_conversations": [
            {
                "locale": c.locale,
                "chosen_language": c.chosen_language,
                "timezone": c.timezone,
                "installed": c.installed,
                "updated_at": _iso(c.updated_at),
                "ids_kept": list(c.kept),
            }
            for c in data.conversations
        ],
        "audit_log": {"rows_naming_you": data.audit_rows},
        "rounds": [
            {
                "round_id": a.round_id,
                "title": a.title,
                "round_state": a.round_state,
                "deadline": _iso(a.deadline),
                "closed_at": _iso(a.closed_at),
                "invitation_state": a.invitation_state,
                "submitted_at": _iso(a.submitted_at),
                "department": a.department,
                "unit": a.unit,
                "sections": a.sections,
                "activity_statuses": [
                    {
                        "activity": s.activity_code,
                        "title": s.activity_title,
                        "status": s.status,
                        "comment": s.comment,
                        "privacy": s.privacy,
                        "updated_at": _iso(s.updated_at),
                    }
                    for s in a.statuses
                ],
                "texts": [
                    {
                        "section": x.section,
                        "key": x.key,
                        "text": x.text,
                        "privacy": x.privacy,
                        "updated_at": _iso(x.updated_at),
                    }
                    for x in a.texts
                ],
                "ratings": [
                    {
                        "section": g.section,
                        "key": g.key,
                        "value": g.value,
                        **({"meaning": g.meaning} if g.meaning else {}),
                        "privacy": g.privacy,
                        "updated_at": _iso(g.updated_at),
                    }
                    for g in a.ratings
                ],
                # changed after sending in and not sent in again: they do not count
                "unsent_changes": [
                    {"step": u.step, "answers": u.values, "changed_at": _iso(u.updated_at)}
                    for u in a.unsent
                ],
            }
            for a in data.rounds
        ],
    }


def json_bytes(data: MyData, *, compiled_at: datetime) -> bytes:
    return json.dumps(as_json(data, compiled_at=compiled_at), ensure_ascii=False, indent=2).encode(
        "utf-8"
    )


# --- XLSX: the same, in the reader's words ---------------------------------------------------


def question_label(section: str, key: str, *, text: Text) -> str:
    """The question a text or rating answered, as the check-in card asked it."""
    if key.startswith("need."):
        need = key.removeprefix("need.")
        return text(f"checkin.need.{need}") if need in NEEDS else key
    label = QUESTIONS.get((section, key))
    return text(label) if label else key


def rating_label(item: RatingItem, text: Text) -> str:
    """A rating's value as the card offered it."""
    key = (item.section, item.key)
    if item.key.startswith("need.") and item.value in NEED_LEVELS:
        return text(f"checkin.level.{item.value}")
    if key == (Section.CONFIDENCE, "confidence") and item.value in CONFIDENCE_LEVELS:
        return text(f"checkin.confidence.{item.value}")
    if key == (Section.CONSENT, "quote"):
        return text("checkin.consent.yes" if item.value == 1 else "checkin.consent.no")
    if item.meaning:
        return f"{item.value}. {item.meaning}"
    return str(item.value)


def role_label(role: RoleDetails, text: Text) -> str:
    """ "HR admin", or "Department lead – Äldreomsorg"."""
    label = text(f"mydata.role.{role.role}")
    return f"{label} – {role.department}" if role.department else label


def kept_label(conversation: ConversationDetails, text: Text) -> str:
    """Which ids a conversation keeps, in words."""
    return ", ".join(text(f"mydata.kept.{name}") for name in conversation.kept)


def _section(section: str, text: Text) -> str:
    return text(f"checkin.section.{section}") if section in set(Section) else section


def step_label(step: str, text: Text) -> str:
    """A check-in step in words: its section, with the area's code for activity statuses."""
    if step.startswith(AREA_PREFIX):
        return f"{_section(Section.ACTIVITY_STATUS, text)} ({step.removeprefix(AREA_PREFIX)})"
    return _section(step, text)


def _privacy(privacy: str, text: Text) -> str:
    return text(f"mydata.privacy.{privacy}") if privacy in set(Privacy) else privacy


def _plain(value: datetime | None) -> datetime | None:
    """Excel has no time zones: the moment in UTC, without one."""
    return value.replace(tzinfo=None) if value is not None else None


def _sheet(wb: Workbook, title: str, *, header: list[str], rows: list[list[Any]]) -> None:
    sheet = wb.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(r[column - 1] or "")) for r in rows])
        sheet.column_dimensions[sheet.cell(1, column).column_letter].width = min(
            max(12, width + 2), 60
        )


def write_xlsx(data: MyData, text: Text) -> bytes:
    """One sheet per kind of data: about you, rounds, activity statuses, texts, ratings."""
    wb = Workbook()
    about = wb.active
    assert about is not None
    wb.remove(about)
    yes, no = text("mydata.yes"), text("mydata.no")
    r = data.roster
    about_rows: list[list[Any]] = [
        [text("mydata.field.organisation"), data.organisation],
        [text("mydata.field.name"), r.name],
        [text("mydata.field.upn"), r.upn],
        [text("mydata.field.email"), r.email],
        [text("mydata.field.department"), r.department],
        [text("mydata.field.unit"), r.unit],
        [text("mydata.field.object_id"), r.aad_object_id or ""],
        [text("mydata.field.active"), yes if r.active else no],
        [text("mydata.field.on_leave_until"), r.on_leave_until],
        [text("mydata.field.source"), text(f"mydata.source.{r.source}")],
        [text("mydata.field.since"), _plain(r.created_at)],
    ]
    if r.left_at is not None:
        about_rows.append([text("mydata.field.left"), _plain(r.left_at)])
    for g in data.roles:
        about_rows += [
            [text("mydata.field.role"), role_label(g, text)],
            [text("mydata.field.role_since"), _plain(g.since)],
        ]
    for c in data.conversations:
        about_rows += [
            [text("mydata.field.locale"), c.locale or ""],
            [text("mydata.field.chosen_language"), c.chosen_language or ""],
            [text("mydata.field.timezone"), c.timezone or ""],
            [text("mydata.field.installed"), yes if c.installed else no],
            [text("mydata.field.last_contact"), _plain(c.updated_at)],
            [text("mydata.field.kept"), kept_label(c, text)],
        ]
    about_rows.append([text("mydata.field.audit_rows"), data.audit_rows])
    _sheet(
        wb,
        text("mydata.sheet.about"),
        header=[text("mydata.col.what"), text("mydata.col.value")],
        rows=about_rows,
    )
    _sheet(
        wb,
        text("mydata.sheet.rounds"),
        header=[
            text("mydata.col.round"),
            text("mydata.col.round_state"),
            text("mydata.col.deadline"),
            text("mydata.col.your_state"),
            text("mydata.col.submitted"),
            text("mydata.field.department"),
            text("mydata.field.unit"),
        ],
        rows=[
            [
                a.title,
                text(f"state.{a.round_state}"),
                _plain(a.deadline),
                text(f"mydata.invitation.{a.invitation_state}"),
                _plain(a.submitted_at),
                a.department,
                a.unit,
            ]
            for a in data.rounds
        ],
    )
    _sheet(
        wb,
        text("mydata.sheet.statuses"),
        header=[
            text("mydata.col.round"),
            text("mydata.col.activity"),
            text("mydata.col.status"),
            text("mydata.col.comment"),
            text("mydata.col.privacy"),
            text("mydata.col.updated"),
        ],
        rows=[
            [
                a.title,
                f"{s.activity_code} {s.activity_title}",
                text(f"checkin.status.{s.status}") if s.status in STATUSES else s.status,
                s.comment,
                _privacy(s.privacy, text),
                _plain(s.updated_at),
            ]
            for a in data.rounds
            for s in a.statuses
        ],
    )
    answer_header = [
        text(f"mydata.col.{column}")
        for column in ("round", "section", "question", "answer", "privacy", "updated")
    ]
    _sheet(
        wb,
        text("mydata.sheet.texts"),
        header=answer_header,
        rows=[
            [
                a.title,
                _section(x.section, text),
                question_label(x.section, x.key, text=text),
                x.text,
                _privacy(x.privacy, text),
                _plain(x.updated_at),
            ]
            for a in data.rounds
            for x in a.texts
        ],
    )
    _sheet(
        wb,
        text("mydata.sheet.ratings"),
        header=answer_header,
        rows=[
            [
                a.title,
                _section(g.section, text),
                question_label(g.section, g.key, text=text),
                rating_label(g, text),
                _privacy(g.privacy, text),
                _plain(g.updated_at),
            ]
            for a in data.rounds
            for g in a.ratings
        ],
    )
    unsent = [(a, u) for a in data.rounds for u in a.unsent]
    if unsent:
        _sheet(
            wb,
            text("mydata.sheet.unsent"),
            header=[text(f"mydata.col.{c}") for c in ("round", "section", "answer", "updated")],
            rows=[
                [
                    a.title,
                    step_label(u.step, text),
                    json.dumps(u.values, ensure_ascii=False),
                    _plain(u.updated_at),
                ]
                for a, u in unsent
            ],
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
