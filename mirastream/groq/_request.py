"""What the sync and async clients share: configuration, request bodies, error mapping.

No IO here. The clients build an ``httpx.Request`` from these pieces and only the send
loop (one per client) touches the network.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx
from jiter import from_json

from mirastream import errors

__all__ = [
    "NOT_GIVEN",
    "DEFAULT_BASE_URL",
    "DEFAULT_HTTP_OPTIONS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ClientConfig",
    "NotGiven",
    "build_body",
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


class NotGiven:
    """The type of :data:`NOT_GIVEN`: an argument left out (``None`` has a meaning)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


def resolve_timeout(
    timeout: float | httpx.Timeout | NotGiven | None,
    http_client: httpx.Client | httpx.AsyncClient | None,
) -> float | httpx.Timeout | None:
    """The client's timeout: as given, else the user's http_client's, else 60 s / 5 s."""
    if not isinstance(timeout, NotGiven):
        return timeout
    return http_client.timeout if http_client is not None else DEFAULT_TIMEOUT


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

    __slots__ = ("_api_key", "base_url", "default_headers", "max_retries", "timeout")

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
    ) -> None:
        api_key = api_key if api_key is not None else os.environ.get("GROQ_API_KEY")
        if not api_key:
            raise errors.MirastreamError(
                "No API key: pass api_key= to the client or set the GROQ_API_KEY "
                "environment variable."
            )
        self._api_key = api_key
        base = base_url or os.environ.get("GROQ_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = str(base).rstrip("/")
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.max_retries = max_retries
        self.default_headers = dict(default_headers or {})

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
            headers.update(extra)
        return headers

    def url(self, path: str) -> str:
        """The absolute URL of an API path."""
        return self.base_url + path

    def build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        body: dict[str, Any],
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, str] | None,
        timeout: float | httpx.Timeout | None,
    ) -> httpx.Request:
        """The chat-completions request for one attempt (``timeout=None``: the client's)."""
        return http.build_request(
            "POST",
            self.url(CHAT_COMPLETIONS_PATH),
            json=body,
            headers=self.headers(extra_headers),
            params=extra_query,
            timeout=self.timeout if timeout is None else timeout,
        )


def build_body(
    messages: Any,
    model: str,
    stream: bool | None,
    params: Mapping[str, Any],
    extra_body: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The JSON body: only the fields given (``None`` means omitted), extras last."""
    body: dict[str, Any] = {"messages": list(messages), "model": model}
    for key, value in params.items():
        if value is not None:
            body[key] = list(value) if key in ("tools", "documents", "functions") else value
    if stream:
        body["stream"] = True
    elif stream is False:
        body["stream"] = False
    if extra_body:
        body.update(extra_body)
    return body


def make_status_error(response: httpx.Response) -> errors.APIStatusError:
    """Map an HTTP error response (body already read) to the typed exception."""
    text = response.text
    body: object
    try:
        body = from_json(response.content) if response.content else None
    except ValueError:
        body = text or None
    message = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            message = error["message"]
        elif isinstance(error, str):
            message = error
    if not message:
        message = text.strip() or response.reason_phrase or "HTTP error"
    status = response.status_code
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = errors.InternalServerError if status >= 500 else errors.APIStatusError
    return cls(message, response=response, body=body)
