"""Sends one proactive message to Teams and says, in our terms, how it went.

The sends go straight to the Bot Connector's REST API (bot/connector_sender.py), signed with the
adapter's own credentials; botbuilder's turn machinery is not needed for a proactive message."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector.auth import AuthenticationConstants
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.connector_cache import CachingBotFrameworkAuthentication
from bot.connector_sender import ConnectorAnswer, ConnectorSender, activity_body

logger = logging.getLogger(__name__)

# the chef cannot be reached: record it, tell HR, do not retry
UNREACHABLE_CODES = frozenset(
    {
        "ConversationBlockedByUser",
        "BotNotInConversationRoster",
        "BotDisabledByAdmin",
        "ForbiddenOperationException",
        "ConversationNotFound",
    }
)
TRANSIENT_STATUSES = frozenset({412, 502, 503, 504})


class Outcome(StrEnum):
    SENT = "sent"
    THROTTLED = "throttled"  # 429: wait Retry-After, then again
    TRANSIENT = "transient"  # worth another try after a back-off
    UNREACHABLE = "unreachable"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    """How one send went."""

    outcome: Outcome
    activity_id: str | None = None
    conversation_id: str | None = None
    retry_after: float | None = None
    code: str | None = None
    detail: str | None = None


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _by_status(status: int, code: str | None, retry_after: str | None) -> Delivery:
    detail = f"HTTP {status}" + (f" {code}" if code else "")
    retry = _retry_after(retry_after)
    if status == 429:
        return Delivery(Outcome.THROTTLED, retry_after=retry, code="TooManyRequests", detail=detail)
    if code in UNREACHABLE_CODES or (status == 404 and code is None):
        return Delivery(Outcome.UNREACHABLE, code=code or "ConversationNotFound", detail=detail)
    if status in TRANSIENT_STATUSES:
        # a 503 may say when to come back, too
        return Delivery(Outcome.TRANSIENT, retry_after=retry, code=f"HTTP{status}", detail=detail)
    return Delivery(Outcome.FAILED, code=code or f"HTTP{status}", detail=detail)


def classify_answer(answer: ConnectorAnswer) -> Delivery:
    """Turn the connector's answer that was not a success into an outcome."""
    return _by_status(answer.status, answer.error_code, answer.retry_after)


def classify(error: BaseException) -> Delivery:
    """Turn what the SDK (or the network) raised into an outcome the dispatcher acts on."""
    if isinstance(error, HttpOperationError) and error.response is not None:
        inner = getattr(error, "error", None)
        code = getattr(getattr(inner, "error", None), "code", None)
        return _by_status(
            int(error.response.status_code), code, error.response.headers.get("Retry-After")
        )
    if isinstance(
        error, ClientRequestError | aiohttp.ClientError | ConnectionError | TimeoutError | OSError
    ):
        # the network failed, or the connector did not answer in time
        return Delivery(Outcome.TRANSIENT, code="NetworkError", detail=type(error).__name__)
    return Delivery(Outcome.FAILED, code=type(error).__name__, detail=str(error)[:500])


class TeamsNotifier:
    """Proactive sends: into a stored conversation, or a new one. A CloudAdapter lends its
    credentials (one set per service URL, with their token cache) and, with the caching
    authentication, its HTTP session (closed with it; otherwise `close()` at shutdown). Any
    other adapter (one without a Bot Connector, as in-process tests have) gets a proactive turn."""

    def __init__(self, adapter: BotAdapter, *, app_id: str) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._credentials: dict[str, Any] = {}
        authentication = getattr(adapter, "bot_framework_authentication", None)
        self._direct = authentication is not None
        if isinstance(authentication, CachingBotFrameworkAuthentication):
            self._sender, self._own_sender = authentication.sender, False
        else:
            self._sender, self._own_sender = ConnectorSender(), True

    async def _authorization(self, service_url: str) -> str | None:
        """`Bearer <token>` from the bot's credentials; None when no app id is set (local)."""
        credentials = self._credentials.get(service_url)
        if credentials is None:
            adapter: Any = self._adapter  # a CloudAdapterBase (`self._direct`)
            factory = adapter.bot_framework_authentication.create_connector_factory(
                adapter.create_claims_identity(self._app_id or None)
            )
            # the same (cached) connector client a proactive turn would use: its credentials
            credentials = (await factory.create(service_url, None)).config.credentials
            self._credentials[service_url] = credentials
        app_id = getattr(credentials, "microsoft_app_id", None)
        if not app_id or app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
            return None
        # msal answers from its cache; a renewal goes over the network, so not on the loop
        token = await asyncio.to_thread(credentials.get_access_token)
        return f"Bearer {token}"

    async def send(self, *, reference: dict[str, Any], activity: dict[str, Any]) -> Delivery:
        """Send `activity` into the conversation of a stored reference."""
        if not self._direct:
            return await self._send_in_turn(reference, activity)
        try:
            conversation_id = str(reference["conversation"]["id"])
            service_url = str(reference["serviceUrl"])
            answer = await self._sender.send_to_conversation(
                service_url,
                conversation_id,
                activity_body(reference, activity),
                authorization=await self._authorization(service_url),
            )
        except Exception as exc:
            return classify(exc)
        if not answer.ok:
            return classify_answer(answer)
        sent = answer.body if isinstance(answer.body, dict) else {}
        return Delivery(Outcome.SENT, activity_id=sent.get("id"), conversation_id=conversation_id)

    async def start_conversation(
        self,
        *,
        service_url: str,
        tenant_id: str,
        user_aad_object_id: str,
        activity: dict[str, Any],
    ) -> tuple[Delivery, dict[str, Any] | None]:
        """Open a personal conversation with a user (the app must be installed for them)."""
        if not self._direct:
            return await self._start_in_turn(service_url, tenant_id, user_aad_object_id, activity)
        parameters = {
            "isGroup": False,
            "members": [{"id": user_aad_object_id}],
            "channelData": {"tenant": {"id": tenant_id}},
            "tenantID": tenant_id,
        }
        try:
            answer = await self._sender.create_conversation(
                service_url, parameters, authorization=await self._authorization(service_url)
            )
        except Exception as exc:
            return classify(exc), None
        if not answer.ok:
            return classify_answer(answer), None
        created = answer.body if isinstance(answer.body, dict) else {}
        if not created.get("id"):
            return Delivery(Outcome.FAILED, code="NoConversation", detail="no id answered"), None
        # the reference botbuilder's create-conversation turn gave
        reference: dict[str, Any] = {
            "activityId": created.get("activityId") or str(uuid.uuid4()),
            "conversation": {"id": created["id"], "tenantID": tenant_id},
            "channelId": "msteams",
            "serviceUrl": service_url,
        }
        return await self.send(reference=reference, activity=activity), reference

    async def _send_in_turn(self, reference: dict[str, Any], activity: dict[str, Any]) -> Delivery:
        results: list[Delivery] = []

        async def callback(turn_context: TurnContext) -> None:
            results.append(await _send(turn_context, activity))

        try:
            await self._adapter.continue_conversation(
                ConversationReference().deserialize(reference), callback, self._app_id or None
            )
        except Exception as exc:
            results.append(classify(exc))
        return results[0] if results else Delivery(Outcome.FAILED, code="NoResult")

    async def _start_in_turn(
        self, service_url: str, tenant_id: str, user_aad_object_id: str, activity: dict[str, Any]
    ) -> tuple[Delivery, dict[str, Any] | None]:
        results: list[Delivery] = []
        references: list[dict[str, Any]] = []
        parameters = ConversationParameters(
            is_group=False,
            members=[ChannelAccount(id=user_aad_object_id)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}},
        )

        async def callback(turn_context: TurnContext) -> None:
            references.append(
                TurnContext.get_conversation_reference(turn_context.activity).serialize()
            )
            results.append(await _send(turn_context, activity))

        try:
            await self._adapter.create_conversation(
                self._app_id or None, callback, parameters, "msteams", service_url, None
            )
        except Exception as exc:
            results.append(classify(exc))
        delivery = results[0] if results else Delivery(Outcome.FAILED, code="NoResult")
        return delivery, references[0] if references else None

    async def close(self) -> None:
        """Close the HTTP session if it is the notifier's own (at shutdown)."""
        if self._own_sender:
            await self._sender.close()


async def _send(turn_context: TurnContext, activity: dict[str, Any]) -> Delivery:
    """Send within a proactive turn; what went wrong becomes an outcome, not an exception."""
    try:
        response = await turn_context.send_activity(Activity().deserialize(activity))
    except Exception as exc:
        return classify(exc)
    return Delivery(
        Outcome.SENT,
        activity_id=response.id if response else None,
        conversation_id=turn_context.activity.conversation.id,
    )
