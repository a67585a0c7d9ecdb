"""The exception tree of mirastream.

Every error the library raises on purpose is a :class:`MirastreamError`::

    MirastreamError
     ├─ APIError                        .message, .body, .request
     │   ├─ APIStatusError              .status_code, .response, .type, .code
     │   │   ├─ BadRequestError (400)   AuthenticationError (401)  PermissionDeniedError (403)
     │   │   ├─ NotFoundError (404)     ConflictError (409)        UnprocessableEntityError (422)
     │   │   ├─ RateLimitError (429)    .retry_after (seconds | None)
     │   │   └─ InternalServerError (>=500)
     │   ├─ APIConnectionError          also: corrupt encoding, redirect loop, protocol error
     │   │   └─ APITimeoutError         the read timeout or total_timeout, before the stream
     │   └─ StreamError                 something went wrong after the stream started
     │       ├─ APIStreamError          the server sent an error event mid-stream
     │       ├─ StreamInterruptedError  the connection broke or the body ended early
     │       │   └─ StreamTimeoutError  no byte within the read timeout, or total_timeout passed
     │       └─ StreamDecodeError       an event's data is not the JSON chunk it must be
     ├─ ToolCallError                   a tool call that cannot become a tool
     ├─ StructuredOutputError           final JSON that fails the response_model
     ├─ StreamConsumedError             iterating a stream a second time (misuse)
     └─ StreamNotConsumedError          construct_call_response() before the end (misuse)

Lower-layer errors (httpx, jiter, pydantic) are translated once, where they cross
into mirastream, and chained with ``raise ... from exc`` so the cause stays visible.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "MirastreamError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "StreamConsumedError",
    "StreamDecodeError",
    "StreamError",
    "StreamInterruptedError",
    "StreamNotConsumedError",
    "StreamTimeoutError",
    "StructuredOutputError",
    "ToolCallError",
    "UnprocessableEntityError",
]


class MirastreamError(Exception):
    """Base class of every error mirastream raises."""


class APIError(MirastreamError):
    """A request to the API failed.

    Attributes:
        message: A human-readable description; for errors Groq reports, its own message.
        body: The decoded error payload (the whole JSON body for status errors, the inner
            ``error`` object for stream errors), or ``None``.
        request: The HTTP request that failed, when known.
    """

    def __init__(self, message: str, *, body: object = None, request: httpx.Request | None = None):
        super().__init__(message)
        self.message = message
        self.body = body
        self.request = request


def _error_object(body: object) -> dict[str, Any]:
    """Return Groq's inner ``{"message", "type", "code", ...}`` object, or ``{}``."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner
    return {}


class APIStatusError(APIError):
    """The server answered with an HTTP error status before any stream began.

    Attributes:
        status_code: The HTTP status (for a 200 whose JSON body reports an error, the
            ``status_code`` that body gives).
        response: The ``httpx.Response`` (its headers hold ``x-request-id`` and the
            ``x-ratelimit-*`` family).
        type: Groq's error ``type`` (for example ``"invalid_request_error"``), if given.
        code: Groq's error ``code`` (for example ``"rate_limit_exceeded"``), if given.
        param: Groq's error ``param``, if given.
        request_id: The ``x-request-id`` response header, if present.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object,
        status_code: int | None = None,
    ) -> None:
        status = response.status_code if status_code is None else status_code
        super().__init__(f"Error code: {status} - {message}", body=body, request=response.request)
        self.message = message
        error = _error_object(body)
        self.status_code = status
        self.response = response
        self.type: str | None = _str_or_none(error.get("type"))
        self.code: str | None = _str_or_none(error.get("code"))
        self.param: str | None = _str_or_none(error.get("param"))
        self.request_id: str | None = response.headers.get("x-request-id")


class BadRequestError(APIStatusError):
    """HTTP 400: the request was malformed or rejected (e.g. ``tool_use_failed``)."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the API key is missing or invalid."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the key may not use this resource."""


class NotFoundError(APIStatusError):
    """HTTP 404: unknown model or endpoint."""


class ConflictError(APIStatusError):
    """HTTP 409: a conflicting request; retried automatically."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: the request was well-formed but could not be processed."""


class RateLimitError(APIStatusError):
    """HTTP 429: a rate limit was reached.

    Attributes:
        retry_after: Seconds the server asked to wait (``retry-after-ms`` or
            ``retry-after``), or ``None`` when it did not say.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, response=response, body=body, status_code=status_code)
        from mirastream.groq._retry import retry_after_seconds

        self.retry_after: float | None = retry_after_seconds(response.headers)


class InternalServerError(APIStatusError):
    """HTTP 5xx: a server-side failure; retried automatically."""


class APIConnectionError(APIError):
    """The server could not be reached, or the connection failed before a response."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None):
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """The request timed out before a response arrived."""

    def __init__(
        self, message: str = "Request timed out.", *, request: httpx.Request | None = None
    ):
        super().__init__(message, request=request)


class StreamError(APIError):
    """Something went wrong after the stream had started; what arrived before stays usable."""


class APIStreamError(StreamError):
    """The server sent an error event in the middle of a stream.

    Attributes:
        type: Groq's error ``type``, e.g. ``"invalid_request_error"``.
        code: Groq's error ``code``, e.g. ``"tool_use_failed"``.
        failed_generation: What the model produced before failing, when Groq says.
        status_code: The HTTP status Groq assigns to the error inside the body, if any.
    """

    def __init__(self, body: object, *, request: httpx.Request | None = None) -> None:
        error = _error_object(body) if isinstance(body, dict) else {}
        message = error.get("message")
        if not isinstance(message, str) or not message:
            message = (
                body if isinstance(body, str) and body else "An error occurred during streaming"
            )
        super().__init__(message, body=body, request=request)
        self.type: str | None = _str_or_none(error.get("type"))
        self.code: str | None = _str_or_none(error.get("code"))
        self.failed_generation: str | None = _str_or_none(error.get("failed_generation"))
        status = error.get("status_code")
        self.status_code: int | None = status if isinstance(status, int) else None


class StreamInterruptedError(StreamError):
    """The connection broke, or the body ended before the stream was complete."""


class StreamTimeoutError(StreamInterruptedError):
    """The stream stalled: no byte within the read timeout, or ``total_timeout`` passed.

    A subclass of :class:`StreamInterruptedError`, so code that handles any interruption
    still catches it; catch it first to tell a stall apart from a dropped connection.
    """


class StreamDecodeError(StreamError):
    """An event's data could not be decoded as a chat-completion chunk.

    Attributes:
        data: The offending event data, verbatim.
    """

    def __init__(self, message: str, *, data: str, request: httpx.Request | None = None):
        super().__init__(message, body=data, request=request)
        self.data = data


class ToolCallError(MirastreamError):
    """A tool call from the model could not become a tool.

    The arguments failed validation, were not a JSON object, or named a tool that was
    not offered. The stream that raised it stays usable: keep iterating.

    Attributes:
        tool_name: The name the model called.
        tool_call_id: The call's id, needed to answer the model.
        arguments: The raw arguments string, verbatim.
    """

    def __init__(
        self, message: str, *, tool_name: str, tool_call_id: str | None, arguments: str
    ) -> None:
        super().__init__(message)
        self.tool_name = tool_name
        self.tool_call_id = tool_call_id
        self.arguments = arguments


class StructuredOutputError(MirastreamError):
    """The final JSON did not validate against the ``response_model``.

    Attributes:
        raw: The JSON text the model produced.
        errors: pydantic's list of validation errors (empty if the JSON did not parse).
    """

    def __init__(self, message: str, *, raw: str, errors: list[Any]) -> None:
        super().__init__(message)
        self.raw = raw
        self.errors = errors


class StreamConsumedError(MirastreamError):
    """A stream was iterated a second time; read its accumulated properties instead."""


class StreamNotConsumedError(MirastreamError):
    """``construct_call_response()`` was called before the stream ended; iterate it first."""


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
