"""Just enough HTTP/1.1 for a test server: read requests, frame responses.

Written on asyncio streams rather than on a third-party HTTP library because the runtime
dependencies are fixed, and because faults (a body cut off before its last chunk) need
control over every byte anyway.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

__all__ = ["HTTPError", "RecordedRequest", "chunk_frame", "read_request", "response_head"]

_REDACTED_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key"})
_MAX_BODY = 64 * 1024 * 1024

LAST_CHUNK = b"0\r\n\r\n"


class HTTPError(Exception):
    """A request the server cannot parse; answered with ``status`` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received.

    Attributes:
        method: The HTTP method, e.g. ``"POST"``.
        path: The path without the query string, e.g. ``"/openai/v1/chat/completions"``.
        query: The query string (without ``?``), or ``""``.
        headers: Header names in lower case; repeated headers joined with ``", "``.
            Credentials are redacted: ``Authorization: Bearer gsk_...`` is recorded as
            ``"Bearer [redacted]"``, so no key is ever stored.
        body: The parsed JSON body, or ``None`` when it is empty or not JSON.
        raw_body: The body bytes (the request body never holds credentials for Groq).
        client: The client's ``(host, port)``; equal ports mean one reused connection.
    """

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    raw_body: bytes = b""
    client: tuple[str, int] | None = None

    @property
    def stream(self) -> bool:
        """Whether the JSON body asks for a stream (``"stream": true``)."""
        return isinstance(self.body, dict) and self.body.get("stream") is True

    @property
    def include_usage(self) -> bool:
        """Whether the JSON body has ``stream_options.include_usage`` set to true."""
        if not isinstance(self.body, dict):
            return False
        options = self.body.get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True

    @property
    def keep_alive(self) -> bool:
        """Whether the connection may serve another request afterwards."""
        return "close" not in self.headers.get("connection", "").lower()


def _redact(name: str, value: str) -> str:
    if name not in _REDACTED_HEADERS:
        return value
    scheme, _, credentials = value.partition(" ")
    # Keep the scheme so tests can still check that *a* bearer token was sent.
    return f"{scheme} [redacted]" if credentials else "[redacted]"


async def read_request(
    reader: asyncio.StreamReader, client: tuple[str, int] | None = None
) -> RecordedRequest | None:
    """Read one request from the connection.

    Args:
        reader: The connection's reader.
        client: The peer address, recorded with the request.

    Returns:
        The request, or ``None`` if the client closed the connection between requests.

    Raises:
        HTTPError: For a request that cannot be parsed.
        asyncio.IncompleteReadError: If the client went away mid-request.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise
    except asyncio.LimitOverrunError as exc:
        raise HTTPError(431, "request header too large") from exc
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ")
    except ValueError as exc:
        raise HTTPError(400, "malformed request line") from exc
    if not version.startswith("HTTP/1."):
        raise HTTPError(505, "only HTTP/1.x is spoken here")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise HTTPError(400, "malformed header line")
        name = name.strip().lower()
        value = _redact(name, value.strip())
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    if version == "HTTP/1.0" and "keep-alive" not in headers.get("connection", "").lower():
        headers["connection"] = "close"
    raw = await _read_body(reader, headers)
    path, _, query = target.partition("?")
    body: Any = None
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    return RecordedRequest(method, path, query, headers, body, raw, client)


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError as exc:
                raise HTTPError(400, "malformed chunk size") from exc
            if size == 0:
                # Skip trailers up to the blank line that ends the body.
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length_text = headers.get("content-length", "0")
    try:
        length = int(length_text)
    except ValueError as exc:
        raise HTTPError(400, "malformed content-length") from exc
    if length < 0 or length > _MAX_BODY:
        raise HTTPError(413, "request body too large")
    return await reader.readexactly(length) if length else b""


def response_head(status: int, headers: Mapping[str, str]) -> bytes:
    """Return the status line and header block of a response.

    Args:
        status: The status code.
        headers: Header names and values, written in this order after ``date``.

    Returns:
        The bytes up to and including the blank line.
    """
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}", f"date: {formatdate(usegmt=True)}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk_frame(data: bytes) -> bytes:
    """Frame ``data`` as one chunk of a ``Transfer-Encoding: chunked`` body."""
    return b"%x\r\n%b\r\n" % (len(data), data)
