"""Span attributes of a call: OpenTelemetry GenAI semantic conventions, plus Groq's figures.

Pure functions from what a call knows to ``{name: value}``; no OpenTelemetry import, so
the mapping is tested on its own. Names follow the GenAI client-inference span
(``gen_ai.*``); Groq-specific values use the ``groq.`` prefix, as the conventions ask of
provider-specific attributes, and mirastream's own figures the ``mirastream.`` prefix.
Nothing here reads request headers, so the API key cannot become an attribute.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from mirastream._observe import CallStart
    from mirastream._results import GroqCallResponse
    from mirastream._stream_state import _StreamState

__all__ = [
    "PROVIDER",
    "Attributes",
    "content_attributes",
    "error_attributes",
    "input_messages",
    "request_attributes",
    "result_attributes",
    "span_name",
]

PROVIDER = "groq"
Attributes = dict[str, str | bool | int | float | list[str]]

# Request parameter -> GenAI attribute, for the numeric ones sent as they are.
_NUMERIC_PARAMS = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "seed": "gen_ai.request.seed",
}


def span_name(model: str) -> str:
    """``{gen_ai.operation.name} {gen_ai.request.model}``, as the conventions say."""
    return f"chat {model}"


def request_attributes(start: CallStart) -> Attributes:
    """What is known when the call starts: operation, provider, model, parameters, server."""
    attributes: Attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": PROVIDER,
        "gen_ai.system": PROVIDER,  # the older name, still read by many backends
        "gen_ai.request.model": start.model,
        "gen_ai.request.stream": start.stream,
    }
    params = start.params
    for key, name in _NUMERIC_PARAMS.items():
        value = params.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attributes[name] = value
    max_tokens = params.get("max_completion_tokens", params.get("max_tokens"))
    if isinstance(max_tokens, int):
        attributes["gen_ai.request.max_tokens"] = max_tokens
    stop = params.get("stop")
    if isinstance(stop, str):
        attributes["gen_ai.request.stop_sequences"] = [stop]
    elif isinstance(stop, (list, tuple)):
        attributes["gen_ai.request.stop_sequences"] = [str(s) for s in stop]
    n = params.get("n")
    if isinstance(n, int) and n != 1:
        attributes["gen_ai.request.choice.count"] = n
    effort = params.get("reasoning_effort")
    if isinstance(effort, str):
        attributes["gen_ai.request.reasoning.level"] = effort
    response_format = params.get("response_format")
    if isinstance(response_format, dict) and str(response_format.get("type", "")).startswith(
        "json"
    ):
        attributes["gen_ai.output.type"] = "json"
    tier = params.get("service_tier")
    if isinstance(tier, str):
        attributes["groq.request.service_tier"] = tier
    base_url = getattr(start.client, "base_url", None)
    if isinstance(base_url, str):
        url = httpx.URL(base_url)
        if url.host:
            attributes["server.address"] = url.host
            attributes["server.port"] = url.port or (443 if url.scheme == "https" else 80)
    return attributes


def result_attributes(result: GroqCallResponse | _StreamState) -> Attributes:
    """What the answer says: model, id, finish reasons, usage, cost, timings, rate limits."""
    attributes: Attributes = {}
    if result.model:
        attributes["gen_ai.response.model"] = result.model
    if result.id:
        attributes["gen_ai.response.id"] = result.id
    finish = result.finish_reasons
    if finish:
        attributes["gen_ai.response.finish_reasons"] = finish
    usage = result.usage
    if usage is not None:
        counts: dict[str, Any] = {
            "gen_ai.usage.input_tokens": usage.prompt_tokens,
            "gen_ai.usage.output_tokens": usage.completion_tokens,
            "gen_ai.usage.cache_read.input_tokens": usage.cached_tokens,
            "gen_ai.usage.reasoning.output_tokens": usage.reasoning_tokens,
            # Groq's own timings, in seconds, as it reports them.
            "groq.usage.queue_time": usage.queue_time,
            "groq.usage.prompt_time": usage.prompt_time,
            "groq.usage.completion_time": usage.completion_time,
            "groq.usage.total_time": usage.total_time,
        }
        attributes.update({k: v for k, v in counts.items() if isinstance(v, (int, float))})
    cost = result.cost
    if cost is not None:
        attributes["mirastream.cost_usd"] = cost
    ttft = result.time_to_first_token
    if ttft is not None:
        attributes["mirastream.time_to_first_token_ms"] = ttft
    speed = result.tokens_per_second
    if speed is not None:
        attributes["mirastream.tokens_per_second"] = speed
    limits = result.rate_limits
    for field in (
        "limit_requests",
        "remaining_requests",
        "reset_requests",
        "limit_tokens",
        "remaining_tokens",
        "reset_tokens",
    ):
        value = getattr(limits, field)
        if value is not None:
            attributes[f"groq.ratelimit.{field}"] = value
    return attributes


def error_attributes(error: BaseException) -> Attributes:
    """``error.type``: the exception's fully qualified class name; plus the HTTP status."""
    cls = type(error)
    attributes: Attributes = {"error.type": f"{cls.__module__}.{cls.__qualname__}"}
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        attributes["http.response.status_code"] = status
    return attributes


def _text_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}] if content else []
    parts: list[dict[str, Any]] = []
    for part in content if isinstance(content, list) else ():
        if isinstance(part, dict) and part.get("type") == "text":
            parts.append({"type": "text", "content": part.get("text", "")})
        elif isinstance(part, dict):
            parts.append({"type": str(part.get("type", "unknown"))})  # images: not copied
    return parts


def _arguments(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def input_messages(messages: list[dict[str, Any]]) -> str:
    """``gen_ai.input.messages``: the chat history in the conventions' parts form (JSON)."""
    out = []
    for message in messages:
        role = message.get("role", "user")
        parts = _text_parts(message.get("content"))
        if role == "tool":
            parts = [
                {
                    "type": "tool_call_response",
                    "id": message.get("tool_call_id"),
                    "response": message.get("content"),
                }
            ]
        for call in message.get("tool_calls") or ():
            function = call.get("function", {})
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.get("id"),
                    "name": function.get("name"),
                    "arguments": _arguments(function.get("arguments") or ""),
                }
            )
        out.append({"role": role, "parts": parts})
    return json.dumps(out, ensure_ascii=False)


def content_attributes(start: CallStart, result: GroqCallResponse | _StreamState) -> Attributes:
    """The opt-in content: ``gen_ai.input.messages`` and ``gen_ai.output.messages``."""
    parts: list[dict[str, Any]] = []
    if result.reasoning:
        parts.append({"type": "reasoning", "content": result.reasoning})
    if result.content:
        parts.append({"type": "text", "content": result.content})
    for call in result.tool_calls:
        parts.append(
            {
                "type": "tool_call",
                "id": call.id,
                "name": call.function.name,
                "arguments": _arguments(call.function.arguments),
            }
        )
    output: dict[str, Any] = {"role": "assistant", "parts": parts}
    if result.finish_reasons:
        output["finish_reason"] = result.finish_reasons[0]
    return {
        "gen_ai.input.messages": input_messages(start.messages),
        "gen_ai.output.messages": json.dumps([output], ensure_ascii=False),
    }
