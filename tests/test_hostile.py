"""Hostile servers on 127.0.0.1 and broken lower layers: every failure typed and bounded.

Each test runs sync and async (``flavor``). Servers are raw sockets (``tests/hostile``),
so they can hold connections, drip bytes, send 300 MB, redirect or speak garbage.
"""

from __future__ import annotations

import gzip
import socket
import time
from typing import Any

import httpx
import pytest
from conftest import Flavor, Recorder, sse_response
from hostile import Hostile, Received, chunk, head, sse_event

from mirastream.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    StreamDecodeError,
    StreamInterruptedError,
    StreamTimeoutError,
)
from mirastream.groq._request import ERROR_BODY_LIMIT, MAX_MESSAGE_LENGTH

pytestmark = pytest.mark.anyio

CHUNK = {
    "id": "c1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
}
LAST = {**CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
COMPLETION = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
}
SSE_HEAD = head(200, content_type="text/event-stream", transfer_encoding="chunked")
BODY = sse_event(CHUNK) + sse_event(LAST)


def _client(flavor: Flavor, srv: Hostile, **kwargs: Any) -> Any:
    kwargs.setdefault("max_retries", 0)
    return flavor.client(None, base_url=srv.base_url, **kwargs)


# -- [DONE] ends the stream at once ---------------------------------------------------------


async def test_done_ends_the_stream_although_the_server_holds_the_connection(
    flavor: Flavor,
) -> None:
    seen: dict[str, bool] = {}

    def behaviour(conn: socket.socket, _: Received) -> None:
        conn.sendall(SSE_HEAD + chunk(BODY) + chunk(b"data: [DONE]\n\n"))
        start = time.monotonic()
        srv.hold(conn, seconds=5)  # no terminator: only the client can end this
        seen["closed_by_client"] = time.monotonic() - start < 4.5

    with Hostile(behaviour) as srv:
        client = _client(flavor, srv, timeout=30)
        chunks = await flavor.collect(await flavor.stream(client))
        assert [c.choices[0].delta.content for c in chunks] == ["hi", None]
        for _ in range(100):
            if seen:
                break
            time.sleep(0.01)
    assert seen == {"closed_by_client": True}


async def test_endless_bytes_after_done_are_never_read(flavor: Flavor) -> None:
    sent = {"bytes": 0}

    def behaviour(conn: socket.socket, _: Received) -> None:
        conn.sendall(SSE_HEAD + chunk(BODY + b"data: [DONE]\n\n"))
        junk = chunk(b": after done\n" * 4000)
        while not srv.stopped:  # until the client hangs up (the send then fails)
            conn.sendall(junk)
            sent["bytes"] += len(junk)

    with Hostile(behaviour) as srv:
        client = _client(flavor, srv, timeout=30)
        chunks = await flavor.collect(await flavor.stream(client))
        assert len(chunks) == 2
    assert sent["bytes"] < 64 * 1024 * 1024


async def test_done_with_the_terminator_already_there_pools_the_connection(
    flavor: Flavor,
) -> None:
    def behaviour(conn: socket.socket, _: Received) -> None:
        conn.sendall(SSE_HEAD + chunk(BODY) + chunk(b"data: [DONE]\n\n") + chunk(b""))

    with Hostile(behaviour) as srv:
        client = _client(flavor, srv)
        for _ in range(3):
            assert len(await flavor.collect(await flavor.stream(client))) == 2
        assert srv.connections == 1


async def test_a_terminator_just_behind_done_still_pools_the_connection(flavor: Flavor) -> None:
    def behaviour(conn: socket.socket, _: Received) -> None:
        conn.sendall(SSE_HEAD + chunk(BODY) + chunk(b"data: [DONE]\n\n"))
        time.sleep(0.005)  # the terminator in its own packet, a moment later
        conn.sendall(chunk(b""))

    with Hostile(behaviour) as srv:
        client = _client(flavor, srv)
        for _ in range(3):
            assert len(await flavor.collect(await flavor.stream(client))) == 2
        assert srv.connections == 1


# -- stalls, drips and the total time limit ------------------------------------------------


async def test_a_stall_mid_stream_is_a_timeout_and_a_drop_is_not(flavor: Flavor) -> None:
    def stall(conn: socket.socket, _: Received) -> None:
        conn.sendall(SSE_HEAD + chunk(sse_event(CHUNK)))
        srv.hold(conn)

    with Hostile(stall) as srv:
        client = _client(flavor, srv, timeout=0.1)
        chunks, error = await flavor.collect_until_error(await flavor.stream(client))
    assert len(chunks) == 1
    assert isinstance(error, StreamTimeoutError)
    assert "read timeout" in str(error)

    def drop(conn: socket.socket, _: Received) -> None:
        conn.sendall(SSE_HEAD + chunk(sse_event(CHUNK)) + b"ff\r\ndata: {")
        conn.shutdown(socket.SHUT_RDWR)

    with Hostile(drop) as srv:
        client = _client(flavor, srv, timeout=5)
        chunks, error = await flavor.collect_until_error(await flavor.stream(client))
    assert len(chunks) == 1
    assert isinstance(error, StreamInterruptedError)
    assert not isinstance(error, StreamTimeoutError)


def _drip(payload: bytes) -> Any:
    def behaviour(conn: socket.socket, _: Received) -> None:
        conn.sendall(SSE_HEAD + chunk(sse_event(CHUNK)))
        for byte in payload:  # until the client hangs up (the send then fails)
            conn.sendall(chunk(bytes([byte])))
            time.sleep(0.02)

    return behaviour


async def test_total_timeout_ends_a_dripping_stream(flavor: Flavor) -> None:
    with Hostile(_drip(b": " + b"x" * 10_000)) as srv:
        client = _client(flavor, srv, timeout=5, total_timeout=0.25)
        start = time.monotonic()
        chunks, error = await flavor.collect_until_error(await flavor.stream(client))
        elapsed = time.monotonic() - start
    assert len(chunks) == 1
    assert isinstance(error, StreamTimeoutError)
    assert "total_timeout of 0.25 s" in str(error)
    assert elapsed < 3  # the read timeout (5 s) never fired: bytes kept coming


async def test_total_timeout_before_the_first_byte(flavor: Flavor) -> None:
    def silent(conn: socket.socket, _: Received) -> None:
        srv.hold(conn)

    with Hostile(silent) as srv:
        client = _client(flavor, srv, timeout=10, max_retries=2)
        with pytest.raises(APITimeoutError, match=r"total_timeout of 0\.2 s"):
            await flavor.stream(client, total_timeout=0.2)
        assert len(srv.received) == 1  # no retry: no time left for one


async def test_total_timeout_covers_a_dripping_non_stream_body(flavor: Flavor) -> None:
    def behaviour(conn: socket.socket, request: Received) -> None:
        conn.sendall(head(200, content_type="application/json", content_length="100000"))
        for _ in range(1000):
            conn.sendall(b" ")
            time.sleep(0.02)

    with Hostile(behaviour) as srv:
        client = _client(flavor, srv, timeout=5, total_timeout=0.2)
        with pytest.raises(APITimeoutError, match="total_timeout"):
            await flavor.completion(client)


# -- error bodies and bodies that are not what was asked for --------------------------------


async def test_a_300_mb_error_body_is_read_only_up_to_the_bound(flavor: Flavor) -> None:
    sent = {"bytes": 0}
    message = "x" * (5 * ERROR_BODY_LIMIT)
    prefix = b'{"error": {"message": "' + message.encode()

    def behaviour(conn: socket.socket, request: Received) -> None:
        conn.sendall(head(500, content_type="application/json", content_length=str(300 << 20)))
        conn.sendall(prefix)
        block = b"y" * (1 << 20)
        for _ in range(300):
            conn.sendall(block)
            sent["bytes"] += len(block)

    with Hostile(behaviour) as srv:
        client = _client(flavor, srv)
        with pytest.raises(InternalServerError) as caught:
            await flavor.stream(client)
    error = caught.value
    assert len(error.response.content) == ERROR_BODY_LIMIT
    assert len(error.message) < MAX_MESSAGE_LENGTH + 100
    assert error.message.endswith("more characters)")
    assert sent["bytes"] < 100 << 20  # the rest was never downloaded


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "completion"])
async def test_a_200_json_error_body_is_the_matching_status_error(
    flavor: Flavor, stream: bool
) -> None:
    body = {"error": {"message": "Slow down", "code": "rate_limit_exceeded", "status_code": 429}}
    recorder = Recorder(httpx.Response(200, json=body))
    client = flavor.client(recorder, max_retries=0)
    with pytest.raises(RateLimitError) as caught:
        await flavor.create(client, stream=stream)
    assert caught.value.message == "Slow down"
    assert caught.value.status_code == 429 and caught.value.code == "rate_limit_exceeded"
    recorder.answers = [httpx.Response(200, json={"error": "proxy says no"})]
    with pytest.raises(APIStatusError, match="proxy says no"):
        await flavor.create(client, stream=stream)


async def test_a_200_html_page_on_a_stream_request_names_its_content_type(flavor: Flavor) -> None:
    page = httpx.Response(200, html="<html><body>Gateway login</body></html>")
    client = flavor.client(Recorder(page), max_retries=0)
    with pytest.raises(StreamDecodeError, match="text/html") as caught:
        await flavor.stream(client)
    assert "Gateway login" in str(caught.value)
    with pytest.raises(Exception, match="text/html"):
        await flavor.completion(client)


# -- redirects ------------------------------------------------------------------------------


async def test_a_redirect_to_another_origin_sends_nothing_there(flavor: Flavor) -> None:
    with Hostile(lambda conn, _: conn.sendall(head(200, content_length="0"))) as elsewhere:
        target = f"{elsewhere.base_url}/openai/v1/chat/completions"

        def behaviour(conn: socket.socket, _: Received) -> None:
            conn.sendall(head(307, location=target, content_length="0"))

        with Hostile(behaviour) as srv:
            client = _client(
                flavor, srv, default_headers={"x-api-key": "gsk_custom_auth_0123456789"}
            )
            with pytest.raises(APIStatusError, match="another origin") as caught:
                await flavor.stream(client)
        assert caught.value.status_code == 307
        assert elsewhere.received == []


async def test_a_same_origin_redirect_is_followed_with_the_body(flavor: Flavor) -> None:
    def behaviour(conn: socket.socket, request: Received) -> None:
        if request.path == "/openai/v1/chat/completions":
            conn.sendall(head(308, location="/v2/chat", content_length="0"))
        elif request.path == "/v2/chat":
            conn.sendall(SSE_HEAD + chunk(BODY + b"data: [DONE]\n\n") + chunk(b""))
        else:
            conn.sendall(head(307, location=request.path + "x", content_length="0"))

    with Hostile(behaviour) as srv:
        client = _client(flavor, srv)
        assert len(await flavor.collect(await flavor.stream(client))) == 2
        assert srv.received[0].body == srv.received[1].body
        assert srv.received[1].headers["authorization"].startswith("Bearer ")


async def test_a_redirect_loop_is_a_typed_error(flavor: Flavor) -> None:
    def behaviour(conn: socket.socket, request: Received) -> None:
        conn.sendall(head(307, location=request.path + "/x", content_length="0"))

    with Hostile(behaviour) as srv, pytest.raises(APIStatusError, match="More than 5 redirects"):
        await flavor.stream(_client(flavor, srv))


# -- every lower-layer error mapped, before and during the stream --------------------------

REQUEST = httpx.Request("POST", "http://groq.test")
LOWER: list[tuple[Exception, type[Exception], type[Exception], bool]] = [
    (httpx.ReadTimeout("slow", request=REQUEST), APITimeoutError, StreamTimeoutError, True),
    (httpx.ConnectError("refused"), APIConnectionError, StreamInterruptedError, True),
    (httpx.RemoteProtocolError("garbage"), APIConnectionError, StreamInterruptedError, True),
    (httpx.LocalProtocolError("bad header"), APIConnectionError, StreamInterruptedError, False),
    (httpx.DecodingError("bad gzip"), APIConnectionError, StreamDecodeError, False),
    (httpx.TooManyRedirects("loop"), APIConnectionError, StreamInterruptedError, False),
    (httpx.UnsupportedProtocol("gopher"), APIConnectionError, StreamInterruptedError, False),
    (httpx.InvalidURL("bad"), APIConnectionError, StreamInterruptedError, False),
]


@pytest.mark.parametrize(
    ("exc", "before", "during", "retried"), LOWER, ids=[type(e[0]).__name__ for e in LOWER]
)
async def test_lower_layer_errors_are_mapped_once(
    flavor: Flavor, exc: Exception, before: type, during: type, retried: bool
) -> None:
    recorder = Recorder(exc)
    # One retryable case pays a real backoff (~0.4 s); the others show that none is made.
    probe = not retried or isinstance(exc, httpx.ReadTimeout)
    client = flavor.client(recorder, max_retries=1 if probe else 0)
    with pytest.raises(before) as caught:
        await flavor.stream(client)
    assert caught.value.__cause__ is exc
    assert recorder.hits == (2 if retried and probe else 1)

    failing = sse_response(_failing_body(exc))
    client = flavor.client(Recorder(failing))
    chunks, error = await flavor.collect_until_error(await flavor.stream(client))
    assert len(chunks) == 1
    assert error is not None and type(error) is during and error.__cause__ is exc


def _failing_body(exc: Exception) -> Any:
    from conftest import Body

    return Body([sse_event(CHUNK)], fail_with=exc)


async def test_corrupt_gzip_is_typed_streaming_or_not(flavor: Flavor) -> None:
    corrupt = gzip.compress(b"x" * 1000)[:20] + b"\x00garbage" * 10
    cut = gzip.compress(sse_event(CHUNK) * 3)[:-12] + b"\xff" * 40

    def behaviour(conn: socket.socket, request: Received) -> None:
        body, kind = (
            (cut, "text/event-stream")
            if b'"stream":true' in request.body
            else (
                corrupt,
                "application/json",
            )
        )
        conn.sendall(
            head(200, content_type=kind, content_encoding="gzip", content_length=str(len(body)))
            + body
        )

    with Hostile(behaviour) as srv:
        client = _client(flavor, srv, max_retries=2)
        with pytest.raises(APIConnectionError, match="could not be decoded"):
            await flavor.completion(client)
        assert len(srv.received) == 1  # not retried: the same bytes would come back
        _, error = await flavor.collect_until_error(await flavor.stream(client))
    assert isinstance(error, StreamDecodeError)
    assert "could not be decoded" in str(error)


async def test_a_server_speaking_garbage_is_a_connection_error(flavor: Flavor) -> None:
    garbage = Hostile(lambda conn, _: conn.sendall(b"HELLO THERE\r\n\r\n"))
    with garbage as srv, pytest.raises(APIConnectionError, match="RemoteProtocolError"):
        await flavor.stream(_client(flavor, srv))
