"""What Groq refuses before any model sees a request, checked as Groq does (400s).

``GroqServer(check_requests=True)`` (the default) answers a chat-completions request that
breaks one of these rules with Groq's error shape, ``{"error": {"message", "type":
"invalid_request_error", "param"?}}`` and status 400, so offline tests catch what the
real API would refuse:

* ``n`` other than 1 (Groq generates one choice);
* ``response_format: json_object`` while no message mentions "json" (any case);
* more than 128 tools, or a function tool's name outside ``[a-zA-Z0-9_-]{1,64}``
  (built-in tools such as ``{"type": "browser_search"}`` have no name);
* ``response_format: json_schema`` without a valid ``name``, or ``strict: true`` with a
  schema Groq's strict mode rejects
  (:func:`mirastream.structured._strict_schema.strict_schema_problems`).

Queued replies are left in the queue: Groq would not have answered them either.
"""

from __future__ import annotations

import re
from typing import Any

from mirastream.structured._strict_schema import strict_schema_problems
from mirastream.testing._replies import ErrorReply

__all__ = ["MAX_TOOLS", "check_request"]

MAX_TOOLS = 128
_NAME_RE = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def _refuse(message: str, param: str | None = None) -> ErrorReply:
    extra = {"param": param} if param is not None else {}
    return ErrorReply(400, message, type="invalid_request_error", extra=extra)


def _mentions_json(messages: Any) -> bool:
    for message in messages if isinstance(messages, list) else ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # content parts: the text ones count
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        if isinstance(content, str) and "json" in content.lower():
            return True
    return False


def check_request(body: Any) -> ErrorReply | None:
    """The 400 Groq would answer ``body`` with, or ``None`` when it would accept it.

    Args:
        body: The parsed JSON body of a chat-completions request (other problems, such as
            a missing ``model``, are the responder's to report).

    Returns:
        An ``ErrorReply`` shaped like Groq's, or ``None``.
    """
    if not isinstance(body, dict):
        return None
    n = body.get("n")
    if n is not None and n != 1:
        return _refuse("'n' : number must be at most 1", "n")
    tools = body.get("tools")
    if isinstance(tools, list):
        if len(tools) > MAX_TOOLS:
            return _refuse(f"'tools' : maximum number of items is {MAX_TOOLS}", "tools")
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or tool.get("type", "function") != "function":
                continue  # a built-in tool (compound models: browser_search ...) has no name
            function = tool.get("function")
            name = function.get("name") if isinstance(function, dict) else None
            if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
                return _refuse(
                    f"'tools.{i}.function.name' : string does not match pattern. Received: "
                    f"{name!r}. Expected to match pattern: ^[a-zA-Z0-9_-]{{1,64}}$",
                    f"tools.{i}.function.name",
                )
    response_format = body.get("response_format")
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_object" and not _mentions_json(body.get("messages")):
        return _refuse(
            "'messages' must contain the word 'json' in some form, to use "
            "'response_format' of type 'json_object'.",
            "messages",
        )
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict):
            return _refuse("'response_format.json_schema' : property is missing", "response_format")
        name = spec.get("name")
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            return _refuse(
                "'response_format.json_schema.name' : string does not match pattern. "
                "Expected to match pattern: ^[a-zA-Z0-9_-]{1,64}$",
                "response_format.json_schema.name",
            )
        if spec.get("strict") is True:
            problems = strict_schema_problems(spec.get("schema"))
            if problems:
                return _refuse(
                    "invalid JSON schema for strict mode: " + "; ".join(problems),
                    "response_format.json_schema.schema",
                )
    return None
