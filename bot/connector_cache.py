"""Reuses Bot Connector clients per service URL instead of building two new ones every turn.

botbuilder 4.17 makes new connector clients for every turn and every proactive message; each
recomputes msrest's retry configuration in quadratic time (msrest is deprecated and will not be
fixed). Wrapping the authentication so that its connector factories share one client per
(app, service URL, audience) removes most of that cost."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
)

from bot.connector_sender import ConnectorSender

logger = logging.getLogger(__name__)

ClientKey = tuple[str | None, str, str | None]


class CachingConnectorFactory(ConnectorFactory):
    """Hands out the cached client for a service URL, creating it the first time."""

    def __init__(self, inner: ConnectorFactory, clients: dict[ClientKey, ConnectorClient]) -> None:
        self._inner = inner
        self._clients = clients

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key: ClientKey = (getattr(self._inner, "_app_id", None), service_url, audience)
        client = self._clients.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            self._clients[key] = client
        return client


class CachingBotFrameworkAuthentication(BotFrameworkAuthentication):
    """The configured authentication, with connector clients reused across turns."""

    def __init__(self, inner: BotFrameworkAuthentication) -> None:
        self._inner = inner
        self._clients: dict[ClientKey, ConnectorClient] = {}
        self._token_clients: dict[str, Any] = {}
        # the outbox's thin sender: one HTTP session for every proactive send, closed below
        self.sender = ConnectorSender()

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = CachingConnectorFactory(
                result.connector_factory, self._clients
            )
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return CachingConnectorFactory(
            self._inner.create_connector_factory(claims_identity), self._clients
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        # made for every turn by the adapter, at the same quadratic cost; one per app is enough
        key = str(claims_identity.claims.get("aud") or claims_identity.claims.get("appid") or "")
        client = self._token_clients.get(key)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._token_clients[key] = client
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)

    async def close(self) -> None:
        """Close every cached client and the sender's session (at shutdown)."""
        await self.sender.close()
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                await client.__aexit__(None, None, None)
            except Exception:  # closing is best effort at shutdown
                logger.debug("closing a connector client failed", exc_info=True)
