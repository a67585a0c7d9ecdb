"""``StreamFold`` (sans-IO): chunks in, one answer out.

The fixtures in ``shared/fixtures/groq_sse`` are decoded with ``ChunkDecoder`` from pieces
cut at random offsets (and byte by byte) and folded; the result must be what the
fixtures README states. Synthetic chunks pin down the rules the fixtures cannot show:
usage is recorded (never summed), ``x_groq.usage`` wins over the top-level ``usage``,
tool calls are assembled from OpenAI-style fragments and completed at the right chunk.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mirastream._fold import StreamFold, ToolCallAssembly
from mirastream.errors import APIStreamError
from mirastream.groq import ChunkDecoder
from mirastream.groq.types import ChatCompletionChunk

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "groq_sse"


# ---------------------------------------------------------------------------------------
# The README's folded results, written out by hand (an oracle independent of any parser).
# ---------------------------------------------------------------------------------------


def _usage(
    prompt: int,
    completion: int,
    queue: float,
    prompt_time: float,
    completion_time: float,
    total_time: float,
    reasoning: int | None = None,
) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "queue_time": queue,
        "prompt_tokens": prompt,
        "prompt_time": prompt_time,
        "completion_tokens": completion,
        "completion_time": completion_time,
        "total_tokens": prompt + completion,
        "total_time": total_time,
    }
    if reasoning is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return usage


@dataclass(frozen=True)
class Fx:
    name: str
    model: str
    id: str
    request_id: str
    seed: int | None
    fingerprint: str
    created: int
    chunks: int
    content: str
    reasoning: str = ""
    finish_reasons: tuple[str, ...] = ("stop",)
    usage: dict[str, Any] | None = None
    tool_calls: tuple[tuple[str, str, str], ...] = ()  # (id, name, raw arguments)
    channel: str | None = None
    error_code: str | None = None
    trailer: bool = False  # ends with the include_usage ``choices: []`` chunk
    extra: dict[str, Any] = field(default_factory=dict)


FIXTURES: dict[str, Fx] = {
    f.name: f
    for f in [
        Fx(
            "01_text_xgroq_usage.sse",
            model="llama-3.1-8b-instant",
            id="chatcmpl-0b5e8f3a-2c41-4d9e-8a67-3f1d2e9c4b70",
            request_id="req_01kmz4q8d3e7s9v2w5x6y1ab0c",
            seed=None,
            fingerprint="fp_4c7a9e21d0",
            created=1771002001,
            chunks=14,
            content='Olá! In French, it\'s "Bonjour".',
            usage=_usage(44, 12, 0.021543876, 0.002310455, 0.016, 0.018310455),
        ),
        Fx(
            "02_text_include_usage.sse",
            model="llama-3.3-70b-versatile",
            id="chatcmpl-7d2a91c4-5e3b-4f80-b1a6-c9e4d7f20358",
            request_id="req_01kmz4vx6qe2t8r4n9p3h7gc5d",
            seed=1843302291,
            fingerprint="fp_9b31e5c7a2",
            created=1771002105,
            chunks=27,
            content=(
                "Low latency keeps conversations natural: replies in < 100 ms feel instant."
                "\n\nIt also lets agents chain many calls quickly."
            ),
            usage=_usage(51, 24, 0.187532114, 0.004611052, 0.061538462, 0.066149514),
            trailer=True,
        ),
        Fx(
            "03_tool_call_single.sse",
            model="llama-3.3-70b-versatile",
            id="chatcmpl-c41f6e08-93ad-4b25-8e7c-0a5d2b9f16e3",
            request_id="req_01kmz4zr2ke5f1w8b6t0m3q9ns",
            seed=702114583,
            fingerprint="fp_9b31e5c7a2",
            created=1771002230,
            chunks=3,
            content="",
            finish_reasons=("tool_calls",),
            usage=_usage(236, 24, 0.038211907, 0.011582003, 0.052173913, 0.063755916),
            tool_calls=(
                ("m2x7q9k4v", "get_weather", '{"location":"Paris, France","unit":"celsius"}'),
            ),
        ),
        Fx(
            "04_tool_calls_parallel.sse",
            model="llama-3.1-8b-instant",
            id="chatcmpl-5a8e2d7b-0f14-4c6a-9d3e-b72c81f4e609",
            request_id="req_01kmz53cw9f4y6h2j8k1r5v7tp",
            seed=1290447716,
            fingerprint="fp_4c7a9e21d0",
            created=1771002344,
            chunks=5,
            content="",
            finish_reasons=("tool_calls",),
            usage=_usage(301, 41, 0.052907731, 0.00721453, 0.034166667, 0.041381197),
            tool_calls=(
                ("p4n8w2r6t", "get_weather", '{"location":"Tokyo, Japan"}'),
                ("h7c3z5j9s", "get_local_time", '{"timezone":"Asia/Tokyo"}'),
            ),
            trailer=True,
        ),
        Fx(
            "05_reasoning_gpt_oss.sse",
            model="openai/gpt-oss-20b",
            id="chatcmpl-e93b07d5-8a2c-4e1f-a6b4-1d0c5f7e28a9",
            request_id="req_01kmz56n3bf8d0q5s2v9x4c7hw",
            seed=917240138,
            fingerprint="fp_ef00694abe",
            created=1771002458,
            chunks=33,
            content="17 \u00d7 23 = **391**",
            reasoning="The user asks for 17 times 23. 17*20=340, 17*3=51, sum 391.",
            usage=_usage(78, 31, 0.016902214, 0.003557195, 0.031313131, 0.034870326, 23),
            channel="analysis",
            trailer=True,
        ),
        Fx(
            "06_reasoning_qwen_parsed.sse",
            model="qwen/qwen3-32b",
            id="chatcmpl-2f6d8b13-c7e9-4a05-9b21-6e4a3c0d8f57",
            request_id="req_01kmz5a4fhe1m7r3t9w6y2b8kd",
            seed=1535227641,
            fingerprint="fp_78ac7f3229",
            created=1771002571,
            chunks=28,
            content="The capital of Australia is **Canberra**.",
            reasoning="Okay, the user wants the capital of Australia. It's Canberra, not Sydney.\n",
            usage=_usage(19, 27, 0.171721454, 0.000792801, 0.07804878, 0.078841581, 17),
        ),
        Fx(
            "07_error_event_midstream.sse",
            model="llama-3.3-70b-versatile",
            id="chatcmpl-8c1e4a7f-3d9b-4b62-a0e5-f27d6c91b34e",
            request_id="req_01kmz5e0tmf3b9c5g1n7p4s2vx",
            seed=388120947,
            fingerprint="fp_9b31e5c7a2",
            created=1771002690,
            chunks=9,
            content="Let me check the weather for you.",
            finish_reasons=(),
            error_code="tool_use_failed",
        ),
        Fx(
            "08_reasoning_length_cutoff.sse",
            model="openai/gpt-oss-20b",
            id="chatcmpl-4b7f0e2a-61c8-4d39-87fa-3e5b9d1c0a64",
            request_id="req_01kmz5hq8nf6c2d4k8r0t3w5ya",
            seed=604418273,
            fingerprint="fp_ef00694abe",
            created=1771002803,
            chunks=18,
            content="",
            reasoning="We need to list all primes below 100. Start: 2, 3, 5",
            finish_reasons=("length",),
            usage=_usage(73, 16, 0.018630552, 0.003401876, 0.016187042, 0.019588918, 16),
            channel="analysis",
        ),
    ]
}
NAMES = sorted(FIXTURES)


def test_every_fixture_file_has_an_expectation() -> None:
    assert sorted(p.name for p in FIXTURES_DIR.glob("*.sse")) == NAMES


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def pieces(body: bytes, how: str) -> list[bytes]:
    """Cut a body: whole, byte by byte, or at 25 random offsets (``random-<seed>``)."""
    if how == "whole":
        return [body]
    if how == "bytes":
        return [body[i : i + 1] for i in range(len(body))]
    rng = random.Random(f"{how}:{len(body)}")
    offsets = sorted(rng.sample(range(1, len(body)), 25))
    bounds = [0, *offsets, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds)]


@dataclass
class Folded:
    fold: StreamFold
    chunks: list[ChatCompletionChunk]
    completed: list[tuple[int, list[ToolCallAssembly]]]  # (chunk index, calls completed)
    ended: list[ToolCallAssembly]
    error: BaseException | None


def fold_pieces(parts: list[bytes]) -> Folded:
    """Decode with ``ChunkDecoder`` and fold chunk by chunk, as a stream would."""
    decoder = ChunkDecoder()
    fold = StreamFold()
    chunks: list[ChatCompletionChunk] = []
    completed: list[tuple[int, list[ToolCallAssembly]]] = []
    for part in parts:
        for chunk in decoder.feed(part):
            done = fold.add(chunk)
            if done:
                completed.append((len(chunks), done))
            chunks.append(chunk)
    if not decoder.stopped:
        decoder.end()
    return Folded(fold, chunks, completed, fold.end(), decoder.error)


def fold_fixture(name: str, how: str = "whole") -> Folded:
    return fold_pieces(pieces((FIXTURES_DIR / name).read_bytes(), how))


def fold_chunks(*chunks: ChatCompletionChunk) -> StreamFold:
    fold = StreamFold()
    for chunk in chunks:
        fold.add(chunk)
    return fold


def make_chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish: str | None = None,
    choices: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> ChatCompletionChunk:
    """A synthetic chunk in Groq's envelope."""
    data: dict[str, Any] = {
        "id": "chatcmpl-synthetic",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "llama-3.3-70b-versatile",
        "system_fingerprint": "fp_synthetic",
        "choices": choices
        if choices is not None
        else [{"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish}],
    }
    data.update(extra)
    return ChatCompletionChunk(data)


def tool_delta(index: int, **fields: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, **fields}]}


def args_delta(index: int, arguments: str) -> dict[str, Any]:
    return tool_delta(index, function={"arguments": arguments})


def usage_dict(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


# ---------------------------------------------------------------------------------------
# Every fixture, cut every which way, folds to the README's result.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["whole", "random-1", "random-2", "random-3", "bytes"])
@pytest.mark.parametrize("name", NAMES)
def test_fixture_folds_to_readme_result(name: str, how: str) -> None:
    fx = FIXTURES[name]
    result = fold_fixture(name, how)
    fold = result.fold

    assert fold.chunk_count == len(result.chunks) == fx.chunks
    assert fold.content == fx.content
    assert fold.reasoning == fx.reasoning
    assert fold.finish_reasons == list(fx.finish_reasons)
    assert fold.id == fx.id
    assert fold.model == fx.model
    assert fold.channel == fx.channel
    usage = fold.usage
    if fx.usage is None:
        assert usage is None
    else:
        assert usage is not None
        assert usage.to_dict() == fx.usage
    assert [(c.id, "".join(c.name), "".join(c.arguments)) for c in fold.tool_calls] == list(
        fx.tool_calls
    )
    assert all(c.done for c in fold.tool_calls)
    xgroq = fold.x_groq
    assert xgroq.get("id") == fx.request_id
    assert xgroq.get("seed") == fx.seed
    if fx.error_code is None:
        assert result.error is None
    else:
        assert isinstance(result.error, APIStreamError)
        assert result.error.code == fx.error_code


@pytest.mark.parametrize("name", NAMES)
def test_completion_is_the_faithful_chat_completion(name: str) -> None:
    fx = FIXTURES[name]
    result = fold_fixture(name, "random-1")
    completion = result.fold.completion()
    first = result.chunks[0]

    assert completion.object == "chat.completion"
    assert completion.id == fx.id
    # ``created`` is the first chunk's (02, 05, 06 tick by a second mid-stream), never 0.
    assert completion.created == first.created == fx.created
    assert completion.model == fx.model
    assert completion.system_fingerprint == fx.fingerprint
    assert completion.x_groq is not None
    assert completion.x_groq.id == fx.request_id
    assert completion.x_groq.seed == fx.seed
    # service_tier rides on the include_usage trailer only.
    assert completion.service_tier == ("on_demand" if fx.trailer else None)
    (choice,) = completion.choices
    assert choice.index == 0
    assert choice.finish_reason == (fx.finish_reasons[-1] if fx.finish_reasons else None)
    message = choice.message
    assert message.role == "assistant"
    assert message.content == (fx.content or None)
    assert (message.reasoning or "") == fx.reasoning
    calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
    assert calls == list(fx.tool_calls)
    if fx.usage is None:
        assert completion.usage is None
        assert completion.x_groq.usage is None
        assert "usage" not in completion.to_dict()
    else:
        assert completion.usage is not None and completion.x_groq.usage is not None
        assert completion.usage.to_dict() == fx.usage
        assert completion.x_groq.usage.to_dict() == fx.usage


@pytest.mark.parametrize("name", NAMES)
def test_message_is_the_assistant_message_as_the_api_returns_it(name: str) -> None:
    fx = FIXTURES[name]
    message = fold_fixture(name).fold.message()
    expected: dict[str, Any] = {"role": "assistant", "content": fx.content or None}
    if fx.reasoning:
        expected["reasoning"] = fx.reasoning
    if fx.channel is not None:
        expected["channel"] = fx.channel
    if fx.tool_calls:
        expected["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
            for i, n, a in fx.tool_calls
        ]
    assert message == expected


# ---------------------------------------------------------------------------------------
# Usage: recorded, never summed; x_groq.usage first.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["02_text_include_usage.sse", "04_tool_calls_parallel.sse", "05_reasoning_gpt_oss.sse"]
)
def test_the_usage_trailer_never_counts_twice(name: str) -> None:
    fx = FIXTURES[name]
    assert fx.trailer and fx.usage is not None
    result = fold_fixture(name)
    trailer = result.chunks[-1]
    # The fixture does carry usage three times: x_groq + top level on the finish chunk,
    # and again on the ``choices: []`` trailer.
    assert trailer.choices == []
    assert trailer.usage is not None and trailer.usage.to_dict() == fx.usage
    finish = result.chunks[-2]
    assert finish.usage is not None and finish.x_groq is not None
    assert finish.x_groq.usage is not None

    usage = result.fold.usage
    assert usage is not None
    assert usage.prompt_tokens == fx.usage["prompt_tokens"]
    assert usage.completion_tokens == fx.usage["completion_tokens"]
    assert usage.total_tokens == fx.usage["total_tokens"]
    assert usage.total_time == fx.usage["total_time"]

    # Folding everything but the trailer gives the very same answer; the trailer only
    # brings its service_tier.
    without = fold_chunks(*result.chunks[:-1])
    assert without.usage is not None and without.usage.to_dict() == usage.to_dict()
    with_trailer = result.fold.completion().to_dict()
    assert with_trailer.pop("service_tier") == "on_demand"
    assert without.completion().to_dict() == with_trailer
    # The trailer resets nothing: tool calls and finish reasons stay as they were.
    assert result.fold.finish_reasons == list(fx.finish_reasons)
    assert len(result.fold.tool_calls) == len(fx.tool_calls)


def test_a_repeated_trailer_still_counts_once() -> None:
    usage = usage_dict(10, 5)
    fold = fold_chunks(
        make_chunk({"role": "assistant", "content": "hi"}),
        make_chunk(finish="stop", x_groq={"id": "req_1", "usage": usage}, usage=usage),
        make_chunk(choices=[], usage=usage),
        make_chunk(choices=[], usage=usage),
    )
    assert fold.usage is not None
    assert fold.usage.to_dict() == usage


def test_x_groq_usage_wins_over_top_level_usage() -> None:
    xgroq_usage = usage_dict(40, 4)
    fold = fold_chunks(
        make_chunk({"content": "a"}),
        make_chunk(finish="stop", x_groq={"id": "req_1", "usage": xgroq_usage}),
        make_chunk(choices=[], usage=usage_dict(99, 99)),
    )
    assert fold.usage is not None
    assert fold.usage.to_dict() == xgroq_usage
    completion = fold.completion()
    assert completion.usage is not None and completion.usage.to_dict() == xgroq_usage


def test_top_level_usage_is_used_when_x_groq_has_none() -> None:
    top = usage_dict(12, 3)
    fold = fold_chunks(
        make_chunk({"content": "a"}, x_groq={"id": "req_1"}),
        make_chunk(finish="stop"),
        make_chunk(choices=[], usage=top),
    )
    assert fold.usage is not None
    assert fold.usage.to_dict() == top
    assert fold.completion().usage is not None


def test_usage_is_none_until_it_arrives() -> None:
    fold = StreamFold()
    fold.add(make_chunk({"role": "assistant", "content": "x"}))
    assert fold.usage is None
    assert "usage" not in fold.completion().to_dict()


# ---------------------------------------------------------------------------------------
# Tool calls: assembled by index, completed at the right chunk.
# ---------------------------------------------------------------------------------------


def test_a_whole_tool_call_completes_on_its_own_chunk() -> None:
    result = fold_fixture("03_tool_call_single.sse")
    # Chunk 1 (0-based) carries the call whole; nothing else completes anything.
    assert [(i, [c.index for c in calls]) for i, calls in result.completed] == [(1, [0])]
    assert result.ended == []


def test_parallel_calls_complete_one_per_chunk_and_the_trailer_changes_nothing() -> None:
    result = fold_fixture("04_tool_calls_parallel.sse")
    assert [(i, [c.index for c in calls]) for i, calls in result.completed] == [
        (1, [0]),
        (2, [1]),
    ]
    assert result.ended == []
    assert [call.to_dict() for call in result.fold.tool_calls] == [
        {
            "id": "p4n8w2r6t",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"location":"Tokyo, Japan"}'},
        },
        {
            "id": "h7c3z5j9s",
            "type": "function",
            "function": {"name": "get_local_time", "arguments": '{"timezone":"Asia/Tokyo"}'},
        },
    ]


def test_openai_style_fragments_are_assembled_and_complete_when_the_json_closes() -> None:
    fold = StreamFold()
    header = tool_delta(0, id="call_a", type="function", function={"name": "get_", "arguments": ""})
    assert not fold.add(make_chunk(header))
    assert not fold.add(make_chunk(tool_delta(0, function={"name": "weather"})))
    for piece in ['{"loc', 'ation": "Pa', 'ris"']:
        assert not fold.add(make_chunk(args_delta(0, piece)))
    # A later fragment with another id does not replace the first non-null id.
    done = fold.add(make_chunk(tool_delta(0, id="call_other", function={"arguments": "}"})))
    assert done is not None
    assert [c.to_dict() for c in done] == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'},
        }
    ]
    # The finish chunk completes nothing more.
    assert not fold.add(make_chunk(finish="tool_calls"))
    assert fold.end() == []


def test_a_brace_inside_a_string_still_gives_the_exact_call_by_the_finish_chunk() -> None:
    # Completeness is checked by brace balance (documented in _fold.py): a brace inside a
    # string may delay completion, but never past the finish chunk, and never garbles it.
    fold = StreamFold()
    fold.add(make_chunk(tool_delta(0, id="c0", function={"name": "say", "arguments": ""})))
    assert not fold.add(make_chunk(args_delta(0, '{"text": "a}')))
    early = fold.add(make_chunk(args_delta(0, '"}')))
    late = fold.add(make_chunk(finish="tool_calls"))
    done = [*(early or []), *(late or [])]
    assert len(done) == 1
    assert "".join(done[0].arguments) == '{"text": "a}"}'
    assert fold.end() == []


def test_the_next_index_completes_the_call_before_it() -> None:
    fold = StreamFold()
    fold.add(make_chunk(tool_delta(0, id="c0", function={"name": "a", "arguments": "not json"})))
    done = fold.add(make_chunk(tool_delta(1, id="c1", function={"name": "b", "arguments": ""})))
    assert done is not None
    assert [c.index for c in done] == [0]
    done = fold.add(make_chunk(finish="tool_calls"))
    assert done is not None
    assert [c.index for c in done] == [1]
    assert [c.to_dict()["function"]["arguments"] for c in fold.tool_calls] == ["not json", ""]


def test_the_end_of_the_stream_completes_open_calls() -> None:
    fold = StreamFold()
    fold.add(make_chunk(tool_delta(0, id="c0", function={"name": "ping", "arguments": ""})))
    assert [c.done for c in fold.tool_calls] == [False]
    ended = fold.end()
    assert [c.index for c in ended] == [0]
    assert fold.end() == []  # once
    assert fold.tool_calls[0].to_dict() == {
        "id": "c0",
        "type": "function",
        "function": {"name": "ping", "arguments": ""},
    }


# ---------------------------------------------------------------------------------------
# Text, reasoning, choices, envelope.
# ---------------------------------------------------------------------------------------


def test_content_read_mid_stream_stays_exact_as_more_arrives() -> None:
    fold = StreamFold()
    expected = ""
    for i in range(50):
        piece = f"p{i} "
        fold.add(make_chunk({"content": piece, "reasoning": f"r{i}"}))
        expected += piece
        if i % 7 == 0:
            assert fold.content == expected
            assert fold.reasoning == "".join(f"r{j}" for j in range(i + 1))
    assert fold.content == expected
    assert fold.content == expected  # reading twice changes nothing


def test_only_choice_zero_is_folded_into_the_answer() -> None:
    fold = fold_chunks(
        make_chunk(
            choices=[
                {"index": 1, "delta": {"content": "other"}, "finish_reason": None},
                {"index": 0, "delta": {"content": "main"}, "finish_reason": None},
            ]
        )
    )
    assert fold.content == "main"


def test_the_envelope_comes_from_the_first_chunk_and_x_groq_keeps_first_values() -> None:
    fold = fold_chunks(
        make_chunk({"role": "assistant", "content": ""}, x_groq={"id": "req_a", "seed": 7}),
        make_chunk({"content": "x"}, created=1700000001, system_fingerprint="fp_later"),
        make_chunk(finish="stop", x_groq={"id": "req_a", "usage": usage_dict(1, 1)}),
    )
    completion = fold.completion()
    assert completion.created == 1700000000
    assert completion.system_fingerprint == "fp_synthetic"
    assert completion.x_groq is not None
    assert (completion.x_groq.id, completion.x_groq.seed) == ("req_a", 7)
    assert fold.x_groq == {"id": "req_a", "seed": 7, "usage": usage_dict(1, 1)}


def test_an_empty_fold() -> None:
    fold = StreamFold()
    assert (fold.content, fold.reasoning, fold.finish_reasons) == ("", "", [])
    assert fold.usage is None and fold.id is None and fold.model is None
    assert fold.tool_calls == [] and fold.chunk_count == 0
    assert fold.message() == {"role": "assistant", "content": None}
