"""HR keeps the plan and the roster from Teams: a file sent in the chat (or put on the upload
page) is checked and previewed; Verkställ applies it, Avbryt drops it; `mallar` gives the
templates. Who may, and what an import does, is `followup.hr.imports`'s."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from dialogs.cards import card_activity
from dialogs.hr_flow import HrFlow, HrTurn
from dialogs.import_cards import (
    applied_card,
    cancelled_card,
    preview_card,
    problems_card,
    templates_card,
    upload_card,
)
from dialogs.texts import t
from followup.hr import imports
from followup.hr.imports import Preview, too_large
from followup.imports.detect import KINDS
from followup.imports.problems import ImportRejected
from followup.imports.tabular import ImportFile, file_format
from storage.database import Database

logger = logging.getLogger(__name__)

# what Teams attaches for a file a user sends a bot in personal chat
FILE_INFO = "application/vnd.microsoft.teams.file.download.info"


class FileTooLarge(Exception):
    """The file is larger than the limit: not read further."""


class FileUnavailable(Exception):
    """The file could not be fetched (the link expired, the network failed)."""


# fetches a file's bytes from its download URL, at most `limit` of them (the bot's edge)
FetchFile = Callable[[str, int], Awaitable[bytes]]


class ImportLinks(Protocol):
    """Where the bot serves the upload page and the templates."""

    def upload(self, token: str) -> str: ...

    def template(self, kind: str, language: str) -> str: ...


@dataclass(frozen=True)
class SentFile:
    """A file someone sent in the chat, as Teams describes it."""

    name: str
    url: str


def sent_files(activity: Activity) -> list[SentFile]:
    """The files of a message (Teams' download info attachments), without their bytes."""
    found = []
    for attachment in activity.attachments or []:
        if attachment.content_type != FILE_INFO or not isinstance(attachment.content, dict):
            continue
        url = attachment.content.get("downloadUrl")
        if isinstance(url, str) and url:
            found.append(SentFile(str(attachment.name or "fil"), url))
    return found


def has_files(activity: Activity) -> bool:
    return bool(sent_files(activity))


class HrImports(HrFlow):
    """The file in the chat, the upload link and its preview, Verkställ, Avbryt, the templates."""

    def __init__(
        self, db: Database, *, fetch: FetchFile | None = None, links: ImportLinks | None = None
    ) -> None:
        super().__init__(db)
        self._fetch = fetch
        self._links = links

    async def on_file(self, turn: HrTurn, _: int | None) -> None:
        """A file HR sent: fetched only now that the sender is known to be HR, then checked."""
        language, context = turn.language, turn.context
        files = sent_files(context.activity)
        if len(files) != 1:
            await context.send_activity(t(language, "import.one_file"))
            return
        sent = files[0]
        if self._fetch is None:
            await context.send_activity(t(language, "import.no_files"))
            return
        try:
            file_format(ImportFile(sent.name, b""))  # a picture is refused before it is fetched
            try:
                content = await self._fetch(sent.url, turn.call.policy.import_max_bytes)
            except FileTooLarge:
                raise too_large(sent.name, turn.call.policy) from None
            except FileUnavailable:
                await context.send_activity(t(language, "import.download_failed"))
                return
            preview = await imports.check_import(turn.call, file_name=sent.name, content=content)
        except ImportRejected as rejected:
            await self._rejected(context, rejected, language)
            return
        await self._preview(turn, preview)

    async def upload_link(self, turn: HrTurn, _: int | None) -> None:
        """`importera`: a one-time link to the upload page, for a Teams that cannot send files."""
        if self._links is None:
            await turn.context.send_activity(t(turn.language, "import.upload.unavailable"))
            return
        slot = await imports.open_upload(turn.call)
        content = upload_card(
            self._links.upload(slot.token),
            slot.expires_at,
            turn.language,
            zone=turn.call.policy.zone,
        )
        await turn.context.send_activity(card_activity(content))

    async def preview_upload(self, turn: HrTurn, _: int | None) -> None:
        """`förhandsgranska`: the file put on the upload page, checked."""
        try:
            preview = await imports.preview_upload(turn.call)
        except ImportRejected as rejected:
            await self._rejected(turn.context, rejected, turn.language)
            return
        await self._preview(turn, preview)

    async def apply(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """Verkställ: the file applied, the preview replaced by what it did."""
        token = value.get("token")
        try:
            report = await imports.apply_import(
                turn.call, token=token if isinstance(token, str) else ""
            )
        except ImportRejected as rejected:
            # the database changed since the preview (a department gone, say): nothing applied
            await self._rejected(turn.context, rejected, turn.language)
            return
        await self._replace(turn.context, applied_card(report, turn.language))

    async def cancel(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """Avbryt: the file dropped, unapplied."""
        token = value.get("token")
        name = await imports.cancel_import(turn.call, token=token if isinstance(token, str) else "")
        await self._replace(turn.context, cancelled_card(name, turn.language))

    async def templates(self, turn: HrTurn, _: int | None) -> None:
        """`mallar`: links to the empty plan and roster workbooks."""
        if self._links is None:
            await turn.context.send_activity(t(turn.language, "import.templates.unavailable"))
            return
        links = self._links
        urls = {kind: links.template(kind, turn.language) for kind in KINDS}
        await turn.context.send_activity(card_activity(templates_card(urls, turn.language)))

    async def _preview(self, turn: HrTurn, preview: Preview) -> None:
        await turn.context.send_activity(
            card_activity(preview_card(preview, turn.language, zone=turn.call.policy.zone))
        )

    @staticmethod
    async def _rejected(context: TurnContext, rejected: ImportRejected, language: str) -> None:
        logger.info("import rejected: problems=%s", len(rejected.problems))
        file_name = rejected.problems[0].location.file if rejected.problems else ""
        await context.send_activity(
            card_activity(problems_card(file_name, rejected.problems, language))
        )
