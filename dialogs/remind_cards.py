"""HR's "påminn" outside working hours: the question whether to send now or when the next
working day starts."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from dialogs.cards import card, text, verbatim
from dialogs.formatting import clock, local, weekday_date
from dialogs.hr_cards import submit
from dialogs.texts import t
from storage.models import Round

REMIND_NOW = "remind_now"
REMIND_LATER = "remind_later"


def remind_when_card(
    round_: Round, language: str, *, later: datetime, today: date, zone: tzinfo
) -> dict[str, Any]:
    """Send now, or from `later` (the next working morning), named by its day and time. The
    press decides again from the clock: the card only asks."""
    moment = local(later, zone=zone)
    day = (
        t(language, "hr.remind_when.today")
        if moment.date() == today
        else weekday_date(later, language, zone=zone, today=today)
    )
    body = [
        text(t(language, "hr.remind_when.title"), size="Medium", weight="Bolder"),
        verbatim(t(language, "hr.remind_when.body", round=round_.title)),
        # when "later" is, said here: in the button it would be cut off at a phone's width
        text(t(language, "hr.remind_when.later_at", date=day, time=clock(moment.time(), language))),
    ]
    return card(
        body,
        [
            submit(t(language, "hr.remind_when.now"), REMIND_NOW, language, round=round_.id),
            submit(t(language, "hr.remind_when.later"), REMIND_LATER, language, round=round_.id),
        ],
    )
