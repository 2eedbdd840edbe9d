"""A small TCP proxy on 127.0.0.1 for staging database outages (and any other TCP fault).

    async with TcpProxy("127.0.0.1", 5432) as proxy:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/test"
        proxy.refuse()      # new connections are closed at once; open ones are cut
        proxy.blackhole()   # connections are accepted, then nothing passes either way
        proxy.cut()         # every open connection is closed now; new ones pass
        proxy.restore()     # everything passes again

Everything stays on this machine: it forwards to the real server the tests already use."""

from __future__ import annotations

import asyncio
import contextlib
from enum import Enum
from types import TracebackType


class Mode(Enum):
    PASS = "pass"
    REFUSE = "refuse"
    BLACKHOLE = "blackhole"


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `host`:`target_port`, with faults on demand."""

    def __init__(self, host: str, target_port: int) -> None:
        self._host, self._target_port = host, target_port
        self._server: asyncio.Server | None = None
        self._mode = Mode.PASS
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.port = 0
        self.connections = 0  # accepted so far

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        self._flowing.set()
        self._close_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    # --- faults ---------------------------------------------------------------------------

    def refuse(self) -> None:
        """New connections are closed at once, and the open ones are cut."""
        self._mode = Mode.REFUSE
        self._flowing.set()
        self._close_all()

    def blackhole(self) -> None:
        """Connections (open and new) stay open, but no byte passes either way."""
        self._mode = Mode.BLACKHOLE
        self._flowing.clear()

    def cut(self) -> None:
        """Close every open connection now; new ones pass as the mode says."""
        self._close_all()

    def restore(self) -> None:
        self._mode = Mode.PASS
        self._flowing.set()

    # --- forwarding -----------------------------------------------------------------------

    def _close_all(self) -> None:
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self._mode == Mode.REFUSE:
            writer.close()
            return
        self._writers.add(writer)
        try:
            await self._flowing.wait()  # a black hole accepts, then holds
            if self._mode == Mode.REFUSE or writer not in self._writers:
                return
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self._host, self._target_port
            )
        except OSError:
            writer.close()
            self._writers.discard(writer)
            return
        self._writers.add(upstream_writer)
        pipes = [
            asyncio.ensure_future(self._pipe(reader, upstream_writer)),
            asyncio.ensure_future(self._pipe(upstream_reader, writer)),
        ]
        for task in pipes:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for w in (writer, upstream_writer):
            w.close()
            self._writers.discard(w)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, ConnectionError):
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await self._flowing.wait()  # bytes held while the hole is black
                writer.write(data)
                await writer.drain()
