"""The upload page for an HR admin whose Teams cannot send files, and the empty templates.

`importera` in Teams gives a one-time link: `/upload/<signed slot token>`. GET shows a small
form (Swedish or English), POST puts the file in the slot — once, while the slot lives — and
says to go back to Teams and type `förhandsgranska`. A used, expired or forged link answers a
small page saying what to do. The slot itself (bound to the organisation and the admin) is
`followup.hr.imports`'s; the signature only keeps made-up tokens from reaching the database.
`/templates/<plan|roster>.xlsx` serves the empty workbooks: they hold nobody's data."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import BodyPartReader, web
from itsdangerous import BadData, URLSafeSerializer

from bot.info_pages import STATEMENT, html_document, page_language
from dialogs.texts import LANGUAGES, t
from followup.hr.imports import Upload, store_upload, upload_slot
from followup.imports.detect import KINDS
from followup.imports.templates import template_workbook
from followup.policy import Policy
from storage.database import Database
from storage.types import utcnow

logger = logging.getLogger(__name__)

UPLOAD_SALT = "ledarpuls.import-upload"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024


class ImportPages:
    """Makes the links the HR cards carry (`dialogs.hr_imports.ImportLinks`) and reads them."""

    def __init__(self, *, secret: bytes, base_url: str) -> None:
        self._base = base_url.rstrip("/")
        self._signer = URLSafeSerializer(secret, salt=UPLOAD_SALT)

    def upload(self, token: str) -> str:
        return f"{self._base}/upload/{self._signer.dumps(token)}"

    def template(self, kind: str, language: str) -> str:
        return f"{self._base}/templates/{kind}.xlsx?lang={language}"

    def slot_of(self, signed: str) -> str | None:
        """The slot's token from a link's; None for a forged or damaged one."""
        try:
            token = self._signer.loads(signed)
        except BadData:
            return None
        return token if isinstance(token, str) else None


def _page(language: str, body: str, *, status: int = 200) -> web.Response:
    other = next(lang for lang in LANGUAGES if lang != language)
    title = t(language, "upload.page.title")
    content = html_document(
        language=language,
        title=title,
        main=f"<h1>{html.escape(title)}</h1>\n{body}",
        after=(
            f'<nav><a href="?lang={other}" hreflang="{other}" lang="{other}">'
            f"{html.escape(t(language, 'page.other_language'))}</a>\n"
            f'<a href="../{STATEMENT}?lang={language}">'
            f"{html.escape(t(language, 'page.accessibility.link'))}</a></nav>"
        ),
        head='<meta name="referrer" content="no-referrer">',
    )
    return web.Response(
        text=content,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Language": language,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            # a page with a form that carries a one-time link: nothing from elsewhere, no frames
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'"
            ),
        },
    )


def _message(language: str, key: str, *, status: int, policy: Policy) -> web.Response:
    text = t(language, key, max_mb=policy.import_max_bytes // 2**20)
    return _page(language, f'<p role="status">{html.escape(text)}</p>', status=status)


def _form(language: str, policy: Policy, note: str = "") -> str:
    intro = t(language, "upload.page.intro", max_mb=policy.import_max_bytes // 2**20)
    notice = f'<p role="alert"><strong>{html.escape(note)}</strong></p>' if note else ""
    return (
        f"{notice}<p>{html.escape(intro)}</p>"
        f'<form method="post" enctype="multipart/form-data" action="?lang={language}">'
        f'<label for="file">{html.escape(t(language, "upload.page.file"))}</label>'
        '<input id="file" name="file" type="file" required '
        'accept=".xlsx,.xlsm,.csv,.txt,.yaml,.yml">'
        f'<br><button type="submit">{html.escape(t(language, "upload.page.send"))}</button>'
        "</form>"
    )


# a refused upload: the page's words, its status, and whether the form is shown again
_REFUSED: dict[Upload, tuple[str, int, bool]] = {
    Upload.USED: ("upload.page.used", 410, False),
    Upload.EXPIRED: ("upload.page.expired", 410, False),
    Upload.TOO_LARGE: ("upload.page.too_large", 413, True),
    Upload.UNSUPPORTED: ("upload.page.unsupported", 415, True),
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _read_file(request: web.Request, limit: int) -> tuple[str, bytes] | None:
    """The form's file: its name and at most `limit` + 1 bytes (more means too large)."""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name != "file" or not part.filename:
            continue
        data = bytearray()
        while chunk := await part.read_chunk(CHUNK):
            data.extend(chunk)
            if len(data) > limit:
                break
        return part.filename, bytes(data)
    return None


def upload_handlers(
    pages: ImportPages,
    database: Callable[[], Database],
    *,
    policy: Policy,
    clock: Callable[[], datetime] = utcnow,
) -> tuple[Handler, Handler]:
    """GET and POST /upload/{token}."""

    async def show(request: web.Request) -> web.StreamResponse:
        language = page_language(request)
        token = pages.slot_of(request.match_info["token"])
        refused = (
            Upload.USED
            if token is None
            else await upload_slot(database(), token=token, now=clock())
        )
        if refused is not None:
            key, status, _ = _REFUSED[refused]
            return _message(language, key, status=status, policy=policy)
        return _page(language, _form(language, policy))

    async def receive(request: web.Request) -> web.StreamResponse:
        language = page_language(request)
        token = pages.slot_of(request.match_info["token"])
        if token is None:
            return _message(language, "upload.page.used", status=410, policy=policy)
        try:
            sent = await _read_file(request, policy.import_max_bytes)
        except (ValueError, AssertionError, KeyError):  # not a multipart form at all
            sent = None
        if sent is None:
            note = t(language, "upload.page.no_file")
            return _page(language, _form(language, policy, note), status=400)
        name, content = sent
        outcome = await store_upload(
            database(), token=token, file_name=name, content=content, now=clock(), policy=policy
        )
        if outcome == Upload.STORED:
            logger.info("import file uploaded: bytes=%s", len(content))
            return _message(language, "upload.page.stored", status=200, policy=policy)
        key, status, again = _REFUSED[outcome]
        if again:
            note = t(language, key, max_mb=policy.import_max_bytes // 2**20)
            return _page(language, _form(language, policy, note), status=status)
        return _message(language, key, status=status, policy=policy)

    return show, receive


async def template_handler(request: web.Request) -> web.StreamResponse:
    """GET /templates/{kind}.xlsx?lang=: an empty workbook with its columns explained."""
    kind = request.match_info["kind"]
    if kind not in KINDS:
        raise web.HTTPNotFound()
    language = page_language(request)
    content = await asyncio.to_thread(template_workbook, kind, words=lambda key: t(language, key))
    name = f"ledarpuls-{kind}-{language}.xlsx"
    return web.Response(
        body=content,
        headers={
            "Content-Type": XLSX,
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def add_import_pages(
    app: web.Application,
    pages: ImportPages,
    database: Callable[[], Database],
    *,
    policy: Policy,
) -> None:
    show, receive = upload_handlers(pages, database, policy=policy)
    app.router.add_get("/upload/{token}", show)
    app.router.add_post("/upload/{token}", receive)
    app.router.add_get("/templates/{kind}.xlsx", template_handler)
