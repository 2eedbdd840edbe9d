"""The end-to-end tests' world: `ledarpuls serve` on the demo and two Microsoft 365 Agents
Playgrounds, a chef's (Karin Sjöberg) and HR's (Eva Lindgren), each person in their own Teams."""

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

from bot.dev import playground
from dialogs.texts import t
from followup.policy import DEFAULT_TIMEZONE
from tests.conftest import EXAMPLES
from tests.e2e.camera import Camera, camera_for
from tests.playground import PLAYGROUND, Chat, Message, free_port, inputs_of, texts, wait_ok

HR_CHAT = "ledarpuls-demo-hr-chat"
# The Playground's Teams client always says en-US, but a person is answered in their own language:
# what they chose (`language english`), else their organisation's — the demo's is Swedish. So
# everything, what the bot sends on its own included, comes in Swedish.
LANGUAGE = "sv"
COMMENT = "Vi provar nya arbetssätt tillsammans med medarbetarna."


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


@contextlib.asynccontextmanager
async def running_world(tmp_path: Path, *, database_url: str) -> AsyncIterator[World]:
    """`ledarpuls serve` on the demo in an empty database (migrated by `ledarpuls` itself),
    Karin's and Eva's Playgrounds, until the test is done."""
    if shutil.which("node") is None or not PLAYGROUND.is_file():
        pytest.fail("Node.js and the Agents Playground are needed: run `make e2e`")
    bot_port, chef_port, hr_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    env.update(
        DATABASE_URL=database_url,
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


def either(key: str, **params: object) -> Callable[[Message], bool]:
    """A message that says the catalogue's text in English or in Swedish."""
    wanted = [t(lang, key, **params) for lang in ("en", "sv")]
    return lambda message: any(w in line for w in wanted for line in texts(message))


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
