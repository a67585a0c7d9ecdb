"""Issue #11: ``reask=N`` and ``fallback=[...]`` on ``groq_call``, through a loopback server.

Every test body runs twice (``flavor``): a plain prompt function with ``Groq`` and an
``async def`` one with ``AsyncGroq``. Clients use ``max_retries=0`` so a 429 or 503 goes
to the fallback model at once (the client's own retries otherwise run first).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from conftest import Flavor
from pydantic import BaseModel

from mirastream import (
    APIStreamError,
    AsyncGroqStream,
    BadRequestError,
    GroqStream,
    GroqTool,
    RateLimitError,
    StreamInterruptedError,
    StructuredOutputError,
    ToolCallError,
    groq_call,
)
from mirastream.groq import AsyncGroq, Groq
from mirastream.recovery._attempts import RecoveredCallResponse
from mirastream.recovery._recovering import AttemptStart
from mirastream.testing import ErrorReply, Faults, GroqServer, ToolCall, Usage, script

pytestmark = pytest.mark.anyio

BIG = "llama-3.3-70b-versatile"  # $0.59 / $0.79 per 1M tokens
SMALL = "llama-3.1-8b-instant"  # $0.05 / $0.08
FAILED = '<function=get_weather{"location": "Paris"}</function>'
TOOL_USE_FAILED = {
    "message": "Failed to call a function. Please adjust your prompt. See 'failed_generation' "
    "for more details.",
    "type": "invalid_request_error",
    "code": "tool_use_failed",
    "failed_generation": FAILED,
}


class Weather(GroqTool):
    """Get the weather in a city."""

    location: str
    days: int

    def call(self) -> str:
        return f"sunny in {self.location} for {self.days} days"


class City(BaseModel):
    """A city."""

    name: str
    population: int


class Harness:
    """Builds and runs a decorated prompt function, sync or async, against the server."""

    def __init__(self, flavor: Flavor, server: GroqServer) -> None:
        self.is_async = flavor.is_async
        self.server = server
        timeout = httpx.Timeout(2.0, read=0.3)
        self._http = httpx.Client(verify=False, timeout=timeout)
        self._ahttp = httpx.AsyncClient(verify=False, timeout=timeout)
        url = server.base_url
        self.client = Groq(api_key="test", base_url=url, http_client=self._http, max_retries=0)
        self.aclient = AsyncGroq(
            api_key="test", base_url=url, http_client=self._ahttp, max_retries=0
        )

    async def call(
        self, prompt: str = "What is the weather in Paris? Answer in JSON.", **settings: Any
    ) -> Any:
        model = settings.pop("model", BIG)
        if self.is_async:

            @groq_call(model, client=self.aclient, **settings)  # type: ignore[untyped-decorator]
            async def ask_async(question: str) -> str:
                return question

            return await ask_async(prompt)

        @groq_call(model, client=self.client, **settings)  # type: ignore[untyped-decorator]
        def ask(question: str) -> str:
            return question

        return ask(prompt)

    async def collect(self, stream: Any) -> list[Any]:
        if self.is_async:
            return [item async for item in stream]
        return list(stream)

    async def close(self) -> None:
        self.client.close()
        await self.aclient.close()
        self._http.close()
        await self._ahttp.aclose()


@pytest.fixture
async def harness(flavor: Flavor) -> AsyncIterator[Harness]:
    with GroqServer() as server:
        runner = Harness(flavor, server)
        yield runner
        await runner.close()
        assert server.errors == []
        assert server.pending == 0


def sent(server: GroqServer, index: int) -> dict[str, Any]:
    body = server.requests[index].body
    assert isinstance(body, dict)
    return body


def usage(prompt: int, completion: int) -> Usage:
    return Usage(prompt_tokens=prompt, completion_tokens=completion)


# --- re-ask ------------------------------------------------------------------------------


async def test_tool_use_failed_400_then_success_non_stream(harness: Harness) -> None:
    harness.server.enqueue(
        ErrorReply(
            400,
            TOOL_USE_FAILED["message"],
            code="tool_use_failed",
            extra={"failed_generation": FAILED},
        ),
        script(
            tool_calls=[ToolCall("Weather", {"location": "Paris", "days": 2})], usage=usage(30, 12)
        ),
    )
    response = await harness.call(tools=[Weather], reask=1)
    assert isinstance(response, RecoveredCallResponse)
    assert isinstance(response.tool, Weather)
    assert response.tool.call() == "sunny in Paris for 2 days"
    first, second = response.attempts
    assert isinstance(first.error, BadRequestError) and first.error.code == "tool_use_failed"
    assert first.response is None and first.cost == 0.0
    assert second.error is None and second.response is response
    # The second request carries the failed generation and the error, after the prompt.
    original = sent(harness.server, 0)["messages"]
    again = sent(harness.server, 1)["messages"]
    assert again[: len(original)] == original
    assert again[len(original)] == {"role": "assistant", "content": FAILED}
    assert again[-1]["role"] == "user"
    assert "Failed to call a function" in again[-1]["content"]
    assert response.usage is not None and response.usage.total_tokens == 42
    assert response.cost == pytest.approx((30 * 0.59 + 12 * 0.79) / 1e6)


async def test_tool_use_failed_in_stream_then_success(harness: Harness) -> None:
    harness.server.enqueue(
        script("Let me check", error=dict(TOOL_USE_FAILED, status_code=400), usage=None),
        script("It is sunny in Paris.", usage=usage(40, 8)),
    )
    stream = await harness.call(stream=True, reask=2)
    assert isinstance(stream, (GroqStream, AsyncGroqStream))
    pairs = await harness.collect(stream)
    starts = [i for i, (chunk, _) in enumerate(pairs) if isinstance(chunk, AttemptStart)]
    assert len(starts) == 1
    marker = pairs[starts[0]][0]
    assert (marker.attempt, marker.model, marker.content) == (1, BIG, "")
    assert isinstance(marker.error, APIStreamError) and marker.error.code == "tool_use_failed"
    before = "".join(chunk.content for chunk, _ in pairs[: starts[0]])
    after = "".join(chunk.content for chunk, _ in pairs[starts[0] + 1 :])
    assert (before, after) == ("Let me check", "It is sunny in Paris.")
    # Accumulated state is the current attempt's only: no text merged across attempts.
    assert stream.content == "It is sunny in Paris."
    assert stream.attempt == 1
    failed, answered = stream.attempts
    assert failed.content == "Let me check" and failed.error is marker.error
    assert answered.error is None and answered.content == stream.content
    assert sent(harness.server, 1)["messages"][-2] == {
        "role": "assistant",
        "content": "Let me check",
    }
    response = stream.construct_call_response()
    assert isinstance(response, RecoveredCallResponse)
    assert len(response.attempts) == 2
    assert response.usage is not None and response.usage.total_tokens == 48


async def test_reask_exhausted_raises_the_last_error(harness: Harness) -> None:
    reply = ErrorReply(
        400,
        "Failed to call a function.",
        code="tool_use_failed",
        extra={"failed_generation": FAILED},
    )
    harness.server.enqueue(reply, reply)
    with pytest.raises(BadRequestError) as caught:
        await harness.call(tools=[Weather], reask=1)
    assert caught.value.code == "tool_use_failed"
    assert len(harness.server.requests) == 2


async def test_invalid_tool_arguments_then_success_non_stream(harness: Harness) -> None:
    harness.server.enqueue(
        script(
            tool_calls=[ToolCall("Weather", {"location": "Paris"}, id="call_bad")],
            usage=usage(20, 5),
        ),
        script(
            tool_calls=[ToolCall("Weather", {"location": "Paris", "days": 3})], usage=usage(35, 6)
        ),
    )
    response = await harness.call(tools=[Weather], reask=1)
    assert response.tool.days == 3
    first = response.attempts[0]
    assert isinstance(first.error, ToolCallError) and first.error.tool_call_id == "call_bad"
    again = sent(harness.server, 1)["messages"]
    assert again[-2]["tool_calls"][0]["id"] == "call_bad"
    assert again[-1]["role"] == "tool" and again[-1]["tool_call_id"] == "call_bad"
    assert "days" in again[-1]["content"]
    assert response.input_tokens == 55 and response.output_tokens == 11


async def test_invalid_tool_arguments_then_success_stream(harness: Harness) -> None:
    harness.server.enqueue(
        script(
            tool_calls=[ToolCall("Weather", {"location": "Paris", "days": "x"})], usage=usage(20, 5)
        ),
        script(
            tool_calls=[ToolCall("Weather", {"location": "Paris", "days": 1})], usage=usage(22, 5)
        ),
    )
    stream = await harness.call(stream=True, tools=[Weather], reask=1)
    pairs = await harness.collect(stream)  # no ToolCallError: the attempt is re-asked
    tools = [tool for _, tool in pairs if tool is not None]
    assert [t.days for t in tools] == [1]
    assert sum(isinstance(chunk, AttemptStart) for chunk, _ in pairs) == 1
    assert isinstance(stream.attempts[0].error, ToolCallError)
    assert stream.usage is not None and stream.usage.total_tokens == 52
    assert stream.cost == pytest.approx((42 * 0.59 + 10 * 0.79) / 1e6)


async def test_without_reask_a_bad_tool_call_still_raises(harness: Harness) -> None:
    harness.server.enqueue(
        script(tool_calls=[ToolCall("Weather", {"location": "Paris"})]),
    )
    stream = await harness.call(stream=True, tools=[Weather], fallback=[SMALL])
    with pytest.raises(ToolCallError):
        await harness.collect(stream)


async def test_response_model_validation_failure_then_success_non_stream(
    harness: Harness,
) -> None:
    harness.server.enqueue(
        script(tool_calls=[ToolCall("City", {"name": "Paris", "population": "many"})]),
        script(tool_calls=[ToolCall("City", {"name": "Paris", "population": 2102650})]),
    )
    city = await harness.call(response_model=City, reask=1)
    assert city == City(name="Paris", population=2102650)
    again = sent(harness.server, 1)
    assert again["tool_choice"] == {"type": "function", "function": {"name": "City"}}
    assert again["messages"][-1]["role"] == "tool"
    assert "population" in again["messages"][-1]["content"]


async def test_response_model_validation_failure_then_success_stream(harness: Harness) -> None:
    bad = json.dumps({"name": "Paris", "population": "many"})
    good = json.dumps({"name": "Paris", "population": 2102650})
    harness.server.enqueue(script(bad, usage=usage(50, 9)), script(good, usage=usage(70, 9)))
    stream = await harness.call(stream=True, response_model=City, reask=1)
    items = await harness.collect(stream)
    final = items[-1]
    assert final == City(name="Paris", population=2102650)
    assert stream.final is final
    # The first attempt's partials are left as they were; the second starts afresh.
    names = [item.name for item in items]
    assert names.count("Paris") >= 2
    assert stream.attempt == 1
    assert isinstance(stream.attempts[0].error, StructuredOutputError)
    again = sent(harness.server, 1)["messages"]
    assert again[-2] == {"role": "assistant", "content": bad}
    assert again[-1]["role"] == "user" and "population" in again[-1]["content"]
    assert stream.usage is not None and stream.usage.total_tokens == 138


async def test_response_model_stream_out_of_reasks_raises(harness: Harness) -> None:
    bad = json.dumps({"name": "Paris"})
    harness.server.enqueue(script(bad), script(bad))
    stream = await harness.call(stream=True, response_model=City, reask=1)
    with pytest.raises(StructuredOutputError):
        await harness.collect(stream)
    assert len(harness.server.requests) == 2


# --- fallback ----------------------------------------------------------------------------


async def test_429_then_fallback_answer_non_stream(harness: Harness) -> None:
    harness.server.enqueue(
        ErrorReply(429, "Rate limit reached for model", type="tokens", code="rate_limit_exceeded"),
        script("Sunny.", model=SMALL, usage=usage(100, 10)),
    )
    response = await harness.call(fallback=[SMALL])
    assert isinstance(response, RecoveredCallResponse)
    assert response.model == SMALL
    assert [sent(harness.server, i)["model"] for i in (0, 1)] == [BIG, SMALL]
    assert sent(harness.server, 1)["messages"] == sent(harness.server, 0)["messages"]
    assert isinstance(response.attempts[0].error, RateLimitError)
    assert response.cost == pytest.approx((100 * 0.05 + 10 * 0.08) / 1e6)  # SMALL's price
    assert response.cost_metadata.input_price == 0.05


async def test_429_then_fallback_answer_stream(harness: Harness) -> None:
    harness.server.enqueue(
        ErrorReply(429, "Rate limit reached for model", type="tokens", code="rate_limit_exceeded"),
        script("Sunny.", model=SMALL, usage=usage(100, 10)),
    )
    stream = await harness.call(stream=True, fallback=[SMALL])
    pairs = await harness.collect(stream)
    # A fallback before any byte is not a new attempt for the consumer: nothing was shown.
    assert not any(isinstance(chunk, AttemptStart) for chunk, _ in pairs)
    assert stream.content == "Sunny."
    assert stream.model == SMALL
    assert stream.cost == pytest.approx((100 * 0.05 + 10 * 0.08) / 1e6)
    assert len(stream.attempts) == 2


@pytest.mark.parametrize("status", [498, 503])
async def test_capacity_errors_fall_back_in_order(harness: Harness, status: int) -> None:
    harness.server.enqueue(
        ErrorReply(status, "Capacity exceeded", code="capacity_exceeded"),
        ErrorReply(status, "Capacity exceeded", code="capacity_exceeded"),
        script("Third time.", model="openai/gpt-oss-20b"),
    )
    response = await harness.call(fallback=[SMALL, "openai/gpt-oss-20b"])
    assert response.model == "openai/gpt-oss-20b"
    assert [a.model for a in response.attempts] == [BIG, SMALL, "openai/gpt-oss-20b"]


async def test_timeout_before_the_first_byte_falls_back(harness: Harness) -> None:
    harness.server.enqueue(
        script("late", faults=Faults(delay_before_headers=0.6)),
        script("Sunny.", model=SMALL),
    )
    stream = await harness.call(stream=True, fallback=[SMALL])
    await harness.collect(stream)
    assert stream.content == "Sunny." and stream.model == SMALL


async def test_stream_cut_before_its_first_chunk_falls_back(harness: Harness) -> None:
    harness.server.enqueue(
        script("never", faults=Faults(drop_after_events=0)),
        script("Sunny.", model=SMALL, usage=usage(10, 2)),
    )
    stream = await harness.call(stream=True, fallback=[SMALL])
    pairs = await harness.collect(stream)
    assert not any(isinstance(chunk, AttemptStart) for chunk, _ in pairs)  # nothing was shown
    assert (stream.content, stream.model, stream.attempt) == ("Sunny.", SMALL, 0)
    first, _ = stream.attempts
    assert isinstance(first.error, StreamInterruptedError) and first.model == BIG


async def test_stream_cut_midway_is_not_retried(harness: Harness) -> None:
    harness.server.enqueue(script("Sunny in Paris today.", faults=Faults(drop_after_events=3)))
    stream = await harness.call(stream=True, fallback=[SMALL], reask=1)
    with pytest.raises(StreamInterruptedError):
        await harness.collect(stream)
    assert len(harness.server.requests) == 1


async def test_no_fallback_for_other_errors(harness: Harness) -> None:
    harness.server.enqueue(ErrorReply(400, "'messages' : minimum number of items is 1"))
    with pytest.raises(BadRequestError):
        await harness.call(fallback=[SMALL], reask=2)
    assert len(harness.server.requests) == 1


async def test_last_fallback_error_is_raised(harness: Harness) -> None:
    reply = ErrorReply(429, "Rate limit reached", type="tokens", code="rate_limit_exceeded")
    harness.server.enqueue(reply, reply)
    with pytest.raises(RateLimitError):
        await harness.call(fallback=[SMALL])


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="reask"):
        groq_call(BIG, reask=-1)
    with pytest.raises(ValueError, match="fallback"):
        groq_call(BIG, fallback=[""])


_: Callable[..., Any] = groq_call


def test_partial_tools_with_recovery_is_refused() -> None:
    from mirastream import groq_call

    with pytest.raises(TypeError, match="partial_tools"):
        groq_call(BIG, stream={"partial_tools": True}, reask=1)
    with pytest.raises(TypeError, match="partial_tools"):
        groq_call(BIG, stream={"partial_tools": True}, fallback=[SMALL])
    groq_call(BIG, stream={"partial_tools": True})  # alone, it is fine
