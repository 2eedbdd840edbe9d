"""HR's programme calendar in Teams: when rounds open, how long chefs have, the next opening."""

from __future__ import annotations

from typing import Any

from dialogs.card_fields import FormError, read_calendar
from dialogs.cards import card_activity, card_id
from dialogs.formatting import day_of_year, stored_title_of
from dialogs.hr_cards import calendar_card
from dialogs.hr_flow import FormRefused, HrFlow, HrTurn
from dialogs.texts import t
from followup.hr import operations
from followup.rounds.calendar import next_opening
from storage.database import Database
from storage.organisation_store import OrganisationStore


class HrCalendar(HrFlow):
    """Shows each programme's calendar and saves a changed one, moving the planned rounds."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        # the calendar's round titles as stored, in the organisation's language
        self._title_of = stored_title_of()

    async def show(self, turn: HrTurn, _: int | None) -> None:
        call, language = turn.call, turn.language
        programmes = await OrganisationStore(self._db).programmes(call.organisation_id)
        if not programmes:
            await turn.context.send_activity(t(language, "hr.no_programme"))
            return
        for programme in programmes:
            assert programme.id is not None
            upcoming = await next_opening(
                self._db,
                programme=programme,
                now=call.now,
                policy=call.policy,
                title_of=self._title_of,
            )
            await turn.context.send_activity(
                card_activity(
                    calendar_card(
                        programme,
                        language,
                        next_opening=upcoming,
                        policy=call.policy,
                        today=call.today,
                    )
                )
            )

    async def change(self, turn: HrTurn, value: dict[str, Any]) -> None:
        call, language = turn.call, turn.language
        form, errors = read_calendar(value, policy=call.policy)
        programme_id = card_id(value.get("programme"))
        if programme_id is None:
            errors.append(FormError("programme", "bad_choice"))
        if errors or programme_id is None:
            raise FormRefused(errors)
        change = await operations.change_calendar(
            call,
            programme_id=programme_id,
            round_opens=form.round_opens,
            answer_days=form.answer_days,
            title_of=self._title_of,
        )
        lines = [
            t(
                language,
                "hr.calendar.saved",
                days=", ".join(day_of_year(d, language) for d in form.round_opens),
                count=form.answer_days,
            )
        ]
        if change.moved or change.planned:
            lines.append(
                t(language, "hr.calendar.moved", count=len(change.moved) + len(change.planned))
            )
        if change.skipped:
            lines.append(t(language, "hr.calendar.skipped", count=len(change.skipped)))
        await turn.context.send_activity("\n\n".join(lines))
