"""The SSE decoder is bounded: huge lines and events stop it, comments never pile up.

Memory is measured with ``tracemalloc`` (deterministic); speed is shown by ``make bench``
(the 64 MB hostile-line row), never by a timed test.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator

import pytest
from conftest import Body, Flavor, Recorder, sse_response

from mirastream.errors import StreamDecodeError
from mirastream.groq import Groq
from mirastream.groq._sse import DEFAULT_MAX_SIZE, SSEDecoder
from mirastream.groq._streaming import ChunkDecoder

pytestmark = pytest.mark.anyio

PIECE = 64 * 1024
CHUNK = json.dumps(
    {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    }
).encode()
EVENT = b"data: " + CHUNK + b"\n\n"


def _line(total: int) -> Iterator[bytes]:
    yield b"data: "
    for _ in range(total // PIECE):
        yield b"a" * PIECE  # a fresh piece each time, as the network gives them


def _feed_until_stopped(decoder: ChunkDecoder, pieces: Iterator[bytes]) -> tuple[int, int]:
    fed = delivered = 0
    for piece in pieces:
        delivered += len(decoder.feed(piece))
        fed += len(piece)
        if decoder.stopped:
            break
    return fed, delivered


def test_a_64_mb_line_without_newline_fails_fast_with_bounded_memory() -> None:
    decoder = ChunkDecoder()
    tracemalloc.start()
    try:
        decoder.feed(EVENT)
        fed, _ = _feed_until_stopped(decoder, _line(64 << 20))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(decoder.error, StreamDecodeError)
    assert "max_event_size" in str(decoder.error)
    assert DEFAULT_MAX_SIZE < fed <= DEFAULT_MAX_SIZE + 2 * PIECE  # stopped at the bound
    assert peak < DEFAULT_MAX_SIZE + (4 << 20)


@pytest.mark.parametrize("limit", [4096, 1 << 20])
def test_the_bound_is_configurable_for_lines_and_multi_line_events(limit: int) -> None:
    decoder = ChunkDecoder(max_event_size=limit)
    fed, _ = _feed_until_stopped(decoder, _line(8 << 20))
    assert isinstance(decoder.error, StreamDecodeError) and fed <= limit + 2 * PIECE

    many_lines = (b"data: " + b"x" * 1000 + b"\n" for _ in range(10_000))
    decoder = ChunkDecoder(max_event_size=limit)
    fed, _ = _feed_until_stopped(decoder, many_lines)
    assert isinstance(decoder.error, StreamDecodeError) and fed <= limit * 1.01 + 2100


def test_events_before_the_oversized_one_are_kept() -> None:
    decoder = ChunkDecoder(max_event_size=4096)
    chunks = decoder.feed(EVENT + EVENT + b"data: " + b"z" * 5000 + b"\n\n" + EVENT)
    assert len(chunks) == 2
    assert isinstance(decoder.error, StreamDecodeError)
    assert decoder.feed(EVENT) == []  # stopped: nothing more is read


def test_a_one_read_event_over_the_bound_is_refused_too() -> None:
    # One huge read (a decompressed gzip piece can be): the fast path checks the size too.
    decoder = ChunkDecoder(max_event_size=4096)
    assert decoder.feed(b"data: " + b"1" * 8000 + b"\n\n") == []
    assert isinstance(decoder.error, StreamDecodeError)


def test_a_comment_flood_never_accumulates() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: first\n\n")
    flood = b": keep-alive, nothing to see\n" * 150  # ~4 KiB per read, no blank line
    tracemalloc.start()
    try:
        for _ in range(500):  # ~2 MB of comments
            assert decoder.feed(flood) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024
    events = decoder.feed(b"data: after\n\n")
    assert [e.raw_data for e in events] == [b"after"]


def test_a_long_line_split_across_many_reads_still_decodes_below_the_bound() -> None:
    decoder = SSEDecoder(max_size=1 << 20)
    payload = b"b" * 500_000
    events = []
    for i in range(0, len(payload), 1000):
        events += decoder.feed((b"data: " if i == 0 else b"") + payload[i : i + 1000])
    events += decoder.feed(b"\r\n\r\n")
    assert [e.raw_data for e in events] == [payload]
    assert decoder.overflow is None


async def test_max_event_size_is_a_client_setting(flavor: Flavor) -> None:
    big = b"data: " + b'{"pad": "' + b"p" * 100_000 + b'"}\n\n'
    pieces = [EVENT] + [big[i : i + 8192] for i in range(0, len(big), 8192)]
    client = flavor.client(Recorder(sse_response(Body(pieces))), max_event_size=64 * 1024)
    chunks, error = await flavor.collect_until_error(await flavor.stream(client))
    assert len(chunks) == 1
    assert isinstance(error, StreamDecodeError) and "65536" in str(error)


def test_max_event_size_must_be_a_sane_number() -> None:
    with pytest.raises(ValueError, match="at least 1024"):
        Groq(api_key="gsk_test_0123456789", max_event_size=10)
    with pytest.raises(TypeError):
        Groq(api_key="gsk_test_0123456789", max_event_size="big")  # type: ignore[arg-type]
