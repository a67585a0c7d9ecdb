"""Rendering a ``Script`` into Groq's exact stream framing or non-stream completion JSON.

The framing copies real captures (see ``shared/docs/groq-wire.md`` §3-§4): compact Go-style
JSON, envelope key order ``id, object, created, model, system_fingerprint, choices,
[x_groq], [usage], [service_tier]``, a first ``{"role":"assistant","content":""}`` delta
carrying ``x_groq.id``/``seed``, tool calls whole in one delta each, usage twice on the
finish chunk, an optional ``choices: []`` usage trailer, then ``data: [DONE]``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, NamedTuple

from mirastream.testing._script import Script, ToolCall
from mirastream.testing._wire import (
    go_json,
    new_completion_id,
    new_fingerprint,
    new_request_id,
    new_seed,
    new_tool_call_id,
)

__all__ = ["Rendering", "script_chunks", "script_completion", "script_events"]

_DELTA_TAIL = ',"logprobs":null,"finish_reason":null}]}'


class _Delta(NamedTuple):
    """A chunk that carries only a delta (the bulk of every stream)."""

    created: int
    delta: dict[str, Any]


def _choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
    return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]


@dataclass
class Rendering:
    """A script with every made-up value fixed, so the headers and the body agree."""

    spec: Script
    request_id: str
    completion_id: str
    fingerprint: str
    created: int
    seed: int | None
    calls: list[ToolCall]
    reasoning: list[str]
    content: list[str]

    @classmethod
    def of(cls, spec: Script) -> Rendering:
        calls = [
            c if c.id is not None else ToolCall(c.name, c.arguments, new_tool_call_id())
            for c in spec.calls()
        ]
        return cls(
            spec=spec,
            request_id=spec.request_id or new_request_id(),
            completion_id=spec.completion_id or new_completion_id(),
            fingerprint=spec.system_fingerprint or new_fingerprint(),
            created=spec.created if spec.created is not None else int(time.time()),
            seed=new_seed() if spec.seed == "auto" else spec.seed,
            calls=calls,
            reasoning=spec.reasoning_pieces(),
            content=spec.content_pieces(),
        )

    def finish_reason(self) -> str:
        if self.spec.finish_reason is not None:
            return self.spec.finish_reason
        return "tool_calls" if self.calls else "stop"

    def usage(self) -> dict[str, Any] | None:
        if self.spec.usage is None:
            return None
        # Tool-call tokens: a rough 4 characters per token, like real tokenizers on JSON.
        counted = len(self.reasoning) + len(self.content)
        counted += sum(2 + len(c.name + c.arguments_json()) // 4 for c in self.calls)
        reasoning = len(self.reasoning) if self.spec.reasoning is not None else None
        return self.spec.usage.to_dict(max(counted, 1), reasoning)

    def deltas(self) -> list[dict[str, Any]]:
        deltas: list[dict[str, Any]] = []
        for piece in self.reasoning:
            delta: dict[str, Any] = {"reasoning": piece}
            if self.spec.channel is not None:
                delta["channel"] = self.spec.channel
            deltas.append(delta)
        deltas.extend({"content": piece} for piece in self.content)
        size = self.spec.fragment_arguments
        for index, call in enumerate(self.calls):
            arguments = call.arguments_json()
            function = {"name": call.name, "arguments": arguments if size is None else ""}
            head = {"id": call.id, "type": "function", "function": function}
            if size is None:
                # Groq's own shape: the whole call at once, with "index" last.
                deltas.append({"tool_calls": [{**head, "index": index}]})
                continue
            deltas.append({"tool_calls": [{"index": index, **head}]})
            for start in range(0, len(arguments), size):
                fragment = {"arguments": arguments[start : start + size]}
                deltas.append({"tool_calls": [{"index": index, "function": fragment}]})
        return deltas

    def _envelope(self, created: int, choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": self.spec.model,
            "system_fingerprint": self.fingerprint,
            "choices": choices,
        }

    def events(self, include_usage: bool) -> list[tuple[str | None, dict[str, Any] | _Delta]]:
        """Return every event as (SSE event name, payload) in order, ``[DONE]`` excluded.

        Plain delta chunks stay ``_Delta`` so ``body`` can render the bulk of a stream
        from a cached envelope prefix instead of encoding each chunk from scratch.
        """
        spec = self.spec
        count = 0

        def created() -> int:
            nonlocal count
            tick = count // spec.tick_every if spec.tick_every else 0
            count += 1
            return self.created + tick

        tools_only = bool(self.calls) and not self.content and not self.reasoning
        role = {"role": "assistant", "content": None if tools_only else ""}
        first = self._envelope(created(), _choice(role))
        first["x_groq"] = {"id": self.request_id}
        if self.seed is not None:
            first["x_groq"]["seed"] = self.seed
        events: list[tuple[str | None, dict[str, Any] | _Delta]] = [(None, first)]
        deltas = self.deltas()
        error = spec.error_object()
        if error is not None:
            cut = len(deltas) if spec.error_after is None else spec.error_after
            events.extend((None, _Delta(created(), d)) for d in deltas[:cut])
            events.append(("error", {"error": error}))
            return events
        events.extend((None, _Delta(created(), d)) for d in deltas)
        usage = self.usage()
        final = self._envelope(created(), _choice({}, self.finish_reason()))
        final["x_groq"] = {"id": self.request_id}
        if usage is not None:
            final["x_groq"]["usage"] = usage
            if spec.top_level_usage:
                final["usage"] = usage
        events.append((None, final))
        if include_usage and usage is not None:
            trailer = self._envelope(created(), [])
            trailer["usage"] = usage
            trailer["service_tier"] = "on_demand"
            events.append((None, trailer))
        return events

    def payloads(self, include_usage: bool) -> list[dict[str, Any]]:
        """Return the JSON payload of every event as plain dicts."""
        return [
            self._envelope(p.created, _choice(p.delta)) if isinstance(p, _Delta) else p
            for _, p in self.events(include_usage)
        ]

    def encoded_events(self, include_usage: bool) -> list[bytes]:
        """Return each SSE event as the exact bytes sent for it, ``[DONE]`` included."""
        prefixes: dict[int, str] = {}
        lines = []
        for name, payload in self.events(include_usage):
            event = "" if name is None else f"event: {name}\n"
            if not isinstance(payload, _Delta):
                lines.append(f"{event}data: {go_json(payload)}\n\n")
                continue
            prefix = prefixes.get(payload.created)
            if prefix is None:
                # Everything up to the delta is constant for a given ``created`` value.
                envelope = go_json(self._envelope(payload.created, []))
                prefix = envelope[: -len("[]}")] + '[{"index":0,"delta":'
                prefixes[payload.created] = prefix
            lines.append(f"{event}data: {prefix}{go_json(payload.delta)}{_DELTA_TAIL}\n\n")
        if self.spec.done and self.spec.error is None:
            lines.append("data: [DONE]\n\n")
        return [line.encode("utf-8") for line in lines]

    def body(self, include_usage: bool) -> bytes:
        """Return the exact SSE body."""
        return b"".join(self.encoded_events(include_usage))

    def completion(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant"}
        content = "".join(self.content)
        message["content"] = None if self.calls and not content else content
        if self.spec.reasoning is not None:
            message["reasoning"] = "".join(self.reasoning)
        if self.calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments_json()},
                }
                for c in self.calls
            ]
        body: dict[str, Any] = {
            "id": self.completion_id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.spec.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": self.finish_reason(),
                }
            ],
        }
        usage = self.usage()
        if usage is not None:
            body["usage"] = usage
        body["system_fingerprint"] = self.fingerprint
        x_groq: dict[str, Any] = {"id": self.request_id}
        if self.seed is not None:
            x_groq["seed"] = self.seed
        body["x_groq"] = x_groq
        body["service_tier"] = "on_demand"
        return body


def script_events(spec: Script, *, include_usage: bool | None = None) -> bytes:
    """Render a script as the exact SSE body Groq would stream.

    Args:
        spec: The script.
        include_usage: Overrides ``spec.include_usage`` (``None`` counts as ``False``).

    Returns:
        The response body; it ends with the ``data: [DONE]`` event unless the script says
        otherwise.
    """
    wanted = spec.include_usage if include_usage is None else include_usage
    return Rendering.of(spec).body(bool(wanted))


def script_chunks(spec: Script, *, include_usage: bool | None = None) -> list[dict[str, Any]]:
    """Return the JSON payload of every event ``script_events`` would send, in order.

    ``[DONE]`` is not included; a mid-stream error appears as its ``{"error": ...}`` object.

    Args:
        spec: The script.
        include_usage: Overrides ``spec.include_usage`` (``None`` counts as ``False``).

    Returns:
        The payloads.
    """
    wanted = spec.include_usage if include_usage is None else include_usage
    return Rendering.of(spec).payloads(bool(wanted))


def script_completion(spec: Script) -> dict[str, Any]:
    """Render a script as a non-stream ``chat.completion`` body (``error`` is ignored).

    Args:
        spec: The script.

    Returns:
        The JSON body, with keys in Groq's order.
    """
    return Rendering.of(spec).completion()
