"""The inbound Teams bot: turns activities from Teams into replies."""

from __future__ import annotations

import logging
import re

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler

from dialogs.help import help_text
from dialogs.texts import language_of, t

logger = logging.getLogger(__name__)

HELP_WORDS = {"hjälp", "hjalp", "help", "?", "hej", "hello", "hi"}


def normalise_command(text: str | None) -> str:
    """Lower-case words without surrounding punctuation or mention markup."""
    text = re.sub(r"<at>.*?</at>", " ", text or "")
    return " ".join(text.strip().strip(".!?").casefold().split()) or ""


class TeamsBot(TeamsActivityHandler):
    """Answers chefs and HR in personal chat."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        language = language_of(activity.locale)
        command = normalise_command(activity.text)
        if command in HELP_WORDS or activity.text in ("?",):
            await turn_context.send_activity(MessageFactory.text(help_text(language)))
            return
        await turn_context.send_activity(MessageFactory.text(t(language, "unknown.command")))


async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    """Log the failure (never the user's text) and apologise once."""
    activity = turn_context.activity
    logger.error(
        "turn failed: type=%s conversation=%s",
        activity.type,
        activity.conversation.id if activity.conversation else None,
        exc_info=error,
    )
    try:
        await turn_context.send_activity(t(language_of(activity.locale), "error.turn"))
    except Exception:  # the connector may be what failed
        logger.warning("could not send the apology", exc_info=True)
