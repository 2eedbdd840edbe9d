"""`ledarpuls consortium create|join|leave|list|digest`: a programme shared by several
organisations, through the same operations as Teams (`followup.hr.consortium`), audited with
`"via": "cli"`; this module only reads argv and writes the result."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from pathlib import Path

from dialogs.consortium_cards import CONSORTIUM_FORMATS, consortium_file, consortium_report
from dialogs.import_messages import describe_report
from dialogs.texts import t
from followup.dates import moment_day
from followup.hr import consortium, operations
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from storage.database import Database
from storage.organisation_store import OrganisationStore

COMMANDS = {
    "create": consortium.CREATE,
    "join": consortium.JOIN,
    "leave": consortium.LEAVE,
    "list": consortium.LIST,
    "digest": consortium.DIGEST,
}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `consortium` command and its subcommands."""
    shared = sub.add_parser(
        "consortium",
        help="a programme shared by several organisations (e.g. a regional R&D centre)",
    )
    shared_sub = shared.add_subparsers(dest="consortium_command", required=True)
    create = shared_sub.add_parser(
        "create", help="share the organisation's programme (--org: the owning organisation)"
    )
    create.add_argument("code", help="the programme's code, as in its plan")
    for name, text in (
        ("join", "join an organisation's shared programme (--org: the member)"),
        ("leave", "leave it (rounds opened while a member still count)"),
    ):
        command = shared_sub.add_parser(name, help=text)
        command.add_argument("owner", help="the owning organisation: tenant id, name or id")
        command.add_argument("--programme", help="its code, when the owner shares several")
    shared_sub.add_parser("list", help="what the organisation shares, and what it is a member of")
    digest = shared_sub.add_parser(
        "digest", help="the shared digest across the members (the owning organisation's)"
    )
    digest.add_argument("--period", help="the half-year, e.g. 2026-spring (default: the latest)")
    digest.add_argument("--programme", help="its code, when the organisation shares several")
    digest.add_argument(
        "--format",
        choices=CONSORTIUM_FORMATS,
        default="md",
        help="docx: the board's document (as a round's digest is)",
    )
    digest.add_argument("--out", help="the file to write (Markdown goes to stdout without it)")
    for command in shared_sub.choices.values():
        command.add_argument("--org", help="tenant id or name (needed when there are several)")


async def run_consortium(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    """Carry out one `consortium` command; returns the lines to print."""
    # the rounds' CLI module draws charts: imported when a command needs it, as cli.py does
    from bot.cli_rounds import CliRefusal, cli_call, refusal

    lang, command = args.lang, args.consortium_command
    call = cli_call(db, organisation_id, policy=policy)
    organisation = await OrganisationStore(db).get(organisation_id)
    assert organisation is not None
    try:
        if command == "create":
            made = await consortium.create(call, programme_code=args.code)
            listing = await consortium.listing(call)
            programme = next(p for p, _ in listing.owned if p.id == made.programme_id)
            return [
                t(
                    lang,
                    "consortium.created",
                    organisation=organisation.name,
                    programme=programme.title,
                )
            ]
        if command == "join":
            copy, changed = await consortium.join(
                call, consortium_ref=args.owner, programme_code=args.programme
            )
            changes = "; ".join(describe_report(lang, changed)) or t(lang, "consortium.unchanged")
            owner = await OrganisationStore(db).find(args.owner)
            return [
                t(
                    lang,
                    "consortium.joined",
                    organisation=organisation.name,
                    programme=copy.title,
                    owner=owner.name,
                    code=copy.code,
                    changes=changes,
                )
            ]
        if command == "leave":
            left = await consortium.leave(
                call, consortium_ref=args.owner, programme_code=args.programme
            )
            return [
                t(lang, "consortium.left", organisation=organisation.name, programme=left.title)
            ]
        if command == "list":
            return _listing(await consortium.listing(call), lang, policy)
        if args.format != "md" and not args.out:
            raise CliRefusal(t(lang, "digest.error.out_needed"))
        shared = await consortium.digest(call, period=args.period, programme_code=args.programme)
    except RoundError as error:
        await operations.record_refusal(call, COMMANDS[command], error)
        raise refusal(lang, error, policy=policy) from error
    # a file (or its Markdown printed), which outlives the day: every date with its year
    report = consortium_report(shared, lang, zone=policy.zone, today=None)
    content = await asyncio.to_thread(consortium_file, report, shared, args.format, lang)
    periods = [t(lang, "consortium.periods", periods=", ".join(shared.periods))]
    if not args.out:
        return [content.decode("utf-8").rstrip("\n"), "", *periods]
    try:
        await asyncio.to_thread(Path(args.out).write_bytes, content)
    except OSError as exc:
        raise CliRefusal(t(lang, "digest.error.write", file=args.out, reason=exc.strerror)) from exc
    return [t(lang, "digest.written", file=args.out), *periods]


def _listing(listing: consortium.ConsortiumListing, lang: str, policy: Policy) -> list[str]:
    """Who is in which shared programme, since when: each day with its year, as a record
    of membership is read (and pasted into minutes) long after the day it was printed."""

    def day(moment: datetime) -> str:
        return moment_day(moment, lang, zone=policy.zone, today=None)

    lines: list[str] = []
    for programme, members in listing.owned:
        key = "consortium.list.owned" if members else "consortium.list.owned_none"
        lines.append(t(lang, key, programme=programme.title, code=programme.code))
        for member, org in members:
            if member.left_at is None:
                lines.append(
                    t(
                        lang,
                        "consortium.list.member",
                        organisation=org.name,
                        joined=day(member.joined_at),
                    )
                )
            else:
                lines.append(
                    t(
                        lang,
                        "consortium.list.member_left",
                        organisation=org.name,
                        joined=day(member.joined_at),
                        left=day(member.left_at),
                    )
                )
    for member, programme, owner in listing.joined:
        params = {
            "programme": programme.title,
            "owner": owner.name,
            "joined": day(member.joined_at),
        }
        if member.left_at is None:
            lines.append(t(lang, "consortium.list.joined", **params))
        else:
            lines.append(t(lang, "consortium.list.joined_left", left=day(member.left_at), **params))
    return lines or [t(lang, "consortium.list.none")]
