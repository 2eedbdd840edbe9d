"""Short-lived signed links to a round's digest files, and to a chef's own data, served by the
bot itself.

A digest link names the round, the organisation, the format, the language and who asked for it;
a my-data link names the chef instead of the round. Either expires when the policy's link lifetime
(a quarter of an hour) has passed since it was made, so nobody can make one for another round or
another chef, turn one kind into the other, or stretch its life. Every download is compiled afresh
and audited.

The tokens are itsdangerous's URL-safe timed serializer (HMAC-SHA256 over a JSON dict with named
fields and the time it was signed), with a salt per purpose so a digest token can never be read
as a my-data token. Chosen over PyJWT because its key derivation takes whatever secret the
operator configures (PyJWT warns about HMAC keys under 32 bytes), the purpose salt is built in,
and the age is checked against our injected clock (PyJWT checks `exp` only against the wall
clock)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from aiohttp import web
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from dialogs.digest_cards import MEDIA_TYPES, digest_files
from dialogs.my_data_cards import FILE_TYPES, my_data_file, my_data_file_name
from dialogs.my_data_cards import FORMATS as MY_DATA_FORMATS
from followup.digest.compile import compile_digest
from followup.digest.report import NAMING_FORMATS
from followup.policy import Policy
from followup.privacy.my_data import collect
from followup.rounds.lifecycle import RoundError
from storage.audit_store import AuditStore
from storage.database import Database
from storage.types import utcnow

logger = logging.getLogger(__name__)

FORMATS = ("xlsx", "docx", "md")
NOT_FOUND = {"error": "unknown or expired link"}
# one salt per purpose: the same secret signs both kinds, but neither verifies as the other
DIGEST_SALT = "ledarpuls.digest-download"
MY_DATA_SALT = "ledarpuls.my-data-download"


@dataclass(frozen=True)
class Grant:
    """What a digest link lets its holder download."""

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


class _ClockSigner(TimestampSigner):
    """itsdangerous's timestamp signer on the injected clock, so tests can age a link."""

    def __init__(self, *args: Any, clock: Callable[[], datetime], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock().timestamp())


def _load(
    serializer: URLSafeTimedSerializer, token: str, *, lifetime: timedelta
) -> tuple[dict[str, Any], datetime] | None:
    """The signed fields of a token and when it expires; None when it is forged, damaged,
    expired or of another purpose."""
    try:
        fields, signed_at = serializer.loads(
            token, max_age=int(lifetime.total_seconds()), return_timestamp=True
        )
    except BadData:
        return None
    if not isinstance(fields, dict):
        return None
    return fields, signed_at + lifetime


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
        key = secret or secrets.token_bytes(32)
        self._base = base_url.rstrip("/")
        self._lifetime = lifetime
        self._clock = clock
        self._digest = URLSafeTimedSerializer(
            key, salt=DIGEST_SALT, signer=_ClockSigner, signer_kwargs={"clock": clock}
        )
        self._my_data = URLSafeTimedSerializer(
            key, salt=MY_DATA_SALT, signer=_ClockSigner, signer_kwargs={"clock": clock}
        )

    def links(
        self,
        *,
        round_id: int,
        organisation_id: int,
        language: str,
        actor: str,
        departments: frozenset[int] | None = None,
    ) -> dict[str, str]:
        scope = sorted(departments) if departments is not None else None
        return {
            kind: f"{self._base}/digest/"
            + self._digest.dumps(
                {
                    "round": round_id,
                    "organisation": organisation_id,
                    "format": kind,
                    "language": language,
                    "actor": actor,
                    "departments": scope,
                }
            )
            for kind in FORMATS
        }

    def my_data_links(
        self, *, chef_id: int, organisation_id: int, language: str, actor: str
    ) -> dict[str, str]:
        """Links to everything stored about one chef, as JSON and XLSX, for that chef."""
        return {
            kind: f"{self._base}/my-data/"
            + self._my_data.dumps(
                {
                    "chef": chef_id,
                    "organisation": organisation_id,
                    "format": kind,
                    "language": language,
                    "actor": actor,
                }
            )
            for kind in MY_DATA_FORMATS
        }

    def check(self, token: str) -> Grant | None:
        """The grant a digest token carries; None when it is forged, damaged, expired or of
        another kind."""
        loaded = _load(self._digest, token, lifetime=self._lifetime)
        if loaded is None:
            return None
        fields, expires = loaded
        try:
            scope = fields["departments"]
            grant = Grant(
                round_id=int(fields["round"]),
                organisation_id=int(fields["organisation"]),
                kind=str(fields["format"]),
                language=str(fields["language"]),
                actor=str(fields["actor"]),
                expires=expires,
                departments=frozenset(int(d) for d in scope) if scope is not None else None,
            )
        except (KeyError, ValueError, TypeError):
            return None
        return grant if grant.kind in FORMATS else None

    def check_my_data(self, token: str) -> MyDataGrant | None:
        """The grant a my-data token carries; None when it is forged, damaged, expired or of
        another kind."""
        loaded = _load(self._my_data, token, lifetime=self._lifetime)
        if loaded is None:
            return None
        fields, expires = loaded
        try:
            grant = MyDataGrant(
                chef_id=int(fields["chef"]),
                organisation_id=int(fields["organisation"]),
                kind=str(fields["format"]),
                language=str(fields["language"]),
                actor=str(fields["actor"]),
                expires=expires,
            )
        except (KeyError, ValueError, TypeError):
            return None
        return grant if grant.kind in MY_DATA_FORMATS else None


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
    links: DownloadLinks, database: Callable[[], Database], *, policy: Policy
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
                policy=policy,
            )
        except RoundError as error:
            # a valid link whose round is gone (or no longer theirs): refused, on record; a
            # link that is no link has nobody to put on record (and would let anyone fill it)
            await AuditStore(db).record(
                actor=grant.actor,
                action="digest.refused",
                at=now,
                organisation_id=grant.organisation_id,
                detail={"reason": error.code, "round": grant.round_id, "format": grant.kind},
            )
            return web.json_response(NOT_FOUND, status=404)
        files = digest_files(digest, grant.language, zone=policy.zone)
        content = await asyncio.to_thread(files.render, grant.kind)
        await AuditStore(db).record(
            actor=grant.actor,
            action="digest.download",
            at=now,
            organisation_id=grant.organisation_id,
            round_id=grant.round_id,
            detail={"format": grant.kind},
        )
        if grant.kind in NAMING_FORMATS and digest.identified:
            await AuditStore(db).record(
                actor=grant.actor,
                action="digest.identified.export",
                at=now,
                organisation_id=grant.organisation_id,
                round_id=grant.round_id,
                detail={
                    "format": grant.kind,
                    "departments": None if grant.departments is None else sorted(grant.departments),
                },
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
            await AuditStore(db).record(
                actor=grant.actor,
                action="mydata.refused",
                at=now,
                organisation_id=grant.organisation_id,
                detail={"reason": "not_a_chef", "format": grant.kind},
            )
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
