"""`ledarpuls chef add|move|end`: HR's small roster edits for scripts and IT. Each runs the same
operation as the card in Teams (`followup.hr.roster_edits`): the same checks, audit and effects
on the open rounds; this module only reads argv and prints the result."""

from __future__ import annotations

import argparse

from bot.cli_rounds import CliRefusal, _departments, cli_call, refusal
from dialogs.hr_flow import form_errors
from dialogs.texts import t
from followup.hr import operations, roster_edits
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from storage.chef_store import ChefStore
from storage.database import Database
from storage.organisation_store import OrganisationStore

# the `chef` subcommands by the names the operations (and the audit log) know them by
CHEF_COMMANDS = {"add": "roster_add", "move": "roster_move", "end": "roster_end"}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `chef` command and its subcommands."""
    chef = sub.add_parser("chef", help="add, move or end a manager on the roster")
    chef_sub = chef.add_subparsers(dest="chef_command", required=True)
    add = chef_sub.add_parser("add", help="put a manager on the roster (or back on it)")
    add.add_argument("upn", help="the manager's UPN (e-mail form)")
    add.add_argument("--name", required=True)
    add.add_argument("--department", required=True, help="department code, e.g. IFO")
    add.add_argument("--unit", default="")
    add.add_argument("--email", default="", help="when it differs from the UPN")
    add.add_argument("--object-id", default="", help="Entra object id, when known")
    move = chef_sub.add_parser("move", help="move a manager to another department (and unit)")
    move.add_argument("upn")
    move.add_argument("--department", required=True, help="department code, e.g. ÄO")
    move.add_argument("--unit", default=None, help="the new unit (default: the same)")
    end = chef_sub.add_parser("end", help="end a manager's employment (answers are kept)")
    end.add_argument("upn")
    for command in chef_sub.choices.values():
        command.add_argument("--org", help="tenant id or name (needed when there are several)")


async def run_chef(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    """Run one `chef` subcommand; the lines to print."""
    lang, command = args.lang, args.chef_command
    call = cli_call(db, organisation_id, policy=policy)
    try:
        if command == "add":
            [department] = await _departments(db, organisation_id, args.department, lang)
            departments = await OrganisationStore(db).departments(organisation_id)
            form, errors = roster_edits.check_new_chef(
                {
                    "upn": args.upn,
                    "name": args.name,
                    "department": str(department),
                    "unit": args.unit,
                    "email": args.email,
                    "object_id": args.object_id,
                },
                departments=departments,
            )
            if form is None:
                await operations.record_refusal(
                    call,
                    CHEF_COMMANDS[command],
                    RoundError("invalid_form"),
                    fields=sorted({f"{e.name}:{e.code}" for e in errors}),
                )
                raise CliRefusal(form_errors(errors, lang))
            added = await roster_edits.add_chef(call, chef=form)
            return [_done(lang, "roster.added", added)]
        chef = await ChefStore(db).match(
            organisation_id=organisation_id, aad_object_id=None, upn=args.upn, email=None
        )
        if chef is None or chef.id is None:
            raise RoundError("unknown_chef", upn=args.upn)
        if command == "move":
            [department] = await _departments(db, organisation_id, args.department, lang)
            unit = chef.unit if args.unit is None else args.unit
            moved = await roster_edits.move_chef(
                call, chef_id=chef.id, department_id=department, unit=unit, version=None
            )
            return [_done(lang, "roster.moved", moved)]
        ended = await roster_edits.end_chef(call, chef_id=chef.id, version=None)
        return [t(lang, "roster.ended", name=ended.chef.name)]
    except RoundError as error:
        await operations.record_refusal(call, CHEF_COMMANDS.get(command, command), error)
        raise refusal(lang, error, policy=policy) from error


def _done(lang: str, key: str, edited: roster_edits.Edited) -> str:
    done = t(lang, key, name=edited.chef.name)
    if edited.invited_to:
        done += " " + t(lang, "roster.invited", count=len(edited.invited_to))
    return done
