"""Settings: the Azure Bot names, and local mode only on this computer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cli import CommandError, check_bind
from bot.settings import Settings
from storage.database import Timeouts
from tests.conftest import PATIENT_ENVIRONMENT


def test_azure_bot_names_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MicrosoftAppId", "app-1")
    monkeypatch.setenv("MicrosoftAppPassword", "s3cret")
    monkeypatch.setenv("MicrosoftAppType", "SingleTenant")
    monkeypatch.setenv("MicrosoftAppTenantId", "tenant-1")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/ledarpuls")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.APP_ID, settings.APP_TYPE, settings.APP_TENANTID) == (
        "app-1",
        "SingleTenant",
        "tenant-1",
    )
    assert settings.APP_PASSWORD == "s3cret"
    assert "s3cret" not in repr(settings)
    assert not settings.local_mode
    assert settings.missing_credentials() == []
    assert settings.timezone == "Europe/Stockholm"


def test_single_tenant_needs_its_tenant_and_secret() -> None:
    settings = Settings(_env_file=None, APP_ID="app-1", APP_TYPE="SingleTenant")  # type: ignore[call-arg]
    assert settings.missing_credentials() == ["MicrosoftAppPassword", "MicrosoftAppTenantId"]
    with pytest.raises(CommandError, match="MicrosoftAppPassword"):
        check_bind(settings, "sv")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_local_mode_may_bind_loopback(host: str, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(_env_file=None, host=host)  # type: ignore[call-arg]
    assert settings.local_mode
    check_bind(settings, "en")
    assert "authentication is OFF" in caplog.text


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "bot.kommun.se"])
def test_local_mode_refuses_any_other_address(host: str) -> None:
    settings = Settings(_env_file=None, host=host)  # type: ignore[call-arg]
    with pytest.raises(CommandError, match=r"127\.0\.0\.1"):
        check_bind(settings, "sv")


def test_a_misspelt_time_zone_stops_the_start_instead_of_shifting_deadlines() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings(_env_file=None, TIMEZONE="Europe/Stokholm")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings(_env_file=None, TIMEZONE="Stockholm")  # type: ignore[call-arg]


def test_database_timeouts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PATIENT_ENVIRONMENT:  # the tests' own, for every other test's apps
        monkeypatch.delenv(name)
    assert Settings(_env_file=None).database_timeouts() == Timeouts()  # type: ignore[call-arg]
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "2")
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT", "8.5")
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", "4")
    monkeypatch.setenv("HEALTH_TIMEOUT", "1")
    timeouts = Settings(_env_file=None).database_timeouts()  # type: ignore[call-arg]
    assert (timeouts.connect, timeouts.statement, timeouts.pool, timeouts.ping) == (2, 8.5, 4, 1)
    # /healthz answers a load balancer within 2 s, whatever the database does
    monkeypatch.setenv("HEALTH_TIMEOUT", "5")
    with pytest.raises(ValueError, match="HEALTH_TIMEOUT"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_it_sets_how_long_a_refused_message_is_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).policy().send_retry_window == timedelta(hours=6)  # type: ignore[call-arg]
    monkeypatch.setenv("SEND_RETRY_HOURS", "12")
    assert Settings(_env_file=None).policy().send_retry_window == timedelta(hours=12)  # type: ignore[call-arg]
    monkeypatch.setenv("SEND_RETRY_HOURS", "0")
    with pytest.raises(ValueError):
        Settings(_env_file=None)  # type: ignore[call-arg]
