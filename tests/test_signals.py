"""Production signals: rate limits, time to first token, tokens/s, raw responses.

Everything goes through the loopback server, whose headers and delays the tests set:
``script(headers=...)`` carries ``x-ratelimit-*`` values and ``Faults(stall_after_events=
n, stall_seconds=s)`` holds the body back after ``n`` events (1 = after the role chunk,
so the first content is late by ``s``).
"""

from __future__ import annotations

from typing import Any

import groq as groq_sdk
import pytest
from conftest import API_KEY, MESSAGES, MODEL, Flavor
from test_call import Driver, drv, echo, now_ms, srv

from mirastream import RateLimitError, RateLimits
from mirastream.groq import AsyncGroq, AsyncStream, Groq, Stream
from mirastream.groq._ratelimits import parse_go_duration
from mirastream.groq.types import ChatCompletion
from mirastream.testing import ErrorReply, Faults, GroqServer, ToolCall, Usage, script

pytestmark = pytest.mark.anyio
__all__ = ["drv", "srv"]  # fixtures, imported for pytest

GROQ_HEADERS = {
    "x-ratelimit-limit-requests": "14400",
    "x-ratelimit-limit-tokens": "18000",
    "x-ratelimit-remaining-requests": "14370",
    "x-ratelimit-remaining-tokens": "17997",
    "x-ratelimit-reset-requests": "2m59.56s",
    "x-ratelimit-reset-tokens": "7.66s",
}
GROQ_LIMITS = RateLimits(
    limit_requests=14400,
    remaining_requests=14370,
    reset_requests=179.56,
    limit_tokens=18000,
    remaining_tokens=17997,
    reset_tokens=7.66,
)

# ---------------------------------------------------------------------------------------
# The parser (pure)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("6s", 6.0),
        ("1.57s", 1.57),
        ("2m59.56s", 179.56),
        ("400ms", 0.4),
        ("1h2m3s", 3723.0),
        ("1h0m0s", 3600.0),
        ("0s", 0.0),
        ("0", 0.0),
        ("7", 7.0),
        ("2.5", 2.5),
        ("1m", 60.0),
        ("1.5h", 5400.0),
        ("250us", 0.00025),
        ("250\u00b5s", 0.00025),
        ("250\u03bcs", 0.00025),
        ("10ns", 1e-8),
        ("1m30.5s", 90.5),
        (".5s", 0.5),
        (" 6s ", 6.0),
        ("", None),
        ("soon", None),
        ("6 s", None),
        ("-1s", None),
        ("-1", None),
        ("1d", None),
        ("s", None),
        ("nan", None),
        ("inf", None),
        ("6s400", None),
    ],
)
def test_go_durations(text: str, seconds: float | None) -> None:
    result = parse_go_duration(text)
    if seconds is None:
        assert result is None
    else:
        assert result == pytest.approx(seconds, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (GROQ_HEADERS, GROQ_LIMITS),
        ({}, RateLimits()),
        (
            {"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "400ms"},
            RateLimits(remaining_tokens=0, reset_tokens=0.4),
        ),
        (
            # Malformed values give None for their field only.
            {**GROQ_HEADERS, "x-ratelimit-limit-tokens": "lots", "x-ratelimit-reset-requests": "?"},
            RateLimits(
                limit_requests=14400,
                remaining_requests=14370,
                limit_tokens=None,
                remaining_tokens=17997,
                reset_tokens=7.66,
            ),
        ),
        ({"x-ratelimit-remaining-requests": "-3"}, RateLimits()),
        ({"x-ratelimit-remaining-requests": " 12 "}, RateLimits(remaining_requests=12)),
    ],
)
def test_rate_limits_from_headers(headers: dict[str, str], expected: RateLimits) -> None:
    limits = RateLimits.from_headers(headers)
    assert limits == expected
    assert bool(limits) is (expected != RateLimits())  # falsy when nothing parsed


def test_rate_limits_read_httpx_headers_case_insensitively() -> None:
    import httpx

    headers = httpx.Headers({k.upper(): v for k, v in GROQ_HEADERS.items()})
    assert RateLimits.from_headers(headers) == GROQ_LIMITS


# ---------------------------------------------------------------------------------------
# Rate limits through the server: high level
# ---------------------------------------------------------------------------------------


async def test_stream_and_its_response_carry_the_rate_limits(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script("Hi there", headers=GROQ_HEADERS))
    stream = await drv.stream(drv.call(echo, MODEL, stream=True, client=drv.client(srv)), "hi")
    assert stream.rate_limits == GROQ_LIMITS  # known from the headers, before any chunk
    await drv.iterate(stream)
    assert stream.construct_call_response().rate_limits == GROQ_LIMITS


async def test_non_stream_response_keeps_the_rate_limits(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script("Hi there", headers=GROQ_HEADERS))
    response = await drv.response(drv.call(echo, MODEL, client=drv.client(srv)), "hi")
    assert response.content == "Hi there"
    assert response.rate_limits == GROQ_LIMITS


async def test_server_default_headers_count_down(drv: Driver, srv: GroqServer) -> None:
    # The loopback server advertises 14400 requests a day: each answer spends one.
    invoke = drv.call(echo, MODEL, client=drv.client(srv))
    first = (await drv.response(invoke, "a")).rate_limits
    second = (await drv.response(invoke, "b")).rate_limits
    assert first.limit_requests == second.limit_requests == 14400
    assert first.remaining_requests is not None and second.remaining_requests is not None
    assert second.remaining_requests == first.remaining_requests - 1
    assert first.reset_tokens is not None and first.reset_tokens > 0


async def test_rate_limit_error_carries_the_rate_limits(drv: Driver, srv: GroqServer) -> None:
    headers = {**GROQ_HEADERS, "x-ratelimit-remaining-tokens": "0", "retry-after": "7"}
    srv.enqueue(ErrorReply(429, "Rate limit reached", type="tokens", headers=headers))
    with pytest.raises(RateLimitError) as caught:
        await drv.response(drv.call(echo, MODEL, client=drv.client(srv)), "hi")
    assert caught.value.rate_limits.remaining_tokens == 0
    assert caught.value.rate_limits.reset_requests == pytest.approx(179.56)
    assert caught.value.retry_after == 7


# ---------------------------------------------------------------------------------------
# Time to first token and tokens per second
# ---------------------------------------------------------------------------------------

DELAY = 0.06  # seconds; the server holds the body back this long
# The server's sleep runs on the event loop's monotonic clock, the timings on time.time():
# they can disagree by a few ms.
SLACK = 0.005


async def test_time_to_first_token_waits_for_content(drv: Driver, srv: GroqServer) -> None:
    # The role chunk comes at once; the first content DELAY later.
    srv.enqueue(script("Hello there", faults=Faults(stall_after_events=1, stall_seconds=DELAY)))
    before = now_ms()
    stream = await drv.stream(drv.call(echo, MODEL, stream=True, client=drv.client(srv)), "hi")
    assert stream.time_to_first_token is None
    await drv.iterate(stream)
    after = now_ms()
    ttft = stream.time_to_first_token
    assert ttft is not None
    assert (DELAY - SLACK) * 1000 <= ttft <= after - before
    assert stream.first_token_time == pytest.approx(stream.start_time + ttft)
    assert stream.end_time is not None and stream.first_token_time <= stream.end_time
    response = stream.construct_call_response()
    assert response.time_to_first_token == ttft
    assert response.tokens_per_second == stream.tokens_per_second


async def test_tokens_per_second_over_the_decode_time(drv: Driver, srv: GroqServer) -> None:
    # First content chunk, then a pause before the rest: the pause is decode time.
    usage = Usage(prompt_tokens=9, completion_tokens=30)
    reply = script(
        "one two three four", usage=usage, faults=Faults(stall_after_events=2, stall_seconds=DELAY)
    )
    srv.enqueue(reply)
    stream = await drv.stream(drv.call(echo, MODEL, stream=True, client=drv.client(srv)), "hi")
    await drv.iterate(stream)
    assert stream.output_tokens == 30
    assert stream.first_token_time is not None and stream.end_time is not None
    seconds = (stream.end_time - stream.first_token_time) / 1000
    assert seconds >= DELAY - SLACK
    assert stream.tokens_per_second == pytest.approx(30 / seconds)
    assert stream.tokens_per_second is not None and stream.tokens_per_second <= 30 / (DELAY - SLACK)


async def test_a_tool_call_is_a_first_token(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    stream = await drv.stream(drv.call(echo, MODEL, stream=True, client=drv.client(srv)), "hi")
    await drv.iterate(stream)
    assert stream.content == ""
    assert stream.time_to_first_token is not None


async def test_an_empty_answer_has_no_first_token(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script(""))
    stream = await drv.stream(drv.call(echo, MODEL, stream=True, client=drv.client(srv)), "hi")
    await drv.iterate(stream)
    assert stream.time_to_first_token is None
    assert stream.tokens_per_second is None
    assert stream.construct_call_response().time_to_first_token is None
    srv.enqueue(script(""))
    response = await drv.response(drv.call(echo, MODEL, client=drv.client(srv)), "hi")
    assert response.time_to_first_token is None


async def test_non_stream_first_token_is_the_whole_answer(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script("Hello", faults=Faults(delay_before_headers=DELAY)))
    response = await drv.response(drv.call(echo, MODEL, client=drv.client(srv)), "hi")
    assert response.time_to_first_token == response.end_time - response.start_time
    assert response.time_to_first_token >= (DELAY - SLACK) * 1000
    assert response.tokens_per_second is None  # arrived whole: no decode time to see


async def test_reasoning_counts_as_first_token(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(
        script(
            "Answer",
            reasoning="Think first.",
            faults=Faults(stall_after_events=1, stall_seconds=DELAY),
        )
    )
    stream = await drv.stream(drv.call(echo, MODEL, stream=True, client=drv.client(srv)), "hi")
    pairs = await drv.take(stream, 2)  # role chunk, first reasoning chunk
    assert pairs[1][0].reasoning
    assert stream.time_to_first_token is not None
    assert stream.time_to_first_token >= (DELAY - SLACK) * 1000
    await drv.close(stream)


# ---------------------------------------------------------------------------------------
# Low level: Stream.rate_limits and with_raw_response, against the groq SDK
# ---------------------------------------------------------------------------------------


def sdk_client(flavor: Flavor, server: GroqServer) -> Any:
    if flavor.is_async:
        return groq_sdk.AsyncGroq(api_key=API_KEY, base_url=server.base_url, max_retries=0)
    return groq_sdk.Groq(api_key=API_KEY, base_url=server.base_url, max_retries=0)


async def maybe_await(value: Any) -> Any:
    return await value if hasattr(value, "__await__") else value


async def test_low_level_stream_rate_limits(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script("Hi", headers=GROQ_HEADERS))
    stream = await flavor.stream(flavor.client(base_url=server.base_url))
    assert stream.rate_limits == GROQ_LIMITS
    await flavor.collect(stream)


@pytest.mark.parametrize("stream", [False, True])
async def test_with_raw_response_matches_the_sdk(
    flavor: Flavor, server: GroqServer, stream: bool
) -> None:
    results = {}
    for name, client in (
        ("ours", flavor.client(base_url=server.base_url)),
        ("sdk", sdk_client(flavor, server)),
    ):
        server.enqueue(script("Hi there", headers=GROQ_HEADERS, request_id="req_same"))
        kwargs: dict[str, Any] = {"messages": MESSAGES, "model": MODEL}
        if stream:
            kwargs["stream"] = True
        raw = await maybe_await(client.chat.completions.with_raw_response.create(**kwargs))
        parsed = await maybe_await(raw.parse())
        assert await maybe_await(raw.parse()) is parsed  # parsed once
        if stream:
            chunks = []
            if flavor.is_async:
                async for chunk in parsed:
                    chunks.append(chunk)
            else:
                chunks = list(parsed)
            content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        else:
            content = parsed.choices[0].message.content
        results[name] = {
            "status": raw.status_code,
            "remaining": raw.headers["x-ratelimit-remaining-tokens"],
            "request_id": raw.headers.get("x-request-id"),
            "method": raw.method,
            "url": str(raw.url),
            "http_version": raw.http_version,
            "is_http_response": type(raw.http_response).__name__,
            "request_auth": raw.http_request.headers["authorization"],
            "content": content,
        }
        if name == "ours":
            assert raw.rate_limits == GROQ_LIMITS
            expected_type: tuple[type, ...] = (
                ((AsyncStream,) if flavor.is_async else (Stream,)) if stream else (ChatCompletion,)
            )
            assert isinstance(parsed, expected_type)
            assert API_KEY not in repr(raw)
        await maybe_await(client.close())
    assert results["ours"] == results["sdk"]


async def test_raw_response_body_readers(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script("Hi there"))
    client = flavor.client(base_url=server.base_url)
    raw = await maybe_await(
        client.chat.completions.with_raw_response.create(messages=MESSAGES, model=MODEL)
    )
    data = await maybe_await(raw.json())
    assert isinstance(data, dict) and data["choices"][0]["message"]["content"] == "Hi there"
    assert (await maybe_await(raw.text())).startswith("{")
    assert await maybe_await(raw.read()) == raw.http_response.content
    assert raw.is_closed
    assert raw.elapsed.total_seconds() >= 0


async def test_raw_response_raises_status_errors_like_create(
    flavor: Flavor, server: GroqServer
) -> None:
    server.enqueue(ErrorReply(429, "slow down", headers={"x-ratelimit-remaining-requests": "0"}))
    client = flavor.client(base_url=server.base_url, max_retries=0)
    with pytest.raises(RateLimitError) as caught:
        await maybe_await(
            client.chat.completions.with_raw_response.create(messages=MESSAGES, model=MODEL)
        )
    assert caught.value.rate_limits.remaining_requests == 0


async def test_with_streaming_response_closes_on_exit(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script("Hi there", headers=GROQ_HEADERS))
    client = flavor.client(base_url=server.base_url)
    manager = client.chat.completions.with_streaming_response.create(
        messages=MESSAGES, model=MODEL, stream=True
    )
    if isinstance(client, AsyncGroq):
        async with manager as araw:  # type: ignore[union-attr]
            assert araw.rate_limits == GROQ_LIMITS
            first = await (await araw.parse()).__anext__()
            http = araw.http_response
    else:
        assert isinstance(client, Groq)
        with manager as raw:  # type: ignore[union-attr]
            assert raw.rate_limits == GROQ_LIMITS
            first = next(iter(raw.parse()))
            http = raw.http_response
    assert first.choices[0].delta.role == "assistant"
    assert http.is_closed  # left early: the context manager closed it
