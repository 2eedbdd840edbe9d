"""Short-lived signed links to a round's digest files, to the export of published figures, to
a consortium's compiled digest, and to a chef's own data, served by the bot itself.

Nobody keeps a link: the cards carry buttons that ask the bot, which checks the presser's role
at that moment and answers with a fresh link (`dialogs.download_cards`). A digest link names
the round, the organisation, the format, the language and who asked for it; a my-data link
names the chef instead of the round. Either expires when the policy's link lifetime
(a quarter of an hour) has passed since it was made, so nobody can make one for another round or
another chef, turn one kind into the other, or stretch its life. Every download is compiled afresh
and audited.

The tokens are itsdangerous's URL-safe timed serializer (HMAC-SHA256 over a JSON dict with named
fields and the time it was signed), with a salt per purpose so a digest token can never be read
as a my-data token. Chosen over PyJWT because its key derivation takes whatever secret the
operator configures (PyJWT warns about HMAC keys under 32 bytes), the purpose salt is built in,
and the age is checked against our injected clock (PyJWT checks `exp` only against the wall
clock).

A link that gives no file answers a small page in Swedish and English (`bot.link_pages`); a file
comes with its name as written, for every browser (RFC 6266, with RFC 5987's UTF-8 form)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import quote

from aiohttp import web
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from bot.link_pages import link_page
from dialogs.consortium_cards import CONSORTIUM_FORMATS, consortium_file, consortium_file_name
from dialogs.consortium_cards import consortium_report as consortium_layout
from dialogs.digest_cards import (
    DIGEST_FORMATS,
    MEDIA_TYPES,
    digest_files,
    digest_formats,
    texts_in,
)
from dialogs.export_cards import export_file_name
from dialogs.my_data_cards import FILE_TYPES, my_data_file, my_data_file_name
from dialogs.my_data_cards import FORMATS as MY_DATA_FORMATS
from followup.digest.compile import compile_digest
from followup.digest.export import EXPORT_FORMATS
from followup.digest.export import MEDIA_TYPES as EXPORT_MEDIA_TYPES
from followup.digest.pdf import PdfUnavailable
from followup.digest.report import NAMING_FORMATS
from followup.hr import consortium
from followup.hr.exports import export_figures
from followup.hr.operations import Call
from followup.people.access import Access
from followup.policy import Policy
from followup.privacy.my_data import collect
from followup.rounds.lifecycle import RoundError
from storage.audit_store import AuditStore
from storage.database import Database
from storage.types import utcnow

logger = logging.getLogger(__name__)

# what a digest link may name: a PDF/A link made while LibreOffice was installed stays one,
# and says so plainly if it is gone when followed
FORMATS = DIGEST_FORMATS
# one salt per purpose: the same secret signs both kinds, but neither verifies as the other
DIGEST_SALT = "ledarpuls.digest-download"
MY_DATA_SALT = "ledarpuls.my-data-download"
EXPORT_SALT = "ledarpuls.export-download"
CONSORTIUM_SALT = "ledarpuls.consortium-download"


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


def _grant(fields: dict[str, Any], expires: datetime) -> Grant:
    """The grant a link's fields name (raises KeyError, ValueError or TypeError when they are
    not what a link of ours holds)."""
    scope = fields["departments"]
    return Grant(
        round_id=int(fields["round"]),
        organisation_id=int(fields["organisation"]),
        kind=str(fields["format"]),
        language=str(fields["language"]),
        actor=str(fields["actor"]),
        expires=expires,
        departments=frozenset(int(d) for d in scope) if scope is not None else None,
    )


@dataclass(frozen=True)
class ExportGrant:
    """What an export link lets its holder download: a round's published figures, or every
    closed round's of its programme (`whole_programme`), cut to `departments` (a lead's)."""

    round_id: int
    whole_programme: bool
    organisation_id: int
    kind: str
    language: str
    actor: str
    expires: datetime
    departments: frozenset[int] | None


@dataclass(frozen=True)
class ConsortiumGrant:
    """A consortium's compiled digest of one half-year, for the owning organisation's HR."""

    organisation_id: int
    period: str
    kind: str
    language: str
    actor: str
    expires: datetime


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


def _why_not(serializer: URLSafeTimedSerializer, token: str, *, lifetime: timedelta) -> str:
    """Why a token grants nothing: "expired" when it was ours and is too old, else "invalid"
    (forged, damaged, of another purpose or with fields we cannot read)."""
    try:
        serializer.loads(token, max_age=int(lifetime.total_seconds()))
    except SignatureExpired:
        return "expired"
    except BadData:
        return "invalid"
    return "invalid"


class DownloadLinks:
    """Makes and checks the signed links; `base_url` is where Teams users reach the bot."""

    def __init__(
        self,
        *,
        secret: bytes | None,
        base_url: str,
        lifetime: timedelta,
        clock: Callable[[], datetime] = utcnow,
        soffice: str = Policy.soffice,
    ) -> None:
        # without a configured secret, one per process: links then work on this replica only
        key = secret or secrets.token_bytes(32)
        self._base = base_url.rstrip("/")
        self._lifetime = lifetime
        self._clock = clock
        self._soffice = soffice  # LibreOffice: the digest's PDF/A is linked to where it is
        self._digest = URLSafeTimedSerializer(
            key, salt=DIGEST_SALT, signer=_ClockSigner, signer_kwargs={"clock": clock}
        )
        self._my_data = URLSafeTimedSerializer(
            key, salt=MY_DATA_SALT, signer=_ClockSigner, signer_kwargs={"clock": clock}
        )
        self._export = URLSafeTimedSerializer(
            key, salt=EXPORT_SALT, signer=_ClockSigner, signer_kwargs={"clock": clock}
        )
        self._consortium = URLSafeTimedSerializer(
            key, salt=CONSORTIUM_SALT, signer=_ClockSigner, signer_kwargs={"clock": clock}
        )

    @property
    def lifetime(self) -> timedelta:
        """How long a link works after it was made."""
        return self._lifetime

    def _signed(
        self,
        path: str,
        serializer: URLSafeTimedSerializer,
        fields: dict[str, Any],
        kinds: Iterable[str],
    ) -> dict[str, str]:
        """One link a file format: `fields` and the format, signed, under /`path`/."""
        return {
            kind: f"{self._base}/{path}/" + serializer.dumps({**fields, "format": kind})
            for kind in kinds
        }

    def links(
        self,
        *,
        round_id: int,
        organisation_id: int,
        language: str,
        actor: str,
        departments: frozenset[int] | None = None,
    ) -> dict[str, str]:
        """Links to a round's digest, one per file it is offered as now."""
        scope = sorted(departments) if departments is not None else None
        fields = {
            "round": round_id,
            "organisation": organisation_id,
            "language": language,
            "actor": actor,
            "departments": scope,
        }
        return self._signed("digest", self._digest, fields, digest_formats(self._soffice))

    def export_links(
        self,
        *,
        round_id: int,
        whole_programme: bool,
        organisation_id: int,
        language: str,
        actor: str,
        departments: frozenset[int] | None = None,
    ) -> dict[str, str]:
        """Links to the export of a round's published figures (or of its programme's), one
        per file format."""
        scope = sorted(departments) if departments is not None else None
        fields = {
            "round": round_id,
            "programme": whole_programme,
            "organisation": organisation_id,
            "language": language,
            "actor": actor,
            "departments": scope,
        }
        return self._signed("export", self._export, fields, EXPORT_FORMATS)

    def check_export(self, token: str) -> ExportGrant | None:
        """The grant an export token carries; None when it is forged, damaged, expired or of
        another kind."""
        loaded = _load(self._export, token, lifetime=self._lifetime)
        if loaded is None:
            return None
        fields, expires = loaded
        try:
            grant = ExportGrant(
                **vars(_grant(fields, expires)), whole_programme=bool(fields["programme"])
            )
        except (KeyError, ValueError, TypeError):
            return None
        return grant if grant.kind in EXPORT_FORMATS else None

    def why_not_export(self, token: str) -> str:
        """Why an export token `check_export` refused grants nothing: "expired" or "invalid"."""
        return _why_not(self._export, token, lifetime=self._lifetime)

    def consortium_links(
        self, *, organisation_id: int, period: str, language: str, actor: str
    ) -> dict[str, str]:
        """Links to a consortium's compiled digest of a half-year, one per file format."""
        fields = {
            "organisation": organisation_id,
            "period": period,
            "language": language,
            "actor": actor,
        }
        return self._signed("consortium", self._consortium, fields, CONSORTIUM_FORMATS)

    def check_consortium(self, token: str) -> ConsortiumGrant | None:
        """The grant a consortium token carries; None when it is forged, damaged, expired or
        of another kind."""
        loaded = _load(self._consortium, token, lifetime=self._lifetime)
        if loaded is None:
            return None
        fields, expires = loaded
        try:
            grant = ConsortiumGrant(
                organisation_id=int(fields["organisation"]),
                period=str(fields["period"]),
                kind=str(fields["format"]),
                language=str(fields["language"]),
                actor=str(fields["actor"]),
                expires=expires,
            )
        except (KeyError, ValueError, TypeError):
            return None
        return grant if grant.kind in CONSORTIUM_FORMATS else None

    def why_not_consortium(self, token: str) -> str:
        """Why a consortium token `check_consortium` refused grants nothing."""
        return _why_not(self._consortium, token, lifetime=self._lifetime)

    def my_data_links(
        self, *, chef_id: int, organisation_id: int, language: str, actor: str
    ) -> dict[str, str]:
        """Links to everything stored about one chef, as JSON and XLSX, for that chef."""
        fields = {
            "chef": chef_id,
            "organisation": organisation_id,
            "language": language,
            "actor": actor,
        }
        return self._signed("my-data", self._my_data, fields, MY_DATA_FORMATS)

    def check(self, token: str) -> Grant | None:
        """The grant a digest token carries; None when it is forged, damaged, expired or of
        another kind."""
        loaded = _load(self._digest, token, lifetime=self._lifetime)
        if loaded is None:
            return None
        try:
            grant = _grant(*loaded)
        except (KeyError, ValueError, TypeError):
            return None
        return grant if grant.kind in FORMATS else None

    def why_not(self, token: str) -> str:
        """Why a digest token `check` refused grants nothing: "expired" or "invalid"."""
        return _why_not(self._digest, token, lifetime=self._lifetime)

    def why_not_my_data(self, token: str) -> str:
        """Why a my-data token `check_my_data` refused grants nothing: "expired" or "invalid"."""
        return _why_not(self._my_data, token, lifetime=self._lifetime)

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


# what a quoted file name may hold as it is, in the plain ASCII form for old clients
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-_()")


def ascii_file_name(file_name: str) -> str:
    """The name for a client that reads only `filename=`: letters without their accents
    (Sammanställning → Sammanstallning), anything else that is not plain as "_"."""
    plain = unicodedata.normalize("NFKD", file_name).encode("ascii", "ignore").decode("ascii")
    return "".join(ch if ch in _PLAIN else "_" for ch in plain).strip() or "file"


def content_disposition(file_name: str) -> str:
    """An attachment named `file_name` (RFC 6266): an ASCII fallback for old clients, and the
    exact name in UTF-8, percent-encoded (RFC 5987), which every current browser prefers."""
    fallback = ascii_file_name(file_name)
    exact = quote(file_name, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"


def attachment(content: bytes, media_type: str, file_name: str) -> web.Response:
    """A file to save, never to show inline, nor to keep in a cache."""
    return web.Response(
        body=content,
        headers={
            "Content-Type": media_type,
            "Content-Disposition": content_disposition(file_name),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def download_handler(
    links: DownloadLinks,
    database: Callable[[], Database],
    *,
    policy: Policy,
    clock: Callable[[], datetime] = utcnow,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET /digest/{token}: the file, compiled now; for anything but a valid link a page that
    says what happened (410 expired, 404 no link of ours, 403 a round gone or not theirs)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        grant = links.check(token)
        if grant is None:
            return link_page(links.why_not(token))
        if grant.kind not in digest_formats(policy.soffice):
            # a PDF/A link made while LibreOffice was there, gone since: said plainly, nothing
            # compiled, nothing downloaded
            return link_page("no_pdf")
        db = database()
        now = clock()
        try:
            digest = await compile_digest(
                db,
                round_id=grant.round_id,
                now=now,
                organisation_id=grant.organisation_id,
                department_ids=grant.departments,
                policy=policy,
                names=grant.kind in NAMING_FORMATS,
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
            return link_page("refused")
        files = digest_files(digest, grant.language, zone=policy.zone, soffice=policy.soffice)
        try:
            content = await asyncio.to_thread(files.render, grant.kind)
        except PdfUnavailable as missing:
            # LibreOffice there, but it gave no PDF (in time): said plainly, nothing downloaded
            logger.warning("no PDF/A: round=%s reason=%s", grant.round_id, missing.reason)
            return link_page("no_pdf")
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


def export_handler(
    links: DownloadLinks,
    database: Callable[[], Database],
    *,
    policy: Policy,
    clock: Callable[[], datetime] = utcnow,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET /export/{token}: the published figures as a file, cut now by the export operation
    with the rights the presser had when the link was made (a lead's departments); for
    anything but a valid link a page that says what happened."""

    async def handle(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        grant = links.check_export(token)
        if grant is None:
            return link_page(links.why_not_export(token))
        access = Access(
            actor=grant.actor,
            organisation_id=grant.organisation_id,
            admin=grant.departments is None,
            lead_departments=grant.departments or frozenset(),
        )
        call = Call(database(), access, "teams", clock(), policy)
        try:
            export = await export_figures(
                call,
                kind=grant.kind,
                text=texts_in(grant.language),
                round_id=grant.round_id,
                whole_programme=grant.whole_programme,
            )
        except RoundError:
            # a round gone, or no longer closed or theirs: refused, and on record (the
            # operation wrote it down)
            return link_page("refused")
        content = await asyncio.to_thread(export.content)
        logger.info("export downloaded: round=%s format=%s", grant.round_id, grant.kind)
        name = export_file_name(export.rounds, export.programme, grant.kind, grant.language)
        return attachment(content, EXPORT_MEDIA_TYPES[grant.kind], name)

    return handle


def consortium_handler(
    links: DownloadLinks,
    database: Callable[[], Database],
    *,
    policy: Policy,
    clock: Callable[[], datetime] = utcnow,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET /consortium/{token}: a consortium's compiled digest as a file, read now by the same
    operation as the card and `ledarpuls consortium digest` (the owning organisation's HR
    admins only; on record); for anything but a valid link a page that says what happened."""

    async def handle(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        grant = links.check_consortium(token)
        if grant is None:
            return link_page(links.why_not_consortium(token))
        # the link was made for an HR admin of the owning organisation who pressed its button
        access = Access(actor=grant.actor, organisation_id=grant.organisation_id, admin=True)
        call = Call(database(), access, "teams", clock(), policy)
        try:
            shared = await consortium.digest(call, period=grant.period)
        except RoundError:
            # no longer the consortium's, or the half-year gone: refused, and on record (the
            # operation wrote it down)
            return link_page("refused")
        # a file, which outlives the day: every date with its year
        report = consortium_layout(shared, grant.language, zone=policy.zone, today=None)
        content = await asyncio.to_thread(
            consortium_file, report, shared, grant.kind, grant.language
        )
        await call.audit("consortium.download", period=grant.period, format=grant.kind)
        logger.info("consortium digest downloaded: period=%s format=%s", grant.period, grant.kind)
        name = consortium_file_name(shared, grant.kind, grant.language)
        return attachment(content, MEDIA_TYPES[grant.kind], name)

    return handle


def my_data_handler(
    links: DownloadLinks,
    database: Callable[[], Database],
    *,
    zone: tzinfo,
    clock: Callable[[], datetime] = utcnow,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET /my-data/{token}: a chef's own data as a file, read now; for anything but a valid
    link of that chef's a page that says what happened."""

    async def handle(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        grant = links.check_my_data(token)
        if grant is None:
            return link_page(links.why_not_my_data(token))
        db = database()
        now = clock()
        data = await collect(db, chef_id=grant.chef_id, organisation_id=grant.organisation_id)
        if data is None:
            await AuditStore(db).record(
                actor=grant.actor,
                action="mydata.refused",
                at=now,
                organisation_id=grant.organisation_id,
                detail={"reason": "not_a_chef", "format": grant.kind},
            )
            return link_page("refused")
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
