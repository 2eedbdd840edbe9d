"""`ledarpuls dev`, behind `make run`: migrate, load the demo, serve, and start the Playground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from bot.demo import load_demo
from bot.settings import Settings
from dialogs.texts import t
from storage import migrate
from storage.database import Database

logger = logging.getLogger(__name__)

Serve = Callable[..., Awaitable[None]]


def _die_with_parent() -> None:
    """In the Playground's process (Linux): end when `ledarpuls dev` ends, even by SIGKILL."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: Ctrl-C and SIGTERM still stop it
        pass


PR_SET_PDEATHSIG = 1


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.asynccontextmanager
async def playground(
    cli_js: Path,
    *,
    bot_url: str,
    port: int,
    lang: str,
    host: str,
    bot_port: int,
    timezone: str,
    config: Path | None = None,
    log_file: Path | None = None,
) -> AsyncIterator[None]:
    """Run the Microsoft 365 Agents Playground headless beside the bot, when Node is there."""
    node = shutil.which("node")
    if node is None or not await asyncio.to_thread(cli_js.is_file):
        print(t(lang, "cli.playground_missing", host=host, port=bot_port))
        yield
        return
    if _port_taken(port):
        # the Playground would silently move to a random port; say so instead
        print(t(lang, "cli.playground_port_taken", port=port, host=host, bot_port=bot_port))
        yield
        return
    # the Playground's clock in the bot's zone (TIMEZONE), so its times read like the bot's
    env = dict(os.environ, TEAMSAPPTESTER_BROWSER="none", TZ=timezone)
    if config is not None:
        env["M365_AGENTS_PLAYGROUND_CONFIG_PATH"] = str(config)
    if log_file is not None:
        env["M365_AGENTS_PLAYGROUND_LOGFILE"] = str(log_file)
    try:
        process = await asyncio.create_subprocess_exec(
            node,
            str(cli_js),
            "-e",
            bot_url,
            "-c",
            "msteams",
            "-p",
            str(port),
            "--disable-telemetry",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    except OSError as exc:
        print(t(lang, "cli.playground_failed", reason=exc.strerror, host=host, port=bot_port))
        yield
        return
    print(t(lang, "cli.playground_started", url=f"http://localhost:{port}"))
    try:
        yield
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()


async def _prepare(args: argparse.Namespace, settings: Settings) -> None:
    db = Database(settings.database_url, timeouts=settings.database_timeouts())
    try:
        await migrate.upgrade(db)
        org = await load_demo(
            db, plan=Path(args.plan), roster=Path(args.roster), policy=settings.policy()
        )
        print(
            t(args.lang, "cli.demo_loaded", name=org.name)
            if org
            else t(args.lang, "cli.demo_skipped")
        )
    finally:
        await db.dispose()


def _log_file() -> Path:
    """The Playground's verbose log goes to var/, not to ./devTools."""
    folder = Path("var")
    folder.mkdir(exist_ok=True)
    return folder / "playground.log"


def run_dev(args: argparse.Namespace, settings: Settings, *, serve: Serve) -> int:
    # the Playground runs in its own working directory: give it absolute paths
    config = Path(args.playground_config).resolve()
    log_file = _log_file().resolve()

    async def main() -> None:
        await _prepare(args, settings)
        bot_url = f"http://127.0.0.1:{settings.port}/api/messages"
        async with contextlib.AsyncExitStack() as stack:

            async def start_playground() -> None:
                await stack.enter_async_context(
                    playground(
                        Path(args.playground),
                        bot_url=bot_url,
                        port=args.playground_port,
                        lang=args.lang,
                        host=settings.host,
                        bot_port=settings.port,
                        timezone=settings.timezone,
                        config=config,
                        log_file=log_file,
                    )
                )

            await serve(settings, args.lang, on_ready=start_playground)

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(t(args.lang, "cli.stopping"), file=sys.stderr)
    return 0
