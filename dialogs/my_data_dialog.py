"""A chef's own data in Teams: "mina data" shows it with its files, "radera mina svar" erases
the answers after a question.

The server decides from the sender, never from the card: a confirmation pressed by someone
else, or from a card older than a quarter of an hour, or one that showed other answers than
there are now (answered since, or erased already), changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext

from dialogs.cards import card_activity, show_card
from dialogs.download_cards import DOWNLOAD, download_card
from dialogs.formatting import duration
from dialogs.my_data_cards import (
    FORMATS,
    MY_DATA,
    MyDataLinks,
    cancelled_card,
    erase_card,
    erased_card,
    my_data_card,
    my_data_file_name,
    nothing_to_erase_card,
)
from dialogs.texts import t
from followup.people.access import Access, audit, audit_refusal
from followup.policy import Policy
from followup.privacy.erasure import ErasurePlan, StaleErasure, erase_answers, plan_erasure
from followup.privacy.my_data import collect
from storage.database import Database
from storage.models import Chef
from storage.types import utcnow

logger = logging.getLogger(__name__)


class MyDataDialog:
    """Shows a chef what is stored about them and erases their answers when they ask."""

    def __init__(
        self,
        db: Database,
        *,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
        links: MyDataLinks | None = None,
    ) -> None:
        self._db = db
        self._policy = policy
        self._clock = clock
        self._links = links

    async def _chef(self, chef_id: int | None) -> Chef | None:
        if chef_id is None:
            return None
        async with self._db.session() as session:
            return await session.get(Chef, chef_id)

    @staticmethod
    def _access(chef: Chef) -> Access:
        """Who the chef is, for the audit log."""
        return Access(actor=chef.upn.lower(), organisation_id=chef.organisation_id)

    # --- typed commands -------------------------------------------------------------------

    async def show(self, context: TurnContext, *, chef_id: int | None, language: str) -> None:
        """ "mina data": everything stored about the chef, with download links (in place of
        the pressed card when Avbryt on the erase question brings it back)."""
        chef = await self._chef(chef_id)
        data = await collect(self._db, chef_id=chef.id) if chef and chef.id else None
        if chef is None or data is None:
            await context.send_activity(t(language, "mydata.not_a_chef"))
            return
        access = self._access(chef)
        await audit(self._db, access, "mydata.view", at=self._clock(), rounds=len(data.rounds))
        await show_card(
            context,
            my_data_card(
                data,
                language,
                downloads=self._links is not None,
                link_lifetime=self._policy.link_lifetime,
                zone=self._policy.zone,
                today=self._policy.today(self._clock()),
            ),
        )

    async def ask_erase(
        self,
        context: TurnContext,
        *,
        chef_id: int | None,
        language: str,
        back: str | None = None,
    ) -> None:
        """ "radera mina svar": what would be erased and kept, and the question — in place of
        the card whose button asked (`back`: which card that was, for Avbryt)."""
        plan = await plan_erasure(self._db, chef_id=chef_id) if chef_id is not None else None
        if plan is None:
            await context.send_activity(t(language, "mydata.not_a_chef"))
            return
        await show_card(context, self._question(plan, language, back=back))

    def _question(
        self, plan: ErasurePlan, language: str, *, back: str | None = None
    ) -> dict[str, Any]:
        if not plan.erases_anything:
            return nothing_to_erase_card(plan, language)
        return erase_card(plan, language, issued=self._clock(), back=back)

    # --- card submits ---------------------------------------------------------------------

    async def on_submit(
        self,
        context: TurnContext,
        value: dict[str, Any],
        *,
        chef_id: int | None,
        language: str,
        who: Callable[[], Awaitable[Access]],
    ) -> None:
        """A press on a my-data card. `who`: the sender, for the audit log of a refusal."""
        action, back = value.get("action"), value.get("back")
        if action == "ask_erase":
            back = back if back == MY_DATA else None
            await self.ask_erase(context, chef_id=chef_id, language=language, back=back)
        elif action == "erase":
            await self._erase(context, value, chef_id=chef_id, language=language, who=who)
        elif action == "cancel" and back == MY_DATA:
            # the question came in place of the chef's data: their data again, as it is now
            await self.show(context, chef_id=chef_id, language=language)
        elif action == "cancel":
            await show_card(context, cancelled_card(language))
        elif action == DOWNLOAD:
            await self._download(context, value, chef_id=chef_id, language=language, who=who)
        else:
            await audit_refusal(
                self._db, await who(), "mydata", reason="invalid_card", at=self._clock()
            )
            await context.send_activity(t(language, "mydata.invalid_card"))

    async def _erase(
        self,
        context: TurnContext,
        value: dict[str, Any],
        *,
        chef_id: int | None,
        language: str,
        who: Callable[[], Awaitable[Access]],
    ) -> None:
        owner, fingerprint = value.get("chef"), value.get("plan")
        issued = _moment(value.get("issued"))
        now = self._clock()
        if (
            not isinstance(owner, int)
            or isinstance(owner, bool)
            or not isinstance(fingerprint, str)
            or issued is None
        ):
            await audit_refusal(self._db, await who(), "mydata", reason="invalid_card", at=now)
            await context.send_activity(t(language, "mydata.invalid_card"))
            return
        chef = await self._chef(chef_id)
        if chef is None or chef.id != owner:
            # a forwarded card, or its data copied: refused, and on record
            logger.warning("mydata: refused an erasure card of another chef")
            await audit_refusal(self._db, await who(), "mydata", reason="not_yours", at=now)
            await context.send_activity(t(language, "mydata.erase.not_yours"))
            return
        # a question is answered while a download link would live (a quarter of an hour)
        if not issued <= now < issued + self._policy.question_lifetime:
            await self._stale(context, chef, language, reason="expired")
            return
        try:
            done = await erase_answers(self._db, chef_id=owner, fingerprint=fingerprint)
        except StaleErasure:
            await self._stale(context, chef, language, reason="changed")
            return
        await audit(
            self._db,
            self._access(chef),
            "mydata.erase",
            at=now,
            rounds=done.rounds,
            statuses=done.statuses,
            texts=done.texts,
            ratings=done.ratings,
            kept_statuses=done.kept_statuses,
            conversations=done.conversations,
            **({"drafts": done.drafts} if done.drafts else {}),
        )
        logger.info(
            "mydata: chef %s erased statuses=%s texts=%s ratings=%s kept_statuses=%s "
            "conversations=%s",
            owner,
            done.statuses,
            done.texts,
            done.ratings,
            done.kept_statuses,
            done.conversations,
        )
        await show_card(context, erased_card(done, language))

    async def _download(
        self,
        context: TurnContext,
        value: dict[str, Any],
        *,
        chef_id: int | None,
        language: str,
        who: Callable[[], Awaitable[Access]],
    ) -> None:
        """A my-data download button: a fresh link to the data of whoever presses it (a card
        forwarded to someone else gives them their own data, or nothing)."""
        kind = value.get("format")
        if kind not in FORMATS:
            await audit_refusal(
                self._db, await who(), "mydata", reason="invalid_card", at=self._clock()
            )
            await context.send_activity(t(language, "mydata.invalid_card"))
            return
        chef = await self._chef(chef_id)
        if chef is None or chef.id is None:
            await audit_refusal(
                self._db, await who(), "mydata", reason="not_a_chef", at=self._clock()
            )
            await context.send_activity(t(language, "mydata.not_a_chef"))
            return
        if self._links is None:
            await context.send_activity(t(language, "download.unavailable"))
            return
        url = self._links(
            chef_id=chef.id,
            organisation_id=chef.organisation_id,
            language=language,
            actor=self._access(chef).actor,
        )[kind]
        now = self._clock()
        content = download_card(
            name=my_data_file_name(kind, language, now=now, zone=self._policy.zone),
            label=t(language, f"mydata.download.{kind}"),
            url=url,
            language=language,
            lifetime=self._policy.link_lifetime,
        )
        await context.send_activity(card_activity(content))

    async def _stale(self, context: TurnContext, chef: Chef, language: str, *, reason: str) -> None:
        """Nothing erased; the question again, as things are now."""
        logger.info("mydata: erasure card refused: chef=%s reason=%s", chef.id, reason)
        await audit_refusal(self._db, self._access(chef), "mydata", reason=reason, at=self._clock())
        lifetime = duration(self._policy.question_lifetime, language)
        await context.send_activity(t(language, f"mydata.erase.stale.{reason}", lifetime=lifetime))
        assert chef.id is not None
        await self.ask_erase(context, chef_id=chef.id, language=language)


def _moment(value: Any) -> datetime | None:
    """An aware moment from a card's ISO text; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
