"""Which stored columns are personal data, and the retention (gallring) rule each one falls under.

The one place that classifies every column of every table: `COLUMNS[table][column]` is the
column's `Retention` rule when it is personal data (or an answer), `NOT_PERSONAL` when it is not.
A test fails for a column that is in neither (a new table or column must be classified here), and
checks that every personal column is described, with this rule, in `docs/informationshantering.md`
and in the README's privacy section. What each rule does is the code's
(`followup/privacy/retention.py`, `followup/privacy/erasure.py`); `RULES` names the settings that
control it, so the documents and the code can be held to each other."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Retention(StrEnum):
    """How long a personal column is kept, and what removes it (the documents use these names)."""

    # while the chef is on the roster; `retention_months` after they left it, who they were goes
    # (the row stays as a tombstone)
    ROSTER = "roster"
    # `retention_months` after the round closed: anonymised or purged (`retention_action`)
    ANSWERS = "answers"
    # a change to answers already sent in, not sent in again: at most until the round closes
    DRAFT = "draft"
    # the Teams chat: while the person is on the roster or holds a role; goes with a departed
    # chef's identity, or when a chef off the roster erases their answers
    CONTACT = "contact"
    # the delivery log: a round's messages to chefs go with the round's answers; other messages
    # go with the chat they went through
    DELIVERY = "delivery"
    # a role: until HR revokes it; one held by a chef who left goes with their identity
    ROLE = "role"
    # the audit log: `audit_retention_months` after the event
    AUDIT = "audit"
    # a plan or roster file sent from Teams: until applied or cancelled, at most the policy's
    # `import_lifetime`
    IMPORT = "import"
    # no automatic retention: kept as long as the round, plan or roster row it belongs to; the
    # organisation culls it by its own records management plan
    KEPT = "kept"


class _NotPersonal:
    """The mark of a column that is no personal data (an id, a setting, a plan's text …)."""

    def __repr__(self) -> str:
        return "NOT_PERSONAL"


NOT_PERSONAL: Final = _NotPersonal()
Class = Retention | _NotPersonal


@dataclass(frozen=True)
class Rule:
    """What controls a retention rule: the organisation's settings (columns of `organisation`)
    or the policy's values it reads, and the function that applies it."""

    settings: tuple[str, ...]
    applied_by: str  # a function of `followup.privacy.retention`, or what else removes it


RULES: Final[dict[Retention, Rule]] = {
    Retention.ROSTER: Rule(("retention_months",), "remove_identity"),
    Retention.ANSWERS: Rule(("retention_months", "retention_action"), "retain_round"),
    Retention.DRAFT: Rule((), "apply_retention"),
    Retention.CONTACT: Rule(("retention_months",), "remove_identity"),
    Retention.DELIVERY: Rule(("retention_months",), "retain_round"),
    Retention.ROLE: Rule(("retention_months",), "remove_identity"),
    Retention.AUDIT: Rule(("audit_retention_months",), "prune_audit"),
    Retention.IMPORT: Rule((), "apply_retention"),
    Retention.KEPT: Rule((), ""),
}

# short names for the table below: `_` is no personal data, `R.…` a retention rule
_ = NOT_PERSONAL
R = Retention

COLUMNS: Final[dict[str, dict[str, Class]]] = {
    "organisation": {
        "id": _,
        "tenant_id": _,
        "name": _,
        "self_enrol": _,
        "default_k": _,
        "retention_months": _,
        "retention_action": _,
        "keep_identified_statuses": _,
        "audit_retention_months": _,
        "default_language": _,
        "send_rate": _,
        "created_at": _,
    },
    "department": {"id": _, "organisation_id": _, "code": _, "name": _, "active": _},
    "chef": {
        "id": _,
        "organisation_id": _,
        # who the chef is: gone when retention makes the row a tombstone
        "name": R.ROSTER,
        "upn": R.ROSTER,
        "email": R.ROSTER,
        "unit": R.ROSTER,
        "aad_object_id": R.ROSTER,
        "on_leave_until": R.ROSTER,
        "unreachable_code": R.ROSTER,
        "unreachable_at": R.ROSTER,
        # the roster state, kept on the tombstone (no identity once the name is gone)
        "department_id": R.KEPT,
        "active": R.KEPT,
        "source": R.KEPT,
        "left_at": R.KEPT,
        "removed_at": R.KEPT,
        "created_at": R.KEPT,
        "updated_at": R.KEPT,
    },
    "programme": {
        "id": _,
        "organisation_id": _,
        "code": _,
        "title": _,
        "start_year": _,
        "end_year": _,
        "goal": _,
        "round_opens": _,
        "answer_days": _,
        "active": _,
        "created_at": _,
        "updated_at": _,
    },
    "principle": {
        "id": _,
        "programme_id": _,
        "number": _,
        "title": _,
        "description": _,
        "active": _,
    },
    "area": {
        "id": _,
        "programme_id": _,
        "code": _,
        "name": _,
        "position": _,
        "active": _,
    },
    "activity": {
        "id": _,
        "programme_id": _,
        "area_id": _,
        "code": _,
        "title": _,
        "description": _,
        # the plan's responsible person: often a function, sometimes a name
        "owner": R.KEPT,
        "years": _,
        "all_departments": _,
        "due": _,
        "position": _,
        "active": _,
        "ended_at": _,
    },
    "activity_department": {"activity_id": _, "department_id": _},
    "round": {
        "id": _,
        "organisation_id": _,
        "programme_id": _,
        "title": _,
        "state": _,
        "opens_at": _,
        "deadline": _,
        "closed_at": _,
        "results_queued_at": _,
        "retained_at": _,
        "audience_all": _,
        "reminder_offsets": _,
        "reminder_cap": _,
        "sections": _,
        "k": _,
        # HR's text about the programme for the board: may name someone if HR writes so
        "analysis": R.KEPT,
        "next_steps": R.KEPT,
        "analysis_at": _,
        "created_by": R.KEPT,
        "created_at": _,
        "updated_at": _,
    },
    "round_department": {"round_id": _, "department_id": _},
    "invitation": {
        "id": _,
        "round_id": _,
        # that this chef was asked, where they were and how they answered: detached from the chef
        # when the round's answers are retained
        "chef_id": R.ANSWERS,
        "department_id": R.KEPT,
        "unit": R.ANSWERS,
        "unreachable_code": R.ANSWERS,
        "state": R.ANSWERS,
        "card_activity_id": R.ANSWERS,
        "reminders_sent": R.ANSWERS,
        "remind_later_at": R.ANSWERS,
        "delivered_at": R.ANSWERS,
        "started_at": R.ANSWERS,
        "submitted_at": R.ANSWERS,
        "created_at": R.ANSWERS,
    },
    "answer_draft": {
        "id": _,
        "invitation_id": _,
        "step": R.DRAFT,
        "values": R.DRAFT,
        "updated_at": R.DRAFT,
    },
    "activity_status_answer": {
        "id": _,
        "invitation_id": _,
        "activity_id": _,
        "status": R.ANSWERS,
        "comment": R.ANSWERS,
        "updated_at": R.ANSWERS,
    },
    "reflection_answer": {
        "id": _,
        "invitation_id": _,
        "section": _,
        "key": _,
        "text": R.ANSWERS,
        "updated_at": R.ANSWERS,
    },
    "rating_answer": {
        "id": _,
        "invitation_id": _,
        "section": _,
        "key": _,
        "value": R.ANSWERS,
        "updated_at": R.ANSWERS,
    },
    "conversation_ref": {
        "id": _,
        "organisation_id": _,
        "tenant_id": _,
        "user_id": R.CONTACT,
        "aad_object_id": R.CONTACT,
        "upn": R.CONTACT,
        "chef_id": R.CONTACT,
        "conversation_id": R.CONTACT,
        "service_url": R.CONTACT,
        "reference": R.CONTACT,
        "locale": R.CONTACT,
        "timezone": R.CONTACT,
        "chosen_language": R.CONTACT,
        "installed": R.CONTACT,
        "updated_at": R.CONTACT,
    },
    "outbox_message": {
        "id": _,
        "organisation_id": _,
        # round × chef × kind × sequence
        "dedupe_key": R.DELIVERY,
        "kind": _,
        "round_id": _,
        "chef_id": R.DELIVERY,
        "conversation_ref_id": R.DELIVERY,
        "payload": R.DELIVERY,
        "state": R.DELIVERY,
        "attempts": _,
        "not_before": _,
        "claimed_at": _,
        "claimed_by": _,
        "sent_at": R.DELIVERY,
        "sent_activity_id": R.DELIVERY,
        "error_code": R.DELIVERY,
        "error_detail": R.DELIVERY,
        "failing_since": _,
        "requeues": _,
        "created_at": _,
    },
    "send_budget": {
        "organisation_id": _,
        "next_at": _,
        "paused_until": _,
        "sender": _,
        "sender_until": _,
    },
    # a consortium's shared programme: organisations, programmes and figures, no person
    "consortium": {"id": _, "organisation_id": _, "programme_id": _, "created_at": _},
    "consortium_member": {
        "id": _,
        "consortium_id": _,
        "organisation_id": _,
        "programme_id": _,
        "joined_at": _,
        "left_at": _,
    },
    "consortium_publication": {
        "consortium_id": _,
        "period": _,
        "published_at": _,
        "figures": _,
    },
    "hr_role": {
        "id": _,
        "organisation_id": _,
        "principal": R.ROLE,
        "role": R.ROLE,
        "department_id": R.ROLE,
        "created_by": R.ROLE,
        "created_at": R.ROLE,
    },
    "pending_import": {
        "id": _,
        "organisation_id": _,
        "token": _,
        "kind": _,
        "file_name": R.IMPORT,
        "content": R.IMPORT,
        "uploaded_by": R.IMPORT,
        "created_at": _,
        "expires_at": _,
        "applied_at": _,
    },
    "audit_event": {
        "id": _,
        "organisation_id": _,
        "at": R.AUDIT,
        "actor": R.AUDIT,
        "action": R.AUDIT,
        "round_id": _,
        "detail": R.AUDIT,
    },
    # the figures a closed round published, after the privacy rules: aggregates over groups of
    # at least k, and quotes as references to answers (their text goes with the answer)
    "publication": {"round_id": _, "published_at": _, "figures": _},
}


def personal_columns() -> dict[str, Retention]:
    """Every personal column as "table.column", with its retention rule."""
    return {
        f"{table}.{column}": rule
        for table, columns in COLUMNS.items()
        for column, rule in columns.items()
        if isinstance(rule, Retention)
    }
