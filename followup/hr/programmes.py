"""HR's operations on programmes, for Teams and the command line alike (as `operations`):
ending one. Only an HR admin may; refusals and the end are in the audit log."""

from __future__ import annotations

from followup.hr.operations import Call, authorise, record_refusal
from followup.rounds import programmes
from followup.rounds.lifecycle import RoundError
from followup.rounds.programmes import ProgrammeEnd


async def end_programme(call: Call, *, code: str) -> ProgrammeEnd:
    """End a programme: no more rounds of it; its rounds that have not opened are archived, an
    open one runs to its last day; no department, chef or other programme changes."""
    await authorise(call, "programme_end")
    try:
        ended = await programmes.end_programme(
            call.db, organisation_id=call.organisation_id, code=code, now=call.now
        )
    except RoundError as error:
        await record_refusal(call, "programme_end", error, code=code.strip()[:80])
        raise
    await call.audit(
        "programme.end",
        programme=ended.programme_id,
        code=ended.code,
        skipped=ended.skipped,
        running=ended.running,
    )
    return ended
