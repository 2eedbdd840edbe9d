"""HR ends a programme in Teams: from its calendar card, a confirmation, then the operation."""

from __future__ import annotations

from typing import Any

from dialogs.cards import card, card_activity, card_id, text, verbatim
from dialogs.hr_cards import submit
from dialogs.hr_flow import HrFlow, HrTurn
from dialogs.texts import t
from followup.hr import programmes
from followup.rounds.lifecycle import RoundError
from followup.rounds.programmes import ProgrammeEnd
from storage.models import Programme
from storage.programme_store import ProgrammeStore

# the card actions (and the command the audit log knows them by)
END_FORM, END = "programme_end_form", "programme_end"


def end_programme_card(programme: Programme, language: str) -> dict[str, Any]:
    """Are you sure: what ending the programme does, and what it leaves as it is."""
    return card(
        [
            verbatim(
                t(language, "hr.programme.end_title", programme=programme.title),
                size="Large",
                weight="Bolder",
            ),
            text(t(language, "hr.programme.end_body")),
        ],
        [submit(t(language, "hr.programme.end_submit"), END, language, programme=programme.id)],
    )


def ended_lines(ended: ProgrammeEnd, language: str) -> list[str]:
    """What ending the programme did, in words (Teams and the command line alike)."""
    lines = [t(language, "programme.ended", title=ended.title)]
    if ended.skipped:
        lines.append(t(language, "programme.ended.skipped", count=len(ended.skipped)))
    if ended.running:
        lines.append(t(language, "programme.ended.running", count=len(ended.running)))
    return lines


class HrProgrammes(HrFlow):
    """Ending a programme: asked from its calendar card, confirmed, then done."""

    async def _programme(self, turn: HrTurn, value: dict[str, Any]) -> Programme:
        """The card's programme, if it is the organisation's; ended already: said so."""
        programme_id = card_id(value.get("programme"))
        found = (
            await ProgrammeStore(self._db).get(programme_id) if programme_id is not None else None
        )
        if found is None or found.organisation_id != turn.call.organisation_id:
            raise RoundError("unknown_programme", programme=programme_id or "?")
        if not found.active:
            raise RoundError("programme_ended", programme=found.title)
        return found

    async def end_form(self, turn: HrTurn, value: dict[str, Any]) -> None:
        programme = await self._programme(turn, value)
        await turn.context.send_activity(
            card_activity(end_programme_card(programme, turn.language))
        )

    async def end(self, turn: HrTurn, value: dict[str, Any]) -> None:
        programme = await self._programme(turn, value)
        ended = await programmes.end_programme(turn.call, code=programme.code)
        # the confirmation becomes the outcome, so it cannot be pressed twice
        await self._replace(
            turn.context, card([verbatim(line) for line in ended_lines(ended, turn.language)])
        )
