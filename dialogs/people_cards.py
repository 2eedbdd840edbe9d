"""HR's cards about people: a chef's leave, and giving, taking back and listing HR's roles.
Built from data; every submit is checked again on the server."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo
from typing import Any

from dialogs.card_fields import CHEF, PRINCIPAL, ROLE, UNTIL
from dialogs.cards import card, limited_text, text, verbatim
from dialogs.formatting import short_date, short_day
from dialogs.hr_cards import Element, submit
from dialogs.texts import t
from followup.hr.roles import RoleHolder
from storage.models import Chef, Department, Role


def leave_card(
    chefs: Sequence[Chef], departments: dict[int, str], language: str, *, today: date
) -> dict[str, Any]:
    """Mark a chef on leave until a date, or back; lists who is on leave now."""
    away = [c for c in chefs if c.on_leave_until is not None and c.on_leave_until >= today]
    body: list[Element] = [
        text(t(language, "hr.leave.title"), size="Large", weight="Bolder"),
        text(t(language, "hr.leave.intro"), isSubtle=True),
    ]
    if away:
        body.append(text(t(language, "hr.leave.now"), weight="Bolder"))
        body += [
            verbatim(
                t(
                    language,
                    "hr.leave.now_line",
                    name=c.name,
                    date=short_day(c.on_leave_until, language, today=today)
                    if c.on_leave_until
                    else "",
                ),
                spacing="None",
            )
            for c in away
        ]
    body += [
        {
            "type": "Input.ChoiceSet",
            "id": CHEF,
            "label": t(language, "hr.leave.chef_label"),
            "style": "filtered",
            "isRequired": True,
            "errorMessage": t(language, "hr.error.required", field=t(language, "hr.field.chef")),
            "choices": [
                {
                    "title": " – ".join(
                        part for part in (c.name, departments.get(c.department_id or 0, "")) if part
                    ),
                    "value": str(c.id),
                }
                for c in chefs
            ],
        },
        {
            "type": "Input.Date",
            "id": UNTIL,
            "label": t(language, "hr.leave.until_label"),
            "min": today.isoformat(),
        },
    ]
    return card(body, [submit(t(language, "hr.leave.submit"), "leave", language)])


def add_hr_card(departments: Sequence[Department], language: str) -> dict[str, Any]:
    return _role_form(departments, language, form="add", action="add_hr")


def remove_hr_card(departments: Sequence[Department], language: str) -> dict[str, Any]:
    """The same fields as adding: whose role, and which one, is taken back."""
    return _role_form(departments, language, form="remove", action="remove_hr")


def _role_form(
    departments: Sequence[Department], language: str, *, form: str, action: str
) -> dict[str, Any]:
    return card(
        [
            text(t(language, f"hr.{form}.title"), size="Large", weight="Bolder"),
            text(t(language, f"hr.{form}.intro"), isSubtle=True),
            limited_text(
                PRINCIPAL,
                label=t(language, "hr.add.principal_label"),
                limit=320,
                language=language,
                required_error=t(
                    language, "hr.error.required", field=t(language, "hr.field.principal")
                ),
                placeholder="fornamn.efternamn@kommun.se",
            ),
            {
                "type": "Input.ChoiceSet",
                "id": ROLE,
                "label": t(language, "hr.add.role_label"),
                "style": "compact",
                "value": "hr_admin",
                "choices": [
                    {"title": t(language, "hr.add.role_admin"), "value": "hr_admin"},
                    *(
                        {
                            "title": t(language, "hr.add.role_lead", department=d.name),
                            "value": f"lead:{d.id}",
                        }
                        for d in departments
                    ),
                ],
            },
        ],
        [submit(t(language, f"hr.{form}.submit"), action, language)],
    )


def roles_card(
    holders: Sequence[RoleHolder], language: str, *, zone: tzinfo, today: date
) -> dict[str, Any]:
    """Who holds a role: HR admins, then department leads by department, each since when
    (with the year when it is not `today`'s)."""

    def line(holder: RoleHolder) -> str:
        return t(
            language,
            "hr.roles.line",
            principal=holder.principal,
            date=short_date(holder.added_at, language, zone=zone, today=today),
            by=holder.added_by or "–",
        )

    admins = [line(h) for h in holders if h.role == Role.HR_ADMIN]
    leads = [
        (h.department or str(h.department_id), line(h))
        for h in holders
        if h.role == Role.DEPARTMENT_LEAD
    ]
    body: list[Element] = [
        text(t(language, "hr.roles.title"), size="Large", weight="Bolder"),
        text(t(language, "hr.roles.admins"), weight="Bolder", spacing="Medium"),
    ]
    # principals and department names as HR typed them: never Markdown
    body += [verbatim(a, spacing="None") for a in admins] or [
        text(t(language, "hr.roles.none"), isSubtle=True)
    ]
    body.append(text(t(language, "hr.roles.leads"), weight="Bolder", spacing="Medium"))
    # each lead under their department, the whole width for an address (one cannot wrap)
    body += [
        element
        for department, holder in leads
        for element in (
            verbatim(department, weight="Bolder", spacing="Small"),
            verbatim(holder, spacing="None"),
        )
    ] or [text(t(language, "hr.roles.none"), isSubtle=True)]
    body.append(text(t(language, "hr.roles.hint"), isSubtle=True, spacing="Medium"))
    return card(body)
