"""`ledarpuls programme end CODE`: ending a programme, through the same operation (and audit
line) as in Teams; this module only reads argv and prints the result."""

from __future__ import annotations

import argparse

from bot.cli_rounds import CliRefusal, cli_call, refusal
from dialogs.hr_programmes import ended_lines
from dialogs.texts import t
from followup.hr import programmes
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from storage.database import Database


async def run_programme(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    """Carry out one `programme` command; returns the lines to print."""
    lang = args.lang
    if args.programme_command != "end":
        raise CliRefusal(t(lang, "round.error.unknown_command"))
    try:
        ended = await programmes.end_programme(
            cli_call(db, organisation_id, policy=policy), code=args.code
        )
    except RoundError as error:
        raise refusal(lang, error, policy=policy) from error
    return ended_lines(ended, lang)
