"""The `ledarpuls` command: serve the bot, migrate, import plans and rosters, load the demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from aiohttp import web

from bot.app import create_app
from bot.app_package import DEFAULT_OUT, PackageRefused, build_package, package_values
from bot.cli_activities import add_parser as add_activity_parser
from bot.cli_consortium import add_parser as add_consortium_parser
from bot.cli_exports import add_parser as add_export_parser
from bot.cli_roster import add_parser as add_chef_parser
from bot.settings import Settings
from dialogs.import_messages import describe_problem, describe_report
from dialogs.texts import t
from followup.imports.problems import ImportRejected
from followup.imports.tabular import ImportFile
from followup.imports.workbooks import convert
from followup.policy import SEND_RATE_MAX, Policy
from storage import migrate
from storage.database import Database
from storage.organisation_store import OrganisationExists, OrganisationNotFound, OrganisationStore

logger = logging.getLogger("ledarpuls")

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and was refused (bad file, unknown id): nothing changed
EXIT_USAGE = 2


class CommandError(Exception):
    """A refusal to report in the user's language; the command changes nothing."""


def _print(*lines: str) -> None:
    for line in lines:
        print(line)  # the CLI's own output


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # migrations report themselves through `ledarpuls db upgrade`; keep other commands quiet
    logging.getLogger("alembic").setLevel(logging.WARNING)


def check_bind(settings: Settings, lang: str) -> None:
    """Local mode (no app id) is for this computer only: refuse any other address."""
    if not settings.local_mode:
        missing = settings.missing_credentials()
        if missing:
            raise CommandError(t(lang, "cli.missing_settings", names=", ".join(missing)))
        return
    if not settings.binds_loopback_only:
        raise CommandError(t(lang, "cli.local_mode_refused", host=settings.host))
    logger.warning(t(lang, "cli.local_mode", host=settings.host, port=settings.port))


async def _serve(
    settings: Settings, lang: str, *, on_ready: Callable[[], Awaitable[None]] | None = None
) -> None:
    check_bind(settings, lang)
    # SIGTERM (a container stopping, a process manager) ends the wait below, and the app's
    # cleanup lets the work under way finish: a signal that cancelled this task would cancel
    # that cleanup too, queries and all, when a second SIGTERM came
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    # what start-up made lives as long as the process (modules, the app, the pools): out of
    # the garbage collector's sight, a full collection no longer walks it all (in the replicas
    # bench up to 350 ms before, 150 ms after), the outbox's sends held back meanwhile
    gc.freeze()
    _print(t(lang, "cli.serving", host=settings.host, port=settings.port))
    try:
        if on_ready is not None:
            await on_ready()
        await stopping.wait()
        logger.info("SIGTERM: stopping")
    finally:
        await runner.cleanup()
        loop.remove_signal_handler(signal.SIGTERM)
        logger.info("stopped")


async def _with_db(settings: Settings, action: Callable[[Database], Awaitable[int]]) -> int:
    db = Database(settings.database_url, timeouts=settings.database_timeouts())
    try:
        await migrate.upgrade(db)
        return await action(db)
    finally:
        await db.dispose()


async def _organisation_id(db: Database, ref: str | None, lang: str) -> int:
    try:
        org = await OrganisationStore(db).find(ref)
    except OrganisationNotFound as exc:
        if exc.ref is not None:
            raise CommandError(t(lang, "cli.org_not_found", ref=exc.ref)) from exc
        if exc.candidates == 0:
            raise CommandError(t(lang, "cli.org_none")) from exc
        raise CommandError(t(lang, "cli.org_ambiguous", count=exc.candidates)) from exc
    assert org.id is not None
    return org.id


def _report_rejection(lang: str, file: Path, exc: ImportRejected) -> None:
    print(t(lang, "cli.import_rejected", count=len(exc.problems), file=file.name), file=sys.stderr)
    for problem in exc.problems:
        print("  " + describe_problem(lang, problem), file=sys.stderr)


async def _import(args: argparse.Namespace, settings: Settings, path: Path) -> int:
    from bot.cli_rounds import cli_call
    from followup.hr.imports import run_import

    async def run(db: Database) -> int:
        org_id = await _organisation_id(db, args.org, args.lang)
        # the same operation as Verkställ in Teams, with the CLI's access (an HR admin)
        call = cli_call(db, org_id, policy=settings.policy())
        try:
            report = await run_import(
                call,
                kind=args.what,
                file=ImportFile.read(path),
                programme_code=getattr(args, "programme", None),
            )
        except ImportRejected as exc:
            _report_rejection(args.lang, path, exc)
            return EXIT_FAILED
        _print(*describe_report(args.lang, report))
        return EXIT_OK

    return await _with_db(settings, run)


def _convert(args: argparse.Namespace) -> int:
    source, target = Path(args.source), Path(args.target)
    if not source.is_file():
        raise CommandError(t(args.lang, "cli.file_missing", file=args.source))
    try:
        convert(args.what, source, target)
    except ImportRejected as exc:
        _report_rejection(args.lang, source, exc)
        return EXIT_FAILED
    _print(t(args.lang, "cli.converted", source=source.name, target=target))
    return EXIT_OK


async def _org(args: argparse.Namespace, settings: Settings) -> int:
    async def run(db: Database) -> int:
        store = OrganisationStore(db)
        if args.org_command == "add":
            try:
                org = await store.create(
                    tenant_id=args.tenant_id,
                    name=args.name,
                    default_k=settings.policy().k,
                    self_enrol=args.self_enrol,
                )
            except OrganisationExists as exc:
                raise CommandError(t(args.lang, "cli.org_exists", tenant=args.tenant_id)) from exc
            _print(t(args.lang, "cli.org_created", name=org.name, tenant=org.tenant_id))
            return EXIT_OK
        if args.org_command == "policy":
            return await _policy(args, db)
        if args.org_command == "rate":
            return await _rate(args, db, settings)
        organisations = await store.list()
        if not organisations:
            _print(t(args.lang, "cli.org_list_empty"))
        for org in organisations:
            _print(f"{org.id}\t{org.tenant_id}\t{org.name}")
        return EXIT_OK

    return await _with_db(settings, run)


async def _policy(args: argparse.Namespace, db: Database) -> int:
    """Show the organisation's privacy policy, changing what the options say first."""
    from bot.cli_rounds import cli_access
    from followup.people.access import audit
    from followup.privacy.retention import PolicyError, set_policy
    from storage.types import utcnow

    org_id = await _organisation_id(db, args.org, args.lang)
    keep = None if args.keep_identified_statuses is None else args.keep_identified_statuses == "yes"
    changes = {
        "retention_months": args.months,
        "retention_action": args.retention,
        "keep_identified_statuses": keep,
        "audit_retention_months": args.audit_months,
    }
    try:
        org = await set_policy(db, organisation_id=org_id, **changes)
    except PolicyError as exc:
        raise CommandError(t(args.lang, f"policy.error.{exc.code}", **exc.params)) from exc
    changed = {k: v for k, v in changes.items() if v is not None}
    if changed:
        await audit(db, cli_access(org_id), "organisation.policy", at=utcnow(), **changed)
    _print(
        t(
            args.lang,
            f"cli.policy.{org.retention_action}",
            name=org.name,
            count=org.retention_months,
        ),
        t(args.lang, "cli.policy.keep" if org.keep_identified_statuses else "cli.policy.erase"),
        t(args.lang, "cli.policy.departed", count=org.retention_months),
        t(args.lang, "cli.policy.audit", count=org.audit_retention_months),
    )
    return EXIT_OK


async def _rate(args: argparse.Namespace, db: Database, settings: Settings) -> int:
    """Show the organisation's send rate, setting it (or back to the default) first."""
    from bot.cli_rounds import cli_access
    from followup.people.access import audit
    from storage.types import utcnow

    org_id = await _organisation_id(db, args.org, args.lang)
    store = OrganisationStore(db)
    if args.per_second is not None or args.default:
        rate = None if args.default else args.per_second
        if rate is not None and not 0 < rate <= SEND_RATE_MAX:
            raise CommandError(
                t(args.lang, "cli.rate.bad", value=f"{rate:g}", high=f"{SEND_RATE_MAX:g}")
            )
        await store.set_send_rate(org_id, rate)
        await audit(db, cli_access(org_id), "organisation.send_rate", at=utcnow(), rate=rate)
    org = await store.get(org_id)
    assert org is not None
    default = settings.policy().send_rate
    if org.send_rate is None:
        _print(t(args.lang, "cli.rate.default", name=org.name, rate=f"{default:g}"))
    else:
        _print(
            t(args.lang, "cli.rate.own", name=org.name, rate=f"{org.send_rate:g}"),
            t(args.lang, "cli.rate.default_is", rate=f"{default:g}"),
        )
    return EXIT_OK


def _package(args: argparse.Namespace, settings: Settings) -> int:
    try:
        values = package_values(settings, app_id=args.app_id)
        path = build_package(values, out=Path(args.out))
    except PackageRefused as exc:
        print(t(args.lang, exc.key, **exc.params), file=sys.stderr)
        return EXIT_USAGE
    _print(
        t(args.lang, "cli.package_built", path=path, app_id=values.app_id, version=values.version)
    )
    return EXIT_OK


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import load_demo

    async def run(db: Database) -> int:
        loaded = await load_demo(
            db,
            plan=Path(args.plan),
            roster=Path(args.roster),
            policy=settings.policy(),
            tenant_id=args.tenant_id,
        )
        if loaded is None:
            _print(t(args.lang, "cli.demo_skipped"))
        else:
            _print(t(args.lang, "cli.demo_loaded", name=loaded.name))
        return EXIT_OK

    return await _with_db(settings, run)


async def _hr_or_round(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_activities import run_activity
    from bot.cli_consortium import run_consortium
    from bot.cli_exports import run_export
    from bot.cli_programmes import run_programme
    from bot.cli_roster import run_chef
    from bot.cli_rounds import CliRefusal, run_audit, run_digest, run_hr, run_round

    commands = {
        "round": run_round,
        "hr": run_hr,
        "digest": run_digest,
        "export": run_export,
        "audit": run_audit,
        "chef": run_chef,
        "activity": run_activity,
        "programme": run_programme,
        "consortium": run_consortium,
    }

    async def run(db: Database) -> int:
        org_id = await _organisation_id(db, args.org, args.lang)
        try:
            lines = await commands[args.command](args, db, org_id, policy=settings.policy())
        except CliRefusal as exc:
            raise CommandError(str(exc)) from exc
        _print(*lines)
        return EXIT_OK

    return await _with_db(settings, run)


async def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    async def run(db: Database) -> int:
        _print(t(args.lang, "cli.db_upgraded", revision=await migrate.current_revision(db)))
        return EXIT_OK

    return await _with_db(settings, run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ledarpuls",
        description="Ledarpuls: follow-up of the programme to strengthen unit managers, in Teams.",
    )
    parser.add_argument(
        "--lang", choices=("sv", "en"), default="sv", help="language of messages (default sv)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("serve", help="serve the bot (upgrades the database first)")

    dev = sub.add_parser(
        "dev", help="run locally: migrate, load the demo, serve, start the Playground"
    )
    dev.add_argument("--plan", default="examples/demo-plan.yaml")
    dev.add_argument("--roster", default="examples/demo-roster.yaml")
    dev.add_argument("--playground", default="node_modules/@microsoft/m365agentsplayground/cli.js")
    dev.add_argument("--playground-port", type=int, default=56150)
    dev.add_argument("--playground-config", default="examples/playground.yml")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the migrations")

    org = sub.add_parser("org", help="organisations (one per Teams tenant)")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    org_add = org_sub.add_parser("add", help="add an organisation")
    org_add.add_argument("--tenant-id", required=True, help="the Entra tenant id")
    org_add.add_argument("--name", required=True)
    org_add.add_argument(
        "--self-enrol",
        action="store_true",
        help="let managers who are not in the roster enrol themselves",
    )
    org_sub.add_parser("list", help="list organisations")
    policy = org_sub.add_parser(
        "policy", help="show or set retention, and what a manager's erasure keeps"
    )
    policy.add_argument(
        "--months",
        type=int,
        help="months after a round closes, or a manager leaves the roster (default 24)",
    )
    policy.add_argument(
        "--retention", choices=("anonymise", "purge"), help="what happens to the answers then"
    )
    policy.add_argument(
        "--keep-identified-statuses",
        choices=("yes", "no"),
        help="keep activity statuses given by name (public records) when a manager erases",
    )
    policy.add_argument(
        "--audit-months", type=int, help="months the audit log is kept (default 36)"
    )
    policy.add_argument("--org", help="tenant id or name (needed when there are several)")

    rate = org_sub.add_parser(
        "rate", help="show or set how many messages a second the bot sends to the tenant"
    )
    choice = rate.add_mutually_exclusive_group()
    choice.add_argument(
        "--per-second",
        type=float,
        help=f"the tenant's own rate, all replicas together (at most {SEND_RATE_MAX:g})",
    )
    choice.add_argument(
        "--default", action="store_true", help="use the deployment's default (OUTBOX_RATE)"
    )
    rate.add_argument("--org", help="tenant id or name (needed when there are several)")

    imp = sub.add_parser("import", help="import a programme plan or a roster (XLSX, CSV, YAML)")
    imp_sub = imp.add_subparsers(dest="what", required=True)
    for what in ("plan", "roster"):
        p = imp_sub.add_parser(what, help=f"import a {what} file")
        p.add_argument("file")
        p.add_argument("--org", help="tenant id or name (needed when there are several)")
        if what == "plan":
            p.add_argument("--programme", help="programme code, for a CSV of activities")
    conv = imp_sub.add_parser("convert", help="check a plan or roster file and write it as XLSX")
    conv.add_argument("kind", choices=("plan", "roster"))
    conv.add_argument("source")
    conv.add_argument("target")

    hr = sub.add_parser("hr", help="HR admins and department leads")
    hr_sub = hr.add_subparsers(dest="hr_command", required=True)
    hr_add = hr_sub.add_parser(
        "add", help="make someone HR admin (or, with --lead, a department lead)"
    )
    hr_remove = hr_sub.add_parser(
        "remove", help="take an HR admin's role back (or, with --lead, a department lead's)"
    )
    for command in (hr_add, hr_remove):
        command.add_argument("principal", help="UPN (e-mail form) or Entra object id")
        command.add_argument(
            "--lead", metavar="DEPT", help="department code: a lead of that department"
        )
    hr_list = hr_sub.add_parser("list", help="who is HR admin or department lead")
    hr_list.add_argument("--json", action="store_true")
    hr_leave = hr_sub.add_parser(
        "leave", help="a manager on leave (no invitations or reminders) until a day"
    )
    hr_leave.add_argument("upn", help="the manager's UPN, as in the roster")
    hr_leave.add_argument("--until", help="last day of leave, YYYY-MM-DD (without it: back)")
    for command in hr_sub.choices.values():
        command.add_argument("--org", help="tenant id or name (needed when there are several)")

    add_chef_parser(sub)

    rounds = sub.add_parser("round", help="collection rounds (omgångar)")
    round_sub = rounds.add_subparsers(dest="round_command", required=True)
    create = round_sub.add_parser(
        "create", help="create a round (a draft, or scheduled with --opens)"
    )
    create.add_argument("--title", required=True)
    create.add_argument("--deadline", required=True, help="last day to answer, YYYY-MM-DD")
    create.add_argument("--opens", help="day to open, YYYY-MM-DD (otherwise open it yourself)")
    create.add_argument("--departments", help="department codes, e.g. IFO,ÄO (default: all)")
    create.add_argument(
        "--sections", help="e.g. activity_status=identified,confidence=confidential"
    )
    defaults = Policy()  # the rules' defaults, for the help text and a flag left out
    create.add_argument(
        "--k", type=int, default=defaults.k, help="smallest group shown in the digest"
    )
    create.add_argument(
        "--reminders",
        default=",".join(str(days) for days in defaults.reminder_offsets),
        help="days before the deadline",
    )
    create.add_argument(
        "--cap", type=int, default=defaults.reminder_cap, help="most reminders per chef"
    )
    create.add_argument("--programme", help="programme code (when there are several)")
    listing = round_sub.add_parser("list", help="the rounds, with state and response rate")
    listing.add_argument("--json", action="store_true")
    for name, text in (
        ("open", "open a round: invite its audience"),
        ("status", "progress per department"),
        ("remind", "remind those who have not answered, now"),
        ("extend", "move the deadline later"),
        ("close", "close a round"),
        ("archive", "archive a closed round"),
    ):
        command = round_sub.add_parser(name, help=text)
        command.add_argument("id", type=int)
        if name == "status":
            command.add_argument("--json", action="store_true")
        if name == "extend":
            command.add_argument("--deadline", required=True, help="the new last day, YYYY-MM-DD")
        if name == "remind":
            when = command.add_mutually_exclusive_group()
            when.add_argument(
                "--now", dest="next_morning", action="store_false", help="send now (the default)"
            )
            when.add_argument(
                "--next-morning",
                dest="next_morning",
                action="store_true",
                help="outside working hours: send when the next working day starts",
            )
            command.set_defaults(next_morning=False)
    analysis = round_sub.add_parser(
        "analysis",
        help="HR's analysis and next steps for the board's report: without options, show them",
    )
    analysis.add_argument("id", type=int)
    analysis.add_argument(
        "--analysis-file", help="the analysis, a UTF-8 text file (empty: clear it)"
    )
    analysis.add_argument(
        "--next-steps-file", help="the next steps, a UTF-8 text file (empty: clear them)"
    )
    analysis.add_argument("--clear", action="store_true", help="remove both texts")
    for command in (create, listing, *round_sub.choices.values()):
        if not any(a.dest == "org" for a in command._actions):
            command.add_argument("--org", help="tenant id or name (needed when there are several)")

    programme = sub.add_parser("programme", help="programmes (several may run at once)")
    programme_sub = programme.add_subparsers(dest="programme_command", required=True)
    end = programme_sub.add_parser(
        "end",
        help="end a programme: no more rounds of it (an open one runs to its last day); "
        "departments, managers and other programmes stay",
    )
    end.add_argument("code", help="the programme's code, as in its plan")
    end.add_argument("--org", help="tenant id or name (needed when there are several)")

    digest = sub.add_parser("digest", help="a round's digest (sammanställning) as a file")
    digest.add_argument("id", type=int)
    digest.add_argument(
        "--format",
        choices=("md", "xlsx", "docx", "pdf"),
        default="md",
        help="pdf: PDF/A of the board's DOCX, made by LibreOffice (soffice) when installed",
    )
    digest.add_argument("--out", help="the file to write (Markdown goes to stdout without it)")
    digest.add_argument("--org", help="tenant id or name (needed when there are several)")

    package = sub.add_parser(
        "package", help="build the Teams app package (a zip to upload in Teams admin center)"
    )
    package.add_argument("--out", default=str(DEFAULT_OUT), help="the zip to write")
    package.add_argument("--app-id", help="the Azure Bot's app id (default: MicrosoftAppId)")

    audit = sub.add_parser(
        "audit", help="the audit log: admin actions and HR reads of identified data"
    )
    audit.add_argument("--since", required=True, help="first day, YYYY-MM-DD (Swedish time)")
    audit.add_argument("--until", help="last day, YYYY-MM-DD (default: today)")
    audit.add_argument("--action", help="only actions that start with this, e.g. round. or digest")
    audit.add_argument("--json", action="store_true", help="one JSON object a line")
    audit.add_argument("--org", help="tenant id or name (needed when there are several)")

    add_activity_parser(sub)
    add_export_parser(sub)
    add_consortium_parser(sub)

    demo = sub.add_parser("demo", help="the demo programme and roster")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    load = demo_sub.add_parser("load", help="load the demo data into an empty database")
    load.add_argument("--plan", default="examples/demo-plan.yaml")
    load.add_argument("--roster", default="examples/demo-roster.yaml")
    load.add_argument("--tenant-id", default=None)
    return parser


def run(argv: Sequence[str] | None, settings: Settings | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings or Settings()
    _configure_logging(settings.log_level)
    try:
        if args.command == "serve":
            with contextlib.suppress(asyncio.CancelledError):
                asyncio.run(_serve(settings, args.lang))
        elif args.command == "dev":
            from bot.dev import run_dev

            return run_dev(args, settings, serve=_serve)
        elif args.command == "db":
            return asyncio.run(_db_upgrade(args, settings))
        elif args.command == "org":
            return asyncio.run(_org(args, settings))
        elif args.command == "import":
            if args.what == "convert":
                args.what = args.kind
                return _convert(args)
            path = Path(args.file)
            if not path.is_file():
                raise CommandError(t(args.lang, "cli.file_missing", file=args.file))
            return asyncio.run(_import(args, settings, path))
        elif args.command == "package":
            return _package(args, settings)
        elif args.command == "demo":
            return asyncio.run(_demo(args, settings))
        elif args.command in (
            "round",
            "hr",
            "digest",
            "export",
            "audit",
            "chef",
            "activity",
            "programme",
            "consortium",
        ):
            return asyncio.run(_hr_or_round(args, settings))
    except CommandError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(t(args.lang, "cli.stopping"), file=sys.stderr)
    return EXIT_OK


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
