"""What the sync and async clients share: configuration, request bodies, error bodies.

No IO here. The clients build an ``httpx.Request`` from these pieces and only the send
loop (one per client) touches the network. Caller mistakes are caught in
:mod:`._validate`, lower-layer failures mapped in :mod:`._failures`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx
from jiter import from_json

from mirastream import errors
from mirastream.groq._deadline import Deadline
from mirastream.groq._sse import DEFAULT_MAX_SIZE as MAX_EVENT_SIZE
from mirastream.groq._validate import (
    check_api_key,
    check_base_url,
    check_headers,
    check_max_retries,
    check_request,
    encode_body,
)

__all__ = [
    "NOT_GIVEN",
    "DEFAULT_BASE_URL",
    "DEFAULT_HTTP_OPTIONS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ERROR_BODY_LIMIT",
    "MAX_EVENT_SIZE",
    "MAX_MESSAGE_LENGTH",
    "ClientConfig",
    "NotGiven",
    "body_error",
    "build_body",
    "is_event_stream",
    "make_status_error",
    "resolve_timeout",
]

DEFAULT_BASE_URL = "https://api.groq.com"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
# Options of the HTTP client a Groq/AsyncGroq builds when none is given; its transport
# (a pool fit for fan-out) comes from mirastream.groq._pool.
DEFAULT_HTTP_OPTIONS: dict[str, Any] = {"follow_redirects": True}
CHAT_COMPLETIONS_PATH = "/openai/v1/chat/completions"
# What httpx.Client() uses when given no timeout: the groq SDK takes a custom client's
# timeout only when it differs from this, and its own 60 s default otherwise.
_HTTPX_DEFAULT_TIMEOUT = httpx.Timeout(5.0)

ERROR_BODY_LIMIT = 1024 * 1024
"""At most this many bytes of an error body (or of a 200 that is not what was asked for)
are read (1 MiB); the rest is never downloaded."""

MAX_MESSAGE_LENGTH = 2000
"""An error message taken from a body is cut to this many characters."""


class NotGiven:
    """The type of :data:`NOT_GIVEN`: an argument left out (``None`` has a meaning)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


def resolve_timeout(
    timeout: float | httpx.Timeout | NotGiven | None,
    http_client: httpx.Client | httpx.AsyncClient | None,
) -> float | httpx.Timeout | None:
    """The client's timeout: as given, else the http_client's, else 60 s (connect 5 s).

    As in the groq SDK, an ``http_client`` built without a timeout (httpx's 5 s default)
    gets the 60 s default: only a timeout its owner chose is taken from it.
    """
    if not isinstance(timeout, NotGiven):
        return timeout
    if http_client is not None and http_client.timeout != _HTTPX_DEFAULT_TIMEOUT:
        return http_client.timeout
    return DEFAULT_TIMEOUT


_STATUS_ERRORS: dict[int, type[errors.APIStatusError]] = {
    400: errors.BadRequestError,
    401: errors.AuthenticationError,
    403: errors.PermissionDeniedError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    422: errors.UnprocessableEntityError,
    429: errors.RateLimitError,
}


class ClientConfig:
    """Settings resolved once per client; never shows the API key in ``repr``."""

    __slots__ = (
        "_api_key",
        "base_url",
        "default_headers",
        "max_event_size",
        "max_retries",
        "timeout",
        "total_timeout",
    )

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        total_timeout: float | None = None,
        max_event_size: int = MAX_EVENT_SIZE,
    ) -> None:
        api_key = api_key if api_key is not None else os.environ.get("GROQ_API_KEY")
        if not api_key:
            raise errors.MirastreamError(
                "No API key: pass api_key= to the client or set the GROQ_API_KEY "
                "environment variable."
            )
        self._api_key = check_api_key(api_key)
        base = base_url or os.environ.get("GROQ_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = check_base_url(str(base)).rstrip("/")
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.max_retries = check_max_retries(max_retries)
        self.default_headers = check_headers(default_headers, "default_headers")
        if total_timeout is not None and not total_timeout > 0:
            raise ValueError("total_timeout must be a positive number of seconds or None.")
        self.total_timeout = total_timeout
        if isinstance(max_event_size, bool) or not isinstance(max_event_size, int):
            raise TypeError("max_event_size must be an int (bytes).")
        if max_event_size < 1024:
            raise ValueError("max_event_size must be at least 1024 bytes.")
        self.max_event_size = max_event_size

    def deadline(self, total_timeout: float | NotGiven | None) -> Deadline | None:
        """Start the deadline of one call: ``create(total_timeout=...)``, else the client's."""
        limit = self.total_timeout if isinstance(total_timeout, NotGiven) else total_timeout
        return Deadline.start(limit)

    def __repr__(self) -> str:
        return f"ClientConfig(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        """Headers for one request: ours, then the client's defaults, then per-call extras."""
        from mirastream import __version__

        headers = {
            "authorization": f"Bearer {self._api_key}",
            "accept": "application/json",
            "content-type": "application/json",
            "user-agent": f"mirastream/{__version__}",
        }
        headers.update(self.default_headers)
        if extra:
            headers.update(check_headers(extra, "extra_headers"))
        return headers

    def url(self, path: str) -> str:
        """The absolute URL of an API path."""
        return self.base_url + path

    def build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        content: bytes,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, str] | None,
        timeout: httpx.Timeout,
    ) -> httpx.Request:
        """The chat-completions request for one attempt, its body already encoded."""
        return http.build_request(
            "POST",
            self.url(CHAT_COMPLETIONS_PATH),
            content=content,
            headers=self.headers(extra_headers),
            params=extra_query,
            timeout=timeout,
        )

    def request_timeout(self, timeout: float | httpx.Timeout | None) -> httpx.Timeout:
        """The timeout of one call: ``create(timeout=...)`` if given, else the client's."""
        if timeout is None:
            return self.timeout
        return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


def build_body(
    messages: Any,
    model: str,
    stream: bool | None,
    params: Mapping[str, Any],
    extra_body: Mapping[str, Any] | None,
) -> bytes:
    """The JSON body: only the fields given (``None`` means omitted), extras last.

    Raises:
        TypeError: A caller mistake (see :func:`._validate.check_request`).
        ValueError: Likewise (an empty model, NaN).
    """
    body: dict[str, Any] = {"messages": check_request(messages, model, params), "model": model}
    for key, value in params.items():
        if value is not None:
            body[key] = list(value) if key in ("tools", "documents", "functions") else value
    if stream:
        body["stream"] = True
    elif stream is False:
        body["stream"] = False
    if extra_body:
        body.update(extra_body)
    return encode_body(body)


def _cut(text: str) -> str:
    if len(text) <= MAX_MESSAGE_LENGTH:
        return text
    return f"{text[:MAX_MESSAGE_LENGTH]}... ({len(text) - MAX_MESSAGE_LENGTH} more characters)"


def _parse(response: httpx.Response) -> object:
    try:
        return from_json(response.content) if response.content else None
    except ValueError:
        return response.text or None


def _server_message(body: object) -> str | None:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return None


def make_status_error(
    response: httpx.Response, *, message: str | None = None, status_code: int | None = None
) -> errors.APIStatusError:
    """Map an error response (body read, up to :data:`ERROR_BODY_LIMIT`) to its class.

    Args:
        response: The response, its (possibly cut) body read.
        message: The message to use instead of the server's.
        status_code: The status that picks the class, when not the HTTP one (a 200 whose
            JSON body reports an error with its own ``status_code``).
    """
    body = _parse(response)
    if message is None:
        message = _server_message(body) or (
            response.text.strip() or response.reason_phrase or "HTTP error"
        )
    status = response.status_code if status_code is None else status_code
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = errors.InternalServerError if status >= 500 else errors.APIStatusError
    return cls(_cut(message), response=response, body=body, status_code=status)


def is_event_stream(headers: httpx.Headers) -> bool:
    """Whether a stream response's body is SSE (``text/event-stream``, or no type at all)."""
    content_type = headers.get("content-type")
    return content_type is None or content_type.split(";")[0].strip() == "text/event-stream"


def body_error(response: httpx.Response, *, stream: bool) -> errors.APIError:
    """The error for a 2xx whose body (read, cut) is not what was asked for.

    A JSON ``{"error": ...}`` body (some proxies answer so) becomes the status error its
    own ``status_code`` names (else a plain :class:`~mirastream.errors.APIStatusError`),
    with the server's message; anything else, for a stream request, a
    :class:`~mirastream.errors.StreamDecodeError` naming the content type.
    """
    body = _parse(response)
    if isinstance(body, dict) and body.get("error"):
        error = body["error"]
        status = error.get("status_code") if isinstance(error, dict) else None
        if not isinstance(status, int) or isinstance(status, bool) or status < 400:
            status = None
        return make_status_error(response, status_code=status)
    content_type = response.headers.get("content-type", "no content-type")
    snippet = _cut(response.text.strip())
    if stream:
        return errors.StreamDecodeError(
            f"A stream was asked for but the server answered {response.status_code} with "
            f"{content_type}, not text/event-stream: {snippet!r}",
            data=response.text,
            request=response.request,
        )
    return errors.APIError(
        f"The response is not a chat completion ({content_type}): {snippet[:200]!r}",
        body=response.text,
        request=response.request,
    )
