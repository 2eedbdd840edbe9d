"""What HR and department leads follow in Teams: the rounds, a round's status, its digest, and
its answers per chef."""

from __future__ import annotations

import asyncio
from typing import Any

from dialogs.cards import card_activity, card_id
from dialogs.digest_cards import (
    DIGEST_FORMATS,
    Links,
    digest_card,
    digest_file_name,
    digest_files,
    digest_formats,
)
from dialogs.download_cards import download_card
from dialogs.hr_cards import rounds_card, status_card
from dialogs.hr_flow import HrFlow, HrTurn, required_round
from dialogs.identified_cards import department_cards, picker_card
from dialogs.texts import t
from followup.hr import operations
from followup.rounds.lifecycle import RoundError
from storage.database import Database


class HrReports(HrFlow):
    """The rounds list, a round's status, its digest and its answers per chef; leads see their
    departments only."""

    def __init__(self, db: Database, *, links: Links | None = None) -> None:
        super().__init__(db)
        self._links = links

    async def rounds(self, turn: HrTurn, _: int | None) -> None:
        rows = await operations.list_rounds(turn.call)
        await turn.context.send_activity(
            card_activity(
                rounds_card(rows, turn.language, zone=turn.call.policy.zone, today=turn.call.today)
            )
        )

    async def status(self, turn: HrTurn, round_id: int | None) -> None:
        call = turn.call
        p = await operations.round_status(call, round_id=round_id)
        # pressed on the round's card or its status: that card shows the figures now
        await turn.show(
            status_card(
                p,
                turn.language,
                now=call.now,
                zone=call.policy.zone,
                lead_scope=not call.access.admin,
                retry_window=call.policy.send_retry_window,
            )
        )

    async def digest(self, turn: HrTurn, round_id: int | None) -> None:
        call, language = turn.call, turn.language
        digest = await operations.request_digest(call, round_id=round_id)
        files = digest_files(digest, language, zone=call.policy.zone, soffice=call.policy.soffice)
        # the chart is drawn off the event loop
        content = await asyncio.to_thread(
            digest_card, files, downloads=self._links is not None, today=call.today
        )
        await turn.context.send_activity(card_activity(content))

    async def download(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """A digest card's download button, pressed now (maybe days after the card came):
        past the gate, so by someone who may see the digest today, a fresh link to the file
        cut to what they may see today (a lead's departments)."""
        call, language = turn.call, turn.language
        round_id = required_round(value)
        kind = value.get("format")
        if kind not in DIGEST_FORMATS:
            raise RoundError("invalid_card")
        round_ = await operations.find_round(call, "digest", round_id=round_id)
        if self._links is None:
            await turn.context.send_activity(t(language, "download.unavailable"))
            return
        if kind not in digest_formats(call.policy.soffice):
            # offered when the card came, gone since (LibreOffice removed): said, nothing made
            await turn.context.send_activity(t(language, "digest.pdf.gone"))
            return
        url = self._links(
            round_id=round_id,
            organisation_id=round_.organisation_id,
            language=language,
            actor=call.access.actor,
            departments=call.access.departments(),
        )[kind]
        content = download_card(
            name=digest_file_name(round_.title, kind, language),
            label=t(language, f"digest.download.{kind}"),
            url=url,
            language=language,
            lifetime=call.policy.link_lifetime,
        )
        await turn.context.send_activity(card_activity(content))

    async def identified(self, turn: HrTurn, round_id: int | None) -> None:
        """ "svar per chef": one department's cards straight away, else the choice of them."""
        await self._identified(turn, round_id, None)

    async def identified_department(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """A department's button (on the digest card or the choice)."""
        await self._identified(turn, required_round(value), card_id(value.get("department")))

    async def _identified(self, turn: HrTurn, round_id: int | None, department: int | None) -> None:
        language = turn.language
        answers = await operations.identified(turn.call, round_id=round_id, department=department)
        if not answers.departments:
            await turn.context.send_activity(
                t(language, "identified.none", round=answers.round.title)
            )
            return
        if len(answers.departments) > 1:
            await turn.context.send_activity(card_activity(picker_card(answers, language)))
            return
        for content in department_cards(answers, answers.departments[0], language):
            await turn.context.send_activity(card_activity(content))
