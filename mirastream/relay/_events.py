"""mirastream's own event format: named Server-Sent Events with JSON data, for ``EventSource``.

Each happening is one event whose type says what it is, so a page listens only for
what it shows (``source.addEventListener("text", ...)``)::

    event: text
    data: "Sunlight"

    event: done
    data: {"finish_reason":"stop","model":"llama-3.3-70b-versatile","input_tokens":18,...}

The event names are listed in ``docs/relay.md``. The error event is named ``error`` like
OpenAI's and Anthropic's streams; a connection failure also reaches an ``error`` listener
of ``EventSource``, but without ``data``, which tells the two apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mirastream.errors import APIStatusError, APIStreamError
from mirastream.relay._format import During, Format, error_status
from mirastream.relay._sse import format_sse, json_text

if TYPE_CHECKING:
    from mirastream._stream import AsyncGroqStream, GroqStream

__all__ = ["EventFormat"]


class EventFormat(Format):
    """mirastream's event format (see the module docs)."""

    def text(self, delta: str) -> str:
        return format_sse(json_text(delta), event="text")

    def reasoning(self, delta: str) -> str:
        return format_sse(json_text(delta), event="reasoning")

    def tool_input_start(self, call_id: str, name: str) -> str:
        return format_sse(json_text({"id": call_id, "name": name}), event="tool-call-start")

    def tool_input_delta(self, call_id: str, delta: str) -> str:
        return format_sse(json_text({"id": call_id, "arguments": delta}), event="tool-call-delta")

    def tool_input(
        self, call_id: str, name: str, arguments: str, value: Any, error: str | None
    ) -> str:
        data = {"id": call_id, "name": name, "arguments": arguments, "input": value}
        if error is not None:
            data["error"] = error
        return format_sse(json_text(data), event="tool-call")

    def tool_output(self, call_id: str, output: Any, error: str | None) -> str:
        data: dict[str, Any] = {"id": call_id}
        if error is None:
            data["output"] = output
        else:
            data["error"] = error
        return format_sse(json_text(data), event="tool-result")

    def attempt(self, number: int, model: str, reason: str) -> str:
        data = {"attempt": number, "model": model, "reason": reason}
        return format_sse(json_text(data), event="attempt")

    def finish(self, stream: GroqStream | AsyncGroqStream) -> str:
        usage = stream.usage
        reasons = stream.finish_reasons
        data = {
            "finish_reason": reasons[0] if reasons else None,
            "model": stream.model,
            "input_tokens": usage.prompt_tokens if usage else None,
            "output_tokens": usage.completion_tokens if usage else None,
            "cached_tokens": usage.cached_tokens if usage else None,
            "reasoning_tokens": usage.reasoning_tokens if usage else None,
            "cost": stream.cost,
        }
        return format_sse(json_text(data), event="done")

    def error(self, message: str, exc: BaseException, during: During) -> str:
        code = exc.code if isinstance(exc, (APIStatusError, APIStreamError)) else None
        data = {
            "message": message,
            "type": type(exc).__name__,
            "status": error_status(exc),
            "code": code,
            "during": during,
        }
        return format_sse(json_text(data), event="error")
