"""`ledarpuls hr …` and `ledarpuls round …`: HR's operations for automation and IT, audited."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from datetime import date, time
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from dialogs.digest_cards import digest_files
from dialogs.formatting import date_time
from dialogs.texts import t
from followup.access import Access, audit
from followup.digest import compile_digest
from followup.policy import Policy
from followup.progress import Progress, overview, progress, remind
from followup.rounds import (
    RoundError,
    archive_round,
    close_round,
    create_round,
    extend_round,
    open_round,
)
from storage.audit_store import AuditStore
from storage.database import Database
from storage.models import Department, Programme, Role
from storage.role_store import RoleStore
from storage.types import utcnow


class CliRefusal(Exception):
    """Refused, with the words for it (exit code 1)."""


def actor() -> str:
    return f"cli:{getpass.getuser()}"


def cli_access(organisation_id: int) -> Access:
    """Whoever runs the CLI has the database, so acts as an HR admin; audited as cli:<user>."""
    return Access(actor=actor(), organisation_id=organisation_id, admin=True)


def _day(value: str, lang: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CliRefusal(t(lang, "round.error.bad_date", value=value)) from exc


def refusal(lang: str, error: RoundError) -> CliRefusal:
    return CliRefusal(
        t(lang, f"round.error.{error.code}", **{k: str(v) for k, v in error.params.items()})
    )


async def _programme(db: Database, organisation_id: int, code: str | None, lang: str) -> int:
    async with db.session() as session:
        programmes = (
            await session.exec(
                select(Programme).where(
                    Programme.organisation_id == organisation_id, col(Programme.active)
                )
            )
        ).all()
    if code is not None:
        programmes = [p for p in programmes if p.code.casefold() == code.casefold()]
    if len(programmes) != 1 or programmes[0].id is None:
        raise CliRefusal(t(lang, "round.error.which_programme"))
    return programmes[0].id


async def _departments(
    db: Database, organisation_id: int, codes: str | None, lang: str
) -> list[int]:
    if not codes:
        return []
    wanted = [c.strip() for c in codes.split(",") if c.strip()]
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Department).where(Department.organisation_id == organisation_id)
            )
        ).all()
    by_code = {d.code.casefold(): d.id for d in rows if d.active}
    missing = [c for c in wanted if c.casefold() not in by_code]
    if missing:
        raise CliRefusal(t(lang, "round.error.unknown_department_code", code=", ".join(missing)))
    return [i for c in wanted if (i := by_code[c.casefold()]) is not None]


def _sections(value: str | None) -> dict[str, str] | None:
    if not value:
        return None
    result = {}
    for part in value.split(","):
        name, _, privacy = part.partition("=")
        result[name.strip()] = privacy.strip() or "confidential"
    return result


def _progress_dict(p: Progress) -> dict[str, Any]:
    def counts(c: Any) -> dict[str, Any]:
        return {
            "invited": c.invited,
            "delivered": c.delivered,
            "started": c.started,
            "submitted": c.submitted,
            "unreachable": c.unreachable,
            "on_leave": c.on_leave,
            "unreachable_reasons": dict(c.reasons),
            "response_rate": round(c.response_rate, 3),
        }

    return {
        "round": p.round.id,
        "title": p.round.title,
        "state": p.round.state,
        "deadline": p.round.deadline.isoformat(),
        "total": counts(p.total),
        "departments": {name: counts(c) for name, c in p.departments.items()},
        "not_answered": p.not_answered,
    }


async def run_round(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    """Carry out one `round` command; returns the lines to print."""
    lang, now, command = args.lang, utcnow(), args.round_command
    who = cli_access(organisation_id)

    async def log(action: str, round_id: int | None, **detail: Any) -> None:
        await audit(db, who, action, at=now, round_id=round_id, **detail)

    try:
        if command == "create":
            round_ = await create_round(
                db,
                organisation_id=organisation_id,
                programme_id=await _programme(db, organisation_id, args.programme, lang),
                title=args.title,
                deadline=policy.last_moment(_day(args.deadline, lang)),
                opens_at=policy.opening(_day(args.opens, lang)) if args.opens else None,
                now=now,
                created_by=actor(),
                department_ids=await _departments(db, organisation_id, args.departments, lang),
                sections=_sections(args.sections),
                k=args.k,
                reminder_offsets=[int(x) for x in args.reminders.split(",") if x.strip()],
                reminder_cap=args.cap,
                policy=policy,
            )
            await log("round.create", round_.id)
            return [
                t(
                    lang,
                    "round.created",
                    id=round_.id,
                    title=round_.title,
                    state=t(lang, f"state.{round_.state}"),
                )
            ]
        if command == "list":
            rows = sorted(
                await overview(db, organisation_id=organisation_id),
                key=lambda row: (row.round.deadline, row.round.id or 0),
            )
            if args.json:
                return [
                    json.dumps(
                        [
                            {
                                "id": row.round.id,
                                "title": row.round.title,
                                "state": row.round.state,
                                "deadline": row.round.deadline.isoformat(),
                                "invited": row.invited,
                                "submitted": row.submitted,
                                "response_rate": round(row.response_rate, 3),
                            }
                            for row in rows
                        ],
                        ensure_ascii=False,
                    )
                ]
            if not rows:
                return [t(lang, "round.none")]
            return [
                f"{row.round.id}\t{row.round.state}\t{row.response_rate:.0%}\t"
                f"{row.round.title}\t{date_time(row.round.deadline, lang, zone=policy.zone)}"
                for row in rows
            ]
        if command == "open":
            opening = await open_round(
                db, round_id=args.id, now=now, policy=policy, organisation_id=organisation_id
            )
            await log(
                "round.open", args.id, invited=len(opening.invited), on_leave=len(opening.on_leave)
            )
            return [
                t(
                    lang,
                    "round.opened",
                    invited=len(opening.invited),
                    on_leave=len(opening.on_leave),
                )
            ]
        if command == "status":
            p = await progress(db, round_id=args.id, organisation_id=organisation_id)
            # as in Teams: every status read is logged, and whether it named anyone
            await log("round.status", args.id, identified=p.not_answered is not None)
            if args.json:
                return [json.dumps(_progress_dict(p), ensure_ascii=False)]
            lines = [f"{p.round.title} ({p.round.state})"]
            for name, c in [(t(lang, "round.total"), p.total), *p.departments.items()]:
                lines.append(
                    t(
                        lang,
                        "round.status_line",
                        name=name,
                        invited=c.invited,
                        delivered=c.delivered,
                        started=c.started,
                        submitted=c.submitted,
                        unreachable=c.unreachable,
                        on_leave=c.on_leave,
                    )
                )
            for reason, n in p.total.reasons.items():
                lines.append(t(lang, "round.unreachable_reason", reason=reason, count=n))
            if p.not_answered:
                lines.append(t(lang, "round.not_answered", names=", ".join(p.not_answered)))
            return lines
        if command == "remind":
            result = await remind(db, round_id=args.id, now=now, organisation_id=organisation_id)
            await log("round.remind", args.id, reminded=result.reminded, at_cap=result.at_cap)
            return [t(lang, "round.reminded", count=result.reminded, at_cap=result.at_cap)]
        if command == "extend":
            round_ = await extend_round(
                db,
                round_id=args.id,
                now=now,
                deadline=policy.last_moment(_day(args.deadline, lang)),
                organisation_id=organisation_id,
            )
            await log("round.extend", args.id, deadline=round_.deadline.isoformat())
            return [
                t(
                    lang,
                    "round.extended",
                    deadline=date_time(round_.deadline, lang, zone=policy.zone),
                )
            ]
        if command == "close":
            await close_round(db, round_id=args.id, now=now, organisation_id=organisation_id)
            await log("round.close", args.id)
            return [t(lang, "round.closed")]
        if command == "archive":
            await archive_round(db, round_id=args.id, now=now, organisation_id=organisation_id)
            await log("round.archive", args.id)
            return [t(lang, "round.archived")]
    except RoundError as error:
        raise refusal(lang, error) from error
    raise CliRefusal(t(lang, "round.error.unknown_command"))


async def run_hr(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    """`ledarpuls hr add PRINCIPAL [--lead DEPT]`: bootstrap HR admins and department leads."""
    now, lang = utcnow(), args.lang
    department_ids = await _departments(db, organisation_id, args.lead, lang) if args.lead else []
    role = Role.DEPARTMENT_LEAD if department_ids else Role.HR_ADMIN
    added = await RoleStore(db).grant(
        organisation_id=organisation_id,
        principal=args.principal,
        role=role,
        created_by=actor(),
        now=now,
        department_id=department_ids[0] if department_ids else None,
    )
    await audit(
        db, cli_access(organisation_id), "hr.add", at=now, principal=args.principal, role=role
    )
    return [
        t(
            lang,
            "hr.added" if added else "hr.already",
            principal=args.principal,
            role=t(lang, f"role.{role}"),
        )
    ]


async def run_digest(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    """`ledarpuls digest ID --format md|xlsx|docx [--out FILE]`."""
    lang, now = args.lang, utcnow()
    try:
        digest = await compile_digest(
            db, round_id=args.id, now=now, organisation_id=organisation_id
        )
    except RoundError as error:
        raise refusal(lang, error) from error
    files = digest_files(digest, lang, zone=policy.zone)
    if args.format != "md" and not args.out:
        raise CliRefusal(t(lang, "digest.error.out_needed"))
    content = await asyncio.to_thread(files.render, args.format)
    await audit(
        db,
        cli_access(organisation_id),
        "digest.export",
        at=now,
        round_id=args.id,
        format=args.format,
    )
    if not args.out:
        return [content.decode("utf-8").rstrip("\n")]
    try:
        await asyncio.to_thread(Path(args.out).write_bytes, content)
    except OSError as exc:
        raise CliRefusal(t(lang, "digest.error.write", file=args.out, reason=exc.strerror)) from exc
    return [t(lang, "digest.written", file=args.out)]


async def run_audit(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    """`ledarpuls audit --since DATE [--until DATE] [--action PREFIX] [--json]`: the audit log,
    oldest first, in Swedish time. Reading it is itself written to the log."""
    lang, now = args.lang, utcnow()
    since = policy.at(_day(args.since, lang), time.min)
    until = policy.day_end(_day(args.until, lang)) if args.until else None
    events = [
        e
        for e in await AuditStore(db).since(since, organisation_id=organisation_id)
        if (until is None or e.at <= until)
        and (not args.action or e.action.startswith(args.action))
    ]
    await audit(
        db,
        cli_access(organisation_id),
        "audit.read",
        at=now,
        since=since.isoformat(),
        until=until.isoformat() if until else None,
        events=len(events),
    )
    if args.json:
        return [
            json.dumps(
                {
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "round": e.round_id,
                    "detail": e.detail,
                },
                ensure_ascii=False,
                sort_keys=True,
            )
            for e in events
        ]
    if not events:
        return [t(lang, "cli.audit_none", since=args.since)]
    lines = []
    for e in events:
        moment = policy.local(e.at).strftime("%Y-%m-%d %H:%M:%S")
        round_part = t(lang, "cli.audit_round", round=e.round_id) if e.round_id else "-"
        detail = json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else ""
        lines.append(f"{moment}  {e.actor}  {e.action}  {round_part}  {detail}".rstrip())
    lines.append(t(lang, "cli.audit_count", count=len(events)))
    return lines
