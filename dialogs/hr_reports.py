"""What HR and department leads follow in Teams: the rounds, a round's status, its digest."""

from __future__ import annotations

import asyncio

from dialogs.cards import card_activity
from dialogs.digest_cards import Links, digest_card, digest_files
from dialogs.hr_cards import rounds_card, status_card
from dialogs.hr_flow import HrFlow, HrTurn
from followup.hr import operations
from storage.database import Database


class HrReports(HrFlow):
    """The rounds list, a round's status and its digest; leads see their departments only."""

    def __init__(self, db: Database, *, links: Links | None = None) -> None:
        super().__init__(db)
        self._links = links

    async def rounds(self, turn: HrTurn, _: int | None) -> None:
        rows = await operations.list_rounds(turn.call)
        await turn.context.send_activity(
            card_activity(rounds_card(rows, turn.language, zone=turn.call.policy.zone))
        )

    async def status(self, turn: HrTurn, round_id: int | None) -> None:
        call = turn.call
        p = await operations.round_status(call, round_id=round_id)
        await turn.context.send_activity(
            card_activity(
                status_card(
                    p,
                    turn.language,
                    now=call.now,
                    zone=call.policy.zone,
                    lead_scope=not call.access.admin,
                )
            )
        )

    async def digest(self, turn: HrTurn, round_id: int | None) -> None:
        call, language = turn.call, turn.language
        digest = await operations.request_digest(call, round_id=round_id)
        files = digest_files(digest, language, zone=call.policy.zone)
        departments = call.access.departments()
        urls = (
            self._links(
                round_id=digest.round.id,
                organisation_id=digest.round.organisation_id,
                language=language,
                actor=call.access.actor,
                departments=departments,
            )
            if self._links is not None
            else None
        )
        # the chart is drawn off the event loop
        content = await asyncio.to_thread(digest_card, files, links=urls)
        await turn.context.send_activity(card_activity(content))
