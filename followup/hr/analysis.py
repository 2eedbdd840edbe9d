"""HR's analysis and next steps for a round, written for the board's report, one operation for
Teams and the command line alike.

The two texts are HR's own words about the programme (never a chef's answers), kept with the
round as long as the round is kept; the board's report prints them from the same columns.

Decided here, once:
- HR admins only (a lead or a chef is refused, on record as every HR refusal is).
- A round that has opened: HR may start while answers are still coming in (the report often
  has to be written the week the round closes) and go on after it closed or was archived.
  A round that never opened has nothing to analyse and is refused.
- Once retention has anonymised or purged the round's answers (`Round.retained_at`) the texts
  are part of a finished record: they stay as they were written, shown and printed, and can no
  longer be changed.
- Each text at most `MAX_ANALYSIS` characters; a longer one is refused as a whole, with its
  length, and nothing is written (never cut). An empty text (or only spaces) clears it.
- Audited as `round.analysis` with what changed and the lengths, never the text."""

from __future__ import annotations

from dataclasses import dataclass

from followup.forms import FormError
from followup.hr.operations import DIGEST_STATES, Call, authorise, find_round
from followup.rounds.lifecycle import RoundError
from storage.models import Round, RoundState
from storage.round_store import RoundStore

MAX_ANALYSIS = 4000  # characters in each text: about a page and a half of a report
FIELDS = ("analysis", "next_steps")
SAVED = "saved"
CLEARED = "cleared"


class AnalysisTooLong(RoundError):
    """A text longer than its limit: nothing is written; `errors` name the texts, with their
    lengths and the limit."""

    def __init__(self, errors: list[FormError]) -> None:
        super().__init__("invalid_form")
        self.errors = errors


@dataclass(frozen=True)
class Analysis:
    """A round's texts after a save, and what the save did to each (`changes`: field → saved
    or cleared; a text left as it was is not in it)."""

    round: Round
    changes: dict[str, str]


def version_of(round_: Round) -> str:
    """What a form shows the texts as of: when they were last saved ("" for never)."""
    return round_.analysis_at.isoformat() if round_.analysis_at is not None else ""


def cleaned(text: str) -> str:
    """A text as it is kept: Windows line ends as plain ones, no spaces around the whole."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def check_texts(texts: dict[str, str | None]) -> dict[str, str | None]:
    """The texts as they would be kept (None: leave that one as it is); raises
    `AnalysisTooLong` naming every text over the limit."""
    kept = {name: None if text is None else cleaned(text) for name, text in texts.items()}
    errors = [
        FormError(name, "text_too_long", {"length": len(text), "max": MAX_ANALYSIS})
        for name, text in kept.items()
        if text is not None and len(text) > MAX_ANALYSIS
    ]
    if errors:
        raise AnalysisTooLong(errors)
    return kept


def opened(round_: Round) -> bool:
    """The round has opened (open, closed, or archived after it closed): it has answers."""
    return round_.state in (RoundState.OPEN, RoundState.CLOSED) or (
        round_.state == RoundState.ARCHIVED and round_.closed_at is not None
    )


def writable(round_: Round) -> bool:
    """HR may write the round's texts now."""
    return opened(round_) and round_.retained_at is None


def may_write(round_: Round) -> None:
    """Refuse a round whose texts cannot be written (never opened, or retained)."""
    if round_.retained_at is not None:
        raise RoundError("analysis_retained")
    if not opened(round_):
        raise RoundError("analysis_not_opened", state=round_.state)


async def analysis_round(call: Call, *, round_id: int | None) -> Round:
    """The round whose texts HR is about to write (for the form; without a number the latest
    closed or open one): refused as a save would be."""
    round_ = await find_round(call, "analysis", round_id=round_id, states=DIGEST_STATES)
    may_write(round_)
    return round_


async def write_analysis(
    call: Call,
    *,
    round_id: int,
    analysis: str | None,
    next_steps: str | None,
    seen: str | None = None,
) -> Analysis:
    """Save the round's analysis and next steps (None: that text as it is; "": cleared).
    `seen`: the version the form was made from (`version_of`); refused when someone saved
    since, so nobody overwrites another HR admin's text unseen."""
    await authorise(call, "analysis")
    texts = check_texts({"analysis": analysis, "next_steps": next_steps})
    async with call.db.session() as session, session.begin():
        round_ = await RoundStore(call.db).lock(round_id, session=session)
        if round_ is None or round_.organisation_id != call.organisation_id:
            raise RoundError("unknown_round", round=round_id)
        may_write(round_)
        if seen is not None and seen != version_of(round_):
            raise RoundError("analysis_changed", round=round_id)
        changes: dict[str, str] = {}
        for name, text in texts.items():
            if text is None or text == (getattr(round_, name) or ""):
                continue
            changes[name] = SAVED if text else CLEARED
            setattr(round_, name, text or None)
        if changes:
            round_.analysis_at = call.now
            round_.updated_at = call.now
    if changes:
        await call.audit(
            "round.analysis",
            round_id=round_id,
            changed=sorted(changes),
            analysis_length=len(round_.analysis or ""),
            next_steps_length=len(round_.next_steps or ""),
        )
    return Analysis(round_, changes)
