"""`ledarpuls activity list|end`: HR's activities from the command line, through the same
operations as Teams (`followup.hr.activities`), audited with `"via": "cli"`."""

from __future__ import annotations

import argparse

from dialogs.texts import t
from followup.hr import activities, operations
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from storage.database import Database


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `activity` command and its subcommands."""
    activity = sub.add_parser("activity", help="the programme's activities")
    activity_sub = activity.add_subparsers(dest="activity_command", required=True)
    activity_sub.add_parser("list", help="active activities; which carry on unfinished")
    end = activity_sub.add_parser(
        "end", help="end an activity: no longer asked, nor carried into later rounds"
    )
    end.add_argument("code", help="the activity's code, e.g. A08")
    end.add_argument("--programme", help="programme code (when two programmes share the code)")
    for command in activity_sub.choices.values():
        command.add_argument("--org", help="tenant id or name (needed when there are several)")


async def run_activity(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    # the rounds' CLI module draws charts: imported when a command needs it, as cli.py does
    from bot.cli_rounds import cli_call, refusal

    lang, command = args.lang, args.activity_command
    call = cli_call(db, organisation_id, policy=policy)
    name = "end_activity" if command == "end" else "activities"
    try:
        if command == "list":
            return [
                "\t".join(
                    [
                        row.code,
                        row.title,
                        ", ".join(str(y) for y in row.years),
                        t(lang, "hr.activities.carried") if row.carried else "",
                    ]
                ).rstrip()
                for row in await activities.list_activities(call)
            ] or [t(lang, "hr.activities.none")]
        _, activity = await activities.end_activity(
            call, code=args.code, programme_code=args.programme
        )
    except RoundError as error:
        await operations.record_refusal(call, name, error)
        raise refusal(lang, error, policy=policy) from error
    return [t(lang, "hr.activities.ended", code=activity.code, title=activity.title)]
