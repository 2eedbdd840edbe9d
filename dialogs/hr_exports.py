"""The export of the published figures in Teams: "exportera" (or the digest card's button)
shows what can be exported of a closed round; a press on one of its files answers with a fresh
link, made for who presses now (a lead: their departments), and the file is cut when the link
is followed — by the same operation as `ledarpuls export` (`followup.hr.exports`)."""

from __future__ import annotations

from typing import Any

from dialogs.cards import card_activity
from dialogs.download_cards import download_card
from dialogs.export_cards import SCOPES, ExportLinks, export_card, export_file_name
from dialogs.hr_flow import HrFlow, HrTurn, required_round
from dialogs.texts import t
from followup.digest.export import EXPORT_FORMATS
from followup.hr.exports import export_scope
from followup.rounds.lifecycle import RoundError
from storage.database import Database
from storage.programme_store import ProgrammeStore


class HrExports(HrFlow):
    """The export card of a closed round, and its download buttons."""

    def __init__(self, db: Database, *, links: ExportLinks | None = None) -> None:
        super().__init__(db)
        self._links = links

    async def show(self, turn: HrTurn, round_id: int | None) -> None:
        """ "exportera" (the latest closed round) or "exportera 3", or the digest's button."""
        call, language = turn.call, turn.language
        if self._links is None:
            await turn.context.send_activity(t(language, "download.unavailable"))
            return
        [round_], _ = await export_scope(call, round_id=round_id)
        programme = await ProgrammeStore(self._db).get(round_.programme_id)
        assert programme is not None
        content = export_card(round_, programme, language, lead=not call.access.admin)
        await turn.context.send_activity(card_activity(content))

    async def download(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """A file of the export card, pressed now (maybe days later): checked as the export
        itself is, then a fresh link to it."""
        call, language = turn.call, turn.language
        round_id = required_round(value)
        kind, scope = value.get("format"), value.get("scope")
        if kind not in EXPORT_FORMATS or scope not in SCOPES:
            raise RoundError("invalid_card")
        whole = scope == "programme"
        rounds, programme = await export_scope(call, round_id=round_id, whole_programme=whole)
        if self._links is None:
            await turn.context.send_activity(t(language, "download.unavailable"))
            return
        url = self._links(
            round_id=round_id,
            whole_programme=whole,
            organisation_id=call.organisation_id,
            language=language,
            actor=call.access.actor,
            departments=call.access.departments(),
        )[kind]
        content = download_card(
            name=export_file_name(rounds, programme, kind, language),
            label=t(language, f"export.download.{scope}.{kind}"),
            url=url,
            language=language,
            lifetime=call.policy.link_lifetime,
        )
        await turn.context.send_activity(card_activity(content))
