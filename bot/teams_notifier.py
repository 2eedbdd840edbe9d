"""Sends one proactive message to Teams and says, in our terms, how it went."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

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


def classify(error: BaseException) -> Delivery:
    """Turn what the SDK raised into an outcome the dispatcher acts on."""
    if isinstance(error, HttpOperationError) and error.response is not None:
        status = int(error.response.status_code)
        inner = getattr(error, "error", None)
        code = getattr(getattr(inner, "error", None), "code", None)
        detail = f"HTTP {status}" + (f" {code}" if code else "")
        retry = _retry_after(error.response.headers.get("Retry-After"))
        if status == 429:
            return Delivery(
                Outcome.THROTTLED, retry_after=retry, code="TooManyRequests", detail=detail
            )
        if code in UNREACHABLE_CODES or (status == 404 and code is None):
            return Delivery(Outcome.UNREACHABLE, code=code or "ConversationNotFound", detail=detail)
        if status in TRANSIENT_STATUSES:
            # a 503 may say when to come back, too
            return Delivery(
                Outcome.TRANSIENT, retry_after=retry, code=f"HTTP{status}", detail=detail
            )
        return Delivery(Outcome.FAILED, code=code or f"HTTP{status}", detail=detail)
    if isinstance(error, ClientRequestError | ConnectionError | TimeoutError | OSError):
        # the SDK retried 5xx on its own and gave up, or the network failed
        return Delivery(Outcome.TRANSIENT, code="NetworkError", detail=type(error).__name__)
    return Delivery(Outcome.FAILED, code=type(error).__name__, detail=str(error)[:500])


class TeamsNotifier:
    """Proactive sends through the adapter: into a stored conversation, or a new one."""

    def __init__(self, adapter: BotAdapter, *, app_id: str) -> None:
        self._adapter = adapter
        self._app_id = app_id

    async def send(self, *, reference: dict[str, Any], activity: dict[str, Any]) -> Delivery:
        """Send `activity` into the conversation of a stored reference."""
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

    async def start_conversation(
        self,
        *,
        service_url: str,
        tenant_id: str,
        user_aad_object_id: str,
        activity: dict[str, Any],
    ) -> tuple[Delivery, dict[str, Any] | None]:
        """Open a personal conversation with a user (the app must be installed for them)."""
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
