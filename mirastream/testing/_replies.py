"""Reply kinds a test can queue on the server, and the faults they can carry."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Chunking", "ErrorReply", "Faults", "JSONReply", "SSEReply"]

Chunking = Literal["events"] | int
"""How a body is cut into writes: one write per SSE event, or fixed-size byte pieces."""


@dataclass(frozen=True)
class Faults:
    """Misbehaviour to inject while a reply is being sent.

    Event counts refer to SSE events (the body is cut at event boundaries to honour them,
    also with fixed-size chunking); a JSON body counts as one event.

    Attributes:
        delay_before_headers: Seconds to wait before sending anything, so a client whose
            read timeout is shorter times out.
        stall_after_events: Pause after this many events (0 = right after the headers).
        stall_seconds: How long the pause lasts.
        drop_after_events: Close the connection after this many events, without finishing
            the body (no terminating zero-length chunk), so the client sees the body cut off
            (httpx raises ``RemoteProtocolError``). A count past the end drops the
            connection after the whole body but before its end marker.
    """

    delay_before_headers: float = 0.0
    stall_after_events: int | None = None
    stall_seconds: float = 0.0
    drop_after_events: int | None = None

    def __post_init__(self) -> None:
        for name in ("stall_after_events", "drop_after_events"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if self.delay_before_headers < 0 or self.stall_seconds < 0:
            raise ValueError("delays must be >= 0")


NO_FAULTS = Faults()


def _check_chunking(chunking: Chunking) -> None:
    if chunking != "events" and (
        isinstance(chunking, bool) or not isinstance(chunking, int) or chunking < 1
    ):
        raise ValueError(f"chunking must be 'events' or a positive int, got {chunking!r}")


@dataclass(frozen=True)
class SSEReply:
    """Serve an exact SSE body, byte for byte (for instance a recorded ``.sse`` file).

    The ``x-request-id`` header is taken from the body's first ``x_groq.id`` when present.

    Attributes:
        body: The bytes to send; a ``str`` is encoded as UTF-8; a path is read when served.
        chunking: ``"events"`` for one write per SSE event, or an int for fixed-size writes
            (to exercise reads that split events, lines and UTF-8 sequences).
        status: The HTTP status code.
        headers: Extra response headers; they override the defaults.
        faults: Misbehaviour to inject.
    """

    body: bytes | str | os.PathLike[str]
    chunking: Chunking = "events"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    faults: Faults = NO_FAULTS

    def __post_init__(self) -> None:
        _check_chunking(self.chunking)

    def body_bytes(self) -> bytes:
        """Return the body as bytes, reading the file if ``body`` is a path."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        with open(self.body, "rb") as fh:
            return fh.read()


@dataclass(frozen=True)
class JSONReply:
    """Serve a JSON body (encoded the way Groq's Go servers encode it).

    Attributes:
        body: The JSON value.
        status: The HTTP status code.
        headers: Extra response headers; they override the defaults.
        faults: Misbehaviour to inject.
    """

    body: dict[str, Any] | list[Any]
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    faults: Faults = NO_FAULTS


@dataclass(frozen=True)
class ErrorReply:
    """Serve a Groq error: ``{"error": {"message", "type", "code"?}}`` with an error status.

    Attributes:
        status: The HTTP status code (400, 401, 404, 413, 429, 498, 500, 503, ...).
        message: The error message.
        type: Groq's error type, e.g. ``"invalid_request_error"`` or ``"tokens"`` for a 429.
        code: Groq's error code, e.g. ``"rate_limit_exceeded"``; left out when ``None``.
        extra: More keys for the error object (``failed_generation``, ``param``, ...).
        headers: Extra response headers, e.g. ``{"retry-after": "2"}`` for a 429.
        faults: Misbehaviour to inject.
    """

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    faults: Faults = NO_FAULTS

    def body(self) -> dict[str, Any]:
        """Return the JSON body this reply sends."""
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code is not None:
            error["code"] = self.code
        error.update(self.extra)
        return {"error": error}
