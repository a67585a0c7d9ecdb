"""``Groq``: a drop-in client for the groq SDK's chat completions (async twin: ``AsyncGroq``).

The send loop is the only code here that does IO: it retries connection failures and
retryable statuses (policy in :mod:`mirastream.groq._retry`) and never retries once a
response body has begun to stream. Request building is shared in :mod:`._request`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import httpx
from jiter import from_json

from mirastream.groq._closing import drain_deferred
from mirastream.groq._deadline import Deadline, attempt_timeout, stream_timeout
from mirastream.groq._failures import LOWER_LAYER, may_retry, request_failure
from mirastream.groq._logs import log_failure, log_response, log_retry
from mirastream.groq._params import ChatCompletionMessageParam, CompletionCreateParams
from mirastream.groq._pool import fan_out_client_options
from mirastream.groq._reading import read_body
from mirastream.groq._redirects import RedirectRefused, redirect_target
from mirastream.groq._request import (
    DEFAULT_HTTP_OPTIONS,
    DEFAULT_MAX_RETRIES,
    ERROR_BODY_LIMIT,
    MAX_EVENT_SIZE,
    NOT_GIVEN,
    ClientConfig,
    NotGiven,
    body_error,
    build_body,
    is_event_stream,
    make_status_error,
    resolve_timeout,
)
from mirastream.groq._retry import retry_delay, should_retry
from mirastream.groq._streaming import Stream
from mirastream.groq.types import ChatCompletion, ChatCompletionChunk

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

    from mirastream.groq._raw_response import (
        CompletionsWithRawResponse,
        CompletionsWithStreamingResponse,
    )

__all__ = ["BaseClient", "Groq", "Timeout", "completion_from_response"]

Timeout = float | httpx.Timeout | None


def completion_from_response(response: httpx.Response) -> ChatCompletion:
    """Decode a non-stream response body (read) as a :class:`ChatCompletion`.

    Raises:
        APIStatusError: The body is a JSON ``{"error": ...}`` (see ``body_error``).
        APIError: The body is not a JSON object (an HTML page, say).
    """
    try:
        obj = from_json(response.content)
    except ValueError as exc:
        raise body_error(response, stream=False) from exc
    if type(obj) is not dict or obj.get("error"):
        raise body_error(response, stream=False)
    return ChatCompletion(obj)


HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)


class BaseClient(Generic[HttpT]):
    """What ``Groq`` and ``AsyncGroq`` share: resolved settings and the HTTP client."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: Timeout | NotGiven,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        http_client: HttpT | None,
        total_timeout: float | None = None,
        max_event_size: int = MAX_EVENT_SIZE,
    ) -> None:
        self._config = ClientConfig(
            api_key=api_key,
            base_url=base_url,
            timeout=resolve_timeout(timeout, http_client),
            max_retries=max_retries,
            default_headers=default_headers,
            total_timeout=total_timeout,
            max_event_size=max_event_size,
        )
        self._owns_http = http_client is None
        self._http: HttpT = http_client or self._new_http(self._config.timeout)

    @staticmethod
    def _new_http(timeout: httpx.Timeout) -> HttpT:
        """The HTTP client to build when none is given."""
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        """The API's base URL."""
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        """How many times a failed request is retried."""
        return self._config.max_retries

    def __repr__(self) -> str:
        # Never the key: ClientConfig keeps it private and out of every repr.
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class Groq(BaseClient[httpx.Client]):
    """Synchronous Groq client.

    Args:
        api_key: Defaults to the ``GROQ_API_KEY`` environment variable.
        base_url: Defaults to ``GROQ_BASE_URL`` or ``https://api.groq.com``.
        timeout: Seconds or an ``httpx.Timeout``; default: the ``http_client``'s if one is
            given with a timeout of its own (as in the groq SDK), else 60 s (connect 5 s).
            For a stream the read timeout bounds each gap between bytes, not the whole
            stream.
        max_retries: Retries for connection errors and 408/409/429/498/5xx (default 2).
        default_headers: Headers sent with every request.
        http_client: An ``httpx.Client`` to use (not closed by :meth:`close`).
        total_timeout: The most one call may take, in seconds, from ``create()`` to the
            stream's last chunk, retries included (default ``None``: no limit). Apart from
            ``timeout``, which bounds each wait: a server dripping a byte a second passes
            every read timeout but not this. Its error is ``APITimeoutError`` before the
            stream, ``StreamTimeoutError`` during it.
        max_event_size: The largest SSE line or event accepted, in bytes (default 16 MiB,
            far above Groq's largest events); a larger one ends the stream with
            ``StreamDecodeError`` before it costs more memory.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        total_timeout: float | None = None,
        max_event_size: int = MAX_EVENT_SIZE,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            http_client=http_client,
            total_timeout=total_timeout,
            max_event_size=max_event_size,
        )
        self.chat = Chat(self)

    @staticmethod
    def _new_http(timeout: httpx.Timeout) -> httpx.Client:
        options = fan_out_client_options(sync=True)
        return httpx.Client(**DEFAULT_HTTP_OPTIONS, **options, timeout=timeout)

    def _send(
        self,
        content: bytes,
        *,
        model: str,
        stream: bool,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, str] | None,
        timeout: Timeout | None,
        total_timeout: float | NotGiven | None,
    ) -> tuple[httpx.Response, Deadline | None]:
        drain_deferred()  # close what a garbage collection let go of, before using the pool
        config = self._config
        deadline = config.deadline(total_timeout)
        base_timeout = config.request_timeout(timeout)
        retries = 0
        while True:
            request = config.build_request(
                self._http,
                content,
                extra_headers,
                extra_query,
                attempt_timeout(base_timeout, deadline),
            )
            try:
                response = self._send_following(request, deadline)
            except LOWER_LAYER as exc:
                delay = retry_delay(retries, config.max_retries, None)
                if retries < config.max_retries and may_retry(exc, delay, deadline):
                    log_retry(model, retries + 1, delay, error=exc)
                    time.sleep(delay)
                    retries += 1
                    continue
                log_failure(model, stream, exc)
                raise request_failure(exc, request, deadline) from exc
            if response.is_success:
                if not stream:
                    response = read_body(response, None, deadline)
                    log_response(model, stream, response)
                    return response, deadline
                log_response(model, stream, response)
                if is_event_stream(response.headers):
                    stream_timeout(response, base_timeout, deadline)
                    return response, deadline
                raise body_error(read_body(response, ERROR_BODY_LIMIT, deadline), stream=True)
            if retries < config.max_retries and should_retry(
                response.status_code, response.headers
            ):
                delay = retry_delay(retries, config.max_retries, response.headers)
                if deadline is None or deadline.allows(delay):
                    log_retry(model, retries + 1, delay, response=response)
                    response.close()
                    time.sleep(delay)
                    retries += 1
                    continue
            error = read_body(response, ERROR_BODY_LIMIT, deadline)
            log_response(model, stream, error)
            raise make_status_error(error)

    def _send_following(self, request: httpx.Request, deadline: Deadline | None) -> httpx.Response:
        # One attempt, following same-origin redirects only (see _redirects).
        hops = 0
        while True:
            response = self._http.send(request, stream=True, follow_redirects=False)
            if not response.has_redirect_location:
                return response
            try:
                request = redirect_target(request, response, hops)
            except RedirectRefused as refused:
                error = read_body(response, ERROR_BODY_LIMIT, deadline)
                raise make_status_error(error, message=str(refused)) from None
            response.close()
            hops += 1

    def close(self) -> None:
        """Close the underlying HTTP client, if this client created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Chat:
    """``client.chat``."""

    def __init__(self, client: Groq) -> None:
        self.completions = Completions(client)


class Completions:
    """``client.chat.completions``."""

    def __init__(self, client: Groq) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> CompletionsWithRawResponse:
        """``create`` returning the raw HTTP response (headers, ``parse()``), as in the SDK."""
        from mirastream.groq._raw_response import CompletionsWithRawResponse

        return CompletionsWithRawResponse(self)

    @property
    def with_streaming_response(self) -> CompletionsWithStreamingResponse:
        """``create`` as a context manager around the raw response, as in the SDK."""
        from mirastream.groq._raw_response import CompletionsWithStreamingResponse

        return CompletionsWithStreamingResponse(self)

    @overload
    def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: Literal[True],
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
        total_timeout: float | NotGiven | None = NOT_GIVEN,
        **params: Unpack[CompletionCreateParams],
    ) -> Stream[ChatCompletionChunk]: ...
    @overload
    def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: Literal[False] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
        total_timeout: float | NotGiven | None = NOT_GIVEN,
        **params: Unpack[CompletionCreateParams],
    ) -> ChatCompletion: ...
    @overload
    def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: bool,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
        total_timeout: float | NotGiven | None = NOT_GIVEN,
        **params: Unpack[CompletionCreateParams],
    ) -> ChatCompletion | Stream[ChatCompletionChunk]: ...
    def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: bool | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
        total_timeout: float | NotGiven | None = NOT_GIVEN,
        **params: Unpack[CompletionCreateParams],
    ) -> ChatCompletion | Stream[ChatCompletionChunk]:
        """Create a chat completion; with ``stream=True``, a :class:`Stream` of chunks.

        Args:
            messages: The conversation so far.
            model: The model id, e.g. ``"llama-3.3-70b-versatile"``.
            stream: ``True`` for a stream of chunks ending at ``data: [DONE]``.
            extra_headers: Headers for this request only.
            extra_query: Query parameters for this request only.
            extra_body: Body fields sent as given (after the typed ones).
            timeout: Overrides the client's timeout for this request.
            total_timeout: Overrides the client's ``total_timeout`` for this call
                (``None``: no limit).
            **params: Any documented request field (``tools``, ``temperature``,
                ``stream_options``, ``response_format``, ``reasoning_format`` ...).

        Returns:
            A ``ChatCompletion``, or a ``Stream[ChatCompletionChunk]`` when streaming.

        Raises:
            APIStatusError: The server answered with an error status (typed by status).
            APIConnectionError: The server could not be reached, after retries
                (``APITimeoutError``: a timeout or ``total_timeout``).
            TypeError: A caller mistake: ``messages`` not a list of message dicts, an
                unknown keyword, a value JSON cannot carry. Nothing was sent.
            ValueError: Likewise: an empty ``model``, NaN. Nothing was sent.
        """
        content = build_body(messages, model, stream, params, extra_body)
        client = self._client
        response, deadline = client._send(
            content,
            model=model,
            stream=bool(stream),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
            total_timeout=total_timeout,
        )
        if stream:
            return Stream[ChatCompletionChunk](
                response, deadline=deadline, max_event_size=client._config.max_event_size
            )
        return completion_from_response(response)
