"""The dict-backed wire types of ``mirastream.groq.types``.

They must read like the groq SDK's pydantic models (checked field by field against the
SDK over every fixture chunk), keep every unknown field, serialise, compare, pickle, and
the fast ``chunk_from_json`` builder must agree with the public constructor.
"""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest
from conftest import FIXTURE_NAMES, fixture_bytes
from groq.types.chat import ChatCompletion as SDKChatCompletion
from groq.types.chat import ChatCompletionChunk as SDKChatCompletionChunk
from pydantic import BaseModel
from typing_extensions import assert_type

from mirastream.groq.types import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    Choice,
    ChoiceDelta,
    ChoiceDeltaToolCall,
    CompletionUsage,
    Function,
    XGroq,
    chunk_from_json,
)


def fixture_objects(name: str) -> list[dict[str, Any]]:
    """The JSON object of every chunk (``data: {...}`` line) of a fixture."""
    lines = fixture_bytes(name).split(b"\n")
    return [
        json.loads(line[6:])
        for line in lines
        if line.startswith(b"data: {") and not line.startswith(b'data: {"error"')
    ]


ALL_CHUNKS = [
    (name, i, obj) for name in FIXTURE_NAMES for i, obj in enumerate(fixture_objects(name))
]

COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1771002001,
    "model": "llama-3.3-70b-versatile",
    "system_fingerprint": "fp_0123456789",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "reasoning": "Need weather.",
                "tool_calls": [
                    {
                        "id": "tk85n1k4m",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'},
                    }
                ],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
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
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 3},
    },
    "x_groq": {"id": "req_01abc", "seed": 42},
    "service_tier": "on_demand",
}


def assert_reads_like_sdk(ours: Any, theirs: Any, path: str = "") -> None:
    """Every field the SDK model exposes (declared and extra) reads the same on ours."""
    if isinstance(theirs, BaseModel):
        names = list(type(theirs).model_fields) + list(theirs.model_extra or {})
        assert names
        for name in names:
            here = f"{path}.{name}"
            assert_reads_like_sdk(getattr(ours, name), getattr(theirs, name), here)
    elif isinstance(theirs, list):
        assert isinstance(ours, list), path
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_reads_like_sdk(a, b, f"{path}[{i}]")
    else:
        assert ours == theirs, path
        assert type(ours) is type(theirs), path


# ---------------------------------------------------------------------------------------
# Reading like the groq SDK
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_chunks_read_like_the_sdk(name: str) -> None:
    for obj in fixture_objects(name):
        theirs = SDKChatCompletionChunk.construct(**copy.deepcopy(obj))
        assert_reads_like_sdk(ChatCompletionChunk(obj), theirs)
        assert_reads_like_sdk(chunk_from_json(copy.deepcopy(obj)), theirs)


def test_completion_reads_like_the_sdk() -> None:
    # Every SDK field, including those absent here (mcp_list_tools, usage_breakdown,
    # message.annotations, message.function_call), reads as the SDK reads it.
    theirs = SDKChatCompletion.construct(**copy.deepcopy(COMPLETION))
    assert_reads_like_sdk(ChatCompletion(copy.deepcopy(COMPLETION)), theirs)


def test_attribute_access_on_a_chunk() -> None:
    objs = fixture_objects("03_tool_call_single.sse")
    first, call, last = (ChatCompletionChunk(o) for o in objs)
    assert first.id == "chatcmpl-c41f6e08-93ad-4b25-8e7c-0a5d2b9f16e3"
    assert first.object == "chat.completion.chunk"
    assert first.model == "llama-3.3-70b-versatile"
    assert first.choices[0].delta.role == "assistant"
    assert first.choices[0].delta.content is None
    assert first.choices[0].finish_reason is None
    assert first.choices[0].index == 0
    assert first.x_groq is not None
    assert first.x_groq.id == "req_01kmz4zr2ke5f1w8b6t0m3q9ns"
    assert first.x_groq.seed == 702114583
    assert first.x_groq.usage is None
    assert first.usage is None
    tool_calls = call.choices[0].delta.tool_calls
    assert tool_calls is not None
    (tool_call,) = tool_calls
    assert isinstance(tool_call, ChoiceDeltaToolCall)
    assert (tool_call.index, tool_call.id, tool_call.type) == (0, "m2x7q9k4v", "function")
    assert tool_call.function is not None
    assert tool_call.function.name == "get_weather"
    assert tool_call.function.arguments == '{"location":"Paris, France","unit":"celsius"}'
    assert call.choices[0].delta.tool_calls == tool_calls  # a fresh, equal view each time
    assert last.choices[0].finish_reason == "tool_calls"
    assert last.x_groq is not None and isinstance(last.x_groq.usage, CompletionUsage)
    assert last.x_groq.usage.total_time == 0.063755916
    assert last.usage == last.x_groq.usage


def test_usage_details() -> None:
    usage = ChatCompletion(COMPLETION).usage
    assert usage is not None
    assert usage.cached_tokens == 4
    assert usage.reasoning_tokens == 3
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 4
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 3
    bare = CompletionUsage({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})
    assert bare.cached_tokens is None and bare.reasoning_tokens is None
    assert bare.queue_time is None and bare.prompt_tokens_details is None


def test_completion_attribute_access() -> None:
    completion = ChatCompletion(COMPLETION)
    choice = completion.choices[0]
    assert isinstance(choice, ChatCompletionChoice)
    assert choice.finish_reason == "tool_calls"
    message = choice.message
    assert isinstance(message, ChatCompletionMessage)
    assert (message.role, message.content, message.reasoning) == (
        "assistant",
        None,
        "Need weather.",
    )
    assert message.tool_calls is not None
    call = message.tool_calls[0]
    assert isinstance(call, ChatCompletionMessageToolCall)
    assert isinstance(call.function, Function)
    assert json.loads(call.function.arguments) == {"location": "Paris"}
    assert completion.x_groq is not None and completion.x_groq.seed == 42
    assert completion.service_tier == "on_demand"


# ---------------------------------------------------------------------------------------
# Required fields are typed (and behave) as non-optional
# ---------------------------------------------------------------------------------------


def test_required_fields_are_non_optional() -> None:
    completion = ChatCompletion(COMPLETION)
    assert_type(completion.choices, list[ChatCompletionChoice])
    assert_type(completion.choices[0].message, ChatCompletionMessage)
    assert_type(completion.choices[0].message.content, str | None)
    assert_type(completion.usage, CompletionUsage | None)
    chunk = ChatCompletionChunk(fixture_objects("01_text_xgroq_usage.sse")[0])
    assert_type(chunk.choices, list[Choice])
    assert_type(chunk.choices[0].delta, ChoiceDelta)
    assert_type(chunk.choices[0].delta.content, str | None)
    assert_type(chunk.x_groq, XGroq | None)
    # And at run time, an object missing them still reads as empty, never as None.
    empty = ChatCompletion({})
    assert empty.choices == []
    assert ChatCompletion({"choices": None}).choices == []
    bare_choice = ChatCompletionChoice({"index": 0})
    assert isinstance(bare_choice.message, ChatCompletionMessage)
    assert bare_choice.message.content is None
    assert ChatCompletionChunk({}).choices == []
    assert isinstance(Choice({"index": 0}).delta, ChoiceDelta)
    assert ChatCompletionMessageToolCall({"id": "x"}).function.name is None


# ---------------------------------------------------------------------------------------
# Unknown fields are kept
# ---------------------------------------------------------------------------------------


def test_unknown_fields_from_fixtures_are_kept() -> None:
    reasoning = ChatCompletionChunk(fixture_objects("05_reasoning_gpt_oss.sse")[1])
    assert reasoning.choices[0].delta.channel == "analysis"
    assert reasoning.to_dict()["choices"][0]["delta"]["channel"] == "analysis"
    trailer = ChatCompletionChunk(fixture_objects("02_text_include_usage.sse")[-1])
    assert trailer.service_tier == "on_demand"
    assert trailer.choices == []
    assert trailer.to_dict()["service_tier"] == "on_demand"


def test_unknown_fields_at_every_level_are_readable_and_serialised() -> None:
    obj = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "brand_new": {"nested": [1, 2]},
        "choices": [
            {
                "index": 0,
                "delta": {"content": "x", "citations": ["a"]},
                "finish_reason": None,
                "choice_extra": True,
            }
        ],
        "x_groq": {"id": "req_1", "region": "fra", "usage": {"total_tokens": 3, "gpu_ms": 5}},
    }
    chunk = ChatCompletionChunk(copy.deepcopy(obj))
    assert chunk.brand_new == {"nested": [1, 2]}
    assert chunk.choices[0].choice_extra is True
    assert chunk.choices[0].delta.citations == ["a"]
    assert chunk.x_groq is not None and chunk.x_groq.region == "fra"
    assert chunk.x_groq.usage is not None and chunk.x_groq.usage.gpu_ms == 5
    assert chunk.to_dict() == obj
    assert json.loads(chunk.to_json()) == obj
    assert chunk == chunk_from_json(copy.deepcopy(obj))
    assert chunk != ChatCompletionChunk({k: v for k, v in obj.items() if k != "brand_new"})


def test_absent_unknown_field_raises_attribute_error() -> None:
    delta = ChoiceDelta({"content": "x"})
    assert delta.channel is None  # declared: None when absent
    with pytest.raises(AttributeError):
        delta.not_a_field  # noqa: B018
    assert getattr(delta, "not_a_field", "default") == "default"
    assert not hasattr(delta, "__not_dunder__")


# ---------------------------------------------------------------------------------------
# Serialisation, equality, pickling
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_to_dict_round_trips_every_chunk(name: str) -> None:
    for obj in fixture_objects(name):
        chunk = ChatCompletionChunk(copy.deepcopy(obj))
        assert chunk.to_dict() == obj
        assert chunk.model_dump() == obj
        assert ChatCompletionChunk(chunk.to_dict()) == chunk
        assert json.loads(chunk.to_json()) == obj
        assert json.loads(chunk.model_dump_json()) == obj


def test_to_dict_is_a_deep_copy() -> None:
    chunk = ChatCompletionChunk(fixture_objects("01_text_xgroq_usage.sse")[1])
    data = chunk.to_dict()
    data["choices"][0]["delta"]["content"] = "changed"
    data["id"] = "changed"
    assert chunk.choices[0].delta.content == "Ol"
    assert chunk.id != "changed"
    assert chunk.to_dict()["choices"][0]["delta"]["content"] == "Ol"


def test_exclude_none_drops_nulls_recursively() -> None:
    chunk = ChatCompletionChunk(fixture_objects("01_text_xgroq_usage.sse")[1])
    dumped = chunk.to_dict(exclude_none=True)
    assert "logprobs" not in dumped["choices"][0]
    assert "finish_reason" not in dumped["choices"][0]
    assert chunk.model_dump(exclude_none=True) == dumped
    assert "logprobs" in chunk.to_dict()["choices"][0]


def test_json_output_formats() -> None:
    chunk = ChatCompletionChunk(fixture_objects("05_reasoning_gpt_oss.sse")[-3])
    compact = chunk.model_dump_json()
    assert "\n" not in compact and ", " not in compact.replace('", "', "")
    assert json.loads(chunk.to_json()) == json.loads(compact) == chunk.to_dict()
    text = ChatCompletionChunk({"choices": [{"delta": {"content": "\u00d7 \u00e9"}}]}).to_json()
    assert "\u00d7 \u00e9" in text  # raw UTF-8, not \u escapes


def test_equality() -> None:
    obj = fixture_objects("01_text_xgroq_usage.sse")[2]
    a = ChatCompletionChunk(copy.deepcopy(obj))
    b = ChatCompletionChunk(copy.deepcopy(obj))
    assert a == b
    assert (a != b) is False
    changed = copy.deepcopy(obj)
    changed["choices"][0]["delta"]["content"] = "other"
    assert a != ChatCompletionChunk(changed)
    assert a != obj  # a view is not its dict
    assert ChatCompletion({"id": "x"}) != ChatCompletionChunk({"id": "x"})
    assert ChoiceDelta({"content": "a"}) == ChoiceDelta(content="a")
    with pytest.raises(TypeError):
        hash(a)


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip(protocol: int) -> None:
    for name in ("03_tool_call_single.sse", "05_reasoning_gpt_oss.sse"):
        for obj in fixture_objects(name):
            chunk = chunk_from_json(copy.deepcopy(obj))
            clone = pickle.loads(pickle.dumps(chunk, protocol=protocol))
            assert type(clone) is ChatCompletionChunk
            assert clone == chunk
            assert clone.to_dict() == obj
            for mine, theirs in zip(clone.choices, chunk.choices, strict=True):
                assert (mine.index, mine.finish_reason) == (theirs.index, theirs.finish_reason)
                assert mine.delta.content == theirs.delta.content
                assert mine.delta.reasoning == theirs.delta.reasoning
                assert mine.delta.role == theirs.delta.role
    completion = ChatCompletion(copy.deepcopy(COMPLETION))
    clone_completion = pickle.loads(pickle.dumps(completion, protocol=protocol))
    assert clone_completion == completion
    assert clone_completion.choices[0].message.reasoning == "Need weather."
    delta = ChoiceDelta({"content": "c", "role": "assistant", "channel": "analysis"})
    clone_delta = pickle.loads(pickle.dumps(delta, protocol=protocol))
    assert (clone_delta.content, clone_delta.role, clone_delta.channel) == (
        "c",
        "assistant",
        "analysis",
    )


def test_copy_and_deepcopy() -> None:
    chunk = chunk_from_json(fixture_objects("01_text_xgroq_usage.sse")[0])
    for clone in (copy.copy(chunk), copy.deepcopy(chunk)):
        assert clone == chunk
        assert clone.choices[0].delta.role == "assistant"


def test_repr_names_the_type_and_fields() -> None:
    text = repr(ChoiceDelta({"content": "hi", "channel": "analysis"}))
    assert text.startswith("ChoiceDelta(")
    assert "content='hi'" in text and "channel='analysis'" in text


# ---------------------------------------------------------------------------------------
# Construction
# ---------------------------------------------------------------------------------------


def test_keyword_construction_and_aliases() -> None:
    delta = ChoiceDelta(content="a", role="assistant")
    assert (delta.content, delta.role, delta.reasoning) == ("a", "assistant", None)
    merged = ChoiceDelta({"content": "a", "reasoning": "r"}, content="b")
    assert (merged.content, merged.reasoning) == ("b", "r")
    chunk = ChatCompletionChunk(id="c", choices=[{"index": 0, "delta": {"content": "x"}}])
    assert chunk.choices[0].delta.content == "x"
    data = fixture_objects("01_text_xgroq_usage.sse")[0]
    assert ChatCompletionChunk.model_validate(data) == ChatCompletionChunk(data)
    assert ChatCompletionChunk.from_dict(data) == ChatCompletionChunk(data)
    assert ChatCompletion.model_validate(COMPLETION).choices[0].index == 0


def _slots(chunk: ChatCompletionChunk) -> list[tuple[Any, ...]]:
    return [
        (c.index, c.finish_reason, c.delta.content, c.delta.reasoning, c.delta.role, c.delta)
        for c in chunk.choices
    ]


@pytest.mark.parametrize(
    ("name", "i", "obj"), ALL_CHUNKS, ids=[f"{n}:{i}" for n, i, _ in ALL_CHUNKS]
)
def test_chunk_from_json_equals_the_constructor(name: str, i: int, obj: dict[str, Any]) -> None:
    fast = chunk_from_json(copy.deepcopy(obj))
    slow = ChatCompletionChunk(copy.deepcopy(obj))
    assert fast == slow
    assert type(fast) is type(slow) is ChatCompletionChunk
    assert _slots(fast) == _slots(slow)
    assert fast.to_dict() == slow.to_dict() == obj
    assert fast.choices == slow.choices


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"choices": None},
        {"choices": []},
        {"choices": [{}]},
        {"choices": [{"delta": None, "finish_reason": "stop"}]},
        {"choices": [{"index": 2, "delta": {"content": None, "role": "assistant"}}]},
        {
            "choices": [
                {"index": 0, "delta": {"reasoning": "r"}},
                {"index": 1, "delta": {"content": "c"}, "finish_reason": "length"},
            ]
        },
    ],
    ids=["empty", "null-choices", "no-choices", "empty-choice", "null-delta", "index", "two"],
)
def test_chunk_from_json_equals_the_constructor_on_odd_shapes(obj: dict[str, Any]) -> None:
    fast = chunk_from_json(copy.deepcopy(obj))
    slow = ChatCompletionChunk(copy.deepcopy(obj))
    assert fast == slow
    assert _slots(fast) == _slots(slow)
    assert fast.to_dict() == obj


# ---------------------------------------------------------------------------------------
# SDK-style nested construction, checked against the groq SDK
# ---------------------------------------------------------------------------------------

SDK_MODULES = {
    "groq.types.chat.chat_completion_chunk": {},
    "groq.types.chat.chat_completion": {"Choice": "ChatCompletionChoice"},
    "groq.types.chat.chat_completion_message": {},
    "groq.types.chat.chat_completion_message_tool_call": {},
    "groq.types.chat.chat_completion_token_logprob": {},
    "groq.types.completion_usage": {},
}
# Names one flat module cannot hold twice: the chunk's Choice/ChoiceLogprobs/XGroq... are
# mirastream's; the completion's x_groq.usage (the SDK's XGroqUsage) is a CompletionUsage,
# which also declares its dram/sram_cached_tokens.
NOT_MIRRORED = {"XGroqUsage"}


def _sdk_namespace() -> dict[str, Any]:
    """Our type names mapped to the SDK's classes (the chunk's module wins on clashes)."""
    import importlib

    names: dict[str, Any] = {}
    for module_name, renames in reversed(list(SDK_MODULES.items())):
        module = importlib.import_module(module_name)
        for name in module.__all__:
            names[renames.get(name, name)] = getattr(module, name)
    return names


def _our_namespace() -> dict[str, Any]:
    import mirastream.groq.types as types

    return {name: getattr(types, name) for name in types.__all__}


def test_every_sdk_response_type_has_a_counterpart() -> None:
    ours = _our_namespace()
    missing = sorted(set(_sdk_namespace()) - set(ours) - NOT_MIRRORED)
    assert missing == []


def _build_chunk(t: dict[str, Any]) -> Any:
    usage = t["CompletionUsage"](
        prompt_tokens=12,
        completion_tokens=5,
        total_tokens=17,
        prompt_time=0.002,
        prompt_tokens_details=t["PromptTokensDetails"](cached_tokens=4),
        completion_tokens_details=t["CompletionTokensDetails"](reasoning_tokens=3),
    )
    search = t["ExecutedToolSearchResults"](
        results=[
            t["ExecutedToolSearchResultsResult"](
                title="Tokyo weather", url="https://example.com/t", content="Sunny", score=0.93
            )
        ],
        images=["https://example.com/i.png"],
    )
    chart = t["ExecutedToolCodeResultChart"](
        type="bar",
        title="Rain",
        elements=[t["ExecutedToolCodeResultChartElement"](label="Mon", value=2.5)],
    )
    executed = [
        t["ExecutedTool"](
            index=0, type="search", arguments='{"query":"tokyo"}', search_results=search
        ),
        t["ExecutedTool"](
            index=1,
            type="browser",
            arguments="{}",
            browser_results=[t["ExecutedToolBrowserResult"](title="T", url="https://e.com")],
        ),
        t["ExecutedTool"](
            index=2,
            type="python",
            arguments='{"code":"1+1"}',
            output="2",
            code_results=[t["ExecutedToolCodeResult"](text="2", chart=chart, charts=[chart])],
        ),
    ]
    delta = t["ChoiceDelta"](
        role="assistant",
        content="Sunny [1]",
        reasoning="look it up",
        tool_calls=[
            t["ChoiceDeltaToolCall"](
                index=0,
                id="call_1",
                type="function",
                function=t["ChoiceDeltaToolCallFunction"](name="get_weather", arguments="{}"),
            )
        ],
        executed_tools=executed,
        annotations=[
            t["Annotation"](
                type="function_citation",
                function_citation=t["AnnotationFunctionCitation"](
                    tool_call_id="call_1", start_index=6, end_index=9
                ),
            )
        ],
        function_call=t["ChoiceDeltaFunctionCall"](name="f", arguments="{}"),
    )
    logprobs = t["ChoiceLogprobs"](
        content=[
            t["ChatCompletionTokenLogprob"](
                token="Sun",
                logprob=-0.1,
                bytes=[83, 117, 110],
                top_logprobs=[t["TopLogprob"](token="Sun", logprob=-0.1)],
            )
        ]
    )
    return t["ChatCompletionChunk"](
        id="chatcmpl-1",
        object="chat.completion.chunk",
        created=1771002001,
        model="groq/compound",
        system_fingerprint="fp_1",
        choices=[t["Choice"](index=0, delta=delta, finish_reason="stop", logprobs=logprobs)],
        usage=usage,
        x_groq=t["XGroq"](
            id="req_1",
            seed=7,
            usage=usage,
            debug=t["XGroqDebug"](input_tokens=["a"]),
            usage_breakdown=t["UsageBreakdown"](
                models=[t["UsageBreakdownModel"](model="openai/gpt-oss-120b", usage=usage)]
            ),
        ),
    )


def _build_completion(t: dict[str, Any]) -> Any:
    message = t["ChatCompletionMessage"](
        role="assistant",
        content=None,
        tool_calls=[
            t["ChatCompletionMessageToolCall"](
                id="call_1",
                type="function",
                function=t["Function"](name="get_weather", arguments='{"city":"Paris"}'),
            )
        ],
        executed_tools=[t["ExecutedTool"](index=0, type="search", arguments="{}", output="ok")],
        annotations=[
            t["Annotation"](
                type="document_citation",
                document_citation=t["AnnotationDocumentCitation"](
                    document_id="d1", start_index=0, end_index=2
                ),
            )
        ],
        function_call=t["FunctionCall"](name="f", arguments="{}"),
    )
    mcp = t["McpListTool"](
        id="mcp_1",
        server_label="docs",
        type="mcp_list_tools",
        tools=[t["McpListToolTool"](name="search", input_schema={"type": "object"})],
    )
    return t["ChatCompletion"](
        mcp_list_tools=[mcp],
        id="chatcmpl-2",
        object="chat.completion",
        created=1,
        model="llama-3.3-70b-versatile",
        choices=[t["ChatCompletionChoice"](index=0, message=message, finish_reason="tool_calls")],
        usage=t["CompletionUsage"](prompt_tokens=1, completion_tokens=2, total_tokens=3),
    )


@pytest.mark.parametrize("build", [_build_chunk, _build_completion])
def test_nested_construction_matches_the_sdk(build: Any) -> None:
    ours, theirs = build(_our_namespace()), build(_sdk_namespace())
    # The SDK keeps what was set (its model_dump() adds None for every unset field);
    # ours holds exactly the JSON that was given.
    assert ours.to_dict() == theirs.model_dump(exclude_unset=True)
    assert ours.model_dump() == theirs.model_dump(exclude_unset=True)
    assert ours.model_dump(exclude_none=True) == theirs.model_dump(exclude_none=True)
    assert json.loads(ours.model_dump_json()) == json.loads(
        theirs.model_dump_json(exclude_unset=True)
    )
    assert_reads_like_sdk(ours, theirs)
    # Built from keywords or parsed from the same JSON: the same object.
    parsed = type(ours)(json.loads(json.dumps(ours.to_dict())))
    assert parsed == ours
    assert pickle.loads(pickle.dumps(ours)) == ours


def test_nested_construction_gives_the_parsed_chunk() -> None:
    chunk = _build_chunk(_our_namespace())
    parsed = chunk_from_json(json.loads(chunk.to_json()))
    assert parsed == chunk
    assert _slots(parsed) == _slots(chunk)
    delta = chunk.choices[0].delta
    assert (delta.content, delta.reasoning, chunk.choices[0].finish_reason) == (
        "Sunny [1]",
        "look it up",
        "stop",
    )
    # Mixed forms: dicts and views side by side, tuples as lists.
    mixed = ChatCompletionChunk(
        id="c", choices=({"index": 0, "delta": ChoiceDelta(content="x")}, Choice(index=1))
    )
    assert mixed.to_dict() == {
        "id": "c",
        "choices": [{"index": 0, "delta": {"content": "x"}}, {"index": 1}],
    }
    assert [c.delta.content for c in mixed.choices] == ["x", None]


def test_executed_tool_results_are_typed_like_the_sdk() -> None:
    chunk = _build_chunk(_our_namespace())
    tools = chunk.choices[0].delta.executed_tools
    assert tools is not None
    search = tools[0].search_results
    assert search is not None and search.results is not None
    hit = search.results[0]
    assert (hit.title, hit.url, hit.content, hit.score) == (
        "Tokyo weather",
        "https://example.com/t",
        "Sunny",
        0.93,
    )
    assert search.images == ["https://example.com/i.png"]
    assert tools[0].browser_results is None and tools[0].code_results is None
    browser = tools[1].browser_results
    assert browser is not None and browser[0].url == "https://e.com"
    assert browser[0].live_view_url is None
    code = tools[2].code_results
    assert code is not None and code[0].text == "2"
    assert code[0].chart is not None and code[0].chart.elements[0].value == 2.5
    assert code[0].charts is not None and code[0].charts[0].type == "bar"
    annotations = chunk.choices[0].delta.annotations
    assert annotations is not None and annotations[0].function_citation is not None
    assert annotations[0].function_citation.end_index == 9
    logprobs = chunk.choices[0].logprobs
    assert logprobs is not None and logprobs.content is not None
    assert logprobs.content[0].top_logprobs[0].token == "Sun"


def test_model_construct_like_the_sdk() -> None:
    from groq.types.chat.chat_completion_chunk import ChoiceDelta as SDKChoiceDelta

    for name in ("model_construct", "construct"):
        ours = getattr(ChoiceDelta, name)(content="x", tool_calls=[ChoiceDeltaToolCall(index=0)])
        theirs = getattr(SDKChoiceDelta, name)(content="x", tool_calls=[{"index": 0}])
        assert ours.to_dict() == theirs.model_dump(exclude_unset=True)
        assert ours == ChoiceDelta({"content": "x", "tool_calls": [{"index": 0}]})
        assert ours.content == "x"
