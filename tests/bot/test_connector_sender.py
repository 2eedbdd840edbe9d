"""The outbox's own sender: the body botbuilder would send, every answer Teams gives mapped
to the outcome the dispatcher acts on, the bot's token on every request, one session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ConversationReference
from botframework.connector.auth import MicrosoftAppCredentials

from bot.connector_cache import CachingBotFrameworkAuthentication
from bot.settings import Settings
from bot.teams_notifier import Outcome, TeamsNotifier
from tests.fakes.bot_connector import FakeBotConnector, conversation_id_for, running_connector

CARD = {
    "type": "message",
    "text": "Hej Anna",
    "summary": "En ny uppföljning väntar",
    "attachments": [
        {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {"type": "AdaptiveCard", "version": "1.5", "body": []},
        }
    ],
    "channelData": {"notification": {"alert": True}},
}


def reference(service_url: str, conversation: str = "a:anna") -> dict[str, Any]:
    return {
        "user": {"id": "29:anna", "name": "Anna", "aadObjectId": "aad-anna", "email": "x@y"},
        "bot": {"id": "28:ledarpuls", "name": "Ledarpuls"},
        "conversation": {"id": conversation, "conversationType": "personal", "tenantId": "t1"},
        "channelId": "msteams",
        "serviceUrl": service_url,
        "locale": "sv-SE",
        "activityId": "f:1",
    }


def authentication(**settings: str) -> CachingBotFrameworkAuthentication:
    return CachingBotFrameworkAuthentication(
        ConfigurationBotFrameworkAuthentication(Settings(_env_file=None, **settings))  # type: ignore[call-arg]
    )


@pytest.fixture
async def teams() -> AsyncIterator[tuple[FakeBotConnector, TeamsNotifier]]:
    auth = authentication()
    async with running_connector() as connector:
        yield connector, TeamsNotifier(CloudAdapter(auth), app_id="")  # type: ignore[call-arg]
        await auth.close()


async def test_the_body_is_what_botbuilder_sends_into_the_conversation(
    teams: tuple[FakeBotConnector, TeamsNotifier],
) -> None:
    connector, notifier = teams
    ref = reference(connector.service_url)
    delivery = await notifier.send(reference=ref, activity=CARD)
    assert delivery.outcome == Outcome.SENT
    assert delivery.activity_id == connector.activities[0]["_id"]
    assert delivery.conversation_id == "a:anna"
    ours = connector.attempts[0]
    assert (ours["method"], ours["path"]) == ("POST", "/v3/conversations/a:anna/activities")

    # the same activity through botbuilder's proactive turn, as the notifier did before
    adapter = CloudAdapter(authentication())  # type: ignore[call-arg]

    async def callback(turn_context: TurnContext) -> None:
        await turn_context.send_activity(Activity().deserialize(CARD))

    await adapter.continue_conversation(ConversationReference().deserialize(ref), callback, None)
    theirs = dict(connector.attempts[1]["body"])
    # botbuilder replies to the random id of its continuation event; we post into the chat
    assert theirs.pop("replyToId") == connector.attempts[1]["path"].rsplit("/", 1)[1]
    assert ours["body"] == theirs
    assert "locale" not in ours["body"] and "email" not in ours["body"]["recipient"]


@pytest.mark.parametrize(
    ("status", "outcome", "code"),
    [
        (412, Outcome.TRANSIENT, "HTTP412"),
        (502, Outcome.TRANSIENT, "HTTP502"),
        (503, Outcome.TRANSIENT, "HTTP503"),
        (504, Outcome.TRANSIENT, "HTTP504"),
        (500, Outcome.FAILED, "InternalServerError"),
        (400, Outcome.FAILED, "BadArgument"),
    ],
)
async def test_errors_become_the_outcomes_the_dispatcher_acts_on(
    teams: tuple[FakeBotConnector, TeamsNotifier], status: int, outcome: Outcome, code: str
) -> None:
    connector, notifier = teams
    connector.fail_next = [status]
    delivery = await notifier.send(reference=reference(connector.service_url), activity=CARD)
    assert (delivery.outcome, delivery.code) == (outcome, code)
    assert connector.activities == []
    # and the next try goes through
    assert (
        await notifier.send(reference=reference(connector.service_url), activity=CARD)
    ).outcome == Outcome.SENT


async def test_a_429_says_when_to_come_back(
    teams: tuple[FakeBotConnector, TeamsNotifier],
) -> None:
    connector, notifier = teams
    connector.throttle(7.0)
    delivery = await notifier.send(reference=reference(connector.service_url), activity=CARD)
    assert delivery.outcome == Outcome.THROTTLED
    assert delivery.retry_after == 7.0
    assert delivery.code == "TooManyRequests"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ConversationBlockedByUser", 403),
        ("BotDisabledByAdmin", 403),
        ("ConversationNotFound", 404),
    ],
)
async def test_a_chef_who_cannot_be_reached_is_unreachable(
    teams: tuple[FakeBotConnector, TeamsNotifier], code: str, status: int
) -> None:
    connector, notifier = teams
    connector.blocked["a:anna"] = code
    delivery = await notifier.send(reference=reference(connector.service_url), activity=CARD)
    assert (delivery.outcome, delivery.code) == (Outcome.UNREACHABLE, code)
    assert connector.attempts[0]["status"] == status


async def test_a_conversation_the_connector_does_not_know_is_unreachable(
    teams: tuple[FakeBotConnector, TeamsNotifier],
) -> None:
    connector, notifier = teams
    ref = reference(connector.service_url.rstrip("/") + "/no-such-connector/")
    delivery = await notifier.send(reference=ref, activity=CARD)
    # a 404 with the connector's own error code: not a blocked chef, a failure to look at
    assert (delivery.outcome, delivery.code) == (Outcome.FAILED, "NotFound")


async def test_a_connector_that_is_gone_is_a_network_error_worth_retrying() -> None:
    auth = authentication()
    notifier = TeamsNotifier(CloudAdapter(auth), app_id="")  # type: ignore[call-arg]
    async with running_connector() as connector:
        service_url = connector.service_url
    delivery = await notifier.send(reference=reference(service_url), activity=CARD)
    assert (delivery.outcome, delivery.code) == (Outcome.TRANSIENT, "NetworkError")
    await auth.close()


async def test_a_new_conversation_is_created_and_the_message_sent_into_it(
    teams: tuple[FakeBotConnector, TeamsNotifier],
) -> None:
    connector, notifier = teams
    delivery, ref = await notifier.start_conversation(
        service_url=connector.service_url,
        tenant_id="t1",
        user_aad_object_id="aad-anna",
        activity=CARD,
    )
    conversation = conversation_id_for("aad-anna")
    assert delivery.outcome == Outcome.SENT
    assert delivery.conversation_id == conversation
    assert connector.created[0]["members"] == [{"id": "aad-anna"}]
    assert connector.created[0]["channelData"] == {"tenant": {"id": "t1"}}
    assert ref is not None and ref["conversation"] == {"id": conversation, "tenantID": "t1"}
    assert ref["serviceUrl"] == connector.service_url
    assert connector.delivered_to(conversation)[0]["text"] == "Hej Anna"


async def test_a_chef_who_blocked_the_bot_gets_no_new_conversation(
    teams: tuple[FakeBotConnector, TeamsNotifier],
) -> None:
    connector, notifier = teams
    connector.blocked["aad-anna"] = "ConversationBlockedByUser"
    delivery, ref = await notifier.start_conversation(
        service_url=connector.service_url,
        tenant_id="t1",
        user_aad_object_id="aad-anna",
        activity=CARD,
    )
    assert (delivery.outcome, delivery.code, ref) == (
        Outcome.UNREACHABLE,
        "ConversationBlockedByUser",
        None,
    )
    assert connector.activities == []


async def test_with_an_app_id_every_request_carries_the_bots_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetched: list[str] = []

    def token(self: MicrosoftAppCredentials, force_refresh: bool = False) -> str:
        # botbuilder's credentials ask msal (which caches); here no Entra is needed
        fetched.append(self.microsoft_app_id)
        return f"token-of-{self.microsoft_app_id}"

    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", token)
    auth = authentication(MicrosoftAppId="app-1", MicrosoftAppPassword="secret")
    notifier = TeamsNotifier(CloudAdapter(auth), app_id="app-1")  # type: ignore[call-arg]
    async with running_connector() as connector:
        await notifier.send(reference=reference(connector.service_url), activity=CARD)
        await notifier.start_conversation(
            service_url=connector.service_url,
            tenant_id="t1",
            user_aad_object_id="aad-bo",
            activity=CARD,
        )
        assert [a["authorization"] for a in connector.attempts] == ["Bearer token-of-app-1"] * 3
        assert fetched == ["app-1"] * 3
    await auth.close()


async def test_in_local_mode_no_token_is_sent(
    teams: tuple[FakeBotConnector, TeamsNotifier],
) -> None:
    connector, notifier = teams
    await notifier.send(reference=reference(connector.service_url), activity=CARD)
    assert connector.attempts[0]["authorization"] is None


async def test_one_session_for_every_send_closed_with_the_authentication() -> None:
    auth = authentication()
    notifier = TeamsNotifier(CloudAdapter(auth), app_id="")  # type: ignore[call-arg]
    async with running_connector() as connector:
        for i in range(5):
            ref = reference(connector.service_url, conversation=f"a:chef-{i}")
            assert (await notifier.send(reference=ref, activity=CARD)).outcome == Outcome.SENT
        session = auth.sender._session
        assert session is not None and not session.closed
        await auth.close()
        assert session.closed
