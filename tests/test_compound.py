"""Compound models and built-in tools, bytes in through the loopback server.

* ``executed_tools`` (with typed ``search_results``, ``browser_results``,
  ``code_results``), ``annotations`` and ``logprobs`` read as the groq SDK reads them
  (the SDK is pointed at the same server, with the same bytes), on chunks, on messages,
  and on the high-level stream, chunk and response;
* the fold keeps them in the completion rebuilt from a stream, as the non-stream
  response has them;
* built-in tool dicts in ``tools=`` go to the wire unchanged next to function tools,
  merged with ``call_params["tools"]``, and never become tool instances.

No capture of a compound stream exists (groq-wire.md §12); the bodies below follow the
SDK's types in Groq's framing: a tool is announced (index, type, arguments), then a later
delta for the same index carries its output and results.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import groq
import httpx
import pytest
from conftest import Flavor
from test_wire_types import assert_reads_like_sdk

from mirastream import AsyncGroqStream, GroqCallResponse, GroqStream, groq_call
from mirastream.groq import AsyncGroq, Groq
from mirastream.groq.types import ChatCompletion, ExecutedTool
from mirastream.testing import GroqServer, JSONReply, SSEReply, go_json

pytestmark = pytest.mark.anyio

MODEL = "groq/compound"
SEARCH_ARGS = '{"query":"weather in Tokyo today"}'
SEARCH_RESULTS = {
    "results": [
        {
            "title": "Tokyo Weather Forecast",
            "url": "https://weather.example.com/tokyo",
            "content": "Sunny, 21 °C",
            "score": 0.93,
        },
        {"title": "JMA", "url": "https://jma.example.jp", "content": "Clear", "score": 0.71},
    ]
}
CODE_RESULTS = [{"text": "21.0"}]
USAGE = {"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940, "total_time": 1.2}
ANNOTATION = {
    "type": "function_citation",
    "function_citation": {"tool_call_id": "0", "start_index": 13, "end_index": 24},
}


def _token(token: str) -> dict[str, Any]:
    return {"token": token, "logprob": -0.25, "bytes": list(token.encode()), "top_logprobs": []}


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    logprobs = extra.pop("logprobs", None)
    return {
        "id": "chatcmpl-c0mp0und",
        "object": "chat.completion.chunk",
        "created": 1771004000,
        "model": MODEL,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}],
        **extra,
    }


PAYLOADS = [
    _chunk({"role": "assistant", "content": ""}, x_groq={"id": "req_01compound"}),
    _chunk({"reasoning": "I should search."}),
    _chunk({"executed_tools": [{"index": 0, "type": "search", "arguments": SEARCH_ARGS}]}),
    _chunk(
        {
            "executed_tools": [
                {
                    "index": 0,
                    "type": "search",
                    "arguments": SEARCH_ARGS,
                    "output": "Title: Tokyo Weather Forecast ...",
                    "search_results": SEARCH_RESULTS,
                }
            ]
        }
    ),
    _chunk(
        {
            "executed_tools": [
                {
                    "index": 1,
                    "type": "python",
                    "arguments": '{"code":"print(21.0)"}',
                    "output": "21.0",
                    "code_results": CODE_RESULTS,
                }
            ]
        }
    ),
    _chunk({"content": "It is sunny, "}, logprobs={"content": [_token("It"), _token(" is")]}),
    _chunk(
        {"content": "21 °C today.", "annotations": [ANNOTATION]},
        logprobs={"content": [_token(" 21")]},
    ),
    _chunk(
        {},
        "stop",
        x_groq={
            "id": "req_01compound",
            "usage": USAGE,
            "usage_breakdown": {"models": [{"model": "openai/gpt-oss-120b", "usage": USAGE}]},
        },
        usage=USAGE,
    ),
]
BODY = ("".join(f"data: {go_json(p)}\n\n" for p in PAYLOADS) + "data: [DONE]\n\n").encode()

# What the same request returns without streaming: the fold must rebuild this.
EXECUTED = [
    {
        "index": 0,
        "type": "search",
        "arguments": SEARCH_ARGS,
        "output": "Title: Tokyo Weather Forecast ...",
        "search_results": SEARCH_RESULTS,
    },
    {
        "index": 1,
        "type": "python",
        "arguments": '{"code":"print(21.0)"}',
        "output": "21.0",
        "code_results": CODE_RESULTS,
    },
]
MESSAGE = {
    "role": "assistant",
    "content": "It is sunny, 21 °C today.",
    "reasoning": "I should search.",
    "executed_tools": EXECUTED,
    "annotations": [ANNOTATION],
}
LOGPROBS = {"content": [_token("It"), _token(" is"), _token(" 21")]}


def _check_executed(tools: list[ExecutedTool]) -> None:
    search, python = tools
    assert search.search_results is not None and search.search_results.results is not None
    first = search.search_results.results[0]
    assert (first.url, first.title, first.content, first.score) == (
        "https://weather.example.com/tokyo",
        "Tokyo Weather Forecast",
        "Sunny, 21 °C",
        0.93,
    )
    assert search.browser_results is None and search.code_results is None
    assert python.code_results is not None and python.code_results[0].text == "21.0"
    assert (python.index, python.type, python.output) == (1, "python", "21.0")


# ---------------------------------------------------------------------------------------
# Low level: chunks read as the SDK reads them, from the same bytes
# ---------------------------------------------------------------------------------------


async def test_compound_chunks_read_like_the_sdk(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(SSEReply(BODY), SSEReply(BODY))
    client = flavor.client(base_url=server.base_url)
    ours = await flavor.collect(await flavor.stream(client, model=MODEL))
    with httpx.Client() as http:
        sdk = groq.Groq(api_key="gsk_x", base_url=server.base_url, http_client=http)
        theirs = list(sdk.chat.completions.create(messages=[], model=MODEL, stream=True))
    assert len(ours) == len(theirs) == len(PAYLOADS)
    for mine, sdk_chunk in zip(ours, theirs, strict=True):
        assert_reads_like_sdk(mine, sdk_chunk)
    tools = ours[3].choices[0].delta.executed_tools
    assert tools is not None
    assert tools[0].search_results is not None and tools[0].search_results.results is not None
    assert tools[0].search_results.results[1].url == "https://jma.example.jp"
    annotations = ours[6].choices[0].delta.annotations
    assert annotations is not None and annotations[0].function_citation is not None
    assert annotations[0].function_citation.start_index == 13
    breakdown = ours[-1].x_groq.usage_breakdown if ours[-1].x_groq else None
    assert breakdown is not None and breakdown.models is not None
    assert breakdown.models[0].model == "openai/gpt-oss-120b"


async def test_compound_completion_reads_like_the_sdk(flavor: Flavor, server: GroqServer) -> None:
    body = _completion()
    server.enqueue(JSONReply(body), JSONReply(body))
    ours = await flavor.completion(flavor.client(base_url=server.base_url), model=MODEL)
    with httpx.Client() as http:
        sdk = groq.Groq(api_key="gsk_x", base_url=server.base_url, http_client=http)
        theirs = sdk.chat.completions.create(messages=[], model=MODEL)
    assert_reads_like_sdk(ours, theirs)
    executed = ours.choices[0].message.executed_tools
    assert executed is not None
    _check_executed(executed)


def _completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-c0mp0und",
        "object": "chat.completion",
        "created": 1771004000,
        "model": MODEL,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": copy.deepcopy(MESSAGE),
                "logprobs": copy.deepcopy(LOGPROBS),
                "finish_reason": "stop",
            }
        ],
        "usage": USAGE,
        "x_groq": {"id": "req_01compound", "usage": USAGE},
    }


# ---------------------------------------------------------------------------------------
# High level: the stream, its chunks and the response
# ---------------------------------------------------------------------------------------


def get_weather(city: str) -> str:
    """Get the weather in a city.

    Args:
        city: The city.
    """
    return f"sunny in {city}"


async def _high_level(
    flavor: Flavor, server: GroqServer, *, stream: bool, tools: list[Any], **kw: Any
) -> Any:
    client = flavor.client(base_url=server.base_url)
    call: Any = groq_call  # `stream` is a bool here, not a literal an overload could pick
    if flavor.is_async:
        assert isinstance(client, AsyncGroq)

        async def ask_async() -> str:
            return "Weather in Tokyo?"

        return await call(MODEL, stream=stream, tools=tools, client=client, **kw)(ask_async)()
    assert isinstance(client, Groq)

    def ask() -> str:
        return "Weather in Tokyo?"

    return call(MODEL, stream=stream, tools=tools, client=client, **kw)(ask)()


async def _pairs(stream: GroqStream | AsyncGroqStream) -> list[Any]:
    if isinstance(stream, AsyncGroqStream):
        return [pair async for pair in stream]
    return list(stream)


BUILTINS = [{"type": "browser_search"}, {"type": "code_interpreter"}]


async def test_stream_keeps_executed_tools_and_builtins_go_out_unchanged(
    flavor: Flavor, server: GroqServer
) -> None:
    server.enqueue(SSEReply(BODY))
    raw_function = {"type": "function", "function": {"name": "lookup", "parameters": {}}}
    stream = await _high_level(
        flavor,
        server,
        stream=True,
        tools=[get_weather, *BUILTINS],
        call_params={"tools": [raw_function], "temperature": 0},
    )
    pairs = await _pairs(stream)
    # Sent: tools= in order (function schema, built-ins unchanged), then call_params'.
    sent = server.requests[-1].body
    assert sent["tools"][1:] == [*BUILTINS, raw_function]
    assert sent["tools"][0]["function"]["name"] == "get_weather"
    assert sent["temperature"] == 0
    # Every chunk once, in order; no built-in ever becomes a tool.
    assert [chunk.chunk.to_dict() for chunk, _ in pairs] == PAYLOADS
    assert all(tool is None for _, tool in pairs)
    assert pairs[3][0].executed_tools is not None
    assert pairs[3][0].executed_tools[0].search_results is not None
    assert pairs[0][0].executed_tools is None
    _check_executed(stream.executed_tools)

    response = stream.construct_call_response()
    assert isinstance(response, GroqCallResponse)
    _check_executed(response.executed_tools)
    assert response.tools == []
    # The fold rebuilt what the non-stream response has: executed tools merged by index,
    # annotations and logprobs concatenated.
    choice = response.response.to_dict()["choices"][0]
    assert choice["message"] == MESSAGE
    assert choice["logprobs"] == LOGPROBS
    assert response.response.choices[0].logprobs is not None
    expected = ChatCompletion(_completion())
    assert response.response.choices[0].message == expected.choices[0].message
    assert response.response.choices[0].logprobs == expected.choices[0].logprobs


async def test_response_exposes_executed_tools(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(JSONReply(_completion()))
    response = await _high_level(flavor, server, stream=False, tools=[*BUILTINS])
    assert server.requests[-1].body["tools"] == BUILTINS
    assert isinstance(response, GroqCallResponse)
    _check_executed(response.executed_tools)
    assert response.tools == [] and response.tool is None


async def test_a_builtin_named_in_tool_calls_stays_raw(flavor: Flavor, server: GroqServer) -> None:
    # Should a server report a built-in tool as a tool call, it stays raw: no tool, no error.
    call = {
        "id": "bs_1",
        "type": "function",
        "function": {"name": "browser_search", "arguments": '{"q":"x"}'},
        "index": 0,
    }
    payloads = [
        _chunk({"role": "assistant", "content": None}),
        _chunk({"tool_calls": [call]}),
        _chunk({}, "tool_calls"),
    ]
    body = "".join(f"data: {go_json(p)}\n\n" for p in payloads) + "data: [DONE]\n\n"
    server.enqueue(SSEReply(body))
    stream = await _high_level(flavor, server, stream=True, tools=[get_weather, BUILTINS[0]])
    pairs = await _pairs(stream)
    assert [tool for _, tool in pairs] == [None, None, None]
    assert [c.function.name for c in stream.tool_calls] == ["browser_search"]
    assert stream.construct_call_response().tools == []


def test_tool_dicts_are_checked() -> None:
    from mirastream.tools._toolkit import Toolkit

    with pytest.raises(ValueError, match="needs a 'type'"):
        Toolkit([{"name": "x"}])
    with pytest.raises(ValueError, match="function"):
        Toolkit([{"type": "function", "function": {}}])
    with pytest.raises(ValueError, match="two tools are named 'get_weather'"):
        Toolkit([get_weather, {"type": "function", "function": {"name": "get_weather"}}])
    kit = Toolkit([{"type": "browser_search"}, get_weather])
    assert kit.schemas[0] == {"type": "browser_search"}
    assert kit.names == ("get_weather",) and kit.dict_tools == ({"type": "browser_search"},)
    assert json.loads(json.dumps(kit.schemas))[1]["function"]["name"] == "get_weather"
