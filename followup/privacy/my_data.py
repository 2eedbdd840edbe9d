"""What Ledarpuls stores about one chef, for their own eyes only: the roster's details, the roles
they hold, the Teams conversations kept (what kinds of ids, not the ids: they are keys to the
chat, not facts about the chef), how many audit rows name them, and every round's answers —
private and confidential sections included — as a card's figures and as files (JSON for
machines, XLSX with a sheet per kind of data).

Answers of rounds that retention has anonymised are no longer linked to the chef, so they are
not theirs to see here any more; that is the point of anonymising them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from followup.privacy.person import person_of
from followup.sections import Privacy, Section
from storage.answer_store import AnswerStore
from storage.audit_store import AuditStore
from storage.chef_store import ChefStore
from storage.database import Database
from storage.draft_store import DraftStore
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
    chosen_language: str | None = None  # `språk engelska`; None: the organisation's default


def conversation_details(ref: ConversationRef) -> ConversationDetails:
    extra = (("object_id", ref.aad_object_id), ("upn", ref.upn))
    return ConversationDetails(
        ref.locale,
        ref.timezone,
        ref.installed,
        ref.updated_at,
        CONVERSATION_IDS + tuple(name for name, value in extra if value),
        ref.chosen_language,
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
class UnsentChange:
    """A step the chef changed after sending the answers in, not sent in again: it does not
    count (the answers sent in do) and goes when the round closes."""

    step: str  # a section, or "area:<code>" for an area's activity statuses
    values: dict[str, Any]  # the step's answers as the card gave them
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
    # the department and unit the round counts the chef under (theirs when invited)
    department: str = ""
    unit: str = ""
    unsent: tuple[UnsentChange, ...] = ()  # changes not sent in

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
        drafts = await DraftStore(db).of_invitations(
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
                department=departments.get(invitation.department_id, "")
                if invitation.department_id
                else "",
                unit=invitation.unit,
                unsent=tuple(
                    UnsentChange(d.step, dict(d.values), d.updated_at)
                    for d in drafts
                    if d.invitation_id == mine
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
