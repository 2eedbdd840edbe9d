"""The inbound Teams bot: installs and identities; what a message gets is `dialogs.routes`'s."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount
from botbuilder.schema.teams import TeamsChannelAccount

from bot.activity_check import CARD_ACTION, card_action_error
from dialogs.activities import tenant_of
from dialogs.cards import CARD_CONTENT_TYPE, IN_PLACE_KEY, REFRESH, InPlace, card_activity
from dialogs.consortium_cards import ConsortiumLinks
from dialogs.digest_cards import Links
from dialogs.export_cards import ExportLinks
from dialogs.hr_imports import FetchFile, ImportLinks
from dialogs.my_data_cards import MyDataLinks
from dialogs.routes import teams_routes
from dialogs.texts import DEFAULT_LANGUAGE, person_language, t
from dialogs.turn import Sender
from dialogs.welcome import first_name, welcome_card
from followup.people.access import Access, access_of
from followup.people.enrolment import Enrolment, Member, Outcome, identify, mark_uninstalled
from followup.policy import Policy
from followup.rounds.roster_reach import invite_late
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.types import utcnow

logger = logging.getLogger(__name__)

CHEF_KEY = "ledarpuls.chef_id"  # turn state: the chef this Teams user is, when known

ACCESS_KEY = "ledarpuls.access"  # turn state: the sender's roles, once looked up

CHOSEN_KEY = "ledarpuls.chosen_language"  # turn state: the language the sender chose, if any

# turn state: the default language of the sender's organisation, read with their conversation
DEFAULT_KEY = "ledarpuls.default_language"

# a Universal Action answered with a text instead of a card (Teams shows it with the card)
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"

LANGUAGE_KEY = "ledarpuls.language"  # turn state: what the sender is answered in, once decided


def is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    return conversation is not None and (conversation.conversation_type or "personal") == "personal"


class TeamsBot(TeamsActivityHandler):
    """Answers chefs and HR in personal chat and keeps their conversation references current."""

    def __init__(
        self,
        db: Database,
        *,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
        links: Links | None = None,
        my_data_links: MyDataLinks | None = None,
        fetch_file: FetchFile | None = None,
        import_links: ImportLinks | None = None,
        export_links: ExportLinks | None = None,
        consortium_links: ConsortiumLinks | None = None,
    ) -> None:
        self._db = db
        self._policy = policy
        self._clock = clock
        self._conversations = ConversationStore(db)
        self._routes = teams_routes(
            db,
            policy=policy,
            clock=clock,
            links=links,
            my_data_links=my_data_links,
            fetch_file=fetch_file,
            import_links=import_links,
            export_links=export_links,
            consortium_links=consortium_links,
        )

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        uninstalling = activity.type == ActivityTypes.installation_update and (
            activity.action or ""
        ).startswith("remove")
        if is_personal(activity) and not uninstalling and activity.from_property:
            tenant_id = tenant_of(activity)
            if tenant_id:
                known = await self._conversations.refresh(
                    tenant_id=tenant_id,
                    user_id=activity.from_property.id,
                    service_url=activity.service_url,
                    locale=activity.locale,
                    timezone=activity.local_timezone,
                    now=self._clock(),
                )
                if known is not None:
                    # who this is and what they are answered in, for the rest of the turn
                    # (saves looking them up again)
                    turn_context.turn_state[CHEF_KEY] = known.ref.chef_id
                    turn_context.turn_state[CHOSEN_KEY] = known.ref.chosen_language
                    turn_context.turn_state[DEFAULT_KEY] = known.default_language
                elif activity.type == ActivityTypes.message:
                    # first contact without an install event (installed before we kept state)
                    await self._install(turn_context)
        await super().on_turn(turn_context)

    # --- invokes --------------------------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Only Universal Actions (`adaptiveCard/action`, its value checked at the edge) can be
        served: the bot offers no message extension, task module, sign-in or file consent card,
        so any other invoke is a request it cannot serve, answered 400 (the SDK would say 501)."""
        activity = turn_context.activity
        if activity.name != CARD_ACTION or not isinstance(activity.value, dict):
            return InvokeResponse(status=400, body={"error": "this invoke is not served"})
        return InvokeResponse(
            status=200, body=await self._card_action(turn_context, activity.value)
        )

    async def _card_action(
        self, turn_context: TurnContext, value: dict[str, Any]
    ) -> dict[str, Any]:
        """A Universal Action pressed (or a card's `refresh`): routed as the same press by
        Action.Submit would be, its data being the card's data with the inputs merged in; the
        answer is the card to show in place of the pressed one. A press that changes no card
        (a refusal, say, whose text is in the chat) is answered with that text."""
        action: dict[str, Any] = value["action"] if isinstance(value.get("action"), dict) else {}
        data: dict[str, Any] = action["data"] if isinstance(action.get("data"), dict) else {}
        verb = action.get("verb")
        # every button of ours names its kind of card, and its verb is the action it asks for
        kind = data.get("ledarpuls")
        if (
            not isinstance(kind, str)
            or kind not in self._routes.card_kinds()
            or (verb != REFRESH and (not isinstance(verb, str) or data.get("action") != verb))
        ):
            return card_action_error(400, "NotSupported", "no card of this bot has this action")
        if verb == REFRESH:
            data = {**data, "action": REFRESH}
        in_place = InPlace()
        turn_context.turn_state[IN_PLACE_KEY] = in_place
        said: list[str] = []

        async def observe(context: TurnContext, activities: list[Activity], send: Any) -> Any:
            said.extend(a.text for a in activities if a.type == ActivityTypes.message and a.text)
            return await send()

        turn_context.on_send_activities(observe)
        await self._routes.run_card(turn_context, self._sender(turn_context), data)
        if in_place.card is not None:
            return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": in_place.card}
        return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": said[-1] if said else ""}

    # --- installs -------------------------------------------------------------------------

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        if not is_personal(turn_context.activity):
            await turn_context.send_activity(
                t(await self._language(turn_context), "install.personal_only")
            )
            return
        await self._install(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        tenant_id = tenant_of(activity)
        if not is_personal(activity) or not tenant_id or not activity.from_property:
            return
        now = self._clock()
        ref = await self._conversations.uninstall(
            tenant_id=tenant_id, user_id=activity.from_property.id, now=now
        )
        if ref is not None and ref.chef_id is not None:
            await mark_uninstalled(self._db, chef_id=ref.chef_id, now=now)
            logger.info("app uninstalled: chef=%s", ref.chef_id)

    async def on_teams_members_added(
        self,
        teams_members_added: list[TeamsChannelAccount],
        team_info: Any,
        turn_context: TurnContext,
    ) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if is_personal(activity) and any(m.id == bot_id for m in teams_members_added):
            await self._install(turn_context)

    async def _member(self, turn_context: TurnContext) -> Member | None:
        activity = turn_context.activity
        tenant_id = tenant_of(activity)
        sender: ChannelAccount | None = activity.from_property
        if not tenant_id or sender is None or not sender.id:
            return None
        upn = email = None
        name = sender.name or ""
        aad_object_id = sender.aad_object_id
        try:
            account = await TeamsInfo.get_member(turn_context, sender.id)
            upn = account.user_principal_name
            email = account.email
            name = account.name or name
            aad_object_id = account.aad_object_id or aad_object_id
        except Exception as exc:  # the roster lookup is a network call; go on with less
            logger.warning("member lookup failed: %s", type(exc).__name__)
        return Member(
            tenant_id=tenant_id,
            user_id=sender.id,
            aad_object_id=aad_object_id.lower() if aad_object_id else None,
            upn=upn,
            email=email,
            name=name,
        )

    async def _install(self, turn_context: TurnContext) -> Enrolment | None:
        """Identify the user, store the conversation, and greet them the first time."""
        activity = turn_context.activity
        member = await self._member(turn_context)
        if member is None:
            return None
        now = self._clock()
        enrolment = await identify(self._db, member, now=now)
        chef = enrolment.chef if enrolment.outcome in (Outcome.MATCHED, Outcome.ENROLLED) else None
        reference = TurnContext.get_conversation_reference(activity).serialize()
        _, fresh = await self._conversations.remember(
            tenant_id=member.tenant_id,
            user_id=member.user_id,
            aad_object_id=member.aad_object_id,
            upn=member.upn or member.email,
            conversation_id=activity.conversation.id,
            service_url=activity.service_url,
            reference=reference,
            locale=activity.locale,
            timezone=activity.local_timezone,
            organisation_id=enrolment.organisation.id if enrolment.organisation else None,
            chef_id=chef.id if chef else None,
            now=now,
        )
        logger.info(
            "install: outcome=%s organisation=%s chef=%s fresh=%s",
            enrolment.outcome,
            enrolment.organisation.id if enrolment.organisation else None,
            chef.id if chef else None,
            fresh,
        )
        if fresh:
            await self._greet(turn_context, member, enrolment)
        if chef is not None and chef.id is not None:
            # a round the chef belongs to may already be open: invite them to it now
            await invite_late(self._db, chef_id=chef.id, now=now, policy=self._policy)
        return enrolment

    async def _greet(self, turn_context: TurnContext, member: Member, enrolment: Enrolment) -> None:
        language = await self._language(turn_context)
        organisation = enrolment.organisation.name if enrolment.organisation else ""
        # the smallest group HR sees totals for: the organisation's default, as its rounds start
        k = enrolment.organisation.default_k if enrolment.organisation else self._policy.k
        name = first_name(member.name)
        if enrolment.outcome in (Outcome.MATCHED, Outcome.ENROLLED):
            await turn_context.send_activity(
                card_activity(
                    welcome_card(
                        language,
                        name=member.name,
                        organisation=organisation,
                        enrolled=enrolment.outcome == Outcome.ENROLLED,
                        k=k,
                    )
                )
            )
        elif enrolment.outcome == Outcome.STAFF:
            await turn_context.send_activity(
                t(language, "welcome.staff", name=name, organisation=organisation)
            )
        elif enrolment.outcome == Outcome.UNKNOWN_ORGANISATION:
            await turn_context.send_activity(t(language, "install.unknown_organisation"))
        elif enrolment.outcome == Outcome.INACTIVE:
            await turn_context.send_activity(
                t(language, "install.inactive", name=name, organisation=organisation)
            )
        elif member.upn or member.email:
            await turn_context.send_activity(
                t(
                    language,
                    "install.not_in_roster",
                    name=name,
                    organisation=organisation,
                    upn=member.upn or member.email,
                )
            )
        else:
            await turn_context.send_activity(
                t(language, "install.not_in_roster_no_upn", name=name, organisation=organisation)
            )

    # --- messages -------------------------------------------------------------------------

    async def _chef_id(self, turn_context: TurnContext) -> int | None:
        if CHEF_KEY in turn_context.turn_state:
            chef_id: int | None = turn_context.turn_state[CHEF_KEY]
            return chef_id
        activity = turn_context.activity
        tenant_id = tenant_of(activity)
        if not tenant_id or activity.from_property is None:
            return None
        return await self._conversations.chef_of(
            tenant_id=tenant_id, user_id=activity.from_property.id
        )

    async def _language(self, turn_context: TurnContext) -> str:
        """The one rule (`person_language`): what the sender chose, else their organisation's
        default — never the activity's locale. Decided once a turn."""
        if LANGUAGE_KEY in turn_context.turn_state:
            known: str = turn_context.turn_state[LANGUAGE_KEY]
            return known
        activity = turn_context.activity
        tenant_id = tenant_of(activity)
        chosen: str | None = turn_context.turn_state.get(CHOSEN_KEY)
        known_ref = CHOSEN_KEY in turn_context.turn_state
        if not known_ref and tenant_id and activity.from_property is not None:
            ref = await self._conversations.find(
                tenant_id=tenant_id, user_id=activity.from_property.id
            )
            chosen = ref.chosen_language if ref is not None else None
        if DEFAULT_KEY in turn_context.turn_state:
            default: str | None = turn_context.turn_state[DEFAULT_KEY]
        else:
            default = (
                await self._conversations.default_language(tenant_id)
                if chosen is None and tenant_id
                else None
            )
        language = person_language(chosen, default)
        turn_context.turn_state[LANGUAGE_KEY] = language
        return language

    async def _access(self, turn_context: TurnContext) -> Access:
        """The sender's roles: by the object id Teams signs into the activity, then by the
        UPN from the roster or, when that finds none, from Teams itself."""
        if ACCESS_KEY in turn_context.turn_state:
            known: Access = turn_context.turn_state[ACCESS_KEY]
            return known
        activity = turn_context.activity
        sender = activity.from_property
        member = Member(
            tenant_id=tenant_of(activity) or "",
            user_id=sender.id if sender and sender.id else "",
            aad_object_id=(sender.aad_object_id or "").lower() or None if sender else None,
            upn=None,
            email=None,
            name=sender.name or "" if sender else "",
        )
        access = await access_of(self._db, member)
        if access.organisation_id is not None and not access.is_staff:
            looked_up = await self._member(turn_context)
            if looked_up is not None and looked_up.upn:
                access = await access_of(self._db, looked_up)
        turn_context.turn_state[ACCESS_KEY] = access
        return access

    def _sender(self, turn_context: TurnContext) -> Sender:
        # who sent it is looked up only if the route needs it, and once
        return Sender(
            chef_id=partial(self._chef_id, turn_context),
            access=partial(self._access, turn_context),
            language=partial(self._language, turn_context),
        )

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self._routes.run(turn_context, self._sender(turn_context))


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
        # the language the turn decided on, when it got that far; else the default
        state = turn_context.turn_state
        language = state.get(LANGUAGE_KEY) or state.get(CHOSEN_KEY) or DEFAULT_LANGUAGE
        await turn_context.send_activity(t(language, "error.turn"))
    except Exception:  # the connector may be what failed
        logger.warning("could not send the apology", exc_info=True)
