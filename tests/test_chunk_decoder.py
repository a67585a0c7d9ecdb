"""``ChunkDecoder``: the bytes of a Groq stream in, ``ChatCompletionChunk`` objects out.

Each fixture must fold to the result its README states, however the body is cut, and
must match chunk for chunk what the groq SDK (1.7.0, test-only oracle) parses from the
same bytes. How a stream ends (``[DONE]``, error frames, bad JSON, early EOF) is pinned
down case by case.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator, Sequence
from typing import Any

import groq
import httpx
import pytest
from conftest import (
    EXPECTED,
    FIXTURE_NAMES,
    Body,
    assert_fold_matches,
    fixture_bytes,
    fold,
)

from mirastream.errors import (
    APIError,
    APIStatusError,
    APIStreamError,
    MirastreamError,
    StreamDecodeError,
    StreamError,
    StreamInterruptedError,
)
from mirastream.groq import ChunkDecoder
from mirastream.groq.types import ChatCompletionChunk

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def decode(pieces: Sequence[bytes]) -> tuple[list[ChatCompletionChunk], ChunkDecoder]:
    """Feed every piece, then end the body; return the chunks and the decoder."""
    decoder = ChunkDecoder()
    chunks: list[ChatCompletionChunk] = []
    for piece in pieces:
        chunks += decoder.feed(piece)
    if not decoder.stopped:
        decoder.end()
    return chunks, decoder


def cuts(body: bytes, how: str) -> list[bytes]:
    if how == "whole":
        return [body]
    if how == "bytes":
        return [body[i : i + 1] for i in range(len(body))]
    if how == "events":
        return [part + b"\n\n" for part in body.split(b"\n\n") if part]
    rng = random.Random(f"{how}:{len(body)}")
    points = sorted(rng.randint(0, len(body)) for _ in range(200))
    bounds = [0, *points, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds)]


def chunk(
    content: str | None = None,
    *,
    finish: str | None = None,
    index: int = 0,
    delta: dict[str, Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    """A Groq-shaped chunk object."""
    d = dict(delta or {})
    if content is not None:
        d["content"] = content
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1771002001,
        "model": "llama-3.3-70b-versatile",
        "system_fingerprint": "fp_0123456789",
        "choices": [{"index": index, "delta": d, "logprobs": None, "finish_reason": finish}],
        **top,
    }


def event(obj: Any, name: str | None = None) -> bytes:
    head = b"" if name is None else b"event: " + name.encode() + b"\n"
    return head + b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"
HELLO = event(chunk("Hel", delta={"role": "assistant"})) + event(chunk("lo"))
FINISH = event(chunk(finish="stop"))


def contents(chunks: Sequence[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def sdk_parse(pieces: Sequence[bytes]) -> tuple[list[dict[str, Any]], Any]:
    """What the groq SDK yields for this body: ``(model_dumps, APIError or None)``."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=Body(pieces)
        )

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = groq.Groq(
            api_key="gsk_oracle", base_url="http://groq.test", http_client=http, max_retries=0
        )
        stream = client.chat.completions.create(
            messages=[{"role": "user", "content": "x"}], model="m", stream=True
        )
        dumps: list[dict[str, Any]] = []
        try:
            for c in stream:
                dumps.append(c.model_dump(exclude_unset=True))
        except groq.APIError as exc:
            return dumps, exc
        return dumps, None


# ---------------------------------------------------------------------------------------
# The README's table itself (guards the parser in conftest against silent misreads)
# ---------------------------------------------------------------------------------------


def test_readme_table_covers_every_fixture_and_is_consistent() -> None:
    assert sorted(EXPECTED) == FIXTURE_NAMES
    assert len(FIXTURE_NAMES) == 8
    for expected in EXPECTED.values():
        if expected.usage is None:
            continue
        usage = expected.usage
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        assert usage["total_time"] == pytest.approx(usage["prompt_time"] + usage["completion_time"])
    assert EXPECTED["05_reasoning_gpt_oss.sse"].content == "17 \u00d7 23 = **391**"
    assert EXPECTED["02_text_include_usage.sse"].content.count("\n\n") == 1
    assert [c.index for c in EXPECTED["04_tool_calls_parallel.sse"].tool_calls] == [0, 1]
    assert EXPECTED["07_error_event_midstream.sse"].error is not None


# ---------------------------------------------------------------------------------------
# Every fixture folds to its README result, however it is cut
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["whole", "events", "bytes", "random"])
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_folds_to_readme_result(name: str, how: str) -> None:
    expected = EXPECTED[name]
    chunks, decoder = decode(cuts(fixture_bytes(name), how))
    assert_fold_matches(fold(chunks), expected)
    assert decoder.stopped
    if expected.error is None:
        assert decoder.error is None
        return
    error = decoder.error
    assert isinstance(error, APIStreamError)
    assert str(error) == error.message == expected.error.message
    assert error.type == expected.error.type
    assert error.code == expected.error.code
    assert error.failed_generation == expected.error.failed_generation
    assert error.status_code == expected.error.status_code


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_chunks_are_identical_however_the_body_is_cut(name: str) -> None:
    body = fixture_bytes(name)
    whole = [c.to_dict() for c in decode([body])[0]]
    for how in ("events", "bytes", "random"):
        assert [c.to_dict() for c in decode(cuts(body, how))[0]] == whole
    for i in range(0, len(body), 29):
        assert [c.to_dict() for c in decode([body[:i], body[i:]])[0]] == whole, i


def test_fixture_07_error_is_a_stream_error_not_a_status_error() -> None:
    chunks, decoder = decode([fixture_bytes("07_error_event_midstream.sse")])
    assert len(chunks) == 9
    error = decoder.error
    assert isinstance(error, APIStreamError)
    assert isinstance(error, StreamError)
    assert isinstance(error, APIError)
    assert isinstance(error, MirastreamError)
    assert not isinstance(error, APIStatusError)
    # .body is the inner error object, as in the groq SDK.
    assert isinstance(error.body, dict)
    assert error.body["code"] == "tool_use_failed"
    assert error.body["status_code"] == 400


def test_fixture_07_error_and_chunks_come_from_one_feed() -> None:
    # feed() never raises: chunks before the error are returned, the error is kept.
    decoder = ChunkDecoder()
    chunks = decoder.feed(fixture_bytes("07_error_event_midstream.sse"))
    assert contents(chunks) == "Let me check the weather for you."
    assert isinstance(decoder.error, APIStreamError)
    assert decoder.stopped
    assert decoder.feed(HELLO + FINISH + DONE) == []


def test_usage_is_read_not_summed_over_its_three_copies() -> None:
    chunks, _ = decode([fixture_bytes("02_text_include_usage.sse")])
    finish, trailer = chunks[-2], chunks[-1]
    assert finish.choices[0].finish_reason == "stop"
    assert finish.x_groq is not None and finish.x_groq.usage is not None
    assert finish.usage is not None
    assert finish.usage == finish.x_groq.usage
    assert trailer.choices == []
    assert trailer.x_groq is None
    assert trailer.usage == finish.usage
    assert trailer.service_tier == "on_demand"
    usage = trailer.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (51, 24, 75)
    assert usage.queue_time == 0.187532114
    assert usage.prompt_time == 0.004611052
    assert usage.completion_time == 0.061538462
    assert usage.total_time == 0.066149514


def test_reasoning_tokens_and_channel_are_readable() -> None:
    chunks, _ = decode([fixture_bytes("05_reasoning_gpt_oss.sse")])
    reasoning = [c for c in chunks if c.choices and c.choices[0].delta.reasoning]
    assert reasoning and all(c.choices[0].delta.channel == "analysis" for c in reasoning)
    final = chunks[-1].usage
    assert final is not None and final.reasoning_tokens == 23
    assert final.completion_tokens_details is not None
    assert final.completion_tokens_details.reasoning_tokens == 23


# ---------------------------------------------------------------------------------------
# The groq SDK as an oracle: same bytes, same chunks
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_matches_groq_sdk_chunk_for_chunk(name: str) -> None:
    body = fixture_bytes(name)
    sdk_dumps, sdk_error = sdk_parse([body])
    ours, decoder = decode([body])
    assert len(ours) == len(sdk_dumps) == EXPECTED[name].chunks
    for mine, theirs in zip(ours, sdk_dumps, strict=True):
        assert mine.to_dict() == theirs
        assert mine.model_dump() == theirs
    if sdk_error is None:
        assert decoder.error is None
    else:
        assert isinstance(decoder.error, APIStreamError)
        assert decoder.error.message == sdk_error.message
        assert decoder.error.body == sdk_error.body


@pytest.mark.parametrize("name", ["02_text_include_usage.sse", "05_reasoning_gpt_oss.sse"])
def test_matches_groq_sdk_with_random_reads(name: str) -> None:
    body = fixture_bytes(name)
    pieces = cuts(body, "random")
    sdk_dumps, _ = sdk_parse(pieces)
    assert [c.to_dict() for c in decode(pieces)[0]] == sdk_dumps


def test_matches_groq_sdk_on_unknown_fields_and_x_groq_error() -> None:
    body = (
        event(chunk("a", delta={"role": "assistant", "channel": "final"}, brand_new={"k": 1}))
        + event(chunk("b", x_groq={"id": "req_1", "error": "stopped early", "debug": {"x": 1}}))
        + event(chunk(finish="stop", service_tier="flex"))
        + DONE
    )
    sdk_dumps, sdk_error = sdk_parse([body])
    ours, decoder = decode([body])
    assert sdk_error is None and decoder.error is None
    assert [c.to_dict() for c in ours] == sdk_dumps
    assert ours[0].brand_new == {"k": 1}
    assert ours[1].x_groq is not None and ours[1].x_groq.error == "stopped early"


# ---------------------------------------------------------------------------------------
# How a stream ends
# ---------------------------------------------------------------------------------------


def test_done_stops_the_stream_and_later_bytes_are_ignored() -> None:
    later = HELLO + b"data: {not json\n\n" + event({"error": {"message": "late"}}, "error")
    chunks, decoder = decode([HELLO + FINISH + DONE + later])
    assert contents(chunks) == "Hello"
    assert decoder.error is None
    assert decoder.stopped
    assert decoder.feed(HELLO) == []


def test_done_without_space_after_colon_also_stops() -> None:
    chunks, decoder = decode([HELLO + b"data:[DONE]\n\n" + HELLO])
    assert contents(chunks) == "Hello"
    assert decoder.error is None


def test_done_with_a_suffix_is_not_done() -> None:
    # The SDK stops on any data starting with "[DONE]"; mirastream wants it exact.
    chunks, decoder = decode([HELLO + b"data: [DONE]xyz\n\n" + FINISH + DONE])
    assert contents(chunks) == "Hello"
    assert isinstance(decoder.error, StreamDecodeError)


def test_done_split_across_reads() -> None:
    body = HELLO + FINISH + DONE + HELLO
    for i in range(len(HELLO + FINISH), len(body) + 1):
        chunks, decoder = decode([body[:i], body[i:]])
        assert contents(chunks) == "Hello" and decoder.error is None, i


def test_eof_after_finish_reason_without_done_is_success() -> None:
    chunks, decoder = decode([HELLO + FINISH])
    assert contents(chunks) == "Hello"
    assert decoder.error is None
    assert decoder.finished


def test_eof_after_usage_trailer_without_done_is_success() -> None:
    body = fixture_bytes("02_text_include_usage.sse").replace(DONE, b"")
    chunks, decoder = decode([body])
    assert len(chunks) == 27
    assert decoder.error is None


@pytest.mark.parametrize(
    "body",
    [b"", HELLO, event(chunk(delta={"role": "assistant"})), b"data: [DON", HELLO + FINISH[:-1]],
    ids=["empty", "no-finish", "role-only", "partial-done", "finish-unterminated"],
)
def test_eof_before_any_finish_reason_is_interrupted(body: bytes) -> None:
    request = httpx.Request("POST", "http://groq.test/openai/v1/chat/completions")
    decoder = ChunkDecoder(request)
    chunks = decoder.feed(body)
    assert not decoder.finished
    decoder.end()
    assert isinstance(decoder.error, StreamInterruptedError)
    assert decoder.error.request is request
    assert contents(chunks) == ("Hello" if body.startswith(HELLO) else "")


def test_finished_needs_a_finish_reason_on_the_last_chunk_with_choices() -> None:
    decoder = ChunkDecoder()
    decoder.feed(HELLO)
    assert not decoder.finished
    decoder.feed(FINISH)
    assert decoder.finished


def test_data_only_error_object_raises_api_stream_error() -> None:
    error = {
        "message": "Service overloaded",
        "type": "internal_server_error",
        "code": "overloaded",
        "status_code": 503,
    }
    chunks, decoder = decode([HELLO + event({"error": error}) + FINISH + DONE])
    assert contents(chunks) == "Hello"
    exc = decoder.error
    assert isinstance(exc, APIStreamError)
    assert exc.message == "Service overloaded"
    assert (exc.type, exc.code, exc.status_code) == ("internal_server_error", "overloaded", 503)
    assert exc.failed_generation is None
    assert exc.body == error


def test_error_as_a_plain_string_uses_it_as_the_message() -> None:
    # The SDK raises with its default message and body "oops"; the string itself is the
    # more useful message, and that is what mirastream reports.
    chunks, decoder = decode([HELLO + event({"error": "oops"}) + DONE])
    assert contents(chunks) == "Hello"
    exc = decoder.error
    assert isinstance(exc, APIStreamError)
    assert exc.message == "oops"
    assert exc.body == "oops"
    assert exc.type is None and exc.code is None and exc.status_code is None


@pytest.mark.parametrize(
    "error", [{}, {"message": ""}, {"message": 42}], ids=["empty", "blank", "non-str"]
)
def test_error_without_a_usable_message_gets_a_default(error: dict[str, Any]) -> None:
    _, decoder = decode([event({"error": error}, "error")])
    assert isinstance(decoder.error, APIStreamError)
    assert decoder.error.message == "An error occurred during streaming"


def test_error_event_stops_even_with_done_after_it() -> None:
    body = HELLO + event({"error": {"message": "boom"}}, "error") + FINISH + DONE
    chunks, decoder = decode([body])
    assert contents(chunks) == "Hello"
    assert isinstance(decoder.error, APIStreamError)
    assert decoder.error.message == "boom"


def test_error_event_with_a_bare_error_object_is_an_api_stream_error() -> None:
    body = HELLO + event({"message": "Internal error", "type": "server_error"}, "error")
    _, decoder = decode([body])
    assert isinstance(decoder.error, APIStreamError)
    assert decoder.error.message == "Internal error"
    assert decoder.error.type == "server_error"


def test_error_event_with_plain_text_data_is_an_api_stream_error() -> None:
    _, decoder = decode([HELLO + b"event: error\ndata: upstream timed out\n\n"])
    assert isinstance(decoder.error, APIStreamError)
    assert decoder.error.message == "upstream timed out"


def test_chunk_with_null_error_field_is_a_normal_chunk() -> None:
    body = event(chunk("Hi", error=None)) + FINISH + DONE
    chunks, decoder = decode([body])
    assert decoder.error is None
    assert contents(chunks) == "Hi"


def test_data_less_error_event_is_not_dispatched() -> None:
    # No data line, no event (SSE rule); the stream then simply goes on.
    chunks, decoder = decode([HELLO + b"event: error\n\n" + FINISH + DONE])
    assert contents(chunks) == "Hello"
    assert decoder.error is None


def test_malformed_json_is_a_stream_decode_error_naming_the_data() -> None:
    bad = '{"id": "chatcmpl-x", "choices": [ oops'
    chunks, decoder = decode([HELLO + b"data: " + bad.encode() + b"\n\n" + FINISH + DONE])
    assert contents(chunks) == "Hello"  # chunks before the bad event are delivered
    exc = decoder.error
    assert isinstance(exc, StreamDecodeError)
    assert isinstance(exc, StreamError)
    assert isinstance(exc, MirastreamError)
    assert exc.data == bad
    assert bad in str(exc) or repr(bad) in str(exc)
    assert decoder.stopped
    assert decoder.feed(FINISH) == []


@pytest.mark.parametrize("data", [b"[1, 2]", b"42", b'"text"', b"null", b"true"])
def test_json_that_is_not_an_object_is_a_stream_decode_error(data: bytes) -> None:
    _, decoder = decode([HELLO + b"data: " + data + b"\n\n" + FINISH + DONE])
    assert isinstance(decoder.error, StreamDecodeError)
    assert decoder.error.data == data.decode()


def test_named_event_with_malformed_json_is_ignored_like_any_unknown_event() -> None:
    body = HELLO + b"event: ping\ndata: {nope\n\n" + FINISH + DONE
    chunks, decoder = decode([body])
    assert decoder.error is None
    assert contents(chunks) == "Hello"


def test_unknown_named_events_are_ignored() -> None:
    body = (
        HELLO
        + event(chunk("IGNORED"), "completion")
        + event({"type": "keepalive"}, "ping")
        + b"event: ping\ndata:\n\n"
        + b": keep-alive comment\n\n"
        + FINISH
        + DONE
    )
    chunks, decoder = decode([body])
    assert decoder.error is None
    assert contents(chunks) == "Hello"
    assert len(chunks) == 3


def test_empty_data_message_is_skipped() -> None:
    chunks, decoder = decode([HELLO + b"data:\n\ndata: \n\n" + FINISH + DONE])
    assert decoder.error is None
    assert len(chunks) == 3


def test_invalid_utf8_inside_a_json_string_is_replaced() -> None:
    raw = json.dumps(chunk("PLACEHOLDER"), separators=(",", ":")).encode()
    body = b"data: " + raw.replace(b"PLACEHOLDER", b"caf\xc3\xa9 \xff!") + b"\n\n"
    chunks, decoder = decode([body + FINISH + DONE])
    assert decoder.error is None
    assert contents(chunks) == "caf\u00e9 \ufffd!"


def test_go_style_escapes_and_raw_utf8() -> None:
    raw = (
        b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":'
        b'[{"index":0,"delta":{"content":"\\u003cthink\\u003e \xc2\xb0C \\u0026"},'
        b'"finish_reason":null}]}'
    )
    chunks, _ = decode([b"data: " + raw + b"\n\n" + FINISH + DONE])
    assert contents(chunks) == "<think> \u00b0C &"


def test_fragmented_tool_call_arguments_fold_by_index() -> None:
    # OpenAI-style fragments: Groq has not been seen sending them, clients must cope.
    def call(index: int, **fields: Any) -> bytes:
        return event(chunk(delta={"tool_calls": [{"index": index, **fields}]}))

    body = (
        event(chunk(delta={"role": "assistant", "content": None}))
        + call(0, id="call_a", type="function", function={"name": "get_", "arguments": ""})
        + call(0, function={"name": "weather", "arguments": '{"loc'})
        + call(1, id="call_b", type="function", function={"name": "now", "arguments": "{}"})
        + call(0, function={"arguments": 'ation": "Oslo"}'})
        + event(chunk(finish="tool_calls"))
        + DONE
    )
    for how in ("whole", "bytes", "random"):
        chunks, decoder = decode(cuts(body, how))
        assert decoder.error is None
        folded = fold(chunks)
        assert sorted(folded.tool_calls) == [0, 1]
        first, second = folded.tool_calls[0], folded.tool_calls[1]
        assert (first.id, first.name, json.loads(first.arguments)) == (
            "call_a",
            "get_weather",
            {"location": "Oslo"},
        )
        assert (second.id, second.name, second.arguments) == ("call_b", "now", "{}")
        assert folded.finish_reason == "tool_calls"


def test_multiple_choices_finished_only_when_all_have_finish_reason() -> None:
    def two(finish0: str | None, finish1: str | None) -> bytes:
        c = chunk()
        c["choices"] = [
            {"index": 0, "delta": {"content": "a"}, "finish_reason": finish0},
            {"index": 1, "delta": {"content": "b"}, "finish_reason": finish1},
        ]
        return event(c)

    decoder = ChunkDecoder()
    decoder.feed(two(None, None) + two("stop", None))
    assert not decoder.finished
    decoder.end()
    assert isinstance(decoder.error, StreamInterruptedError)

    chunks, decoder = decode([two(None, None) + two("stop", "length")])
    assert decoder.error is None
    assert [c.index for c in chunks[0].choices] == [0, 1]


def _many_chunks() -> Iterator[bytes]:
    for i in range(500):
        yield event(chunk(f"{i},"))


def test_long_stream_fed_in_odd_sizes() -> None:
    body = b"".join(_many_chunks()) + FINISH + DONE
    for size in (1, 3, 64, 4093):
        pieces = [body[i : i + size] for i in range(0, len(body), size)]
        chunks, decoder = decode(pieces)
        assert decoder.error is None
        assert contents(chunks) == "".join(f"{i}," for i in range(500))
