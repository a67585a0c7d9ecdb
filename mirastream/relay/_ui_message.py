"""The Vercel AI SDK's UI message stream protocol (v1), what ``useChat`` reads.

Every part is an unnamed event whose data is a JSON object with a ``type``; the stream
ends with ``data: [DONE]``. The response needs the ``x-vercel-ai-ui-message-stream: v1``
header (:data:`UI_MESSAGE_STREAM_HEADERS`). One call is one step of one message::

    start, start-step,
    [reasoning-start, reasoning-delta..., reasoning-end,]
    text-start, text-delta..., text-end,
    [tool-input-start, tool-input-delta..., tool-input-available (or tool-input-error),
     [tool-output-available (or tool-output-error)]]...,
    finish-step, finish, [DONE]

With ``reask=`` / ``fallback=``, a new attempt after text was sent closes the step and
sends ``data-attempt`` (``{"attempt", "model", "reason"}``) before the next
``start-step``: the protocol cannot take parts back, so the page hides what came before.

An error, before or during the stream, is ``error`` then ``[DONE]``: the SDK's client
turns it into ``useChat``'s ``error`` and stops reading, so nothing else is sent.

The SDK validates parts against a strict schema (unknown keys are rejected), so each
part carries only the keys the protocol names. ``finish.finishReason`` needs ``ai``
5.0.92 or later (any 6.x); older clients reject it (see ``docs/relay.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mirastream.relay._format import During, Format
from mirastream.relay._sse import SSE_HEADERS, format_sse, json_text

if TYPE_CHECKING:
    from mirastream._stream import AsyncGroqStream, GroqStream

__all__ = ["UI_MESSAGE_STREAM_HEADERS", "UIMessageFormat"]

UI_MESSAGE_STREAM_HEADERS: dict[str, str] = {
    **SSE_HEADERS,
    "x-vercel-ai-ui-message-stream": "v1",
}
"""Response headers for a UI message stream: the SSE ones and the protocol version."""

DONE = "data: [DONE]\n\n"

# Groq's finish reasons (OpenAI's words) in the SDK's FinishReason words.
_FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool-calls",
    "function_call": "tool-calls",
    "content_filter": "content-filter",
}


def _part(part: dict[str, Any]) -> str:
    return format_sse(json_text(part))


class UIMessageFormat(Format):
    """The UI message stream protocol (see the module docs).

    Args:
        message_id: The ``messageId`` of the ``start`` part; ``None`` leaves it out and
            the client makes one up.
    """

    def __init__(self, message_id: str | None = None) -> None:
        self._message_id = message_id
        self._open: tuple[str, str] | None = None  # the open text/reasoning block
        self._blocks = 0
        self._delta_head = ""

    def begin(self) -> str:
        start: dict[str, Any] = {"type": "start"}
        if self._message_id is not None:
            start["messageId"] = self._message_id
        return _part(start)

    def opened(self, stream: GroqStream | AsyncGroqStream) -> str:
        return _part({"type": "start-step"})

    def text(self, delta: str) -> str:
        return self._delta("text", delta)

    def reasoning(self, delta: str) -> str:
        return self._delta("reasoning", delta)

    def _delta(self, kind: str, delta: str) -> str:
        """A delta in a ``kind`` block: the open one, or a new one (closing the other)."""
        events = ""
        if self._open is None or self._open[0] != kind:
            events = self._close_block()
            self._blocks += 1
            block_id = f"{kind}-{self._blocks}"
            self._open = (kind, block_id)
            events += _part({"type": f"{kind}-start", "id": block_id})
            # The part every delta repeats, framed once per block: the hot path only
            # encodes the delta itself (same bytes as _part would give).
            self._delta_head = "data: " + json_text({"type": f"{kind}-delta", "id": block_id})[:-1]
        return f'{events}{self._delta_head},"delta":{json_text(delta)}}}\n\n'

    def _close_block(self) -> str:
        if self._open is None:
            return ""
        kind, block_id = self._open
        self._open = None
        return _part({"type": f"{kind}-end", "id": block_id})

    def tool_input_start(self, call_id: str, name: str) -> str:
        start = {"type": "tool-input-start", "toolCallId": call_id, "toolName": name}
        return self._close_block() + _part(start)

    def tool_input_delta(self, call_id: str, delta: str) -> str:
        return _part({"type": "tool-input-delta", "toolCallId": call_id, "inputTextDelta": delta})

    def tool_input(
        self, call_id: str, name: str, arguments: str, value: Any, error: str | None
    ) -> str:
        if error is not None:
            part = {
                "type": "tool-input-error",
                "toolCallId": call_id,
                "toolName": name,
                "input": arguments,  # the raw text: what the model sent, unparsed
                "errorText": error,
            }
        else:
            part = {
                "type": "tool-input-available",
                "toolCallId": call_id,
                "toolName": name,
                "input": value,
            }
        return _part(part)

    def tool_output(self, call_id: str, output: Any, error: str | None) -> str:
        if error is not None:
            return _part({"type": "tool-output-error", "toolCallId": call_id, "errorText": error})
        return _part({"type": "tool-output-available", "toolCallId": call_id, "output": output})

    def attempt(self, number: int, model: str, reason: str) -> str:
        # The protocol cannot take parts back: the failed attempt is its own step, and a
        # data part (``data-attempt``, which useChat keeps in message.parts) marks where
        # the next one starts, so a page can hide what came before it.
        data = {"attempt": number, "model": model, "reason": reason}
        return (
            self._close_block()
            + _part({"type": "finish-step"})
            + _part({"type": "data-attempt", "data": data})
            + _part({"type": "start-step"})
        )

    def finish(self, stream: GroqStream | AsyncGroqStream) -> str:
        events = self._close_block() + _part({"type": "finish-step"})
        finish: dict[str, Any] = {"type": "finish"}
        reasons = stream.finish_reasons
        if reasons:
            finish["finishReason"] = _FINISH_REASONS.get(reasons[0], "other")
        finish["messageMetadata"] = message_metadata(stream)
        return events + _part(finish)

    def error(self, message: str, exc: BaseException, during: During) -> str:
        return _part({"type": "error", "errorText": message})

    def end(self) -> str:
        return DONE


def message_metadata(stream: GroqStream | AsyncGroqStream) -> dict[str, Any]:
    """The message metadata sent with ``finish``: model, usage (the SDK's names) and cost."""
    metadata: dict[str, Any] = {"model": stream.model}
    usage = stream.usage
    if usage is not None:
        counts = {
            "inputTokens": usage.prompt_tokens,
            "outputTokens": usage.completion_tokens,
            "totalTokens": usage.total_tokens,
            "reasoningTokens": usage.reasoning_tokens,
            "cachedInputTokens": usage.cached_tokens,
        }
        metadata.update((key, value) for key, value in counts.items() if value is not None)
    metadata["cost"] = stream.cost
    return metadata
