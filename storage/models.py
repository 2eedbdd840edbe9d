"""The tables of Ledarpuls. Everything a municipality owns is scoped by its organisation."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

# Enumerated columns are stored as short strings; the StrEnums below name their values.
# The programme's rules (k, reminders, the calendar) have no default here: the domain's policy
# (followup/policy.py) supplies them, and storage sits below the domain.


class EnrolmentSource(StrEnum):
    """How a chef came into the roster."""

    IMPORT = "import"
    SELF = "self"


class RoundState(StrEnum):
    """The lifecycle of a collection round (omgång)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class InvitationState(StrEnum):
    """Where one chef stands in one round."""

    PENDING = "pending"
    DELIVERED = "delivered"
    STARTED = "started"
    SUBMITTED = "submitted"
    UNREACHABLE = "unreachable"
    ON_LEAVE = "on_leave"
    LEFT = "left"  # gone from the roster, without answers, when the round closed


class ActivityStatus(StrEnum):
    """The status a chef reports for a programme activity."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DELAYED = "delayed"
    NOT_APPLICABLE = "not_applicable"


class RetentionAction(StrEnum):
    """What retention does to a round's answers once the organisation's months have passed."""

    ANONYMISE = "anonymise"  # free texts removed, answers detached from the chef
    PURGE = "purge"  # answers deleted; only who was asked and who answered, per department


class OutboxKind(StrEnum):
    """What a proactive message is for."""

    INVITATION = "invitation"
    REMINDER = "reminder"
    DIGEST = "digest"
    FEEDBACK = "feedback"
    RECEIPT = "receipt"  # a chef's answers sent in: the receipt line and their own feedback
    HEADS_UP = "heads_up"


class OutboxState(StrEnum):
    """Delivery state of an outbox message: queued → sending → sent (or a final failure)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


class Role(StrEnum):
    """Roles beyond being a chef."""

    HR_ADMIN = "hr_admin"
    DEPARTMENT_LEAD = "department_lead"


# how long the audit log is kept, in months, when an organisation has not chosen (and for the
# few rows of no organisation): see the README's privacy section for why three years
AUDIT_RETENTION_MONTHS = 36


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Organisation(SQLModel, table=True):
    """One municipality or region: one Teams (Entra) tenant."""

    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    self_enrol: bool = False
    default_k: int
    # the privacy policy: N months after a round closes its answers are anonymised or purged
    retention_months: int = 24
    retention_action: str = Field(default=RetentionAction.ANONYMISE.value, sa_type=String(12))
    # when a chef erases their answers, identified activity statuses stay as public records
    keep_identified_statuses: bool = True
    # the audit log: rows older than this many months are pruned
    audit_retention_months: int = AUDIT_RETENTION_MONTHS
    # what the bot speaks to a person who has not chosen (Swedish: the language of Swedish
    # public administration); never the locale one Teams activity carries
    default_language: str = Field(default="sv", max_length=2)
    # proactive messages a second to this tenant, shared by every replica; None: the
    # deployment's default (`Policy.send_rate`, OUTBOX_RATE)
    send_rate: float | None = None
    created_at: datetime = _created()


class Department(SQLModel, table=True):
    """A department (avdelning), e.g. Individ- och familjeomsorg."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    active: bool = True


class Chef(SQLModel, table=True):
    """A unit manager (enhetschef) in the roster."""

    __tablename__ = "chef"
    __table_args__ = (
        UniqueConstraint("organisation_id", "upn"),
        UniqueConstraint("organisation_id", "aad_object_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    upn: str = Field(max_length=320)
    email: str = Field(max_length=320)
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=200)
    aad_object_id: str | None = Field(default=None, max_length=64)
    active: bool = True
    on_leave_until: date | None = None
    source: str = Field(default=EnrolmentSource.IMPORT.value, sa_type=String(10))
    unreachable_code: str | None = Field(default=None, max_length=80)
    unreachable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # when the chef left the roster (None while on it); retention counts from here
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # when retention removed the identity of a chef who had left: the row stays as a tombstone
    # (no name, UPN, e-mail, object id or unit) so invitations and published figures stay whole
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Programme(SQLModel, table=True):
    """The multi-year plan (program), e.g. 2024–2027, with its goal and calendar."""

    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    code: str = Field(max_length=80)
    title: str = Field(max_length=300)
    start_year: int
    end_year: int
    goal: str = Field(default="", sa_type=Text)
    round_opens: list[str] = Field(sa_type=JSON)
    answer_days: int
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Principle(SQLModel, table=True):
    """One of the organisation's leading principles (ledande principer)."""

    __tablename__ = "principle"
    __table_args__ = (UniqueConstraint("programme_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    number: int
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=Text)
    active: bool = True


class Area(SQLModel, table=True):
    """A grouping of activities (område)."""

    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    position: int = 0
    active: bool = True


class Activity(SQLModel, table=True):
    """A concrete programme activity, for all or some departments, in given years."""

    __tablename__ = "activity"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    code: str = Field(max_length=20)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=Text)
    owner: str = Field(default="", max_length=200)
    years: list[int] = Field(default_factory=list, sa_type=JSON)
    all_departments: bool = True
    due: date | None = None
    position: int = 0
    active: bool = True
    # when HR ended it (by card or a plan without it): it is no longer carried into later rounds
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ActivityDepartment(SQLModel, table=True):
    """The departments an activity applies to, when not all."""

    __tablename__ = "activity_department"

    activity_id: int = Field(foreign_key="activity.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)


class Round(SQLModel, table=True):
    """One collection round (omgång), e.g. "Delår 1 2025"."""

    __tablename__ = "round"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    title: str = Field(max_length=200)
    state: str = Field(default=RoundState.DRAFT.value, sa_type=String(12))
    opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline: datetime = Field(sa_type=UTCDateTime, nullable=False)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # when the digest and the chefs' feedback were queued (once per round)
    results_queued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # when retention anonymised or purged its answers (once per round)
    retained_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    audience_all: bool = True
    reminder_offsets: list[int] = Field(sa_type=JSON)
    reminder_cap: int
    # section name -> privacy mode ("identified", "confidential", "private")
    sections: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    k: int
    # HR's own analysis and next steps for the board's report, written in Teams before the
    # report is final (kept with the round; HR's text about the programme, never about a chef)
    analysis: str | None = Field(default=None, sa_type=Text)
    next_steps: str | None = Field(default=None, sa_type=Text)
    analysis_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=320)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class RoundDepartment(SQLModel, table=True):
    """The departments a round is for, when not all."""

    __tablename__ = "round_department"

    round_id: int = Field(foreign_key="round.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)


class Invitation(SQLModel, table=True):
    """One chef in one round (inbjudan): delivery and answer state."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("round_id", "chef_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    # None once retention has detached the answers from the chef (a round long closed)
    chef_id: int | None = Field(default=None, foreign_key="chef.id", index=True)
    # the chef's department and unit when invited: every figure of the round counts by these,
    # so moving a chef later changes no past round (retention keeps the department, blanks the
    # unit, when it detaches the invitation from the chef)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    unit: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    unreachable_code: str | None = Field(default=None, max_length=80)
    state: str = Field(default=InvitationState.PENDING.value, sa_type=String(12))
    card_activity_id: str | None = Field(default=None, max_length=200)
    reminders_sent: int = 0
    remind_later_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _created()


class AnswerDraft(SQLModel, table=True):
    """A step a chef changed after sending their answers in and has not sent in again: the
    submitted answers count until they do (deleted when they send, or when the round closes)."""

    __tablename__ = "answer_draft"
    __table_args__ = (UniqueConstraint("invitation_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    step: str = Field(max_length=40)
    values: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = _created()


class ActivityStatusAnswer(SQLModel, table=True):
    """A chef's status for one activity in one round, with an optional comment."""

    __tablename__ = "activity_status_answer"
    __table_args__ = (UniqueConstraint("invitation_id", "activity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    activity_id: int = Field(foreign_key="activity.id")
    status: str = Field(sa_type=String(16))
    comment: str = Field(default="", sa_type=Text)
    updated_at: datetime = _created()


class ReflectionAnswer(SQLModel, table=True):
    """A free-text answer of a section (strengths, a need's text, a principle example)."""

    __tablename__ = "reflection_answer"
    __table_args__ = (UniqueConstraint("invitation_id", "section", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    section: str = Field(max_length=40)
    key: str = Field(max_length=60)
    text: str = Field(sa_type=Text)
    updated_at: datetime = _created()


class RatingAnswer(SQLModel, table=True):
    """A numeric answer of a section: confidence 1–5, a need's level, a principle, consent."""

    __tablename__ = "rating_answer"
    __table_args__ = (UniqueConstraint("invitation_id", "section", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    section: str = Field(max_length=40)
    key: str = Field(max_length=60)
    value: int
    updated_at: datetime = _created()


class ConversationRef(SQLModel, table=True):
    """A stored Teams conversation reference (as plain JSON), needed to message a user first."""

    __tablename__ = "conversation_ref"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    tenant_id: str = Field(max_length=64)
    user_id: str = Field(max_length=200)
    aad_object_id: str | None = Field(default=None, max_length=64)
    upn: str | None = Field(default=None, max_length=320)  # lower-case, when Teams told us
    chef_id: int | None = Field(default=None, foreign_key="chef.id", index=True)
    conversation_id: str = Field(max_length=400)
    service_url: str = Field(max_length=400)
    reference: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    locale: str | None = Field(default=None, max_length=20)
    timezone: str | None = Field(default=None, max_length=60)
    # the language the person chose (`språk engelska`); None: their organisation's default. Kept
    # here, not on the chef: the reference is one per person in Teams, HR admins who are no
    # chefs included, and goes when they do
    chosen_language: str | None = Field(default=None, max_length=2)
    installed: bool = True
    updated_at: datetime = _created()


class OutboxMessage(SQLModel, table=True):
    """A proactive message waiting to be sent, being sent, or sent."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_due", "state", "not_before"),
        # a claim leaves a chef whose message is being sent (or just was) for later
        Index("ix_outbox_chef", "chef_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    # round × chef × kind × sequence: the same message is never enqueued twice
    dedupe_key: str = Field(max_length=200, unique=True)
    kind: str = Field(sa_type=String(12))
    round_id: int | None = Field(default=None, foreign_key="round.id")
    chef_id: int | None = Field(default=None, foreign_key="chef.id")
    conversation_ref_id: int | None = Field(default=None, foreign_key="conversation_ref.id")
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    state: str = Field(default=OutboxState.QUEUED.value, sa_type=String(12))
    attempts: int = 0
    not_before: datetime = _created()
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the dispatcher (replica) that claimed it; on PostgreSQL it holds an advisory lock while alive
    claimed_by: int | None = None
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_activity_id: str | None = Field(default=None, max_length=200)
    error_code: str | None = Field(default=None, max_length=80)
    error_detail: str | None = Field(default=None, sa_type=Text)
    # since when Teams has not taken it (5xx, 412, 429): the retry window counts from here
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # how often a message given up during an outage was queued again (recovery, HR's remind)
    requeues: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _created()


class SendBudget(SQLModel, table=True):
    """One tenant's send budget, shared by every replica (`storage.send_budget`): when its next
    message may go, until when Teams said to wait, and which replica sends for it now (its
    outbox owner id) until when. State only, never configuration: the rate is the
    organisation's."""

    __tablename__ = "send_budget"

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    next_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sender: int | None = None
    sender_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class HrRole(SQLModel, table=True):
    """A person's role in an organisation: HR admin, or lead of one department."""

    __tablename__ = "hr_role"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    # a UPN (lowercase) or an Entra object id
    principal: str = Field(max_length=320)
    role: str = Field(sa_type=String(20))
    department_id: int | None = Field(default=None, foreign_key="department.id")
    created_by: str = Field(default="", max_length=320)
    created_at: datetime = _created()


class PendingImport(SQLModel, table=True):
    """A plan or roster file HR sent from Teams (or an upload page's one-time slot for one):
    checked and previewed, applied only when the same HR admin confirms; deleted once applied,
    cancelled or expired."""

    __tablename__ = "pending_import"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    # random, unguessable: names the slot in an upload link and the file on a preview card
    token: str = Field(max_length=64, unique=True)
    kind: str = Field(default="", sa_type=String(12))  # "plan" or "roster" once known
    file_name: str = Field(default="", max_length=255)
    # None while an upload page's slot waits for its file
    content: bytes | None = Field(default=None, sa_type=LargeBinary)
    # the HR admin it belongs to (UPN or object id): nobody else may fill, see or apply it
    uploaded_by: str = Field(max_length=320)
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Who did what, when, to which round: every admin action and HR read of identified data."""

    __tablename__ = "audit_event"
    # retention prunes an organisation's rows older than its months
    __table_args__ = (Index("ix_audit_event_organisation_at", "organisation_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    at: datetime = _created()
    actor: str = Field(max_length=320)
    action: str = Field(max_length=80)
    round_id: int | None = Field(default=None, foreign_key="round.id")
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Publication(SQLModel, table=True):
    """What a closed round published: its figures after the privacy rules, for the whole
    organisation, decided once and never changed (every view of the round is cut from it)."""

    round_id: int = Field(foreign_key="round.id", primary_key=True)
    published_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    figures: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Consortium(SQLModel, table=True):
    """A programme one organisation (e.g. a regional R&D centre) shares with member
    organisations: they run it in their own tenants, the owner sees it compiled across them."""

    __tablename__ = "consortium"

    id: int | None = Field(default=None, primary_key=True)
    # the owning organisation (its own tenant and HR admins) and its programme
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    programme_id: int = Field(foreign_key="programme.id", unique=True)
    created_at: datetime = _created()


class ConsortiumMember(SQLModel, table=True):
    """An organisation taking part in a consortium's programme, through its own copy of the
    plan (a programme of the member with the same code); no personal data."""

    __tablename__ = "consortium_member"
    __table_args__ = (UniqueConstraint("consortium_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    consortium_id: int = Field(foreign_key="consortium.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    # the member's programme that runs the shared plan: its rounds are the member's part
    programme_id: int = Field(foreign_key="programme.id")
    joined_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # None while a member; rounds opened before it left still count for their half-year
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsortiumPublication(SQLModel, table=True):
    """What a consortium published for one half-year: its members' published figures compiled
    after the privacy rules, decided once (when every member's round of it had closed) and never
    changed, so two views taken at different times cannot be subtracted from each other."""

    __tablename__ = "consortium_publication"

    consortium_id: int = Field(foreign_key="consortium.id", primary_key=True)
    period: str = Field(max_length=20, primary_key=True)  # e.g. "2026-spring"
    published_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    figures: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
