"""Several programmes in one organisation: ending one (the calendar names their rounds apart).

Departments and chefs belong to the organisation, not to a programme, so ending a programme
changes no department, no chef and no other programme. What it does: the programme is no
longer active, so its calendar plans no more rounds and no new round can be made for it; its
rounds that have not opened (drafts, scheduled) are archived, never opened; a round of it that
is open runs on to its last day — the chefs who answered keep their answers, and the digest and
feedback come as for any round (ending a programme is no reason to lose the last report the
board is waiting for). Importing the programme's plan again starts it again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from followup.rounds.lifecycle import RoundError
from storage.database import Database
from storage.models import RoundState
from storage.programme_store import ProgrammeStore
from storage.round_store import RoundStore


@dataclass
class ProgrammeEnd:
    """What ending a programme did."""

    programme_id: int
    code: str
    title: str
    skipped: list[int] = field(default_factory=list)  # not opened: archived
    running: list[int] = field(default_factory=list)  # open: they run to their last day


async def end_programme(
    db: Database, *, organisation_id: int, code: str, now: datetime
) -> ProgrammeEnd:
    """End the organisation's active programme with this code (see the module's rules)."""
    async with db.session() as session, session.begin():
        programme = await ProgrammeStore(db).by_code(
            organisation_id=organisation_id, code=code, session=session
        )
        if programme is None or programme.id is None:
            raise RoundError("unknown_programme_code", programme=code.strip()[:80])
        if not programme.active:
            raise RoundError("programme_ended", programme=programme.title)
        programme.active = False
        programme.updated_at = now
        ended = ProgrammeEnd(programme.id, programme.code, programme.title)
        rounds = await RoundStore(db).of_programme(
            programme_id=programme.id,
            states=(RoundState.DRAFT, RoundState.SCHEDULED, RoundState.OPEN),
            session=session,
        )
        for round_ in rounds:
            assert round_.id is not None
            if round_.state == RoundState.OPEN:
                ended.running.append(round_.id)
                continue
            round_.state = RoundState.ARCHIVED
            round_.updated_at = now
            ended.skipped.append(round_.id)
    return ended
