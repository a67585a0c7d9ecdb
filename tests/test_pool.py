"""The sharded transport of default clients: fan-out correctness at C = 1000.

Every stream is held open at once (all responses started before any is read), so the
overlap is real without any delay on the server. Checked: contents are not crossed, the
pool's slots all come back (``load`` returns to zero), connections are reused across
rounds, and closing or cancelling a thousand streams leaves a client that still works.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import threading
import warnings
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from jiter import from_json

from mirastream import groq_call
from mirastream.groq import (
    AsyncGroq,
    AsyncShardedTransport,
    AsyncStream,
    Groq,
    NotFoundError,
    ShardedTransport,
)
from mirastream.groq._pool import ShardRouter
from mirastream.testing import GroqServer, Script, script_events

C = 1000
THREADS = 64


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module", autouse=True)
def _enough_files() -> None:
    # C client sockets and C server sockets live in this one process.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * C + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"needs {wanted} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _messages(i: int) -> list[Any]:
    return [{"role": "user", "content": f"worker {i}"}]


def _load(client: Groq | AsyncGroq) -> list[int]:
    transport = client._http._transport  # the one the client built; only its load is read
    assert isinstance(transport, ShardedTransport | AsyncShardedTransport)
    return transport.load


def _connections(server: GroqServer) -> int:
    return len({request.client for request in server.requests})


async def _open_all(client: AsyncGroq, n: int) -> list[AsyncStream[Any]]:
    """Open ``n`` streams concurrently; all have their response started on return."""
    streams: list[AsyncStream[Any] | None] = [None] * n

    async def open_one(i: int) -> None:
        streams[i] = await client.chat.completions.create(
            messages=_messages(i), model="m", stream=True
        )

    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            for i in range(n):
                group.start_soon(open_one, i)
    assert all(stream is not None for stream in streams)
    return [stream for stream in streams if stream is not None]


async def _text(stream: AsyncStream[Any]) -> str:
    parts = []
    async for chunk in stream:
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
    return "".join(parts)


async def _still_works(client: AsyncGroq) -> None:
    stream = await client.chat.completions.create(messages=_messages(-1), model="m", stream=True)
    assert await _text(stream) == "You said: worker -1"
    assert sum(_load(client)) == 0


def test_router_reuses_the_latest_freed_slot_else_the_first_with_room() -> None:
    router = ShardRouter(shards=3, size=2)
    assert [router.acquire() for _ in range(5)] == [0, 0, 1, 1, 2]
    router.release(1)
    router.release(0)
    assert router.load == [1, 1, 1]
    assert router.acquire() == 0  # where a connection came free last
    assert router.acquire() == 1
    assert router.acquire() == 2  # nothing freed left: the first with room
    assert router.load == [2, 2, 2]
    assert router.acquire() == 0  # all full: the least loaded, queued there
    router.release(2)
    router.release(0)  # shard 0's queued request takes this slot: still full
    assert router.load == [2, 2, 1]
    assert router.acquire() == 2  # so the latest freed slot with room is shard 2's
    assert router.load == [2, 2, 2]


def test_shards_need_room() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AsyncShardedTransport(shard_size=0)
    with pytest.raises(ValueError, match="at least 1"):
        ShardedTransport(max_connections=0)


class EchoServer:
    """A lean loopback server on the test's own event loop (no thread, no GIL traffic).

    It answers each chat request with a Groq-shaped stream echoing the last message,
    counts the connections it accepted, and can hold every answer until ``release()``.
    """

    def __init__(self) -> None:
        self.accepted = 0
        self.received = 0
        self.held: list[tuple[asyncio.Transport, bytes]] | None = None
        self._transports: list[asyncio.Transport] = []
        self._server: asyncio.Server | None = None
        self.base_url = ""

    async def __aenter__(self) -> EchoServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Echo(self), "127.0.0.1", 0, backlog=2 * C)
        self.base_url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for transport in self._transports:
            transport.close()
        await asyncio.sleep(0)  # let the transports run connection_lost

    def hold(self) -> None:
        """Keep every answer until ``release()``: requests stay in flight at the server."""
        self.held = []

    def release(self) -> None:
        """Send the held answers (to the clients still connected)."""
        held, self.held = self.held or [], None
        for transport, answer in held:
            if not transport.is_closing():
                transport.write(answer)

    def answer(self, transport: asyncio.Transport, body: bytes) -> None:
        self.received += 1
        said = from_json(body)["messages"][-1]["content"]
        events = script_events(Script(text=[f"You said: {said}"], model="m"))
        answer = _HEAD + b"%x\r\n%s\r\n0\r\n\r\n" % (len(events), events)
        if self.held is None:
            transport.write(answer)
        else:
            self.held.append((transport, answer))


_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


class _Echo(asyncio.Protocol):
    def __init__(self, server: EchoServer) -> None:
        self._server = server
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server.accepted += 1
        self._server._transports.append(transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head = self._buffer[:end].lower()
            length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
            if len(self._buffer) < end + 4 + length:
                return
            body = self._buffer[end + 4 : end + 4 + length]
            self._buffer = self._buffer[end + 4 + length :]
            assert self._transport is not None
            self._server.answer(self._transport, body)


@pytest.fixture
async def echo() -> AsyncIterator[EchoServer]:
    async with EchoServer() as server:
        yield server


@pytest.mark.anyio
async def test_a_thousand_streams_at_once_stay_separate_reuse_connections_and_close(
    echo: EchoServer,
) -> None:
    async with AsyncGroq(api_key="k", base_url=echo.base_url) as client:
        streams = await _open_all(client, C)
        assert sum(_load(client)) == C  # all in flight at once, none queued
        texts = [await _text(stream) for stream in streams]
        assert texts == [f"You said: worker {i}" for i in range(C)]
        assert sum(_load(client)) == 0

        # Closed unread: the slots come back, nothing is left unclosed.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            streams = await _open_all(client, C)
            assert echo.accepted == C  # the second round reused the first's connections
            for stream in streams:
                await stream.close()
            assert sum(_load(client)) == 0
            del streams
            gc.collect()
        assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
        await _still_works(client)


@pytest.mark.anyio
async def test_cancelling_a_thousand_streams_mid_body_and_before_headers(
    echo: EchoServer,
) -> None:
    async with AsyncGroq(api_key="k", base_url=echo.base_url) as client:
        # Mid-body: each worker has read a chunk and waits; the group is cancelled.
        streams = await _open_all(client, C)
        reading = anyio.Event()
        started = 0

        async def read_one(stream: AsyncStream[Any]) -> None:
            nonlocal started
            async with stream:
                async for _chunk in stream:
                    started += 1
                    if started == C:
                        reading.set()
                    await anyio.sleep_forever()

        async with anyio.create_task_group() as group:
            for stream in streams:
                group.start_soon(read_one, stream)
            with anyio.fail_after(20):
                await reading.wait()
            group.cancel_scope.cancel()
        assert sum(_load(client)) == 0
        await _still_works(client)

        # Before the headers: every request is at the server, no answer sent yet.
        echo.hold()
        received = echo.received

        async def ask(i: int) -> None:
            await client.chat.completions.create(messages=_messages(i), model="m", stream=True)

        async with anyio.create_task_group() as group:
            for i in range(C):
                group.start_soon(ask, i)
            with anyio.fail_after(20):
                while echo.received < received + C:
                    await anyio.sleep(0.005)
            assert sum(_load(client)) == C
            group.cancel_scope.cancel()
        echo.release()
        assert sum(_load(client)) == 0
        await _still_works(client)


@pytest.mark.anyio
async def test_high_level_workers_in_parallel_get_their_own_answers(
    server: GroqServer,
) -> None:
    async with AsyncGroq(api_key="k", base_url=server.base_url) as client:

        @groq_call("m", stream=True, client=client)
        async def call(i: int) -> str:
            return f"worker {i}"

        texts: dict[tuple[int, int], str] = {}

        async def worker(i: int) -> None:
            for j in range(2):
                stream = await call(i)
                async for _chunk, _tool in stream:
                    pass
                texts[i, j] = stream.construct_call_response().content

        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:
                for i in range(100):
                    group.start_soon(worker, i)
        assert texts == {(i, j): f"You said: worker {i}" for i in range(100) for j in range(2)}
        assert sum(_load(client)) == 0
        assert _connections(server) <= 100


def test_threads_sharing_one_groq_get_their_own_answers(server: GroqServer) -> None:
    with Groq(api_key="k", base_url=server.base_url) as client:
        texts: dict[tuple[int, int], str] = {}
        start = threading.Barrier(THREADS)

        def worker(i: int) -> None:
            start.wait()
            for j in range(2):
                stream = client.chat.completions.create(
                    messages=_messages(i), model="m", stream=True
                )
                texts[i, j] = "".join(
                    chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices
                )

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert texts == {(i, j): f"You said: worker {i}" for i in range(THREADS) for j in range(2)}
        assert sum(_load(client)) == 0
        assert _connections(server) <= THREADS


def test_proxies_in_the_environment_are_still_honoured(
    server: GroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # httpx reads proxy settings only for a client without a transport of its own.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.base_url)
    client = Groq(api_key="k", base_url="http://api.groq.invalid")
    with client, pytest.raises(NotFoundError):  # the test server is no forwarding proxy
        client.chat.completions.create(messages=_messages(7), model="m")
    (request,) = server.requests
    assert request.path.startswith("http://api.groq.invalid/")  # proxy form: via the proxy
