"""`ledarpuls hr …`, `ledarpuls round …` and `ledarpuls digest`: HR's operations for automation and
IT. Each runs the same operation as Teams (`followup.hr.operations`), so it is audited and has the
same effects; this module only reads argv and prints the result."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from datetime import date, time
from pathlib import Path
from typing import Any

from dialogs.digest_cards import digest_files
from dialogs.formatting import date_time, number, short_day
from dialogs.hr_cards import reason_label, state_label
from dialogs.hr_flow import round_error_text
from dialogs.hr_running import remind_lines
from dialogs.texts import t
from followup.digest.pdf import PdfUnavailable
from followup.hr import analysis, operations, roles
from followup.hr.analysis import AnalysisTooLong
from followup.hr.operations import Call
from followup.people.access import Access, audit
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from followup.rounds.progress import Progress
from followup.rounds.workdays import held_until
from storage.audit_store import AuditStore
from storage.database import Database
from storage.organisation_store import OrganisationStore
from storage.programme_store import ProgrammeStore
from storage.types import utcnow


class CliRefusal(Exception):
    """Refused, with the words for it (exit code 1)."""


def actor() -> str:
    return f"cli:{getpass.getuser()}"


# the counts of a round's status line, in the order they are said
STATUS_COUNTS = ("invited", "delivered", "started", "submitted", "unreachable", "on_leave")


def cli_access(organisation_id: int) -> Access:
    """Whoever runs the CLI has the database, so acts as an HR admin; audited as cli:<user>."""
    return Access(actor=actor(), organisation_id=organisation_id, admin=True)


# the `hr` subcommands by the names the operations (and the audit log) know them by
HR_COMMANDS = {"add": "add_hr", "remove": "remove_hr", "list": "roles", "leave": "leave"}


def cli_call(db: Database, organisation_id: int, *, policy: Policy) -> Call:
    """An operation asked for on the command line, now, under the deployment's policy."""
    return Call(db, cli_access(organisation_id), "cli", utcnow(), policy)


def _date(value: str, lang: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CliRefusal(t(lang, "round.error.bad_date", value=value)) from exc


def refusal(lang: str, error: RoundError, *, policy: Policy) -> CliRefusal:
    """The refusal as Teams words it (a state as öppen or stängd, never `closed`)."""
    return CliRefusal(round_error_text(error, lang, policy=policy, now=utcnow()))


async def _programme(db: Database, organisation_id: int, code: str | None, lang: str) -> int:
    programmes = await ProgrammeStore(db).active(organisation_id=organisation_id)
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
    active = await OrganisationStore(db).departments(organisation_id)
    by_code = {d.code.casefold(): d.id for d in active}
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
            "left": c.left,
            "invited_late": c.late,
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
    """Carry out one `round` command through its operation; returns the lines to print."""
    lang, command = args.lang, args.round_command
    call = cli_call(db, organisation_id, policy=policy)
    today = call.today  # a date in another year is printed with its year
    try:
        if command == "create":
            round_ = await operations.create_round(
                call,
                programme_id=await _programme(db, organisation_id, args.programme, lang),
                title=args.title,
                deadline=policy.last_moment(_date(args.deadline, lang)),
                opens_at=policy.opening(_date(args.opens, lang)) if args.opens else None,
                department_ids=await _departments(db, organisation_id, args.departments, lang),
                sections=_sections(args.sections),
                k=args.k,
                reminder_offsets=[int(x) for x in args.reminders.split(",") if x.strip()],
                reminder_cap=args.cap,
            )
            return [
                t(
                    lang,
                    "round.created",
                    id=round_.id,
                    title=round_.title,
                    state=state_label(round_.state, lang),
                )
            ]
        if command == "list":
            rows = sorted(
                await operations.list_rounds(call),
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
                f"{row.round.id}\t{state_label(row.round.state, lang)}\t{row.response_rate:.0%}\t"
                f"{row.round.title}\t"
                f"{date_time(row.round.deadline, lang, zone=policy.zone, today=today)}"
                for row in rows
            ]
        if command == "open":
            opening = await operations.open_round(call, round_id=args.id)
            return [
                t(
                    lang,
                    "round.opened",
                    count=len(opening.invited),
                    on_leave=len(opening.on_leave),
                )
            ]
        if command == "status":
            p = await operations.round_status(call, round_id=args.id)
            if args.json:
                return [json.dumps(_progress_dict(p), ensure_ascii=False)]
            lines = [f"{p.round.title} ({state_label(p.round.state, lang)})"]
            for name, c in [(t(lang, "round.total"), p.total), *p.departments.items()]:
                counts = {
                    what: t(lang, f"round.count.{what}", count=getattr(c, what))
                    for what in STATUS_COUNTS
                }
                lines.append(t(lang, "round.status_line", name=name, **counts))
            if p.total.left or p.total.late:
                lines.append(
                    t(
                        lang,
                        "round.status_roster",
                        name=t(lang, "round.total"),
                        left=p.total.left,
                        late=p.total.late,
                    )
                )
            for code, n in sorted(p.total.reasons.items()):
                reason = reason_label(code, lang, retry_window=policy.send_retry_window)
                lines.append(t(lang, "round.unreachable_reason", reason=reason, count=n))
            if p.not_answered:
                lines.append(t(lang, "round.not_answered", names=", ".join(p.not_answered)))
            return lines
        if command == "remind":
            # --next-morning: outside working hours, from the start of the next working day's
            at = held_until(call.now, policy=policy) if args.next_morning else None
            reminded = await operations.remind(call, round_id=args.id, at=at)
            return remind_lines(reminded, lang, policy=policy, now=call.now)
        if command == "extend":
            round_ = await operations.extend_round(
                call, round_id=args.id, deadline=policy.last_moment(_date(args.deadline, lang))
            )
            deadline = date_time(round_.deadline, lang, zone=policy.zone, today=today)
            return [t(lang, "round.extended", deadline=deadline)]
        if command == "close":
            closed = await operations.close_round(call, round_id=args.id)
            return [t(lang, "round.closed"), t(lang, "cli.results_queued", count=closed.queued)]
        if command == "archive":
            await operations.archive_round(call, round_id=args.id)
            return [t(lang, "round.archived")]
        if command == "analysis":
            return await _analysis(args, call)
    except AnalysisTooLong as error:
        await operations.record_refusal(
            call,
            command,
            error,
            round_id=args.id,
            fields=sorted(f"{e.name}:{e.code}" for e in error.errors),
        )
        raise CliRefusal(too_long(lang, error)) from error
    except RoundError as error:
        await operations.record_refusal(call, command, error, round_id=getattr(args, "id", None))
        raise refusal(lang, error, policy=policy) from error
    raise CliRefusal(t(lang, "round.error.unknown_command"))


def _read_text(name: str | None, lang: str) -> str | None:
    """A text file's content (None: no file given, the text stays as it is)."""
    if name is None:
        return None
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc.reason)
        raise CliRefusal(t(lang, "cli.analysis_read", file=name, reason=reason)) from exc


async def _analysis(args: argparse.Namespace, call: Call) -> list[str]:
    """`round analysis ID [--analysis-file F] [--next-steps-file F] [--clear]`: the texts as
    they are, or saved (an empty file, or --clear, removes a text) through the operation
    Spara in Teams runs."""
    lang = args.lang
    given = args.analysis_file is not None or args.next_steps_file is not None
    if args.clear and given:
        raise CliRefusal(t(lang, "cli.analysis_both"))
    if not args.clear and not given:
        round_ = await analysis.analysis_round(call, round_id=args.id)
        lines: list[str] = []
        for name in analysis.FIELDS:
            text = getattr(round_, name)
            if text:
                lines += [f"## {t(lang, f'hr.analysis.label.{name}')}", text, ""]
        return lines[:-1] or [t(lang, "cli.analysis_none")]
    texts = (
        ("", "")
        if args.clear
        else (_read_text(args.analysis_file, lang), _read_text(args.next_steps_file, lang))
    )
    saved = await analysis.write_analysis(
        call, round_id=args.id, analysis=texts[0], next_steps=texts[1]
    )
    if not saved.changes:
        return [t(lang, "hr.analysis.unchanged")]
    return [
        t(lang, f"hr.analysis.{change}.{name}") for name, change in sorted(saved.changes.items())
    ]


def too_long(lang: str, error: AnalysisTooLong) -> str:
    """Which texts are too long, by how much: nothing was written."""
    lines = [t(lang, "hr.analysis.not_saved_file")]
    for e in error.errors:
        params = {k: number(v, lang) for k, v in e.params.items()}
        field = t(lang, f"hr.field.{e.name}")
        lines.append("- " + t(lang, f"hr.error.{e.code}", field=field, **params))
    return "\n".join(lines)


async def run_hr(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    """`ledarpuls hr add|remove PRINCIPAL [--lead DEPT]`, `hr list [--json]` and
    `hr leave UPN [--until DATE]`: roles and leave, as HR gives them in Teams."""
    lang, command = args.lang, args.hr_command
    call = cli_call(db, organisation_id, policy=policy)
    try:
        if command == "list":
            return _roles(await roles.list_roles(call), lang, as_json=args.json)
        if command == "leave":
            until = _date(args.until, lang) if args.until else None
            chef = await operations.set_leave(call, upn=args.upn, until=until)
            if until is None:
                return [t(lang, "hr.leave.back", name=chef.name)]
            return [
                t(
                    lang,
                    "hr.leave.set",
                    name=chef.name,
                    date=short_day(until, lang, today=call.today),
                )
            ]
        lead = await _departments(db, organisation_id, args.lead, lang) if args.lead else []
        department_id = lead[0] if lead else None
        if command == "add":
            change = await roles.add_role(
                call, principal=args.principal, department_id=department_id
            )
            done = "hr.added" if change.changed else "hr.already"
        else:
            change = await roles.remove_role(
                call, principal=args.principal, department_id=department_id
            )
            done = "hr.removed" if change.changed else "hr.not_held"
    except RoundError as error:
        await operations.record_refusal(call, HR_COMMANDS.get(command, command), error)
        raise refusal(lang, error, policy=policy) from error
    return [t(lang, done, principal=change.principal, role=t(lang, f"role.{change.role}"))]


def _roles(holders: list[roles.RoleHolder], lang: str, *, as_json: bool) -> list[str]:
    if as_json:
        return [
            json.dumps(
                [
                    {
                        "principal": h.principal,
                        "role": h.role.value,
                        "department": h.department,
                        "added_by": h.added_by,
                        "added_at": h.added_at.isoformat(),
                    }
                    for h in holders
                ],
                ensure_ascii=False,
            )
        ]
    if not holders:
        return [t(lang, "cli.hr_list_none")]
    return [
        "\t".join([h.principal, t(lang, f"role.{h.role}"), h.department or "-"]) for h in holders
    ]


async def run_digest(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    """`ledarpuls digest ID --format md|xlsx|docx [--out FILE]`."""
    lang = args.lang
    if args.format != "md" and not args.out:
        raise CliRefusal(t(lang, "digest.error.out_needed"))
    call = cli_call(db, organisation_id, policy=policy)
    try:
        digest = await operations.request_digest(call, round_id=args.id, export=args.format)
    except RoundError as error:
        await operations.record_refusal(call, "digest", error, round_id=args.id)
        raise refusal(lang, error, policy=policy) from error
    files = digest_files(digest, lang, zone=policy.zone, soffice=policy.soffice)
    try:
        content = await asyncio.to_thread(files.render, args.format)
    except PdfUnavailable as missing:
        # no PDF/A here: said plainly, and the DOCX written beside where it was asked for
        docx = str(Path(args.out).with_suffix(".docx"))
        content = await asyncio.to_thread(files.render, "docx")
        try:
            await asyncio.to_thread(Path(docx).write_bytes, content)
        except OSError as exc:
            raise CliRefusal(t(lang, "digest.error.write", file=docx, reason=exc.strerror)) from exc
        return [t(lang, f"digest.pdf.{missing.reason}", soffice=policy.soffice, file=docx)]
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
    oldest first, in the policy's time zone. Reading it is itself written to the log. Each line
    starts with its moment as 2026-11-30 09:15:02, not in words: a log is read in order, to the
    second, searched and sorted as text, and --since and --until take days in the same form."""
    lang, now = args.lang, utcnow()
    since = policy.at(_date(args.since, lang), time.min)
    until = policy.day_end(_date(args.until, lang)) if args.until else None
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
