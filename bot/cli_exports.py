"""`ledarpuls export ROUND | --programme CODE --format csv|xlsx --out FILE`: the published figures
for Power BI, Stratsys or Excel, through the same operation (and audit line) as in Teams; this
module only reads argv and writes the file."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from dialogs.digest_cards import texts_in
from dialogs.texts import t
from followup.digest.export import EXPORT_FORMATS
from followup.hr.exports import export_figures
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError
from storage.database import Database


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `export` command."""
    export = sub.add_parser(
        "export",
        help="the published figures of closed rounds as a table for Power BI, Stratsys or Excel",
    )
    which = export.add_mutually_exclusive_group()
    which.add_argument("id", type=int, nargs="?", help="a closed round (default: the latest)")
    which.add_argument("--programme", help="every closed round of the programme with this code")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="csv")
    export.add_argument("--out", required=True, help="the file to write")
    export.add_argument("--org", help="tenant id or name (needed when there are several)")


async def run_export(
    args: argparse.Namespace, db: Database, organisation_id: int, *, policy: Policy
) -> list[str]:
    # the rounds' CLI module draws charts: imported when a command needs it, as cli.py does
    from bot.cli_rounds import CliRefusal, cli_call, refusal

    lang = args.lang
    try:
        export = await export_figures(
            cli_call(db, organisation_id, policy=policy),
            kind=args.format,
            text=texts_in(lang),
            round_id=args.id,
            programme=args.programme,
        )
    except RoundError as error:
        raise refusal(lang, error, policy=policy) from error
    content = await asyncio.to_thread(export.content)
    try:
        await asyncio.to_thread(Path(args.out).write_bytes, content)
    except OSError as exc:
        raise CliRefusal(t(lang, "digest.error.write", file=args.out, reason=exc.strerror)) from exc
    return [t(lang, "export.written", file=args.out, count=len(export.rows))]
