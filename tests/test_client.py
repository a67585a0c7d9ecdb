"""``Groq`` / ``AsyncGroq``: configuration, the request on the wire, errors and retries.

Requests are checked at the transport (``httpx.MockTransport``) or at the loopback
``GroqServer``; the groq SDK serves as an oracle for what the same call puts on the wire.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import groq
import httpx
import pytest
from conftest import (
    API_KEY,
    EXPECTED,
    MODEL,
    Body,
    Flavor,
    Recorder,
    fixture_bytes,
    sse_response,
)

from mirastream.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    MirastreamError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamInterruptedError,
    UnprocessableEntityError,
)
from mirastream.groq import AsyncGroq, Groq
from mirastream.groq.types import ChatCompletion
from mirastream.testing import ErrorReply, Faults, GroqServer, JSONReply, script

pytestmark = pytest.mark.anyio

CHAT_PATH = "/openai/v1/chat/completions"
JOKE = "Why do programmers prefer dark mode? Because light attracts bugs."
TEXT = "01_text_xgroq_usage.sse"

COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1771002001,
    "model": MODEL,
    "system_fingerprint": "fp_0123456789",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Why did the chicken..."},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "queue_time": 0.01,
        "prompt_tokens": 12,
        "prompt_time": 0.002,
        "completion_tokens": 5,
        "completion_time": 0.01,
        "total_tokens": 17,
        "total_time": 0.012,
    },
    "x_groq": {"id": "req_01abc"},
}


def completion_response(request: httpx.Request | None = None) -> httpx.Response:
    return httpx.Response(200, json=COMPLETION)


def stream_response(request: httpx.Request | None = None) -> httpx.Response:
    return sse_response(Body([fixture_bytes(TEXT)]))


def error_response(
    status: int, message: str = "nope", headers: dict[str, str] | None = None, **error: Any
) -> httpx.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", **error}}
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    monkeypatch.delenv("GROQ_BASE_URL", raising=False)
    return monkeypatch


# ---------------------------------------------------------------------------------------
# api.md §1, as written
# ---------------------------------------------------------------------------------------


def test_api_md_example_runs_unchanged(clean_env: pytest.MonkeyPatch, server: GroqServer) -> None:
    clean_env.setenv("GROQ_API_KEY", API_KEY)
    clean_env.setenv("GROQ_BASE_URL", server.base_url)
    server.enqueue(script(JOKE), script(JOKE))
    seen: list[tuple[Any, ...]] = []

    # --- api.md §1 (only the `...` placeholders filled in) ---
    from mirastream.groq import AsyncGroq, AsyncStream, Groq, Stream  # noqa: F401
    from mirastream.groq.types import ChatCompletion, ChatCompletionChunk, CompletionUsage  # noqa: F401

    client = Groq()  # api_key=None -> GROQ_API_KEY; base_url=None -> GROQ_BASE_URL
    stream = client.chat.completions.create(
        messages=[{"role": "user", "content": "Tell me a joke"}],
        model="llama-3.3-70b-versatile",
        stream=True,
    )
    for chunk in stream:
        chunk.choices[0].delta.content  # noqa: B018
        chunk.choices[0].delta.role  # noqa: B018
        chunk.choices[0].delta.reasoning  # noqa: B018
        chunk.choices[0].delta.tool_calls  # noqa: B018
        chunk.choices[0].finish_reason  # noqa: B018
        chunk.x_groq  # noqa: B018
        chunk.usage  # noqa: B018
        seen.append(
            (
                chunk.choices[0].delta.content,
                chunk.choices[0].delta.role,
                chunk.choices[0].finish_reason,
                chunk.x_groq,
                chunk.usage,
            )
        )
    with client.chat.completions.create(
        messages=[{"role": "user", "content": "Tell me a joke"}],
        model="llama-3.3-70b-versatile",
        stream=True,
    ) as stream:
        first = next(iter(stream))
    stream.close()
    stream.response  # noqa: B018
    # --- end of the example ---

    assert isinstance(stream, Stream)
    assert isinstance(first, ChatCompletionChunk)
    assert isinstance(stream.response, httpx.Response) and stream.response.is_closed
    assert "".join(content or "" for content, *_ in seen) == JOKE
    assert [role for _, role, *_ in seen] == ["assistant"] + [None] * (len(seen) - 1)
    assert [finish for *_, finish, _, _ in seen][-1] == "stop"
    assert all(finish is None for *_, finish, _, _ in seen[:-1])
    x_groq, usage = seen[-1][3], seen[-1][4]
    assert x_groq is not None and isinstance(x_groq.usage, CompletionUsage)
    assert isinstance(usage, CompletionUsage)
    assert seen[0][3] is not None and seen[0][3].id.startswith("req_")
    request = server.requests[0]
    assert request.path == CHAT_PATH
    assert request.headers["authorization"] == "Bearer [redacted]"
    assert request.body["stream"] is True
    client.close()


async def test_api_md_example_async(clean_env: pytest.MonkeyPatch, server: GroqServer) -> None:
    clean_env.setenv("GROQ_API_KEY", API_KEY)
    clean_env.setenv("GROQ_BASE_URL", server.base_url)
    server.enqueue(script(JOKE), script(JOKE))
    from mirastream.groq import AsyncStream

    client = AsyncGroq()
    stream = await client.chat.completions.create(
        messages=[{"role": "user", "content": "Tell me a joke"}],
        model="llama-3.3-70b-versatile",
        stream=True,
    )
    text = ""
    async for chunk in stream:
        text += chunk.choices[0].delta.content or ""
    async with await client.chat.completions.create(
        messages=[{"role": "user", "content": "Hi"}],
        model="llama-3.3-70b-versatile",
        stream=True,
    ) as stream2:
        first = await stream2.__anext__()
    await stream2.close()
    assert isinstance(stream2, AsyncStream)
    assert first.choices[0].delta.role == "assistant"
    assert stream2.response.is_closed
    assert text == JOKE
    await client.close()


# ---------------------------------------------------------------------------------------
# The request on the wire
# ---------------------------------------------------------------------------------------


async def test_body_is_compact_json_of_only_the_given_params(flavor: Flavor) -> None:
    recorder = Recorder(completion_response)
    client = flavor.client(recorder)
    await flavor.completion(
        client,
        messages=[{"role": "user", "content": "héllo \u2028 <tag>"}],
        temperature=0.3,
        max_completion_tokens=64,
        seed=None,  # None means "not given"
    )
    request = recorder.requests[0]
    assert request.method == "POST"
    assert request.url.path == CHAT_PATH
    raw = request.content
    body = json.loads(raw)
    assert body == {
        "messages": [{"role": "user", "content": "héllo \u2028 <tag>"}],
        "model": MODEL,
        "temperature": 0.3,
        "max_completion_tokens": 64,
    }
    assert raw == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


async def test_stream_flag_on_the_wire(flavor: Flavor) -> None:
    recorder = Recorder(stream_response, completion_response, completion_response)
    client = flavor.client(recorder)
    await flavor.collect(await flavor.stream(client))
    await flavor.completion(client)
    await flavor.completion(client, stream=False)
    assert recorder.body(0)["stream"] is True
    assert "stream" not in recorder.body(1)
    assert recorder.body(2)["stream"] is False


async def test_extra_body_headers_and_query(flavor: Flavor) -> None:
    recorder = Recorder(stream_response)
    client = flavor.client(recorder, default_headers={"x-team": "a", "x-trace": "default"})
    stream = await flavor.stream(
        client,
        temperature=0.5,
        extra_body={"stream_options": {"include_usage": True}, "temperature": 0.9},
        extra_headers={"x-trace": "call", "x-extra": "1"},
        extra_query={"debug": "true"},
    )
    await flavor.collect(stream)
    request = recorder.requests[0]
    body = recorder.body()
    assert body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0.9  # extra_body is applied last
    assert list(body)[-1] == "stream_options"
    assert request.headers["x-team"] == "a"
    assert request.headers["x-trace"] == "call"
    assert request.headers["x-extra"] == "1"
    assert request.url.params["debug"] == "true"
    assert request.url.path == CHAT_PATH


async def test_standard_headers(flavor: Flavor) -> None:
    recorder = Recorder(stream_response)
    await flavor.collect(await flavor.stream(flavor.client(recorder)))
    headers = recorder.requests[0].headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["accept"] == "application/json"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("mirastream/")


@pytest.mark.parametrize("stream", [True, False])
def test_same_request_as_the_groq_sdk(stream: bool) -> None:
    params: dict[str, Any] = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris? \u00e9\u00e8"},
        ],
        "model": MODEL,
        "stream": stream,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get the weather",
                    "parameters": {
                        "type": "object",
                        "properties": {"location": {"type": "string"}},
                        "required": ["location"],
                    },
                },
            }
        ],
        "tool_choice": "auto",
        "temperature": 0.2,
        "max_completion_tokens": 100,
        "reasoning_format": "parsed",
        "response_format": {"type": "text"},
        "seed": 7,
        "stop": ["\n\n"],
        "extra_body": {"stream_options": {"include_usage": True}},
        "extra_query": {"q": "1"},
    }
    answer = stream_response if stream else completion_response
    ours, theirs = Recorder(answer), Recorder(answer)
    with (
        httpx.Client(transport=httpx.MockTransport(ours)) as http1,
        httpx.Client(transport=httpx.MockTransport(theirs)) as http2,
    ):
        client = Groq(api_key=API_KEY, base_url="http://groq.test", http_client=http1)
        result = client.chat.completions.create(**params)
        sdk = groq.Groq(api_key=API_KEY, base_url="http://groq.test", http_client=http2)
        sdk_result = sdk.chat.completions.create(**params)
        if stream:
            assert [c.to_dict() for c in result] == [
                c.model_dump(exclude_unset=True) for c in sdk_result
            ]
        else:
            assert result.to_dict() == sdk_result.model_dump(exclude_unset=True)
    mine, sdks = ours.requests[0], theirs.requests[0]
    assert (mine.method, str(mine.url)) == (sdks.method, str(sdks.url))
    assert json.loads(mine.content) == json.loads(sdks.content)
    for header in ("authorization", "accept", "content-type"):
        assert mine.headers[header] == sdks.headers[header]


# ---------------------------------------------------------------------------------------
# Configuration and secrets
# ---------------------------------------------------------------------------------------


async def test_api_key_and_base_url_from_the_environment(
    flavor: Flavor, clean_env: pytest.MonkeyPatch, server: GroqServer
) -> None:
    clean_env.setenv("GROQ_API_KEY", "gsk_from_env")
    clean_env.setenv("GROQ_BASE_URL", server.base_url + "/")
    client: Groq | AsyncGroq = AsyncGroq() if flavor.is_async else Groq()
    assert client.base_url == server.base_url
    chunks = await flavor.collect(await flavor.stream(client))
    assert len(chunks) > 1
    assert len(server.requests) == 1
    await flavor.close_client(client)


async def test_key_from_the_environment_reaches_the_wire(
    flavor: Flavor, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("GROQ_API_KEY", "gsk_from_env")
    recorder = Recorder(completion_response)
    await flavor.completion(flavor.client(recorder, api_key=None))
    assert recorder.requests[0].headers["authorization"] == "Bearer gsk_from_env"


async def test_explicit_arguments_beat_the_environment(
    flavor: Flavor, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("GROQ_API_KEY", "gsk_from_env")
    clean_env.setenv("GROQ_BASE_URL", "http://from-env.test")
    recorder = Recorder(completion_response)
    client = flavor.client(recorder, api_key="gsk_explicit", base_url="http://explicit.test")
    await flavor.completion(client)
    request = recorder.requests[0]
    assert request.headers["authorization"] == "Bearer gsk_explicit"
    assert request.url.host == "explicit.test"


def test_default_base_url(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("GROQ_API_KEY", API_KEY)
    assert Groq().base_url == "https://api.groq.com"
    assert AsyncGroq().base_url == "https://api.groq.com"
    assert Groq().max_retries == 2


@pytest.mark.parametrize("cls", [Groq, AsyncGroq])
@pytest.mark.parametrize("env", [None, ""], ids=["unset", "empty"])
def test_missing_api_key(
    clean_env: pytest.MonkeyPatch, cls: type[Groq | AsyncGroq], env: str | None
) -> None:
    secret = "sk-some-other-secret-0123456789"
    clean_env.setenv("OPENAI_API_KEY", secret)
    if env is not None:
        clean_env.setenv("GROQ_API_KEY", env)
    with pytest.raises(MirastreamError) as info:
        cls()
    assert not isinstance(info.value, APIError)
    message = str(info.value)
    assert "GROQ_API_KEY" in message
    assert secret not in message
    assert "gsk_" not in message


def test_repr_never_shows_the_key() -> None:
    for client in (Groq(api_key=API_KEY), AsyncGroq(api_key=API_KEY)):
        text = repr(client) + str(client)
        assert API_KEY not in text
        assert "SECRET" not in text
        assert "groq.com" in repr(client)


async def test_status_errors_never_show_the_key(flavor: Flavor) -> None:
    recorder = Recorder(error_response(401, "Invalid API Key", code="invalid_api_key"))
    with pytest.raises(AuthenticationError) as info:
        await flavor.completion(flavor.client(recorder))
    exc = info.value
    for text in (str(exc), repr(exc), exc.message, repr(exc.body), repr(exc.args)):
        assert API_KEY not in text


# ---------------------------------------------------------------------------------------
# Status errors
# ---------------------------------------------------------------------------------------

STATUS_CLASSES: list[tuple[int, type[APIStatusError]]] = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (413, APIStatusError),
    (422, UnprocessableEntityError),
    (424, APIStatusError),
    (429, RateLimitError),
    (498, APIStatusError),
    (499, APIStatusError),
    (500, InternalServerError),
    (502, InternalServerError),
    (503, InternalServerError),
]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "plain"])
@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES, ids=[str(s) for s, _ in STATUS_CLASSES])
async def test_status_maps_to_its_error_class(
    flavor: Flavor,
    server: GroqServer,
    status: int,
    cls: type[APIStatusError],
    stream: bool,
) -> None:
    message = f"Something about status {status}"
    server.enqueue(
        ErrorReply(status, message, type="some_type", code=f"code_{status}", extra={"param": "p"})
    )
    client = flavor.client(base_url=server.base_url, max_retries=0)
    with pytest.raises(APIStatusError) as info:
        await flavor.create(client, stream=stream)
    exc = info.value
    assert type(exc) is cls
    assert isinstance(exc, APIError) and isinstance(exc, MirastreamError)
    assert exc.status_code == status
    assert exc.message == message
    assert message in str(exc)
    assert exc.type == "some_type"
    assert exc.code == f"code_{status}"
    assert exc.body == {
        "error": {"message": message, "type": "some_type", "code": f"code_{status}", "param": "p"}
    }
    assert exc.response.status_code == status
    assert exc.response.headers["x-request-id"].startswith("req_")
    for name in ("limit", "remaining", "reset"):
        for kind in ("requests", "tokens"):
            assert exc.response.headers[f"x-ratelimit-{name}-{kind}"]
    assert exc.request is not None and exc.request.url.path == CHAT_PATH
    assert exc.response.is_closed
    assert len(server.requests) == 1


async def test_rate_limit_error_retry_after(flavor: Flavor) -> None:
    recorder = Recorder(
        error_response(429, "Rate limit reached", headers={"retry-after": "7"}),
        error_response(429, "Rate limit reached", headers={"retry-after-ms": "1500"}),
        error_response(429, "Rate limit reached"),
    )
    client = flavor.client(recorder, max_retries=0)
    found = []
    for _ in range(3):
        with pytest.raises(RateLimitError) as info:
            await flavor.completion(client)
        found.append(info.value.retry_after)
    assert found == [7.0, 1.5, None]


async def test_error_body_that_is_not_json(flavor: Flavor) -> None:
    html = "<html><body>502 Bad Gateway</body></html>"
    recorder = Recorder(httpx.Response(502, text=html, headers={"content-type": "text/html"}))
    with pytest.raises(InternalServerError) as info:
        await flavor.completion(flavor.client(recorder, max_retries=0))
    assert info.value.status_code == 502
    assert info.value.body == html
    assert html in info.value.message
    assert info.value.type is None and info.value.code is None


# ---------------------------------------------------------------------------------------
# Retries
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 498, 500, 502, 503, 408, 409])
async def test_retryable_status_then_success(flavor: Flavor, status: int) -> None:
    failure = error_response(status, "busy", headers={"retry-after": "0.01"})
    recorder = Recorder(failure, failure, completion_response)
    client = flavor.client(recorder, max_retries=2)
    completion = await flavor.completion(client)
    assert completion.choices[0].message.content == "Why did the chicken..."
    assert recorder.hits == 3


async def test_retries_stop_after_max_retries(flavor: Flavor) -> None:
    recorder = Recorder(error_response(500, "down", headers={"retry-after": "0.01"}))
    with pytest.raises(InternalServerError):
        await flavor.completion(flavor.client(recorder, max_retries=3))
    assert recorder.hits == 4
    recorder = Recorder(error_response(429, "slow", headers={"retry-after": "0.01"}))
    with pytest.raises(RateLimitError):
        await flavor.completion(flavor.client(recorder, max_retries=0))
    assert recorder.hits == 1


async def test_retry_then_stream(flavor: Flavor) -> None:
    limited = error_response(429, "slow", headers={"retry-after": "0.01"})
    recorder = Recorder(limited, stream_response)
    stream = await flavor.stream(flavor.client(recorder, max_retries=2))
    assert len(await flavor.collect(stream)) == EXPECTED[TEXT].chunks
    assert recorder.hits == 2
    assert recorder.body(0) == recorder.body(1)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422, 424, 499])
async def test_no_retry_on_client_errors(flavor: Flavor, status: int) -> None:
    recorder = Recorder(error_response(status, "bad", headers={"retry-after": "0.01"}))
    with pytest.raises(APIStatusError) as info:
        await flavor.completion(flavor.client(recorder, max_retries=3))
    assert info.value.status_code == status
    assert recorder.hits == 1


async def test_x_should_retry_header_overrides_the_status(flavor: Flavor) -> None:
    no = error_response(503, "down", headers={"x-should-retry": "false", "retry-after": "0.01"})
    recorder = Recorder(no)
    with pytest.raises(InternalServerError):
        await flavor.completion(flavor.client(recorder, max_retries=3))
    assert recorder.hits == 1
    yes = error_response(400, "flaky", headers={"x-should-retry": "true", "retry-after": "0.01"})
    recorder = Recorder(yes, completion_response)
    await flavor.completion(flavor.client(recorder, max_retries=3))
    assert recorder.hits == 2


async def test_retry_after_is_honoured(flavor: Flavor) -> None:
    limited = error_response(429, "slow", headers={"retry-after": "0.25"})
    recorder = Recorder(limited, completion_response)
    client = flavor.client(recorder, max_retries=1)
    started = time.monotonic()
    await flavor.completion(client)
    assert time.monotonic() - started >= 0.25
    assert recorder.hits == 2


async def test_retries_against_the_loopback_server(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(
        ErrorReply(429, "Rate limit reached", type="tokens", headers={"retry-after": "0.01"}),
        ErrorReply(500, "Internal error", headers={"retry-after": "0.01"}),
        ErrorReply(498, "capacity_exceeded", headers={"retry-after": "0.01"}),
        script(JOKE),
    )
    client = flavor.client(base_url=server.base_url, max_retries=3)
    chunks = await flavor.collect(await flavor.stream(client))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == JOKE
    assert len(server.requests) == 4
    assert len({json.dumps(r.body, sort_keys=True) for r in server.requests}) == 1


async def test_connection_errors_are_retried_then_raised(flavor: Flavor) -> None:
    failure = httpx.ConnectError("connection refused")
    recorder = Recorder(failure)
    with pytest.raises(APIConnectionError) as info:
        await flavor.completion(flavor.client(recorder, max_retries=1))
    assert not isinstance(info.value, APITimeoutError)
    assert info.value.__cause__ is failure
    assert recorder.hits == 2
    recorder = Recorder(failure)
    with pytest.raises(APIConnectionError):
        await flavor.completion(flavor.client(recorder, max_retries=0))
    assert recorder.hits == 1


async def test_timeouts_raise_api_timeout_error(flavor: Flavor) -> None:
    failure = httpx.ReadTimeout("timed out")
    recorder = Recorder(failure)
    with pytest.raises(APITimeoutError) as info:
        await flavor.completion(flavor.client(recorder, max_retries=0))
    assert isinstance(info.value, APIConnectionError)
    assert info.value.__cause__ is failure
    assert info.value.request is not None
    assert recorder.hits == 1


async def test_slow_server_times_out(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script("late", faults=Faults(delay_before_headers=0.3)))
    client = flavor.client(base_url=server.base_url, max_retries=0, timeout=0.05)
    with pytest.raises(APITimeoutError):
        await flavor.stream(client)
    assert len(server.requests) == 1


async def test_per_request_timeout_overrides_the_client(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script("late", faults=Faults(delay_before_headers=0.3)))
    client = flavor.client(base_url=server.base_url, max_retries=0, timeout=10.0)
    with pytest.raises(APITimeoutError):
        await flavor.completion(client, timeout=0.05)


async def test_http_client_timeout_is_used_when_no_timeout_is_given(
    flavor: Flavor, server: GroqServer
) -> None:
    server.enqueue(script("late", faults=Faults(delay_before_headers=0.3)))
    http = flavor.http(timeout=0.05)
    client: Groq | AsyncGroq
    if isinstance(http, httpx.AsyncClient):
        client = AsyncGroq(
            api_key=API_KEY, base_url=server.base_url, http_client=http, max_retries=0
        )
    else:
        client = Groq(api_key=API_KEY, base_url=server.base_url, http_client=http, max_retries=0)
    with anyio.fail_after(2), pytest.raises(APITimeoutError):
        await flavor.completion(client)


async def test_no_retry_once_the_stream_body_has_started(
    flavor: Flavor, server: GroqServer
) -> None:
    server.enqueue(script("one two three four five", faults=Faults(drop_after_events=3)))
    client = flavor.client(base_url=server.base_url, max_retries=3)
    stream = await flavor.stream(client)
    chunks, error = await flavor.collect_until_error(stream)
    assert len(chunks) == 3
    assert isinstance(error, StreamInterruptedError)
    assert len(server.requests) == 1


# ---------------------------------------------------------------------------------------
# Non-streamed completions
# ---------------------------------------------------------------------------------------


async def test_completion_is_parsed(flavor: Flavor) -> None:
    recorder = Recorder(completion_response)
    completion = await flavor.completion(flavor.client(recorder))
    assert isinstance(completion, ChatCompletion)
    assert completion.id == "chatcmpl-1"
    assert completion.choices[0].message.content == "Why did the chicken..."
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_time == 0.002
    assert completion.usage.total_tokens == 17
    assert completion.x_groq is not None and completion.x_groq.id == "req_01abc"
    assert completion.to_dict() == COMPLETION


async def test_completion_from_the_loopback_server(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script("Canberra.", reasoning="Capital of Australia?"))
    completion = await flavor.completion(flavor.client(base_url=server.base_url))
    message = completion.choices[0].message
    assert message.content == "Canberra."
    assert message.reasoning == "Capital of Australia?"
    assert completion.usage is not None and completion.usage.prompt_time is not None
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


async def test_completion_with_tool_calls(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script(tool_calls=[("get_weather", {"location": "Paris"})]))
    completion = await flavor.completion(flavor.client(base_url=server.base_url))
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 1
    assert calls[0].function.name == "get_weather"
    assert json.loads(calls[0].function.arguments) == {"location": "Paris"}


@pytest.mark.parametrize("text", ["not json at all", "", '{"truncated": '])
async def test_invalid_json_completion_is_an_api_error(flavor: Flavor, text: str) -> None:
    recorder = Recorder(httpx.Response(200, text=text))
    with pytest.raises(APIError) as info:
        await flavor.completion(flavor.client(recorder))
    assert not isinstance(info.value, APIStatusError)
    assert info.value.request is not None
    assert recorder.hits == 1


async def test_json_reply_with_unknown_fields_is_kept(flavor: Flavor, server: GroqServer) -> None:
    body = {**COMPLETION, "service_tier": "on_demand", "brand_new": [1, 2]}
    server.enqueue(JSONReply(body))
    completion = await flavor.completion(flavor.client(base_url=server.base_url))
    assert completion.service_tier == "on_demand"
    assert completion.brand_new == [1, 2]
    assert completion.to_dict() == body
