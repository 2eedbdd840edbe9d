"""Benchmark: the CPU of one proactive send, sender side only.

The fake Bot Connector runs in a child process, so this process's CPU time is the notifier's
(and the event loop's) alone. Sends `--messages` invitations, `--concurrency` at a time, with
no rate limit, and prints CPU per message. `--profile` prints cProfile's top functions."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import pstats
import time
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.connector_cache import CachingBotFrameworkAuthentication
from bot.settings import Settings
from bot.teams_notifier import Outcome, TeamsNotifier
from tests.fakes.bot_connector import running_connector


def serve(port_out: Any, stop: Any) -> None:
    async def run() -> None:
        async with running_connector(conversation_limits=[]) as connector:
            port_out.send(connector.service_url)
            await asyncio.to_thread(stop.wait)

    asyncio.run(run())


async def send_all(service_url: str, messages: int, concurrency: int, profile: bool) -> None:
    authentication = CachingBotFrameworkAuthentication(
        ConfigurationBotFrameworkAuthentication(Settings(_env_file=None))  # type: ignore[call-arg]
    )
    notifier = TeamsNotifier(CloudAdapter(authentication), app_id="")  # type: ignore[call-arg]
    activity = {"type": "message", "text": "Hej, en ny uppföljning väntar."}

    def reference(i: int) -> dict[str, Any]:
        return {
            "user": {"id": f"29:chef-{i}", "aadObjectId": f"aad-{i}"},
            "bot": {"id": "28:ledarpuls", "name": "Ledarpuls"},
            "conversation": {"id": f"a:bench-{i}", "conversationType": "personal"},
            "channelId": "msteams",
            "serviceUrl": service_url,
        }

    async def worker(start: int) -> None:
        for i in range(start, messages, concurrency):
            delivery = await notifier.send(reference=reference(i), activity=activity)
            assert delivery.outcome == Outcome.SENT, delivery

    await worker(0)  # warm up: the connector client, the connection
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.monotonic()
    if profiler is not None:
        profiler.enable()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    if profiler is not None:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    await authentication.close()
    print(f"messages:         {messages} ({concurrency} at a time)")
    print(f"wall time:        {wall:.2f} s ({messages / wall:.0f} msg/s)")
    print(f"CPU, sender side: {cpu:.2f} s = {cpu / messages * 1000:.2f} ms per message")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    receive, send = multiprocessing.Pipe(duplex=False)
    stop = multiprocessing.Event()
    child = multiprocessing.Process(target=serve, args=(send, stop), daemon=True)
    child.start()
    try:
        service_url = receive.recv()
        asyncio.run(send_all(service_url, args.messages, args.concurrency, args.profile))
    finally:
        stop.set()
        child.join(5)


if __name__ == "__main__":
    main()
