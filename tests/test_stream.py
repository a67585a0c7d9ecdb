"""``Stream`` / ``AsyncStream`` over real httpx responses.

Most tests are written once and run against both the sync and the async API (the
``flavor`` fixture). The response must be closed on every way out of a stream, and a
connection whose stream ended at ``[DONE]`` must go back to the pool.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import subprocess
import sys
import threading
from typing import Any

import anyio
import httpx
import pytest
from conftest import (
    API_KEY,
    EXPECTED,
    FIXTURE_NAMES,
    FIXTURES_DIR,
    MESSAGES,
    MODEL,
    Body,
    Flavor,
    Recorder,
    assert_fold_matches,
    fixture_bytes,
    fold,
    sse_response,
)

from mirastream.errors import (
    APIStreamError,
    StreamDecodeError,
    StreamInterruptedError,
)
from mirastream.groq import AsyncGroq, AsyncStream, Stream
from mirastream.groq.types import ChatCompletionChunk
from mirastream.testing import Faults, GroqServer, SSEReply

pytestmark = pytest.mark.anyio

TEXT = "01_text_xgroq_usage.sse"  # 14 chunks, "Olá! In French, it's \"Bonjour\"."
ERROR = "07_error_event_midstream.sse"
SUCCESSFUL = [n for n in FIXTURE_NAMES if EXPECTED[n].error is None]


def events_of(name: str) -> list[bytes]:
    """The fixture cut into one piece per SSE event (how Groq's writes arrive)."""
    body = fixture_bytes(name)
    return [part + b"\n\n" for part in body.split(b"\n\n") if part]


def contents(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


async def wait_until_closed(body: Body, timeout: float = 2.0) -> None:
    with anyio.fail_after(timeout):
        while not body.closed:
            gc.collect()
            await anyio.sleep(0.01)


def assert_closed(stream: Any, body: Body) -> None:
    assert body.closed
    assert stream.response.is_closed


# ---------------------------------------------------------------------------------------
# Iteration
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SUCCESSFUL)
async def test_iterates_every_fixture_to_its_readme_result(flavor: Flavor, name: str) -> None:
    body = Body(events_of(name))
    client = flavor.client(Recorder(sse_response(body)))
    stream = await flavor.stream(client)
    assert isinstance(stream, AsyncStream if flavor.is_async else Stream)
    chunks = await flavor.collect(stream)
    assert_fold_matches(fold(chunks), EXPECTED[name])
    assert_closed(stream, body)


async def test_one_chunk_at_a_time_with_next(flavor: Flavor) -> None:
    body = Body(events_of(TEXT))
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    first = await flavor.next(stream)
    assert first.choices[0].delta.role == "assistant"
    second = await flavor.next(stream)
    assert second.choices[0].delta.content == "Ol"
    assert body.reads == 2  # read lazily, one event per read here
    assert not body.closed
    rest = await flavor.collect(stream)
    assert contents([first, second, *rest]) == EXPECTED[TEXT].content
    assert_closed(stream, body)


async def test_stream_exposes_the_response_and_request_id(flavor: Flavor) -> None:
    headers = {"x-request-id": "req_abc", "x-ratelimit-remaining-tokens": "17"}
    body = Body(events_of(TEXT))
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body, headers=headers))))
    assert isinstance(stream.response, httpx.Response)
    assert stream.response.status_code == 200
    assert stream.response.headers["x-ratelimit-remaining-tokens"] == "17"
    assert stream.request_id == "req_abc"
    await flavor.close(stream)


async def test_gzip_encoded_body_is_decoded(flavor: Flavor) -> None:
    body = Body([gzip.compress(fixture_bytes(TEXT))])
    response = sse_response(body, headers={"content-encoding": "gzip"})
    chunks = await flavor.collect(await flavor.stream(flavor.client(Recorder(response))))
    assert contents(chunks) == EXPECTED[TEXT].content


async def test_a_second_iteration_yields_nothing_more(flavor: Flavor) -> None:
    stream = await flavor.stream(flavor.client(Recorder(sse_response(Body(events_of(TEXT))))))
    assert len(await flavor.collect(stream)) == 14
    assert await flavor.collect(stream) == []


# ---------------------------------------------------------------------------------------
# The response is closed on every way out
# ---------------------------------------------------------------------------------------


async def test_closed_after_exhaustion(flavor: Flavor) -> None:
    body = Body(events_of(TEXT))
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    await flavor.collect(stream)
    assert_closed(stream, body)


async def test_close_midway_stops_iteration_and_closes(flavor: Flavor) -> None:
    body = Body(events_of(TEXT))
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    await flavor.next(stream)
    await flavor.next(stream)
    await flavor.close(stream)
    assert_closed(stream, body)
    assert body.reads == 2
    assert await flavor.collect(stream) == []
    await flavor.close(stream)  # idempotent


async def test_close_before_iterating(flavor: Flavor) -> None:
    body = Body(events_of(TEXT))
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    await flavor.close(stream)
    assert_closed(stream, body)
    assert body.reads == 0
    assert await flavor.collect(stream) == []


async def test_break_then_close(flavor: Flavor) -> None:
    body = Body(events_of(TEXT))
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    seen = 0
    if isinstance(stream, AsyncStream):
        async for _ in stream:
            seen += 1
            if seen == 3:
                break
    else:
        for _ in stream:
            seen += 1
            if seen == 3:
                break
    await flavor.close(stream)
    assert seen == 3
    assert_closed(stream, body)


async def test_context_manager_closes_on_early_exit(flavor: Flavor) -> None:
    body = Body(events_of(TEXT))
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    async with flavor.entered(stream) as entered:
        assert entered is stream
        await flavor.next(entered)
        assert not body.closed
    assert_closed(stream, body)


async def test_context_manager_closes_when_the_consumer_raises(flavor: Flavor) -> None:
    body = Body(events_of(TEXT))
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    with pytest.raises(LookupError, match="consumer failed"):
        async with flavor.entered(stream):
            await flavor.next(stream)
            raise LookupError("consumer failed")
    assert_closed(stream, body)


async def test_closed_when_the_server_sends_an_error_event(flavor: Flavor) -> None:
    body = Body(events_of(ERROR))
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    chunks, error = await flavor.collect_until_error(stream)
    assert contents(chunks) == EXPECTED[ERROR].content
    assert len(chunks) == 9
    assert isinstance(error, APIStreamError)
    assert error.code == "tool_use_failed"
    assert error.status_code == 400
    assert error.request is stream.response.request
    assert_closed(stream, body)


async def test_closed_on_malformed_json_mid_stream(flavor: Flavor) -> None:
    pieces = events_of(TEXT)
    body = Body([*pieces[:3], b"data: {broken\n\n", *pieces[3:]])
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    chunks, error = await flavor.collect_until_error(stream)
    assert len(chunks) == 3
    assert isinstance(error, StreamDecodeError)
    assert error.data == "{broken"
    assert_closed(stream, body)


async def test_body_ending_early_is_interrupted_and_closed(flavor: Flavor) -> None:
    body = Body(events_of(TEXT)[:5])
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    chunks, error = await flavor.collect_until_error(stream)
    assert len(chunks) == 5
    assert isinstance(error, StreamInterruptedError)
    assert_closed(stream, body)


async def test_closed_when_garbage_collected_midway(flavor: Flavor) -> None:
    body = Body(events_of(TEXT))
    stream: Any = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    await flavor.next(stream)
    response = stream.response
    del stream
    await wait_until_closed(body)
    assert response.is_closed


async def test_closed_when_garbage_collected_before_iterating(flavor: Flavor) -> None:
    body = Body(events_of(TEXT))
    stream: Any = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    del stream
    await wait_until_closed(body, timeout=0.3)


# ---------------------------------------------------------------------------------------
# Transport failures mid-body
# ---------------------------------------------------------------------------------------


async def test_read_error_mid_body_is_interrupted_and_chained(flavor: Flavor) -> None:
    failure = httpx.ReadError("connection reset by peer")
    body = Body(events_of(TEXT)[:6], fail_with=failure)
    recorder = Recorder(sse_response(body))
    stream = await flavor.stream(flavor.client(recorder, max_retries=3))
    chunks, error = await flavor.collect_until_error(stream)
    assert len(chunks) == 6
    assert contents(chunks) == "Olá! In French"
    assert isinstance(error, StreamInterruptedError)
    assert error.__cause__ is failure
    assert error.request is stream.response.request
    assert_closed(stream, body)
    assert recorder.hits == 1  # never retried once the body has started


async def test_transport_error_after_done_is_ignored(flavor: Flavor) -> None:
    failure = httpx.RemoteProtocolError("incomplete chunked read")
    body = Body(events_of(TEXT), fail_with=failure)
    stream = await flavor.stream(flavor.client(Recorder(sse_response(body))))
    chunks, error = await flavor.collect_until_error(stream)
    assert len(chunks) == 14
    assert error is None
    assert_closed(stream, body)


async def test_server_dropping_the_connection_mid_body(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(SSEReply(fixture_bytes(TEXT), faults=Faults(drop_after_events=4)))
    stream = await flavor.stream(flavor.client(base_url=server.base_url, max_retries=2))
    chunks, error = await flavor.collect_until_error(stream)
    assert len(chunks) == 4
    assert isinstance(error, StreamInterruptedError)
    assert isinstance(error.__cause__, httpx.TransportError)
    assert stream.response.is_closed
    assert len(server.requests) == 1  # no retry once the body has started


async def test_server_dropping_the_connection_after_done_is_success(
    flavor: Flavor, server: GroqServer
) -> None:
    # The whole body, [DONE] included, then a close before the chunked terminator.
    events = EXPECTED[TEXT].chunks + 1
    server.enqueue(SSEReply(fixture_bytes(TEXT), faults=Faults(drop_after_events=events)))
    stream = await flavor.stream(flavor.client(base_url=server.base_url))
    chunks, error = await flavor.collect_until_error(stream)
    assert error is None
    assert len(chunks) == EXPECTED[TEXT].chunks
    assert stream.response.is_closed


async def test_stream_dropped_before_iterating_frees_its_connection(
    flavor: Flavor, server: GroqServer
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    client = flavor.client(
        base_url=server.base_url, limits=limits, timeout=httpx.Timeout(5.0, pool=1.0)
    )
    server.enqueue(SSEReply(fixture_bytes(TEXT)), SSEReply(fixture_bytes(TEXT)))
    stream: Any = await flavor.stream(client)
    response = stream.response
    del stream
    gc.collect()
    with anyio.fail_after(2):
        while not response.is_closed:
            await anyio.sleep(0.01)
        again = await flavor.stream(client)  # the only pool slot is free again
        assert len(await flavor.collect(again)) == EXPECTED[TEXT].chunks


@pytest.mark.parametrize("other_loop", [False, True], ids=["plain-thread", "thread-with-loop"])
async def test_async_stream_collected_in_another_thread_frees_its_connection(
    server: GroqServer, other_loop: bool
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(limits=limits) as http:
        client = AsyncGroq(
            api_key=API_KEY,
            base_url=server.base_url,
            http_client=http,
            timeout=httpx.Timeout(5.0, pool=1.0),
        )
        server.enqueue(SSEReply(fixture_bytes(TEXT)), SSEReply(fixture_bytes(TEXT)))
        stream: Any = await client.chat.completions.create(
            messages=MESSAGES, model=MODEL, stream=True
        )
        response = stream.response

        def collect_elsewhere() -> None:
            if other_loop:
                asyncio.run(asyncio.sleep(0, gc.collect()))
            else:
                gc.collect()

        gc.disable()  # the stream must be collected in the other thread, not here
        try:
            del stream
            worker = threading.Thread(target=collect_elsewhere)
            worker.start()
            worker.join()
        finally:
            gc.enable()
        with anyio.move_on_after(0.3):
            while not response.is_closed:
                await anyio.sleep(0.01)
        assert response.is_closed
        again = await client.chat.completions.create(messages=MESSAGES, model=MODEL, stream=True)
        assert len([c async for c in again]) == EXPECTED[TEXT].chunks


async def test_read_timeout_mid_body_is_interrupted(flavor: Flavor, server: GroqServer) -> None:
    faults = Faults(stall_after_events=3, stall_seconds=0.4)
    server.enqueue(SSEReply(fixture_bytes(TEXT), faults=faults))
    client = flavor.client(base_url=server.base_url, timeout=httpx.Timeout(5.0, read=0.05))
    stream = await flavor.stream(client)
    chunks, error = await flavor.collect_until_error(stream)
    assert len(chunks) == 3
    assert isinstance(error, StreamInterruptedError)
    assert isinstance(error.__cause__, httpx.ReadTimeout)
    assert stream.response.is_closed


# ---------------------------------------------------------------------------------------
# Async cancellation
# ---------------------------------------------------------------------------------------


async def test_cancel_scope_while_waiting_for_bytes_closes_the_response() -> None:
    body = Body(events_of(TEXT)[:3], hang=True)
    http = httpx.AsyncClient(transport=httpx.MockTransport(Recorder(sse_response(body))))
    async with http:
        client = AsyncGroq(api_key=API_KEY, base_url="http://groq.test", http_client=http)
        stream = await client.chat.completions.create(messages=MESSAGES, model=MODEL, stream=True)
        seen: list[ChatCompletionChunk] = []
        with anyio.move_on_after(0.1) as scope:
            async for chunk in stream:
                seen.append(chunk)
        assert scope.cancelled_caught
        assert len(seen) == 3
        assert_closed(stream, body)


async def test_task_cancellation_returns_the_pool_to_health(server: GroqServer) -> None:
    server.enqueue(
        SSEReply(fixture_bytes(TEXT), faults=Faults(stall_after_events=3, stall_seconds=0.4))
    )
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(limits=limits) as http:
        client = AsyncGroq(
            api_key=API_KEY,
            base_url=server.base_url,
            http_client=http,
            timeout=httpx.Timeout(5.0, pool=2.0),
        )
        stream = await client.chat.completions.create(messages=MESSAGES, model=MODEL, stream=True)
        seen: list[ChatCompletionChunk] = []

        async def consume() -> None:
            async for chunk in stream:
                seen.append(chunk)

        task = asyncio.ensure_future(consume())
        with anyio.fail_after(2):
            while len(seen) < 3:
                await anyio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert stream.response.is_closed
        # The only connection slot is free again: the next stream is served at once.
        with anyio.fail_after(3):
            again = await client.chat.completions.create(
                messages=MESSAGES, model=MODEL, stream=True
            )
            assert len([c async for c in again]) > 0


# ---------------------------------------------------------------------------------------
# Connection pool
# ---------------------------------------------------------------------------------------


def client_address(stream: Any) -> Any:
    return stream.response.extensions["network_stream"].get_extra_info("client_addr")


async def test_connection_is_reused_after_done(flavor: Flavor, server: GroqServer) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    client = flavor.client(base_url=server.base_url, limits=limits)
    addresses = []
    for name in (TEXT, "03_tool_call_single.sse", "02_text_include_usage.sse"):
        server.enqueue(SSEReply(fixture_bytes(name), chunking=97))
        stream = await flavor.stream(client)
        chunks = await flavor.collect(stream)
        assert len(chunks) == EXPECTED[name].chunks
        assert stream.response.is_closed
        assert stream.request_id == EXPECTED[name].request_id
        addresses.append(client_address(stream))
    assert len(set(addresses)) == 1  # one TCP connection served all three streams
    assert len(server.requests) == 3
    assert server.open_connections == 1


async def test_connection_is_not_reused_after_abandoning_a_stream(
    flavor: Flavor, server: GroqServer
) -> None:
    # The contrast to the test above: an unfinished body cannot be reused, so the
    # connection must be closed (not returned to the pool half-read).
    client = flavor.client(base_url=server.base_url)
    server.enqueue(SSEReply(fixture_bytes(TEXT)), SSEReply(fixture_bytes(TEXT)))
    first = await flavor.stream(client)
    first_address = client_address(first)
    await flavor.next(first)
    await flavor.close(first)
    second = await flavor.stream(client)
    assert client_address(second) != first_address
    assert len(await flavor.collect(second)) == 14


async def test_200_abandoned_streams_leave_the_pool_healthy(
    flavor: Flavor, server: GroqServer
) -> None:
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=2)
    client = flavor.client(
        base_url=server.base_url, limits=limits, timeout=httpx.Timeout(10.0, pool=5.0)
    )
    body = fixture_bytes("05_reasoning_gpt_oss.sse")
    server.enqueue(*[SSEReply(body) for _ in range(201)])
    for i in range(200):
        stream: Any = await flavor.stream(client)
        step = i % 20
        unstarted = step == 19 and i % 40 == 39  # some are dropped before the first chunk
        if not unstarted:
            await flavor.next(stream)
        if step < 10:
            await flavor.close(stream)
        elif step < 19:
            async with flavor.entered(stream):
                await flavor.next(stream)
        else:
            # Walk away without closing (mid-way, or before the first chunk): only
            # garbage collection can clean up. Collected at once, see the deadlock test.
            del stream
            gc.collect()
            await anyio.sleep(0.001)
    with anyio.fail_after(5):
        final = await flavor.stream(client)
        chunks = await flavor.collect(final)
    assert_fold_matches(fold(chunks), EXPECTED["05_reasoning_gpt_oss.sse"])
    assert len(server.requests) == 201


# A sync client that leaves a stream to the garbage collector, then sends another request.
# The collection is steered (gc thresholds) to happen at successive allocation counts into
# that request, so it eventually runs while httpcore holds its connection-pool lock.
# Run in a subprocess: a deadlock there must not hang the test run (a watchdog exits).
_GC_DEADLOCK_SCRIPT = r"""
import gc, os, sys, threading, time
import httpx
from mirastream.groq import Groq
from mirastream.testing import GroqServer, SSEReply

body = open(sys.argv[1], "rb").read()
progress = [time.monotonic()]

def watchdog() -> None:
    while True:
        time.sleep(0.2)
        if time.monotonic() - progress[0] > 1.0:
            print("DEADLOCK", flush=True)
            os._exit(3)

threading.Thread(target=watchdog, daemon=True).start()
params = dict(messages=[{"role": "user", "content": "x"}], model="m", stream=True)
with GroqServer() as server:
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=5)
    with httpx.Client(limits=limits, timeout=5.0) as http:
        client = Groq(api_key="gsk_test", base_url=server.base_url, http_client=http)
        server.enqueue(*[SSEReply(body) for _ in range(400)])
        for k in range(0, 400, 4):
            gc.collect()
            gc.disable()
            stream = client.chat.completions.create(**params)
            if k % 8:
                next(stream)
            del stream  # garbage: a reference cycle, not yet collected
            gc.set_threshold(gc.get_count()[0] + k)
            gc.enable()
            client.chat.completions.create(**params).close()
            progress[0] = time.monotonic()
        gc.set_threshold(700, 10, 10)
print("OK", flush=True)
"""


def test_sync_stream_left_to_gc_never_deadlocks_the_pool() -> None:
    script = [sys.executable, "-c", _GC_DEADLOCK_SCRIPT, str(FIXTURES_DIR / TEXT)]
    result = subprocess.run(script, capture_output=True, timeout=60, check=False)
    output = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 0, output
    assert "OK" in output
