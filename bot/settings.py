"""Settings from the environment (or .env), built once in main() and passed down."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.accessibility_page import Statement
from bot.signing_keys import FETCH_TIMEOUT_SECONDS
from followup.policy import DEFAULT_TIMEZONE, K_RANGE, Policy
from storage.database import SQLITE_DEFAULT_URL, Timeouts

LOOPBACK_NAMES = {"localhost"}
# well inside the 30 s a container platform waits between SIGTERM and SIGKILL
SHUTDOWN_GRACE_SECONDS = 10.0


class Settings(BaseSettings):
    """Configuration. The Bot Framework reads APP_ID, APP_PASSWORD, APP_TYPE and APP_TENANTID by
    attribute name; in the environment they carry the Azure Bot names (MicrosoftAppId, ...)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    APP_ID: str = Field("", validation_alias=AliasChoices("MicrosoftAppId", "APP_ID"))
    APP_PASSWORD: str = Field(
        "", validation_alias=AliasChoices("MicrosoftAppPassword", "APP_PASSWORD"), repr=False
    )
    APP_TYPE: str = Field(
        "MultiTenant", validation_alias=AliasChoices("MicrosoftAppType", "APP_TYPE")
    )
    APP_TENANTID: str = Field(
        "", validation_alias=AliasChoices("MicrosoftAppTenantId", "APP_TENANTID")
    )
    database_url: str = Field(
        SQLITE_DEFAULT_URL, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    # how long to wait on the database, in seconds (storage.database.Timeouts says what each
    # bounds): a stalled database fails a turn with the apology inside Teams' 15 s, and
    # /healthz says 503 inside 2 s, instead of hanging
    database_connect_timeout: float = Field(
        Timeouts.connect,
        gt=0,
        validation_alias=AliasChoices("DATABASE_CONNECT_TIMEOUT", "database_connect_timeout"),
    )
    database_statement_timeout: float = Field(
        Timeouts.statement,
        gt=0,
        validation_alias=AliasChoices("DATABASE_STATEMENT_TIMEOUT", "database_statement_timeout"),
    )
    database_pool_timeout: float = Field(
        Timeouts.pool,
        gt=0,
        validation_alias=AliasChoices("DATABASE_POOL_TIMEOUT", "database_pool_timeout"),
    )
    health_timeout: float = Field(
        Timeouts.ping,
        gt=0,
        le=2,
        validation_alias=AliasChoices("HEALTH_TIMEOUT", "health_timeout"),
    )
    # where a round's days begin and end, working hours are and dates are shown (IANA name)
    timezone: str = Field(DEFAULT_TIMEZONE, validation_alias=AliasChoices("TIMEZONE", "timezone"))
    # the fewest different free texts of a question that a digest quotes at all
    quotes_k: int = Field(
        Policy.quotes_k,
        ge=K_RANGE[0],
        le=K_RANGE[-1],
        validation_alias=AliasChoices("QUOTES_K", "quotes_k"),
    )
    # LibreOffice for the board's PDF/A (a name on PATH or a path; not installed: no PDF/A)
    soffice: str = Field(Policy.soffice, validation_alias=AliasChoices("SOFFICE", "soffice"))
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("HOST", "host"))
    port: int = Field(3978, validation_alias=AliasChoices("PORT", "port"))
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))
    # background work (the outbox dispatcher; later the scheduler): off for web-only replicas
    run_scheduler: bool = Field(
        True, validation_alias=AliasChoices("RUN_SCHEDULER", "run_scheduler")
    )
    # proactive messages a second to one tenant, all replicas together, for an organisation
    # without a rate of its own (`ledarpuls org rate`); Teams allows about 50 per app and tenant
    outbox_rate: float = Field(
        Policy.send_rate, gt=0, le=50, validation_alias=AliasChoices("OUTBOX_RATE", "outbox_rate")
    )
    # at shutdown (SIGTERM), how long the sends under way may take before they are queued again
    shutdown_grace: float = Field(
        SHUTDOWN_GRACE_SECONDS,
        ge=0,
        le=60,
        validation_alias=AliasChoices("SHUTDOWN_GRACE", "shutdown_grace"),
    )
    outbox_concurrency: int = Field(
        8, ge=1, le=64, validation_alias=AliasChoices("OUTBOX_CONCURRENCY", "outbox_concurrency")
    )
    # hours a message Teams does not take is tried again before HR is told it failed (never
    # past its round's deadline); long enough by default to ride out an afternoon's outage
    send_retry_hours: float = Field(
        Policy.send_retry_window / timedelta(hours=1),
        gt=0,
        le=72,
        validation_alias=AliasChoices("SEND_RETRY_HOURS", "send_retry_hours"),
    )

    # /metrics: scrapers must send this bearer token; empty: only this machine may read it
    metrics_token: str = Field(
        "", validation_alias=AliasChoices("METRICS_TOKEN", "metrics_token"), repr=False
    )

    # where token signing keys come from instead of Microsoft's OpenID metadata (a mirror; the
    # tests' fake Entra); empty: the Bot Framework's own
    openid_metadata_url: str = Field(
        "", validation_alias=AliasChoices("BOT_OPENID_METADATA_URL", "openid_metadata_url")
    )
    # how long fetching them may take; a request waiting for them meanwhile gets 401 after it
    openid_fetch_timeout: float = Field(
        FETCH_TIMEOUT_SECONDS,
        gt=0,
        le=30,
        validation_alias=AliasChoices("BOT_OPENID_FETCH_TIMEOUT", "openid_fetch_timeout"),
    )
    # the hosts a file HR sends in Teams may be fetched from (Teams hands the bot a SharePoint
    # or OneDrive download URL): a leading "*." allows every subdomain; ignored in local mode
    file_download_hosts: str = Field(
        "*.sharepoint.com,*.sharepoint.us,*.sharepoint-mil.us,*.sharepoint.de",
        validation_alias=AliasChoices("FILE_DOWNLOAD_HOSTS", "file_download_hosts"),
    )
    # where Teams users reach this service (https://…), for the digest's download links
    public_url: str = Field("", validation_alias=AliasChoices("PUBLIC_URL", "public_url"))
    # signs the download links; the same on every replica (else a link works on its own only)
    download_link_secret: str = Field(
        "",
        validation_alias=AliasChoices("DOWNLOAD_LINK_SECRET", "download_link_secret"),
        repr=False,
    )
    # the Teams app package (`ledarpuls package`): who publishes it and its three required links;
    # the links default to pages this service serves under PUBLIC_URL
    teams_app_developer: str = Field(
        "Ledarpuls", validation_alias=AliasChoices("TEAMS_APP_DEVELOPER", "teams_app_developer")
    )
    teams_app_website_url: str = Field(
        "", validation_alias=AliasChoices("TEAMS_APP_WEBSITE_URL", "teams_app_website_url")
    )
    teams_app_privacy_url: str = Field(
        "", validation_alias=AliasChoices("TEAMS_APP_PRIVACY_URL", "teams_app_privacy_url")
    )
    teams_app_terms_url: str = Field(
        "", validation_alias=AliasChoices("TEAMS_APP_TERMS_URL", "teams_app_terms_url")
    )

    # the accessibility statement (/accessibility): who stands behind the service (default: the
    # Teams app's developer name) and where to report a shortcoming — an e-mail address or an
    # https address; empty: the statement points to the employer's HR or IT support
    accessibility_organisation: str = Field(
        "",
        validation_alias=AliasChoices("ACCESSIBILITY_ORGANISATION", "accessibility_organisation"),
    )
    accessibility_contact: str = Field(
        "", validation_alias=AliasChoices("ACCESSIBILITY_CONTACT", "accessibility_contact")
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """A misspelt zone stops the start, rather than shifting every deadline."""
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from exc
        return value.strip()

    def policy(self) -> Policy:
        """The programme's rules with this deployment's time zone; built once at start."""
        return Policy(
            zone=ZoneInfo(self.timezone),
            quotes_k=self.quotes_k,
            send_retry_window=timedelta(hours=self.send_retry_hours),
            send_rate=self.outbox_rate,
            soffice=self.soffice,
        )

    def statement(self) -> Statement:
        """What the accessibility statement says that is this deployment's."""
        organisation = (
            self.accessibility_organisation.strip()
            or self.teams_app_developer.strip()
            or "Ledarpuls"
        )
        return Statement(organisation=organisation, contact=self.accessibility_contact.strip())

    def database_timeouts(self) -> Timeouts:
        return Timeouts(
            connect=self.database_connect_timeout,
            statement=self.database_statement_timeout,
            pool=self.database_pool_timeout,
            ping=self.health_timeout,
        )

    @property
    def link_base(self) -> str | None:
        """The base of download links: PUBLIC_URL, or this computer in local mode."""
        if self.public_url.strip():
            return self.public_url.strip()
        if self.local_mode:
            return f"http://127.0.0.1:{self.port}"
        return None

    @property
    def local_mode(self) -> bool:
        """No app id: authentication is off, for development on this computer only."""
        return not self.APP_ID.strip()

    def missing_credentials(self) -> list[str]:
        """The Azure Bot settings the chosen app type needs but does not have."""
        if self.local_mode:
            return []
        needed = {"MicrosoftAppPassword": self.APP_PASSWORD}
        if self.APP_TYPE.strip().lower() == "singletenant":
            needed["MicrosoftAppTenantId"] = self.APP_TENANTID
        return [name for name, value in needed.items() if not value.strip()]

    @property
    def binds_loopback_only(self) -> bool:
        host = self.host.strip().strip("[]")
        if host.lower() in LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
