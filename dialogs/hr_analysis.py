"""HR writes a round's analysis and next steps for the board's report in Teams: `analys 3`, or
Skriv analys on a closed round's card, brings the form; Spara saves through the operation and
turns the form back into the round's card, saying what changed."""

from __future__ import annotations

from typing import Any

from dialogs.card_fields import ANALYSIS, NEXT_STEPS, FormError
from dialogs.formatting import number
from dialogs.hr_cards import analysis_card
from dialogs.hr_flow import FormRefused, HrFlow, HrTurn, required_round, round_card_now
from dialogs.texts import t
from followup.hr import analysis as analysis_
from followup.hr.analysis import AnalysisTooLong


class HrAnalysis(HrFlow):
    """The form for a round's analysis and next steps, and saving it."""

    async def form(self, turn: HrTurn, round_id: int | None) -> None:
        call = turn.call
        round_ = await analysis_.analysis_round(call, round_id=round_id)
        # in place of the round's card: Spara or Tillbaka turns it back into the round's card
        await turn.show(
            analysis_card(round_, turn.language, zone=call.policy.zone, today=call.today)
        )

    async def save(self, turn: HrTurn, value: dict[str, Any]) -> None:
        call, language = turn.call, turn.language
        round_id = required_round(value)
        seen = value.get("seen")
        try:
            saved = await analysis_.write_analysis(
                call,
                round_id=round_id,
                # what Teams sends for an input; anything else (a forged list) counts as empty
                analysis=_text(value.get(ANALYSIS)),
                next_steps=_text(value.get(NEXT_STEPS)),
                seen=seen if isinstance(seen, str) else None,
            )
        except AnalysisTooLong as error:
            # the form stays as it is, with what HR typed; nothing was written
            raise FormRefused(
                [
                    FormError(
                        e.name,
                        e.code,
                        {k: number(v, language) for k, v in e.params.items()},
                    )
                    for e in error.errors
                ],
                intro="hr.analysis.not_saved",
            ) from error
        round_ = saved.round
        if saved.changes:
            said = " ".join(
                t(language, f"hr.analysis.{change}.{name}")
                for name, change in sorted(saved.changes.items())
            )
        else:
            said = t(language, "hr.analysis.unchanged")
        content = await round_card_now(
            self._db,
            round_,
            language,
            heading=None,
            now=call.now,
            policy=call.policy,
            said=said,
        )
        await self._replace(turn.context, content)


def _text(value: Any) -> str | None:
    """A text input's value; None when the press has none (the text stays as it is)."""
    if value is None:
        return None
    return value if isinstance(value, str) else ""
