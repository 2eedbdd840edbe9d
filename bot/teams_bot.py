"""The inbound Teams bot: turns activities from Teams into replies."""

from __future__ import annotations

import logging
import re

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler

from dialogs.help import help_text
from dialogs.texts import language_of, t

logger = logging.getLogger(__name__)

# command words → (command, the language the word is in; None: follow the Teams locale)
COMMANDS: dict[str, tuple[str, str | None]] = {
    "hjälp": ("help", "sv"),
    "hjalp": ("help", "sv"),
    "hej": ("help", "sv"),
    "help": ("help", "en"),
    "hello": ("help", "en"),
    "hi": ("help", "en"),
    "?": ("help", None),
}


def normalise_command(text: str | None) -> str:
    """Lower-case words without surrounding punctuation or mention markup."""
    text = re.sub(r"<at>.*?</at>", " ", text or "")
    return " ".join(text.strip().strip(".!?").casefold().split()) or ""


class TeamsBot(TeamsActivityHandler):
    """Answers chefs and HR in personal chat."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        text = normalise_command(activity.text) or (activity.text or "").strip()
        command, word_language = COMMANDS.get(text, ("", None))
        # a Swedish command word gets a Swedish answer even in an English Teams client
        language = word_language or language_of(activity.locale)
        if command == "help":
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
