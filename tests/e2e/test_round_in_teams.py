"""A round from end to end in a real Teams client: `ledarpuls serve` on the demo and two
Microsoft 365 Agents Playgrounds, the chef's and HR's, driven as the two people use them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.demo import DEMO_NAME
from bot.dev import playground
from dialogs.texts import t
from followup.policy import DEFAULT_TIMEZONE
from tests.cards import assert_valid_cards
from tests.conftest import EXAMPLES
from tests.e2e.camera import Camera, camera_for
from tests.playground import (
    PLAYGROUND,
    Chat,
    Message,
    actions_of,
    card_of,
    free_port,
    has_card,
    inputs_of,
    texts,
    title_of,
    wait_ok,
)

pytestmark = pytest.mark.e2e

TITLE = "Delår 1"
COMMENT = "Vi provar nya arbetssätt tillsammans med medarbetarna."
HR_CHAT = "ledarpuls-demo-hr-chat"
# The round goes to Äldreomsorg: its three demo chefs (Karin Sjöberg among them), none on leave
DEPARTMENT = "Äldreomsorg"
INVITED = 3
# The Playground's Teams client always says en-US: what the bot sends on its own, and its answers
# to card presses and to words that are the same in both languages, come in English. A Swedish
# command word, and the HR cards it brings, are answered in Swedish.
TEAMS = "en"


@dataclass
class World:
    chef: Chat  # Karin Sjöberg, a chef in Äldreomsorg, in her own Teams
    hr: Chat  # Eva Lindgren, the demo's HR admin (no chef), in hers
    camera: Camera


def hr_world(tmp_path: Path) -> Path:
    """examples/playground.yml as Eva Lindgren's Teams: she is its user, with her own chat.

    The Playground sends everything as its one current user, so a second person needs a second
    Playground; the bot keeps each person's conversation with the service URL it came from."""
    world = yaml.safe_load((EXAMPLES / "playground.yml").read_text(encoding="utf-8"))
    eva = next(u for u in world["users"] if u["name"] == "Eva Lindgren")
    world["users"] = [world["currentUser"], *(u for u in world["users"] if u is not eva)]
    world["currentUser"] = eva
    world["personalChat"] = {"id": HR_CHAT}
    path = tmp_path / "playground-hr.yml"
    path.write_text(yaml.safe_dump(world, allow_unicode=True), encoding="utf-8")
    return path


async def ledarpuls(*args: str, env: dict[str, str], cwd: Path, log: Path) -> int:
    """Run a `ledarpuls` command to its end; its exit code."""
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", *args, env=env, cwd=cwd, stdout=out, stderr=out
        )
        return await process.wait()


@contextlib.asynccontextmanager
async def serving(*, env: dict[str, str], cwd: Path, log: Path) -> AsyncIterator[None]:
    """`ledarpuls serve` until the test is done; stopped with SIGTERM, as a service manager does."""
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", env=env, cwd=cwd, stdout=out, stderr=out
        )
        try:
            yield
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    if shutil.which("node") is None or not PLAYGROUND.is_file():
        pytest.fail("Node.js and the Agents Playground are needed: run `make e2e`")
    bot_port, chef_port, hr_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'ledarpuls.db'}",
        HOST="127.0.0.1",
        PORT=str(bot_port),
        TZ="Europe/Stockholm",
    )
    log = tmp_path / "ledarpuls.log"
    loaded = await ledarpuls(
        "demo",
        "load",
        "--plan",
        str(EXAMPLES / "demo-plan.yaml"),
        "--roster",
        str(EXAMPLES / "demo-roster.yaml"),
        env=env,
        cwd=tmp_path,
        log=log,
    )
    assert loaded == 0, log.read_text(encoding="utf-8")
    bot_url = f"http://127.0.0.1:{bot_port}"
    try:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(serving(env=env, cwd=tmp_path, log=log))
            for port, config in (
                (chef_port, EXAMPLES / "playground.yml"),
                (hr_port, hr_world(tmp_path)),
            ):
                await stack.enter_async_context(
                    playground(
                        PLAYGROUND,
                        bot_url=f"{bot_url}/api/messages",
                        port=port,
                        lang="sv",
                        host="127.0.0.1",
                        bot_port=bot_port,
                        timezone=DEFAULT_TIMEZONE,
                        config=config,
                        log_file=tmp_path / f"playground-{port}.log",
                    )
                )
            session = await stack.enter_async_context(aiohttp.ClientSession())
            await wait_ok(session, f"{bot_url}/healthz", 60)
            chats = []
            for port in (chef_port, hr_port):
                base = f"http://127.0.0.1:{port}"
                assert await wait_ok(session, f"{base}/_debug/ping", 60) == "pong"
                chat = await Chat.connect(session, base)
                stack.push_async_callback(chat.close)
                chats.append(chat)
            camera = await stack.enter_async_context(camera_for(chats))
            yield World(chef=chats[0], hr=chats[1], camera=camera)
    finally:
        print(log.read_text(encoding="utf-8"))  # pytest shows it when the test fails


def answers(step: Message) -> dict[str, Any]:
    """A chef's answers to every question on a step's card, as a person fills it in."""
    filled: dict[str, Any] = {}
    choice_sets = 0
    for element in inputs_of(step):
        if element["type"] == "Input.ChoiceSet":
            choices = element["choices"]
            choice_sets += 1
            filled[element["id"]] = choices[choice_sets % len(choices)]["value"]
        elif element["type"] == "Input.Text":
            filled[element["id"]] = COMMENT
    return filled


def either(key: str, **params: object) -> Callable[[Message], bool]:
    """A message that says the catalogue's text in English or in Swedish."""
    wanted = [t(lang, key, **params) for lang in ("en", "sv")]
    return lambda message: any(w in line for w in wanted for line in texts(message))


async def test_a_round_from_the_hr_cards_to_the_digest(world: World) -> None:
    chef, hr, camera = world.chef, world.hr, world.camera

    # installing: Karin is matched to the roster and welcomed with the card; Eva is staff
    # (the Playground sends the install as two activities at once, and only one carries the
    # client's locale: the welcome is in English, or in Swedish, the organisation's language)
    await chef.install()
    welcome = await chef.expect(either("welcome.title", name="Karin"))
    assert any(
        t(lang, "welcome.purpose", organisation=DEMO_NAME) in texts(welcome)
        for lang in ("en", "sv")
    )
    await hr.install()
    await hr.expect(either("welcome.staff", name="Eva", organisation=DEMO_NAME))

    # HR makes a round for Äldreomsorg with the card, then opens it
    await hr.say("ny omgång")
    form = await hr.expect(t("sv", "hr.new.title"))
    departments = next(e for e in inputs_of(form) if e["id"] == "departments")
    chosen = next(c for c in departments["choices"] if c["title"].startswith(DEPARTMENT))
    await hr.press(form, "create", title=TITLE, departments=chosen["value"])
    created = await hr.expect(lambda m: m["messageId"] == form["messageId"], "updateMessage")
    assert title_of(created) == t("sv", "hr.round.created")
    assert t("sv", "hr.round.reach", count=INVITED) in texts(created)
    await hr.press(created, "open")
    await hr.expect(t("sv", "hr.opened", title=TITLE, count=INVITED, on_leave=0))

    # the invitation reaches Karin
    invitation = await chef.expect(lambda m: title_of(m) == TITLE and "start" in actions_of(m))
    assert t(TEAMS, "checkin.invitation.pause") in texts(invitation)
    await camera.shoot(chef, "invitation", invitation)

    # she answers every card, then sends her answers in from the summary
    await chef.press(invitation, "start")
    card = await chef.expect(lambda m: bool({"save", "submit"} & actions_of(m)))
    steps = []
    while "submit" not in actions_of(card):
        steps.append(card)
        if len(steps) == 1:
            await camera.shoot(chef, "activity-card", card)
        await chef.press(card, "save", **answers(card))
        card = await chef.expect(lambda m: bool({"save", "submit"} & actions_of(m)))
    assert [title_of(s) for s in steps] == [
        t(TEAMS, "checkin.step_of", n=n, total=len(steps)) for n in range(1, len(steps) + 1)
    ]
    summary = card
    assert title_of(summary) == t(TEAMS, "checkin.summary.title", round=TITLE)
    assert t(TEAMS, "checkin.summary.incomplete") not in texts(summary)
    await chef.press(summary, "submit")

    # the summary she pressed becomes the receipt, with nothing left to send
    receipt = await chef.expect(lambda m: m["messageId"] == summary["messageId"], "updateMessage")
    assert title_of(receipt) == t(TEAMS, "checkin.receipt.title")
    assert TITLE in texts(receipt)
    assert COMMENT in texts(receipt)
    assert any(line.endswith(t(TEAMS, "checkin.status.in_progress")) for line in texts(receipt))
    assert actions_of(receipt) == {"reopen"}
    await chef.expect(t(TEAMS, "checkin.feedback.title"))
    await camera.shoot(chef, "receipt", receipt, most=1000)

    # HR sees her submission
    await hr.say("status")
    status = await hr.expect(t(TEAMS, "hr.status.title", title=TITLE))
    rate = t(TEAMS, "hr.status.rate", submitted=1, invited=INVITED, rate="33 %")
    assert rate in texts(status)
    not_answered = texts(status).index(t(TEAMS, "hr.status.not_answered", count=INVITED - 1))
    assert chef.name not in texts(status)[not_answered + 1]
    await camera.shoot(hr, "hr-status", status)

    # HR closes the round and gets the digest; Karin gets her own feedback
    await hr.say("stäng")
    confirm = await hr.expect(t("sv", "hr.close.title", title=TITLE))
    assert t("sv", "hr.close.body", submitted=1, invited=INVITED) in texts(confirm)
    await hr.press(confirm, "close")
    await hr.expect(t("sv", "round.closed"))
    digest = await hr.expect(lambda m: title_of(m) == t("sv", "digest.title", round=TITLE))
    response = t(
        "sv", "digest.prose.response", round=TITLE, submitted=1, invited=INVITED, rate="33 %"
    )
    assert response in texts(digest)
    await camera.shoot(hr, "digest", digest)
    await chef.expect(t(TEAMS, "feedback.closed", round=TITLE))

    # and every card the two of them were sent passes Microsoft's reference renderer
    sent = [f.get("message", {}) for chat in (chef, hr) for f in chat.received]
    await asyncio.to_thread(assert_valid_cards, [card_of(m) for m in sent if has_card(m)])
