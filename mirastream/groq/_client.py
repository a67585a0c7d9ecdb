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

from mirastream.errors import APIConnectionError, APIError, APITimeoutError
from mirastream.groq._closing import drain_deferred
from mirastream.groq._params import ChatCompletionMessageParam, CompletionCreateParams
from mirastream.groq._pool import fan_out_client_options
from mirastream.groq._request import (
    DEFAULT_HTTP_OPTIONS,
    DEFAULT_MAX_RETRIES,
    NOT_GIVEN,
    ClientConfig,
    NotGiven,
    build_body,
    make_status_error,
    resolve_timeout,
)
from mirastream.groq._retry import retry_delay, should_retry
from mirastream.groq._streaming import Stream
from mirastream.groq.types import ChatCompletion, ChatCompletionChunk

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

__all__ = ["BaseClient", "Groq", "Timeout", "completion_from_response"]

Timeout = float | httpx.Timeout | None


def completion_from_response(response: httpx.Response) -> ChatCompletion:
    """Decode a non-stream response body as a :class:`ChatCompletion`."""
    try:
        return ChatCompletion(from_json(response.content))
    except ValueError as exc:
        raise APIError(
            f"The response is not valid JSON: {response.text[:200]!r}",
            body=response.text,
            request=response.request,
        ) from exc


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
    ) -> None:
        self._config = ClientConfig(
            api_key=api_key,
            base_url=base_url,
            timeout=resolve_timeout(timeout, http_client),
            max_retries=max_retries,
            default_headers=default_headers,
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
            given, else 60 s (connect 5 s). For a stream the read timeout bounds each gap
            between bytes, not the whole stream.
        max_retries: Retries for connection errors and 408/409/429/498/5xx (default 2).
        default_headers: Headers sent with every request.
        http_client: An ``httpx.Client`` to use (not closed by :meth:`close`).
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
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            http_client=http_client,
        )
        self.chat = Chat(self)

    @staticmethod
    def _new_http(timeout: httpx.Timeout) -> httpx.Client:
        options = fan_out_client_options(sync=True)
        return httpx.Client(**DEFAULT_HTTP_OPTIONS, **options, timeout=timeout)

    def _send(
        self,
        body: dict[str, Any],
        *,
        stream: bool,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, str] | None,
        timeout: Timeout | None,
    ) -> httpx.Response:
        drain_deferred()  # close what a garbage collection let go of, before using the pool
        config = self._config
        retries = 0
        while True:
            request = config.build_request(self._http, body, extra_headers, extra_query, timeout)
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                if retries < config.max_retries:
                    time.sleep(retry_delay(retries, config.max_retries, None))
                    retries += 1
                    continue
                if isinstance(exc, httpx.TimeoutException):
                    raise APITimeoutError(request=request) from exc
                raise APIConnectionError(f"Connection error: {exc!r}", request=request) from exc
            if response.is_success:
                return response
            if retries < config.max_retries and should_retry(
                response.status_code, response.headers
            ):
                delay = retry_delay(retries, config.max_retries, response.headers)
                response.close()
                time.sleep(delay)
                retries += 1
                continue
            try:
                response.read()
            finally:
                response.close()
            raise make_status_error(response)

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
            **params: Any documented request field (``tools``, ``temperature``,
                ``stream_options``, ``response_format``, ``reasoning_format`` ...).

        Returns:
            A ``ChatCompletion``, or a ``Stream[ChatCompletionChunk]`` when streaming.

        Raises:
            APIStatusError: The server answered with an error status (typed by status).
            APIConnectionError: The server could not be reached, after retries.
        """
        body = build_body(messages, model, stream, params, extra_body)
        response = self._client._send(
            body,
            stream=bool(stream),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )
        if stream:
            return Stream[ChatCompletionChunk](response)
        return completion_from_response(response)
