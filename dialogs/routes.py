"""What the bot runs for a message: one table from command words and card actions to handlers.

The words a command is typed as live in the text catalogues (`commands.<name>`), so each
language's words sit with its texts. Every word is understood whatever language the person has;
the answer is in theirs (`person_language`: what they chose with `språk`/`language`, else their
organisation's default) — never in the word's language, a card's or the Teams locale. A pressed
card is routed on its kind (`ledarpuls`) and its action, never on who the card claims to be
from: the handler decides that."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from dialogs.activities import tenant_of
from dialogs.cards import REFRESH, show_card
from dialogs.check_in_dialog import MARKER as CHECK_IN_KIND
from dialogs.check_in_dialog import CheckInDialog
from dialogs.consortium_cards import DOWNLOAD as CONSORTIUM_DOWNLOAD
from dialogs.consortium_cards import ConsortiumLinks, HrConsortium
from dialogs.digest_cards import Links
from dialogs.download_cards import DOWNLOAD
from dialogs.export_cards import DOWNLOAD as EXPORT_DOWNLOAD
from dialogs.export_cards import SHOW as EXPORT_SHOW
from dialogs.export_cards import ExportLinks
from dialogs.help import help_text
from dialogs.hr_activities import HrActivities
from dialogs.hr_analysis import HrAnalysis
from dialogs.hr_calendar import HrCalendar
from dialogs.hr_cards import SUBMIT_KIND as HR_KIND
from dialogs.hr_exports import HrExports
from dialogs.hr_flow import HrAction, HrCommand, HrGate, HrRefresh, by_round, invalid_card
from dialogs.hr_imports import FetchFile, HrImports, ImportLinks, has_files
from dialogs.hr_leave import HrLeave
from dialogs.hr_planning import HrPlanning
from dialogs.hr_programmes import END, END_FORM, HrProgrammes
from dialogs.hr_reports import HrReports
from dialogs.hr_roles import HrRoles
from dialogs.hr_roster import HrRoster
from dialogs.hr_running import HrRunning
from dialogs.language_cards import CHOOSE as CHOOSE_LANGUAGE
from dialogs.language_cards import SUBMIT_KIND as LANGUAGE_KIND
from dialogs.language_cards import language_card
from dialogs.my_data_cards import SUBMIT_KIND as MY_DATA_KIND
from dialogs.my_data_cards import MyDataLinks
from dialogs.my_data_dialog import MyDataDialog
from dialogs.remind_cards import REMIND_LATER, REMIND_NOW
from dialogs.texts import LANGUAGES, catalogue, t, words
from dialogs.turn import Handler, Sender, Turn
from followup.hr import consortium
from followup.people.access import Access, audit_refusal, chef_access
from followup.policy import Policy
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.organisation_store import OrganisationStore
from storage.types import utcnow

COMMAND_KEY = "commands."  # catalogue keys listing the words of one command each


@dataclass(frozen=True)
class Typed:
    """What a message asks for: a command ("" for none), the language its word is in (None: a
    word of both, or none), the round's number when it names one ("status 3"), and what follows
    `språk`/`language` ("engelska")."""

    command: str
    word_language: str | None = None
    round_id: int | None = None
    argument: str | None = None


@cache
def command_words() -> dict[str, tuple[str, str | None]]:
    """Every command word → (its command, its language; None when both languages have it)."""
    found: dict[str, tuple[str, str | None]] = {}
    for language in LANGUAGES:
        for key in catalogue(language):
            if not key.startswith(COMMAND_KEY):
                continue
            command = key.removeprefix(COMMAND_KEY)
            for word in map(_typed_as, words(language, key)):
                known = found.get(word)
                if known is not None and known[0] != command:
                    raise ValueError(f"{word!r} is a word of both {known[0]} and {command}")
                same_elsewhere = known is not None and known[1] != language
                found[word] = (command, None if same_elsewhere else language)
    return found


def normalise_command(text: str | None) -> str:
    """Lower-case words without surrounding punctuation or mention markup."""
    text = re.sub(r"<at>.*?</at>", " ", text or "")
    return " ".join(text.strip().strip(".!?").casefold().split()) or ""


def _typed_as(text: str | None) -> str:
    # "?" is all punctuation: kept as it is
    return normalise_command(text) or (text or "").strip()


def command_of(activity: Activity) -> Typed:
    """The command a message's words ask for."""
    text = ""
    if activity.type == ActivityTypes.message:
        text = _typed_as(activity.text)
    known = command_words()
    number: int | None = None
    argument: str | None = None
    head, _, last = text.rpartition(" ")
    # ASCII digits only: "²" is a digit to str.isdigit() but no number to int()
    if last.isascii() and last.isdigit() and len(last) <= 9 and head in known:
        text, number = head, int(last)
    elif head in known and known[head][0] == LANGUAGE_COMMAND:
        text, argument = head, last
    command, word_language = known.get(text, ("", None))
    return Typed(command, word_language, number, argument)


LANGUAGE_COMMAND = "language"  # `språk engelska`: the one command that takes a word after it


def chosen_language(word: str | None) -> str | None:
    """The language a word after `språk`/`language` names ("engelska", "swedish"), if any."""
    for language in LANGUAGES:
        if word is not None and word in words(language, f"language.choice.{language}"):
            return language
    return None


class Routes:
    """The registry: typed commands by name, card presses by kind and action, and what runs
    when nothing matches."""

    def __init__(self, *, fallback: Handler, invalid_card: Handler) -> None:
        self._commands: dict[str, Handler] = {}
        self._numbered: set[str] = set()  # commands that may name a round ("status 3")
        self._cards: dict[tuple[str, str | None], Handler] = {}
        self._fallback = fallback
        self._invalid_card = invalid_card
        self._files: Handler | None = None

    def add_files(self, handler: Handler) -> None:
        """Run `handler` for a message that carries files (HR's plan or roster)."""
        self._files = handler

    def add_command(self, command: str, handler: Handler, *, numbered: bool = False) -> None:
        """Run `handler` for the words of `command` in the catalogues."""
        if f"{COMMAND_KEY}{command}" not in catalogue(LANGUAGES[0]):
            raise ValueError(f"no words for the command {command} in the catalogues")
        if command in self._commands:
            raise ValueError(f"the command {command} is routed twice")
        self._commands[command] = handler
        if numbered:
            self._numbered.add(command)

    def add_card(self, kind: str, handler: Handler, *, action: str | None = None) -> None:
        """Run `handler` for a card of `kind` pressed with `action` (None: any action of that
        kind without a route of its own)."""
        if (kind, action) in self._cards:
            raise ValueError(f"the card action {kind}/{action} is routed twice")
        self._cards[(kind, action)] = handler

    def card_kinds(self) -> frozenset[str]:
        """The kinds of card that have routes (the `ledarpuls` of their data)."""
        return frozenset(k for k, _ in self._cards)

    def card_actions(self, kind: str) -> frozenset[str]:
        """The actions of a kind of card that have a route of their own."""
        return frozenset(a for k, a in self._cards if k == kind and a is not None)

    async def run(self, context: TurnContext, sender: Sender) -> None:
        """Answer one message: a pressed card by what it is about, else the typed command."""
        activity = context.activity
        typed = command_of(activity)
        # the one rule: the person's language, whatever the word, the card or the locale
        language = await sender.language()
        if activity.value is not None:
            value = activity.value if isinstance(activity.value, dict) else {}
            await self.run_card(context, sender, value, language=language)
            return
        if self._files is not None and has_files(activity):
            await self._files(Turn(context, sender, language))
            return
        handler = self._commands.get(typed.command)
        if handler is None or (typed.round_id is not None and typed.command not in self._numbered):
            # a number after a word that takes none ("hjälp 3") is no command
            await self._fallback(Turn(context, sender, language))
            return
        await handler(
            Turn(context, sender, language, round_id=typed.round_id, argument=typed.argument)
        )

    async def run_card(
        self,
        context: TurnContext,
        sender: Sender,
        value: dict[str, Any],
        *,
        language: str | None = None,
    ) -> None:
        """Answer a pressed card (its data with the inputs merged in), whether it came as an
        Action.Submit message or as a Universal Action's invoke."""
        language = language or await sender.language()
        await self._card(value)(Turn(context, sender, language, value=value))

    def _card(self, value: Mapping[str, Any]) -> Handler:
        kind, action = value.get("ledarpuls"), value.get("action")
        if not isinstance(kind, str):
            return self._invalid_card
        if isinstance(action, str) and (kind, action) in self._cards:
            return self._cards[(kind, action)]
        return self._cards.get((kind, None), self._invalid_card)


class ChefCommand(Protocol):
    def __call__(
        self, context: TurnContext, *, chef_id: int | None, language: str
    ) -> Awaitable[None]: ...


class ChefCard(Protocol):
    def __call__(
        self,
        context: TurnContext,
        value: dict[str, Any],
        *,
        chef_id: int | None,
        language: str,
        who: Callable[[], Awaitable[Access]],
    ) -> Awaitable[None]: ...


def as_chef(handler: ChefCommand) -> Handler:
    """A chef's command: run for the chef the sender is (None when not one)."""

    async def run(turn: Turn) -> None:
        await handler(turn.context, chef_id=await turn.sender.chef_id(), language=turn.language)

    return run


def chef_card(handler: ChefCard, db: Database) -> Handler:
    """A card of a chef's own (check-in, my data): the dialog checks it is theirs, and puts a
    refusal on record under `who` pressed it (a chef as the roster has them, else as Teams
    says; looked up only then)."""

    async def run(turn: Turn) -> None:
        chef_id = await turn.sender.chef_id()

        async def who() -> Access:
            return await chef_access(db, chef_id) or await turn.sender.access()

        await handler(turn.context, turn.value, chef_id=chef_id, language=turn.language, who=who)

    return run


def send_help(db: Database, *, policy: Policy) -> Handler:
    """The help, with HR's or a department lead's commands for those who have them, and the
    sender's organisation's k (the policy's when they have none)."""

    async def run(turn: Turn) -> None:
        access = await turn.sender.access()
        organisation = (
            await OrganisationStore(db).get(access.organisation_id)
            if access.organisation_id is not None
            else None
        )
        text = help_text(
            turn.language,
            k=organisation.default_k if organisation is not None else policy.k,
            hr=access.admin,
            lead=bool(access.lead_departments),
        )
        await turn.context.send_activity(MessageFactory.text(text))

    return run


def choose_language(
    db: Database, *, clock: Callable[[], datetime] = utcnow
) -> tuple[Handler, Handler]:
    """`språk engelska`, or a press on the language card: the person's language from now on,
    kept on their conversation; `språk` alone shows the card (which they have, and a button for
    each). The typed command's handler, and the card's."""

    async def run(turn: Turn) -> None:
        if turn.argument is None:
            # which it is now, and a button for each (a phone has no keyboard open)
            await show_card(turn.context, language_card(turn.language))
            return
        await save(turn, chosen_language(turn.argument))

    async def pressed(turn: Turn) -> None:
        word = turn.value.get("language")
        await save(turn, word if isinstance(word, str) and word in LANGUAGES else None)

    async def save(turn: Turn, language: str | None) -> None:
        if language is None:
            await turn.context.send_activity(t(turn.language, "language.unknown"))
            return
        activity = turn.context.activity
        tenant_id = tenant_of(activity)
        saved = (
            tenant_id is not None
            and activity.from_property is not None
            and await ConversationStore(db).choose_language(
                tenant_id=tenant_id,
                user_id=activity.from_property.id,
                language=language,
                now=clock(),
            )
        )
        if not saved:
            await turn.context.send_activity(t(turn.language, "language.not_saved"))
            return
        if turn.value:  # the card pressed says it, in the language chosen
            await show_card(
                turn.context, language_card(language, note=t(language, "language.chosen"))
            )
            return
        await turn.context.send_activity(t(language, "language.chosen"))

    return run, pressed


def invalid_chef_card(db: Database, *, clock: Callable[[], datetime] = utcnow) -> Handler:
    """A card that is none of ours (damaged, forged or from an old version): refused, and on
    record."""

    async def run(turn: Turn) -> None:
        access = await chef_access(db, await turn.sender.chef_id()) or await turn.sender.access()
        await audit_refusal(db, access, "card", reason="invalid_card", at=clock())
        await turn.context.send_activity(t(turn.language, "checkin.invalid_card"))

    return run


def teams_routes(
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
) -> Routes:
    """The table: every command and card action, and the dialog that answers it."""
    check_in = CheckInDialog(db, policy=policy, clock=clock)
    my_data = MyDataDialog(db, policy=policy, clock=clock, links=my_data_links)

    async def resume_or_hint(turn: Turn) -> None:
        # a chef in the middle of a check-in who writes anything gets the step they are at
        chef_id = await turn.sender.chef_id()
        if not await check_in.resume_if_answering(
            turn.context, chef_id=chef_id, language=turn.language
        ):
            await turn.context.send_activity(
                MessageFactory.text(t(turn.language, "unknown.command"))
            )

    async def cancel(turn: Turn) -> None:
        await check_in.cancel(turn.context, language=turn.language)

    routes = Routes(fallback=resume_or_hint, invalid_card=invalid_chef_card(db, clock=clock))
    routes.add_command("help", send_help(db, policy=policy))
    typed_language, pressed_language = choose_language(db, clock=clock)
    routes.add_command(LANGUAGE_COMMAND, typed_language)
    routes.add_card(LANGUAGE_KIND, pressed_language, action=CHOOSE_LANGUAGE)
    routes.add_command("checkin", as_chef(check_in.begin))
    routes.add_command("answers", as_chef(check_in.my_answers))
    routes.add_command("change", as_chef(check_in.change_answers))
    routes.add_command("cancel", cancel)
    routes.add_command("my_data", as_chef(my_data.show))
    routes.add_command("erase", as_chef(my_data.ask_erase))
    routes.add_card(CHECK_IN_KIND, chef_card(check_in.on_submit, db))
    routes.add_card(MY_DATA_KIND, chef_card(my_data.on_submit, db))

    hr = HrGate(db, policy=policy, clock=clock)
    planning, reports, calendar = HrPlanning(db), HrReports(db, links=links), HrCalendar(db)
    running, leave, roles = HrRunning(db, reports=reports), HrLeave(db), HrRoles(db)
    files = HrImports(db, fetch=fetch_file, links=import_links)
    roster = HrRoster(db)
    activities = HrActivities(db)
    programmes = HrProgrammes(db)
    analysis = HrAnalysis(db)
    exports = HrExports(db, links=export_links)
    # HR's typed commands; each may name a round by its number ("status 3")
    hr_commands: dict[str, HrCommand] = {
        "new_round": planning.new_round,
        "rounds": reports.rounds,
        "status": reports.status,
        "remind": running.remind,
        "extend": running.extend_form,
        "close": running.close_form,
        "digest": reports.digest,
        "identified": reports.identified,
        "calendar": calendar.show,
        "on_leave": leave.form,
        "roles": roles.show,
        "add_hr": roles.add_form,
        "remove_hr": roles.remove_form,
        "import": files.upload_link,
        "preview_import": files.preview_upload,
        "templates": files.templates,
        "roster": roster.show,
        "activities": activities.show,
        "analysis": analysis.form,
        "export": exports.show,
    }
    # HR's card actions; a button that names its round does what typing its command with the
    # round's number does
    hr_actions: dict[str, HrAction] = {
        "create": planning.create,
        "change_form": planning.change_form,
        "change": planning.change,
        "open": planning.open,
        "skip": planning.skip,
        "status": by_round(reports.status),
        "digest": by_round(reports.digest),
        "identified": reports.identified_department,
        "remind": by_round(running.remind),
        "extend_form": by_round(running.extend_form),
        "extend": running.extend,
        "close_form": by_round(running.close_form),
        "close": running.close,
        "calendar": calendar.change,
        END_FORM: programmes.end_form,
        END: programmes.end,
        "leave": leave.save,
        "add_hr": roles.add,
        "remove_hr": roles.remove,
        "import_apply": files.apply,
        "import_cancel": files.cancel,
        "roster_find": roster.find,
        "roster_chef": roster.open,
        "roster_add_form": roster.add_form,
        "roster_add": roster.add,
        "roster_move": roster.move,
        "roster_leave": roster.leave,
        "roster_end": roster.end,
        "end_activity": activities.end,
        "analysis_form": by_round(analysis.form),
        "analysis": analysis.save,
        EXPORT_SHOW: by_round(exports.show),
    }
    for command, handler in hr_commands.items():
        routes.add_command(command, hr.command(command, handler), numbered=True)
    # a shared programme's digest across its members: the owning organisation's HR only
    shared = HrConsortium(db, links=consortium_links)
    routes.add_command("consortium", hr.command(consortium.DIGEST, shared.digest))
    for action, on_press in hr_actions.items():
        routes.add_card(HR_KIND, hr.action(action, on_press), action=action)
    # a digest's file: whoever may see the digest now (a lead too), checked when pressed
    routes.add_card(HR_KIND, hr.action("digest", reports.download), action=DOWNLOAD)
    # an export's file: likewise, for whoever may export now (a lead: their departments)
    routes.add_card(HR_KIND, hr.action("export", exports.download), action=EXPORT_DOWNLOAD)
    # a file of a shared programme's digest: the owning organisation's HR only, when pressed
    routes.add_card(
        HR_KIND, hr.action(consortium.DIGEST, shared.download), action=CONSORTIUM_DOWNLOAD
    )
    # "påminn" outside working hours, answered: now, or from the next working morning
    routes.add_card(HR_KIND, hr.action("remind", running.remind_now), action=REMIND_NOW)
    routes.add_card(HR_KIND, hr.action("remind", running.remind_later), action=REMIND_LATER)
    # a round's card or its status shown again: as it is now, checked as a press is, unrecorded
    routes.add_card(HR_KIND, HrRefresh(db, policy=policy, clock=clock), action=REFRESH)
    routes.add_card(HR_KIND, invalid_card(db, clock=clock))
    # a file sent in the chat: only HR's are even fetched
    routes.add_files(hr.command("import", files.on_file))
    return routes
