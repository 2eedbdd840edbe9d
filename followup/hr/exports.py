"""HR's and department leads' export of the published figures (CSV or XLSX, for Power BI and
Stratsys), one road for Teams and the command line: authorise → find the rounds → cut the
rows → audit. A lead's export is cut to their departments, as their digest is."""

from __future__ import annotations

from dataclasses import dataclass

from followup.digest.export import EXPORT_FORMATS, ExportRow, export_rows, exported, write_export
from followup.digest.publication import PUBLISHED_STATES
from followup.digest.report import Text
from followup.hr.operations import Call, authorise, find_round, record_refusal
from followup.rounds.lifecycle import RoundError
from storage.models import Programme, Round
from storage.programme_store import ProgrammeStore
from storage.round_store import RoundStore

COMMAND = "export"  # as the audit log and the access rules know it


@dataclass(frozen=True)
class FiguresExport:
    """What one export holds: its rounds (oldest first), and their rows; `programme`: the
    programme whose closed rounds they all are, for an export of a whole programme."""

    rounds: list[Round]
    programme: Programme | None
    rows: list[ExportRow]
    kind: str

    def content(self) -> bytes:
        return write_export(self.rows, self.kind)


async def _programme_rounds(call: Call, programme: Programme) -> list[Round]:
    rounds = [
        r
        for r in await RoundStore(call.db).of_organisation(call.organisation_id)
        if r.programme_id == programme.id and exported(r)
    ]
    if not rounds:
        raise RoundError("nothing_to_export", programme=programme.title)
    return rounds


async def _scope(
    call: Call, *, round_id: int | None, programme: str | None, whole_programme: bool
) -> tuple[list[Round], Programme | None]:
    """The rounds asked for: a programme's closed rounds (by its code, or the programme of
    the round named), else the round named, else the latest closed one."""
    store = ProgrammeStore(call.db)
    if programme is not None:
        async with call.db.session() as session:
            found = await store.by_code(
                organisation_id=call.organisation_id, code=programme, session=session
            )
        if found is None:
            raise RoundError("unknown_programme_code", programme=programme.strip()[:80])
        return await _programme_rounds(call, found), found
    round_ = await find_round(call, COMMAND, round_id=round_id, states=PUBLISHED_STATES)
    if whole_programme:
        of_round = await store.get(round_.programme_id)
        assert of_round is not None
        return await _programme_rounds(call, of_round), of_round
    if not exported(round_):
        raise RoundError("export_not_closed", round=round_.title)
    return [round_], None


async def export_scope(
    call: Call,
    *,
    round_id: int | None = None,
    programme: str | None = None,
    whole_programme: bool = False,
) -> tuple[list[Round], Programme | None]:
    """The closed rounds an export would hold (and their programme, for a whole programme's),
    after the caller's right to export is checked; a refusal is on record."""
    await authorise(call, COMMAND)
    try:
        return await _scope(
            call, round_id=round_id, programme=programme, whole_programme=whole_programme
        )
    except RoundError as error:
        await record_refusal(call, COMMAND, error, round_id=round_id)
        raise


async def export_figures(
    call: Call,
    *,
    kind: str,
    text: Text,
    round_id: int | None = None,
    programme: str | None = None,
    whole_programme: bool = False,
) -> FiguresExport:
    """The published figures of one closed round, or of every closed round of a programme, as
    rows for a file of `kind` (csv or xlsx); for a lead their departments' only."""
    if kind not in EXPORT_FORMATS:
        raise ValueError(kind)
    rounds, whole = await export_scope(
        call, round_id=round_id, programme=programme, whole_programme=whole_programme
    )
    departments = call.access.departments()
    rows = await export_rows(
        call.db, rounds, departments=departments, now=call.now, policy=call.policy, text=text
    )
    await call.audit(
        "figures.export",
        round_id=rounds[0].id if len(rounds) == 1 else None,
        rounds=[r.id for r in rounds],
        programme=whole.id if whole is not None else None,
        departments=None if departments is None else sorted(departments),
        format=kind,
        rows=len(rows),
    )
    return FiguresExport(sorted(rounds, key=lambda r: (r.deadline, r.id or 0)), whole, rows, kind)
