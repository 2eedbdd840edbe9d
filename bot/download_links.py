"""Short-lived signed links to a round's digest files, and to a chef's own data, served by the
bot itself.

A digest link names the round, the organisation, the format, the language and who asked for it;
a my-data link names the chef instead of the round. Either expires after a quarter of an hour
and is signed with HMAC-SHA256, so nobody can make one for another round or another chef, turn
one kind into the other, or stretch its life. Every download is compiled afresh and audited."""

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
from datetime import datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import quote

from aiohttp import web

from dialogs.digest_cards import MEDIA_TYPES, digest_files
from dialogs.my_data_cards import FILE_TYPES, my_data_file, my_data_file_name
from dialogs.my_data_cards import FORMATS as MY_DATA_FORMATS
from followup.digest import compile_digest
from followup.my_data import collect
from followup.rounds import RoundError
from storage.audit_store import AuditStore
from storage.database import Database
from storage.types import utcnow

logger = logging.getLogger(__name__)

FORMATS = ("xlsx", "docx", "md")
MY_DATA = "mydata"  # the first field of a my-data link's payload (a digest's is a round id)
NOT_FOUND = {"error": "unknown or expired link"}


@dataclass(frozen=True)
class Grant:
    round_id: int
    organisation_id: int
    kind: str
    language: str
    actor: str
    expires: datetime
    departments: frozenset[int] | None  # a department lead's; None: the whole round


@dataclass(frozen=True)
class MyDataGrant:
    """A chef's own data, for that chef only."""

    chef_id: int
    organisation_id: int
    kind: str
    language: str
    actor: str
    expires: datetime


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
        lifetime: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        # without a configured secret, one per process: links then work on this replica only
        self._secret = secret or secrets.token_bytes(32)
        self._base = base_url.rstrip("/")
        self._lifetime = lifetime
        self._clock = clock

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._secret, payload, hashlib.sha256).digest())

    def _token(self, fields: list[object]) -> str:
        payload = json.dumps(fields, separators=(",", ":")).encode()
        return quote(f"{_b64(payload)}.{self._sign(payload)}")

    def _fields(self, token: str) -> list[Any] | None:
        """The signed fields of a token; None when it is forged or damaged."""
        try:
            encoded, signature = token.split(".", 1)
            payload = _unb64(encoded)
            if not hmac.compare_digest(signature, self._sign(payload)):
                return None
            fields = json.loads(payload)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            return None
        return fields if isinstance(fields, list) else None

    def _expires(self) -> int:
        return int((self._clock() + self._lifetime).timestamp())

    def links(
        self,
        *,
        round_id: int,
        organisation_id: int,
        language: str,
        actor: str,
        departments: frozenset[int] | None = None,
    ) -> dict[str, str]:
        expires = self._expires()
        scope = sorted(departments) if departments is not None else None
        return {
            kind: f"{self._base}/digest/"
            + self._token([round_id, organisation_id, kind, language, actor, expires, scope])
            for kind in FORMATS
        }

    def my_data_links(
        self, *, chef_id: int, organisation_id: int, language: str, actor: str
    ) -> dict[str, str]:
        """Links to everything stored about one chef, as JSON and XLSX, for that chef."""
        expires = self._expires()
        return {
            kind: f"{self._base}/my-data/"
            + self._token([MY_DATA, chef_id, organisation_id, kind, language, actor, expires])
            for kind in MY_DATA_FORMATS
        }

    def check(self, token: str) -> Grant | None:
        """The grant a digest token carries; None when it is forged, damaged, expired or of
        another kind."""
        fields = self._fields(token)
        if fields is None or fields[:1] == [MY_DATA]:
            return None
        try:
            round_id, organisation_id, kind, language, actor, expires, scope = fields
            grant = Grant(
                int(round_id),
                int(organisation_id),
                str(kind),
                str(language),
                str(actor),
                datetime.fromtimestamp(int(expires), tz=self._clock().tzinfo),
                frozenset(int(d) for d in scope) if scope is not None else None,
            )
        except (ValueError, TypeError):
            return None
        if grant.kind not in FORMATS or grant.expires < self._clock():
            return None
        return grant

    def check_my_data(self, token: str) -> MyDataGrant | None:
        """The grant a my-data token carries; None when it is forged, damaged, expired or of
        another kind."""
        fields = self._fields(token)
        if fields is None or fields[:1] != [MY_DATA]:
            return None
        try:
            _, chef_id, organisation_id, kind, language, actor, expires = fields
            grant = MyDataGrant(
                int(chef_id),
                int(organisation_id),
                str(kind),
                str(language),
                str(actor),
                datetime.fromtimestamp(int(expires), tz=self._clock().tzinfo),
            )
        except (ValueError, TypeError):
            return None
        if grant.kind not in MY_DATA_FORMATS or grant.expires < self._clock():
            return None
        return grant


def attachment(content: bytes, media_type: str, file_name: str) -> web.Response:
    """A file to save, never to show inline, nor to keep in a cache."""
    return web.Response(
        body=content,
        headers={
            "Content-Type": media_type,
            "Content-Disposition": f'attachment; filename="{file_name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def download_handler(
    links: DownloadLinks, database: Callable[[], Database], *, zone: tzinfo
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET /digest/{token}: the file, compiled now; 404 for anything but a valid link."""

    async def handle(request: web.Request) -> web.StreamResponse:
        grant = links.check(request.match_info["token"])
        if grant is None:
            return web.json_response(NOT_FOUND, status=404)
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
            return web.json_response(NOT_FOUND, status=404)
        files = digest_files(digest, grant.language, zone=zone)
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
        return attachment(content, MEDIA_TYPES[grant.kind], files.file_name(grant.kind))

    return handle


def my_data_handler(
    links: DownloadLinks, database: Callable[[], Database], *, zone: tzinfo
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET /my-data/{token}: a chef's own data as a file, read now; 404 for anything but a
    valid link of that chef's."""

    async def handle(request: web.Request) -> web.StreamResponse:
        grant = links.check_my_data(request.match_info["token"])
        if grant is None:
            return web.json_response(NOT_FOUND, status=404)
        db = database()
        now = utcnow()
        data = await collect(db, chef_id=grant.chef_id, organisation_id=grant.organisation_id)
        if data is None:
            return web.json_response(NOT_FOUND, status=404)
        content = await asyncio.to_thread(
            my_data_file, data, kind=grant.kind, language=grant.language, now=now
        )
        await AuditStore(db).record(
            actor=grant.actor,
            action="mydata.export",
            at=now,
            organisation_id=grant.organisation_id,
            detail={"format": grant.kind, "rounds": len(data.rounds)},
        )
        logger.info("my data downloaded: chef=%s format=%s", grant.chef_id, grant.kind)
        name = my_data_file_name(grant.kind, grant.language, now=now, zone=zone)
        return attachment(content, FILE_TYPES[grant.kind], name)

    return handle
