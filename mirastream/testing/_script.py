"""Scripted replies: describe a completion in a few fields, serve it in Groq's framing.

``Script`` says what the model answers; ``_frames`` turns it into exact bytes (streamed)
or a ``chat.completion`` body (not streamed); ``ScriptReply`` adds how to deliver it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mirastream.testing._replies import NO_FAULTS, Chunking, Faults, _check_chunking

__all__ = [
    "Script",
    "ScriptReply",
    "ToolCall",
    "Usage",
    "script",
]

# Word-ish pieces with their leading whitespace, like tokenizer output (" latency", "!").
# Every character matches one alternative, so the pieces always join back to the text.
_TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")
# Rough Groq decode speed, only used to make up a plausible completion_time.
_TOKENS_PER_SECOND = 500.0


@dataclass(frozen=True)
class ToolCall:
    """A tool call the scripted model makes.

    Attributes:
        name: The function name.
        arguments: The arguments, as a mapping (sent as compact JSON) or the exact string.
        id: The call id; a Groq-style id is generated when ``None``.
    """

    name: str
    arguments: Mapping[str, Any] | str = "{}"
    id: str | None = None

    def arguments_json(self) -> str:
        """Return the arguments string exactly as it goes on the wire."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Usage:
    """Token counts and timings of a scripted completion.

    ``total_tokens`` and ``total_time`` are derived (``prompt + completion``; queue time is
    not part of ``total_time``, as with Groq).

    Attributes:
        prompt_tokens: Prompt token count.
        completion_tokens: Completion token count; ``None`` counts the scripted pieces.
        queue_time: Seconds queued.
        prompt_time: Seconds spent on the prompt.
        completion_time: Seconds spent generating; ``None`` derives it from the count.
        cached_tokens: Adds ``prompt_tokens_details.cached_tokens`` when set.
        reasoning_tokens: Adds ``completion_tokens_details.reasoning_tokens`` when set;
            ``None`` counts the reasoning pieces when the script has reasoning.
    """

    prompt_tokens: int = 18
    completion_tokens: int | None = None
    queue_time: float = 0.017321908
    prompt_time: float = 0.001234567
    completion_time: float | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None

    def to_dict(
        self, counted_tokens: int = 0, counted_reasoning: int | None = None
    ) -> dict[str, Any]:
        """Return the usage object in Groq's key order.

        Args:
            counted_tokens: Completion tokens to report when ``completion_tokens`` is unset.
            counted_reasoning: Reasoning tokens to report when ``reasoning_tokens`` is unset.

        Returns:
            The usage mapping.
        """
        completion = (
            self.completion_tokens if self.completion_tokens is not None else counted_tokens
        )
        completion_time = self.completion_time
        if completion_time is None:
            completion_time = completion / _TOKENS_PER_SECOND
        # Rounded to the nanosecond like Groq's figures, so the sum prints cleanly too.
        prompt_time = round(self.prompt_time, 9)
        completion_time = round(completion_time, 9)
        usage: dict[str, Any] = {
            "queue_time": round(self.queue_time, 9),
            "prompt_tokens": self.prompt_tokens,
            "prompt_time": prompt_time,
            "completion_tokens": completion,
            "completion_time": completion_time,
            "total_tokens": self.prompt_tokens + completion,
            "total_time": round(prompt_time + completion_time, 9),
        }
        if self.cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": self.cached_tokens}
        reasoning = (
            self.reasoning_tokens if self.reasoning_tokens is not None else counted_reasoning
        )
        if reasoning is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": min(reasoning, completion)}
        return usage


@dataclass(frozen=True)
class Script:
    """What a scripted model answers; rendered as a Groq stream or a non-stream completion.

    Text given as a ``str`` is split into token-like pieces (each with its leading
    whitespace); a sequence of strings is used as the exact pieces.

    Attributes:
        text: The answer content.
        reasoning: Reasoning sent before the content as ``delta.reasoning``.
        channel: Sent with every reasoning delta, e.g. ``"analysis"`` as gpt-oss does.
        tool_calls: Calls made after the content: ``ToolCall`` or ``(name, arguments)``.
        fragment_arguments: ``None`` sends each call whole in one delta (Groq's behaviour);
            an int sends it OpenAI-style: a header delta with empty arguments, then the
            arguments in pieces of this many characters.
        model: The ``model`` field.
        usage: Usage numbers; ``None`` sends no usage at all.
        top_level_usage: Also put usage at the top level of the finish chunk (current Groq);
            ``False`` gives the older shape with usage only under ``x_groq``.
        include_usage: Add the ``choices: []`` usage trailer; ``None`` follows the request's
            ``stream_options.include_usage`` (no trailer when rendered without a request).
        finish_reason: Defaults to ``"tool_calls"`` when there are tool calls, else ``"stop"``.
        seed: ``x_groq.seed`` on the first chunk; ``"auto"`` makes one up, ``None`` leaves
            it out (as older captures do).
        error: Ends the stream with an ``event: error`` frame holding this inner error
            object (a ``str`` is the message of an ``internal_server_error``) and no
            ``[DONE]``. Served without streaming it becomes an HTTP error response.
        error_after: How many deltas go out before the error (default: all of them).
        done: Whether ``data: [DONE]`` ends the stream.
        request_id: ``x_groq.id`` (and the ``x-request-id`` header); made up when ``None``.
        completion_id: The ``id`` field; made up when ``None``.
        system_fingerprint: Made up when ``None``.
        created: Unix time of the first chunk; now when ``None``.
        tick_every: Advance ``created`` by a second every this many chunks, as real streams
            do; ``None`` keeps it constant.
    """

    text: str | Sequence[str] = ""
    reasoning: str | Sequence[str] | None = None
    channel: str | None = None
    tool_calls: Sequence[ToolCall | tuple[str, Mapping[str, Any] | str]] = ()
    fragment_arguments: int | None = None
    model: str = "llama-3.3-70b-versatile"
    usage: Usage | None = Usage()
    top_level_usage: bool = True
    include_usage: bool | None = None
    finish_reason: str | None = None
    seed: int | Literal["auto"] | None = "auto"
    error: Mapping[str, Any] | str | None = None
    error_after: int | None = None
    done: bool = True
    request_id: str | None = None
    completion_id: str | None = None
    system_fingerprint: str | None = None
    created: int | None = None
    tick_every: int | None = 16

    def __post_init__(self) -> None:
        if self.fragment_arguments is not None and self.fragment_arguments < 1:
            raise ValueError("fragment_arguments must be a positive int")
        if self.tick_every is not None and self.tick_every < 1:
            raise ValueError("tick_every must be a positive int")

    def content_pieces(self) -> list[str]:
        """Return the content deltas, in order."""
        return _pieces(self.text)

    def reasoning_pieces(self) -> list[str]:
        """Return the reasoning deltas, in order."""
        return [] if self.reasoning is None else _pieces(self.reasoning)

    def calls(self) -> list[ToolCall]:
        """Return the tool calls as ``ToolCall`` objects (ids not yet filled in)."""
        return [c if isinstance(c, ToolCall) else ToolCall(c[0], c[1]) for c in self.tool_calls]

    def error_object(self) -> dict[str, Any] | None:
        """Return the inner error object of the mid-stream error, if any."""
        if self.error is None:
            return None
        if isinstance(self.error, str):
            return {"message": self.error, "type": "internal_server_error", "status_code": 500}
        return dict(self.error)


@dataclass(frozen=True)
class ScriptReply:
    """Serve a ``Script``: streamed or as one JSON completion, as the request asks.

    Attributes:
        script: What to answer.
        stream: ``None`` follows the request's ``stream`` flag; ``True``/``False`` force it.
        chunking: As for ``SSEReply``.
        headers: Extra response headers; they override the defaults.
        faults: Misbehaviour to inject.
    """

    script: Script
    stream: bool | None = None
    chunking: Chunking = "events"
    headers: Mapping[str, str] = field(default_factory=dict)
    faults: Faults = NO_FAULTS

    def __post_init__(self) -> None:
        _check_chunking(self.chunking)


def script(
    text: str | Sequence[str] = "",
    *,
    reasoning: str | Sequence[str] | None = None,
    channel: str | None = None,
    tool_calls: Sequence[ToolCall | tuple[str, Mapping[str, Any] | str]] = (),
    fragment_arguments: int | None = None,
    model: str = "llama-3.3-70b-versatile",
    usage: Usage | None = Usage(),
    top_level_usage: bool = True,
    include_usage: bool | None = None,
    finish_reason: str | None = None,
    seed: int | Literal["auto"] | None = "auto",
    error: Mapping[str, Any] | str | None = None,
    error_after: int | None = None,
    done: bool = True,
    request_id: str | None = None,
    stream: bool | None = None,
    chunking: Chunking = "events",
    headers: Mapping[str, str] | None = None,
    faults: Faults = NO_FAULTS,
) -> ScriptReply:
    """Build a ``ScriptReply`` in one call; the arguments are those of ``Script``/``ScriptReply``.

    Returns:
        The reply, ready for ``GroqServer.enqueue``.
    """
    spec = Script(
        text=text,
        reasoning=reasoning,
        channel=channel,
        tool_calls=tool_calls,
        fragment_arguments=fragment_arguments,
        model=model,
        usage=usage,
        top_level_usage=top_level_usage,
        include_usage=include_usage,
        finish_reason=finish_reason,
        seed=seed,
        error=error,
        error_after=error_after,
        done=done,
        request_id=request_id,
    )
    return ScriptReply(spec, stream=stream, chunking=chunking, headers=headers or {}, faults=faults)


def _pieces(value: str | Sequence[str]) -> list[str]:
    if isinstance(value, str):
        return _TOKEN_RE.findall(value)
    return list(value)
