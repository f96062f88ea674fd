"""A TCP proxy that puts a database at a distance: every byte waits half the round-trip delay on
its way in each direction, and the proxy counts the round trips its clients wait for.

A round trip is a client's turn: the client sends after it was last handed the server's words
(or first, on a new connection). Pipelined statements sent in one go are one turn; a connection's startup and
authentication are turns too, as they are on a real network.

It can also play a hosted database that sleeps (Neon's free tier): `suspend(wake_s)` closes every
open connection, as a suspend does, and the next new connection wakes it: that one, and any that
come while it wakes, wait until ``wake_s`` after it before they reach the server.

Used by tests/test_remote_database.py, tests/test_pool.py and scripts/bench_remote.py.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

CHUNK = 65536


@dataclass(eq=False)
class _Link:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    client_turn: bool = False  # the client has sent since it last received


class DelayProxy:
    """Listens on 127.0.0.1 and forwards to ``host``:``port``, or to the server's Unix socket
    when ``host`` is a directory (as libpq reads it; the embedded server listens there)."""

    @classmethod
    def to(cls, database_url: str, delay_s: float = 0.0) -> DelayProxy:
        """A proxy to the server ``database_url`` names."""
        from psycopg.conninfo import conninfo_to_dict
        params = conninfo_to_dict(database_url)
        return cls(params.get("host") or "/var/run/postgresql", int(params.get("port") or 5432),
                   delay_s)

    def __init__(self, host: str, port: int, delay_s: float = 0.0) -> None:
        self.target = (host, port)
        self.delay_s = delay_s
        self._wake_s = 0.0  # asleep: the next connection wakes it, taking this long
        self._awake_at = 0.0
        self.round_trips = 0
        self.connections = 0
        # The server's close is not passed on: the client reads what the server said last and
        # then nothing, as in the moment between a goodbye and the close on a real network.
        self.hold_server_close = False
        self._links: set[_Link] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="delay-proxy")
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    def __enter__(self) -> DelayProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> DelayProxy:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.drop_all()
        self._call(self._close_server())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def url(self, database_url: str) -> str:
        """``database_url`` with its host and port replaced by the proxy's."""
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
        params = conninfo_to_dict(database_url) | {"host": "127.0.0.1", "port": str(self.port)}
        params.pop("hostaddr", None)
        return make_conninfo(**params)

    def count(self) -> tuple[int, int]:
        """(round trips, new connections) so far."""
        return self.round_trips, self.connections

    def suspend(self, wake_s: float) -> None:
        """Drop every connection; the next one waits ``wake_s`` for the database to wake."""
        self._wake_s = wake_s
        self.drop_all()

    def drop_all(self) -> None:
        """Close every open connection, both ways, as a database that suspends does."""
        if self._thread.is_alive():
            self._call(self._drop_all())

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    async def _close_server(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _drop_all(self) -> None:
        for link in list(self._links):
            for writer in (link.client, link.server):
                writer.transport.abort()
        self._links.clear()

    async def _accept(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter):
        self.connections += 1
        if self._wake_s:
            self._awake_at, self._wake_s = self._loop.time() + self._wake_s, 0.0
        if self._awake_at > self._loop.time():
            await asyncio.sleep(self._awake_at - self._loop.time())
        host, port = self.target
        try:
            if host.startswith("/"):
                s_reader, s_writer = await asyncio.open_unix_connection(
                    f"{host}/.s.PGSQL.{port}")
            else:
                s_reader, s_writer = await asyncio.open_connection(host, port)
        except OSError:
            c_writer.transport.abort()
            return
        link = _Link(c_writer, s_writer)
        self._links.add(link)
        await asyncio.gather(self._pipe(link, c_reader, s_writer, from_client=True),
                             self._pipe(link, s_reader, c_writer, from_client=False),
                             return_exceptions=True)
        self._links.discard(link)
        for writer in (c_writer, s_writer):
            writer.transport.abort()

    async def _pipe(self, link: _Link, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter, from_client: bool) -> None:
        """Carry one direction: each chunk read is written half the delay later, in order."""
        queue: asyncio.Queue = asyncio.Queue()
        half = self.delay_s / 2

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - self._loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:
                    if writer.can_write_eof() and (from_client or not self.hold_server_close):
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
                if not from_client:
                    link.client_turn = False

        delivering = asyncio.ensure_future(deliver())
        try:
            while data := await reader.read(CHUNK):
                if from_client and not link.client_turn:
                    self.round_trips += 1
                    link.client_turn = True
                queue.put_nowait((self._loop.time() + half, data))
        except (ConnectionError, OSError):
            pass
        queue.put_nowait((self._loop.time() + half, None))
        await delivering
