"""Turning a reply into what goes on the wire, and the server's built-in answers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mirastream.testing._frames import Rendering
from mirastream.testing._http import RecordedRequest
from mirastream.testing._replies import Chunking, ErrorReply, Faults, JSONReply, SSEReply
from mirastream.testing._script import Script, ScriptReply, Usage
from mirastream.testing._wire import go_duration, go_json, new_request_id

__all__ = [
    "CHAT_PATH",
    "MODELS_PATH",
    "Plan",
    "RateLimits",
    "Reply",
    "Responder",
    "default_responder",
    "models_reply",
    "not_found_reply",
    "plan_reply",
]

Reply = SSEReply | JSONReply | ErrorReply | ScriptReply
"""Anything the server can answer a chat-completions request with."""

Responder = Callable[[RecordedRequest], Reply | Script]
"""Answers a request when no reply is queued."""

CHAT_PATH = "/openai/v1/chat/completions"
MODELS_PATH = "/openai/v1/models"

_EVENT_END_RE = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_X_GROQ_ID_RE = re.compile(rb'"x_groq":\{"id":"([^"\\]+)"')

# A few real Groq model ids, enough for clients that list models before calling one.
_MODELS = (
    ("llama-3.3-70b-versatile", "Meta", 131072, 32768),
    ("llama-3.1-8b-instant", "Meta", 131072, 131072),
    ("openai/gpt-oss-20b", "OpenAI", 131072, 65536),
    ("qwen/qwen3-32b", "Alibaba Cloud", 131072, 40960),
)
_MODELS_CREATED = 1733447754


@dataclass(frozen=True)
class RateLimits:
    """The limits advertised in ``x-ratelimit-*`` headers.

    As on Groq, the ``requests`` pair is a per-day window and the ``tokens`` pair a
    per-minute one; remaining counts go down as the server answers requests.

    Attributes:
        requests: Requests per day.
        tokens: Tokens per minute.
    """

    requests: int = 14400
    tokens: int = 18000

    def headers(self, served: int, tokens: int) -> dict[str, str]:
        """Return the six headers after ``served`` requests, this one using ``tokens``."""
        used = min(served, self.requests)
        spent = min(tokens, self.tokens)
        return {
            "x-ratelimit-limit-requests": str(self.requests),
            "x-ratelimit-limit-tokens": str(self.tokens),
            "x-ratelimit-remaining-requests": str(self.requests - used),
            "x-ratelimit-remaining-tokens": str(self.tokens - spent),
            "x-ratelimit-reset-requests": go_duration(used * 86400 / self.requests),
            "x-ratelimit-reset-tokens": go_duration(spent * 60 / self.tokens),
        }


@dataclass(frozen=True)
class Plan:
    """A response ready to send: head fields, body, how to cut it up, what to break.

    ``events`` is the body cut at SSE event boundaries (a JSON body is one "event"), which
    is what ``Faults`` counts in.
    """

    status: int
    headers: dict[str, str]
    events: list[bytes]
    chunked: bool
    chunking: Chunking
    faults: Faults
    tokens: int

    @property
    def body(self) -> bytes:
        """The whole body."""
        return b"".join(self.events)

    def fault_offset(self, events: int | None) -> int | None:
        """Return the body offset reached after ``events`` events (``None`` for no fault)."""
        if events is None:
            return None
        return sum(len(e) for e in self.events[:events])

    def pieces(self) -> list[bytes]:
        """Cut the body into non-empty writes, also cutting wherever a fault fires."""
        if self.chunking == "events":
            return [e for e in self.events if e]
        body = self.body
        cuts = set(range(self.chunking, len(body), self.chunking))
        for events in (self.faults.stall_after_events, self.faults.drop_after_events):
            offset = self.fault_offset(events)
            if offset is not None:
                cuts.add(offset)
        bounds = sorted(c for c in cuts if 0 < c < len(body))
        return [
            body[i:j] for i, j in zip([0, *bounds], [*bounds, len(body)], strict=False) if j > i
        ]


def _split_events(body: bytes) -> list[bytes]:
    # The remainder after the last blank line (if any) counts as one more event.
    ends = [m.end() for m in _EVENT_END_RE.finditer(body)]
    if not ends or ends[-1] != len(body):
        ends.append(len(body))
    return [body[i:j] for i, j in zip([0, *ends], ends, strict=False)]


def _request_tokens(request: RecordedRequest) -> int:
    # About 4 bytes per token; only used for plausible rate-limit headers.
    return len(request.raw_body) // 4 + 1


def plan_reply(reply: Reply | Script, request: RecordedRequest) -> Plan:
    """Render ``reply`` as the response to ``request``.

    Args:
        reply: What to answer; a bare ``Script`` is served as ``ScriptReply(script)``.
        request: The request being answered (its ``stream`` flag and
            ``stream_options.include_usage`` steer scripted replies).

    Returns:
        The response plan.
    """
    if isinstance(reply, Script):
        reply = ScriptReply(reply)
    tokens = _request_tokens(request)
    if isinstance(reply, SSEReply):
        body = reply.body_bytes()
        found = _X_GROQ_ID_RE.search(body)
        request_id = found.group(1).decode() if found else new_request_id()
        headers = {"content-type": "text/event-stream", "x-request-id": request_id}
        events = _split_events(body)
        return _plan(
            reply.status, headers, reply.headers, events, True, reply.chunking, reply.faults, tokens
        )
    if isinstance(reply, JSONReply):
        return _json_plan(reply.status, reply.body, reply.headers, reply.faults, tokens)
    if isinstance(reply, ErrorReply):
        return _json_plan(reply.status, reply.body(), reply.headers, reply.faults, tokens)
    resolved = Rendering.of(reply.script)
    usage = resolved.usage()
    if usage is not None:
        tokens = int(usage["total_tokens"])
    stream = request.stream if reply.stream is None else reply.stream
    error = reply.script.error_object()
    if not stream and error is not None:
        status = int(error.pop("status_code", 500))
        return _json_plan(status, {"error": error}, reply.headers, reply.faults, tokens)
    if not stream:
        return _json_plan(200, resolved.completion(), reply.headers, reply.faults, tokens)
    include_usage = reply.script.include_usage
    if include_usage is None:
        include_usage = request.include_usage
    events = resolved.encoded_events(include_usage)
    headers = {"content-type": "text/event-stream", "x-request-id": resolved.request_id}
    return _plan(200, headers, reply.headers, events, True, reply.chunking, reply.faults, tokens)


def _json_plan(
    status: int,
    value: Any,
    extra: Mapping[str, str],
    faults: Faults,
    tokens: int,
) -> Plan:
    request_id = None
    if isinstance(value, dict) and isinstance(value.get("x_groq"), dict):
        request_id = value["x_groq"].get("id")
    headers = {"content-type": "application/json", "x-request-id": request_id or new_request_id()}
    body = go_json(value).encode("utf-8")
    return _plan(status, headers, extra, [body], False, "events", faults, tokens)


def _plan(
    status: int,
    headers: dict[str, str],
    extra: Mapping[str, str],
    events: list[bytes],
    chunked: bool,
    chunking: Chunking,
    faults: Faults,
    tokens: int,
) -> Plan:
    if chunked:
        # A stream must not sit in a proxy's cache; Groq's own cache headers are unconfirmed.
        headers["cache-control"] = "no-cache"
    for name, value in extra.items():
        headers[name.lower()] = value
    return Plan(status, headers, events, chunked, chunking, faults, tokens)


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            parts = [
                p.get("text", "")
                for p in content
                if isinstance(p, dict) and p.get("type") == "text"
            ]
            return "".join(str(p) for p in parts)
    return ""


def default_responder(request: RecordedRequest) -> Reply:
    """Answer a chat-completions request with a short scripted echo of the last user message.

    The reply is ``"You said: <last user message>"`` (or a greeting when there is none),
    streamed when the request says ``"stream": true`` (with the usage trailer when it asks
    for ``stream_options.include_usage``), in the requested ``model``. Requests without a
    JSON object body, a ``model`` or ``messages`` get a Groq-style 400.

    Args:
        request: The request.

    Returns:
        The reply to serve.
    """
    body = request.body
    if not isinstance(body, dict):
        return ErrorReply(400, "We could not parse the JSON body of your request.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return ErrorReply(400, "'model' : property 'model' is missing")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return ErrorReply(400, "'messages' : minimum number of items is 1")
    said = _last_user_text(messages)
    text = f"You said: {said}" if said else "Hello! How can I help you today?"
    prompt_tokens = sum(len(str(m).split()) for m in messages) + 7
    return ScriptReply(Script(text=text, model=model, usage=Usage(prompt_tokens=prompt_tokens)))


def models_reply(model_id: str | None = None) -> JSONReply | ErrorReply:
    """Return the answer to ``GET /openai/v1/models`` or ``GET /openai/v1/models/{model_id}``."""
    data = [
        {
            "id": name,
            "object": "model",
            "created": _MODELS_CREATED,
            "owned_by": owner,
            "active": True,
            "context_window": context,
            "public_apps": None,
            "max_completion_tokens": max_completion,
        }
        for name, owner, context, max_completion in _MODELS
    ]
    if model_id is None:
        return JSONReply({"object": "list", "data": data})
    for model in data:
        if model["id"] == model_id:
            return JSONReply(model)
    message = f"The model `{model_id}` does not exist or you do not have access to it."
    return ErrorReply(404, message, code="model_not_found")


def not_found_reply(request: RecordedRequest) -> ErrorReply:
    """Return the answer to an unknown URL, shaped like Groq's."""
    message = (
        f"Unknown request URL: {request.method} {request.path}. "
        "Please check the URL for typos, or see the docs at https://console.groq.com/docs/"
    )
    return ErrorReply(404, message, code="unknown_url")
