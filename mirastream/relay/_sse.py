"""Server-Sent Events framing (the WHATWG ``text/event-stream`` format), and JSON for it.

An event is ``field: value`` lines ended by a blank line. A value cannot hold a line
break: the parser splits lines on CR, LF and CRLF alike, so data with line breaks goes
out as one ``data:`` line per line (the parser joins them back with LF). The relay's
data is compact JSON, which escapes every control character, so in practice an event
is one ``data:`` line; the splitting is for callers framing their own text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic_core import to_jsonable_python

__all__ = ["SSE_HEADERS", "format_sse", "json_text"]

SSE_HEADERS: dict[str, str] = {
    "content-type": "text/event-stream",
    # No caching by the browser or a proxy, and no buffering by nginx-style proxies:
    # each event must reach the page as soon as it is written.
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
}
"""Response headers for an event stream: pass them to the framework's streaming response."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ENCODER = json.JSONEncoder(
    ensure_ascii=False,  # the stream is UTF-8 by definition: no \\u escapes needed
    separators=(",", ":"),
    default=lambda value: to_jsonable_python(value, fallback=str),
)


def json_text(value: Any) -> str:
    """Compact JSON for an event's data; models, dataclasses and the like are converted."""
    return _ENCODER.encode(value)


def format_sse(
    data: str, *, event: str | None = None, id: str | None = None, retry: int | None = None
) -> str:
    """Frame one Server-Sent Event.

    Args:
        data: The event's data; line breaks (CR, LF or CRLF) become one ``data:`` line
            each, which the browser joins back with LF.
        event: The event type (``EventSource.addEventListener(type, ...)``); ``None``
            leaves it out, so the browser dispatches a ``message`` event.
        id: The event id (the browser sends it back as ``Last-Event-ID`` on reconnect).
        retry: The reconnection delay the browser should use, in milliseconds.

    Returns:
        The event as text, blank line included; encode it as UTF-8.

    Raises:
        ValueError: ``event`` or ``id`` holds a line break (or ``id`` a NUL), which would
            end the field early and let the rest be read as other fields.
    """
    head = ""
    if event is not None:
        _check_field("event", event)
        head += f"event: {event}\n"
    if id is not None:
        _check_field("id", id)
        if "\0" in id:
            raise ValueError("an SSE id cannot contain NUL")
        head += f"id: {id}\n"
    if retry is not None:
        head += f"retry: {int(retry)}\n"
    if "\n" in data or "\r" in data:
        return head + "".join(f"data: {line}\n" for line in _LINE_BREAK.split(data)) + "\n"
    return f"{head}data: {data}\n\n"


def _check_field(name: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValueError(f"an SSE {name} cannot contain a line break: {value!r}")
