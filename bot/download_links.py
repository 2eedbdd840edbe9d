"""Short-lived signed links to a round's digest files, served by the bot itself.

A link names the round, the organisation, the format, the language and who asked for it, and
expires after a quarter of an hour; it is signed with HMAC-SHA256, so nobody can make one for
another round or stretch its life. Every download is compiled afresh and audited."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from aiohttp import web

from dialogs.digest_cards import MEDIA_TYPES, digest_files
from followup.digest import compile_digest
from followup.rounds import RoundError
from storage.audit_store import AuditStore
from storage.database import Database
from storage.types import utcnow

logger = logging.getLogger(__name__)

LIFETIME = timedelta(minutes=15)
FORMATS = ("xlsx", "docx", "md")


@dataclass(frozen=True)
class Grant:
    round_id: int
    organisation_id: int
    kind: str
    language: str
    actor: str
    expires: datetime
    departments: frozenset[int] | None  # a department lead's; None: the whole round


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class DownloadLinks:
    """Makes and checks the signed links; `base_url` is where Teams users reach the bot."""

    def __init__(
        self,
        *,
        secret: bytes | None,
        base_url: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        # without a configured secret, one per process: links then work on this replica only
        self._secret = secret or secrets.token_bytes(32)
        self._base = base_url.rstrip("/")
        self._clock = clock

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._secret, payload, hashlib.sha256).digest())

    def links(
        self,
        *,
        round_id: int,
        organisation_id: int,
        language: str,
        actor: str,
        departments: frozenset[int] | None = None,
    ) -> dict[str, str]:
        expires = int((self._clock() + LIFETIME).timestamp())
        scope = sorted(departments) if departments is not None else None
        result = {}
        for kind in FORMATS:
            payload = json.dumps(
                [round_id, organisation_id, kind, language, actor, expires, scope],
                separators=(",", ":"),
            ).encode()
            token = f"{_b64(payload)}.{self._sign(payload)}"
            result[kind] = f"{self._base}/digest/{quote(token)}"
        return result

    def check(self, token: str) -> Grant | None:
        """The grant a token carries; None when it is forged, damaged or expired."""
        try:
            encoded, signature = token.split(".", 1)
            payload = _unb64(encoded)
            if not hmac.compare_digest(signature, self._sign(payload)):
                return None
            round_id, organisation_id, kind, language, actor, expires, scope = json.loads(payload)
            grant = Grant(
                int(round_id),
                int(organisation_id),
                str(kind),
                str(language),
                str(actor),
                datetime.fromtimestamp(int(expires), tz=self._clock().tzinfo),
                frozenset(int(d) for d in scope) if scope is not None else None,
            )
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            return None
        if grant.kind not in FORMATS or grant.expires < self._clock():
            return None
        return grant


def download_handler(
    links: DownloadLinks, database: Callable[[], Database]
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET /digest/{token}: the file, compiled now; 404 for anything but a valid link."""

    async def handle(request: web.Request) -> web.StreamResponse:
        grant = links.check(request.match_info["token"])
        if grant is None:
            return web.json_response({"error": "unknown or expired link"}, status=404)
        db = database()
        now = utcnow()
        try:
            digest = await compile_digest(
                db,
                round_id=grant.round_id,
                now=now,
                organisation_id=grant.organisation_id,
                department_ids=grant.departments,
            )
        except RoundError:
            return web.json_response({"error": "unknown or expired link"}, status=404)
        files = digest_files(digest, grant.language)
        content = await asyncio.to_thread(files.render, grant.kind)
        await AuditStore(db).record(
            actor=grant.actor,
            action="digest.download",
            at=now,
            organisation_id=grant.organisation_id,
            round_id=grant.round_id,
            detail={"format": grant.kind},
        )
        logger.info("digest downloaded: round=%s format=%s", grant.round_id, grant.kind)
        return web.Response(
            body=content,
            headers={
                "Content-Type": MEDIA_TYPES[grant.kind],
                "Content-Disposition": f'attachment; filename="{files.file_name(grant.kind)}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return handle
