"""What Ledarpuls stores about one chef, for their own eyes only: the roster's details, the roles
they hold, the Teams conversations kept (what kinds of ids, not the ids: they are keys to the
chat, not facts about the chef), how many audit rows name them, and every round's answers —
private and confidential sections included — as a card's figures and as files (JSON for
machines, XLSX with a sheet per kind of data).

Answers of rounds that retention has anonymised are no longer linked to the chef, so they are
not theirs to see here any more; that is the point of anonymising them."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from followup.privacy.person import person_of
from followup.sections import CONFIDENCE_LEVELS, NEED_LEVELS, NEEDS, STATUSES, Privacy, Section
from storage.answer_store import AnswerStore
from storage.audit_store import AuditStore
from storage.chef_store import ChefStore
from storage.database import Database
from storage.invitation_store import InvitationStore
from storage.models import ConversationRef, RoundState
from storage.organisation_store import OrganisationStore
from storage.plan_store import PlanStore
from storage.role_store import RoleStore

Text = Callable[..., str]  # text(key, **params) in the reader's language
# (section, key) of an answer → the catalogue key of the question the check-in asked
QUESTIONS: dict[tuple[str, str], str] = {
    (Section.STRENGTHS_NEEDS, "strengths"): "checkin.strengths",
    (Section.PRINCIPLES, "most"): "checkin.principle",
    (Section.PRINCIPLES, "example"): "checkin.example",
    (Section.PRINCIPLES, "grow"): "checkin.grow",
    (Section.CONFIDENCE, "confidence"): "checkin.confidence.question",
    (Section.CONSENT, "quote"): "checkin.consent.question",
}


@dataclass(frozen=True)
class RosterDetails:
    """The chef's row in HR's roster."""

    name: str
    upn: str
    email: str
    department: str
    unit: str
    aad_object_id: str | None
    active: bool
    on_leave_until: date | None
    source: str
    created_at: datetime
    updated_at: datetime
    left_at: datetime | None = None  # when they left the roster


# what a conversation keeps besides locale and time zone: the names of the ids, in the order
# shown (catalogue keys under `mydata.kept.`)
CONVERSATION_IDS = ("user_id", "conversation_id", "service_url", "tenant_id")


@dataclass(frozen=True)
class ConversationDetails:
    """A Teams conversation the bot keeps to be able to message the chef first."""

    locale: str | None
    timezone: str | None
    installed: bool
    updated_at: datetime
    kept: tuple[str, ...] = CONVERSATION_IDS  # which ids it holds (never their values)


def conversation_details(ref: ConversationRef) -> ConversationDetails:
    extra = (("object_id", ref.aad_object_id), ("upn", ref.upn))
    return ConversationDetails(
        ref.locale,
        ref.timezone,
        ref.installed,
        ref.updated_at,
        CONVERSATION_IDS + tuple(name for name, value in extra if value),
    )


@dataclass(frozen=True)
class RoleDetails:
    """A role the person holds: HR admin, or lead of a department."""

    role: str
    department: str  # "" for an HR admin
    since: datetime


@dataclass(frozen=True)
class StatusItem:
    activity_code: str
    activity_title: str
    status: str
    comment: str
    privacy: str
    updated_at: datetime


@dataclass(frozen=True)
class TextItem:
    section: str
    key: str
    text: str
    privacy: str
    updated_at: datetime


@dataclass(frozen=True)
class RatingItem:
    section: str
    key: str
    value: int
    meaning: str  # a chosen principle's title; "" for the other ratings
    privacy: str
    updated_at: datetime


@dataclass(frozen=True)
class RoundAnswers:
    """One round the chef was invited to, and what they answered in it."""

    round_id: int
    title: str
    round_state: str
    deadline: datetime
    closed_at: datetime | None
    invitation_state: str
    submitted_at: datetime | None
    sections: dict[str, str]
    statuses: tuple[StatusItem, ...]
    texts: tuple[TextItem, ...]
    ratings: tuple[RatingItem, ...]

    def privacy(self, section: str) -> str:
        return privacy_of(self.sections, section)


@dataclass(frozen=True)
class MyData:
    """Everything stored about one chef."""

    chef_id: int
    organisation_id: int
    organisation: str
    retention_months: int
    retention_action: str
    keep_identified_statuses: bool
    roster: RosterDetails
    conversations: tuple[ConversationDetails, ...]
    rounds: tuple[RoundAnswers, ...]
    roles: tuple[RoleDetails, ...] = ()
    audit_rows: int = 0  # rows of the audit log that name them
    audit_retention_months: int = 36


def privacy_of(sections: dict[str, str], section: str) -> str:
    """A section's privacy mode in a round; consent, never reported by name, counts as
    confidential, as in the check-in."""
    return sections.get(section, Privacy.CONFIDENTIAL)


async def collect(
    db: Database, *, chef_id: int, organisation_id: int | None = None
) -> MyData | None:
    """What is stored about the chef (in `organisation_id` only, when given); None for no chef."""
    # one session: every part as it stands at one moment
    async with db.session() as session:
        chef = await ChefStore(db).get(chef_id, session=session)
        if chef is None or chef.id is None:
            return None
        if organisation_id is not None and chef.organisation_id != organisation_id:
            return None
        organisations = OrganisationStore(db)
        organisation = await organisations.get(chef.organisation_id, session=session)
        assert organisation is not None and organisation.id is not None
        department = (
            await organisations.department(chef.department_id, session=session)
            if chef.department_id
            else None
        )
        person = await person_of(db, chef, session=session)
        roles = await RoleStore(db).of_principals(
            organisation_id=organisation.id, principals=person.names, session=session
        )
        departments = {
            d.id: d.name for d in await organisations.departments(organisation.id, session=session)
        }
        audit_rows = await AuditStore(db).naming(
            organisation_id=organisation.id,
            principals=person.names,
            chef_id=chef.id,
            session=session,
        )
        invitations = await InvitationStore(db).rounds_of_chef(
            chef_id=chef.id, exclude_states=(RoundState.DRAFT,), session=session
        )
        statuses, texts, ratings = await AnswerStore(db).of_invitations(
            [i.id for i, _ in invitations if i.id is not None], session=session
        )
        principles = await PlanStore(db).principle_titles(
            {r.programme_id for _, r in invitations}, session=session
        )
    rounds = []
    for invitation, round_ in invitations:
        assert round_.id is not None
        sections = dict(round_.sections)
        mine = invitation.id
        rounds.append(
            RoundAnswers(
                round_id=round_.id,
                title=round_.title,
                round_state=round_.state,
                deadline=round_.deadline,
                closed_at=round_.closed_at,
                invitation_state=invitation.state,
                submitted_at=invitation.submitted_at,
                sections=sections,
                statuses=tuple(
                    StatusItem(
                        a.code,
                        a.title,
                        s.status,
                        s.comment,
                        privacy_of(sections, Section.ACTIVITY_STATUS),
                        s.updated_at,
                    )
                    for s, a in statuses
                    if s.invitation_id == mine
                ),
                texts=tuple(
                    TextItem(
                        r.section, r.key, r.text, privacy_of(sections, r.section), r.updated_at
                    )
                    for r in texts
                    if r.invitation_id == mine
                ),
                ratings=tuple(
                    RatingItem(
                        g.section,
                        g.key,
                        g.value,
                        principles.get((round_.programme_id, g.value), "")
                        if (g.section, g.key) == (Section.PRINCIPLES, "most")
                        else "",
                        privacy_of(sections, g.section),
                        g.updated_at,
                    )
                    for g in ratings
                    if g.invitation_id == mine
                ),
            )
        )
    return MyData(
        chef_id=chef.id,
        organisation_id=organisation.id,
        organisation=organisation.name,
        retention_months=organisation.retention_months,
        retention_action=organisation.retention_action,
        keep_identified_statuses=organisation.keep_identified_statuses,
        roster=RosterDetails(
            name=chef.name,
            upn=chef.upn,
            email=chef.email,
            department=department.name if department is not None else "",
            unit=chef.unit,
            aad_object_id=chef.aad_object_id,
            active=chef.active,
            on_leave_until=chef.on_leave_until,
            source=chef.source,
            created_at=chef.created_at,
            updated_at=chef.updated_at,
            left_at=chef.left_at,
        ),
        conversations=tuple(conversation_details(c) for c in person.conversations),
        rounds=tuple(rounds),
        roles=tuple(
            RoleDetails(
                r.role,
                departments.get(r.department_id, "") if r.department_id else "",
                r.created_at,
            )
            for r in roles
        ),
        audit_rows=audit_rows,
        audit_retention_months=organisation.audit_retention_months,
    )


# --- JSON: everything, machine-readable --------------------------------------------------------


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
        ],
        rows=[
            [
                a.title,
                text(f"state.{a.round_state}"),
                _plain(a.deadline),
                text(f"mydata.invitation.{a.invitation_state}"),
                _plain(a.submitted_at),
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
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
