"""``AsyncGroq``: the async twin of :class:`~mirastream.groq.Groq`.

Same configuration, same request building (:mod:`._request`), same retry policy; only
the send loop differs, awaiting where the sync one blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

import httpx

from mirastream.groq._client import BaseClient, Timeout, completion_from_response
from mirastream.groq._deadline import Deadline, attempt_timeout, stream_timeout
from mirastream.groq._failures import LOWER_LAYER, may_retry, request_failure
from mirastream.groq._logs import log_failure, log_response, log_retry
from mirastream.groq._params import ChatCompletionMessageParam, CompletionCreateParams
from mirastream.groq._pool import fan_out_client_options
from mirastream.groq._reading import aread_body
from mirastream.groq._redirects import RedirectRefused, redirect_target
from mirastream.groq._request import (
    DEFAULT_HTTP_OPTIONS,
    DEFAULT_MAX_RETRIES,
    ERROR_BODY_LIMIT,
    MAX_EVENT_SIZE,
    NOT_GIVEN,
    NotGiven,
    body_error,
    build_body,
    is_event_stream,
    make_status_error,
)
from mirastream.groq._retry import retry_delay, should_retry
from mirastream.groq._streaming import AsyncStream
from mirastream.groq.types import ChatCompletion, ChatCompletionChunk

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

    from mirastream.groq._raw_response import (
        AsyncCompletionsWithRawResponse,
        AsyncCompletionsWithStreamingResponse,
    )

__all__ = ["AsyncGroq"]


class AsyncGroq(BaseClient[httpx.AsyncClient]):
    """Asynchronous Groq client; the same arguments as :class:`Groq`.

    Args:
        api_key: Defaults to the ``GROQ_API_KEY`` environment variable.
        base_url: Defaults to ``GROQ_BASE_URL`` or ``https://api.groq.com``.
        timeout: Seconds or an ``httpx.Timeout``; default: the ``http_client``'s if one is
            given with a timeout of its own (as in the groq SDK), else 60 s (connect 5 s).
        max_retries: Retries for connection errors and 408/409/429/498/5xx (default 2).
        default_headers: Headers sent with every request.
        http_client: An ``httpx.AsyncClient`` to use (not closed by :meth:`close`).
        total_timeout: The most one call may take, in seconds (default: no limit); see
            :class:`Groq`.
        max_event_size: The largest SSE line or event accepted, in bytes; see
            :class:`Groq`.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
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
        self.chat = AsyncChat(self)

    @staticmethod
    def _new_http(timeout: httpx.Timeout) -> httpx.AsyncClient:
        options = fan_out_client_options(sync=False)
        return httpx.AsyncClient(**DEFAULT_HTTP_OPTIONS, **options, timeout=timeout)

    async def _send(
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
        # The twin of Groq._send (same steps, same helpers); only the waits are awaited.
        import anyio  # httpx's own dependency; imported here to keep import time low

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
                response = await self._send_following(request, deadline)
            except LOWER_LAYER as exc:
                delay = retry_delay(retries, config.max_retries, None)
                if retries < config.max_retries and may_retry(exc, delay, deadline):
                    log_retry(model, retries + 1, delay, error=exc)
                    await anyio.sleep(delay)
                    retries += 1
                    continue
                log_failure(model, stream, exc)
                raise request_failure(exc, request, deadline) from exc
            if response.is_success:
                if not stream:
                    response = await aread_body(response, None, deadline)
                    log_response(model, stream, response)
                    return response, deadline
                log_response(model, stream, response)
                if is_event_stream(response.headers):
                    stream_timeout(response, base_timeout, deadline)
                    return response, deadline
                error = await aread_body(response, ERROR_BODY_LIMIT, deadline)
                raise body_error(error, stream=True)
            if retries < config.max_retries and should_retry(
                response.status_code, response.headers
            ):
                delay = retry_delay(retries, config.max_retries, response.headers)
                if deadline is None or deadline.allows(delay):
                    log_retry(model, retries + 1, delay, response=response)
                    await response.aclose()
                    await anyio.sleep(delay)
                    retries += 1
                    continue
            error = await aread_body(response, ERROR_BODY_LIMIT, deadline)
            log_response(model, stream, error)
            raise make_status_error(error)

    async def _send_following(
        self, request: httpx.Request, deadline: Deadline | None
    ) -> httpx.Response:
        hops = 0  # see Groq._send_following
        while True:
            response = await self._http.send(request, stream=True, follow_redirects=False)
            if not response.has_redirect_location:
                return response
            try:
                request = redirect_target(request, response, hops)
            except RedirectRefused as refused:
                error = await aread_body(response, ERROR_BODY_LIMIT, deadline)
                raise make_status_error(error, message=str(refused)) from None
            await response.aclose()
            hops += 1

    async def close(self) -> None:
        """Close the underlying HTTP client, if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class AsyncChat:
    """``client.chat`` of :class:`AsyncGroq`."""

    def __init__(self, client: AsyncGroq) -> None:
        self.completions = AsyncCompletions(client)


class AsyncCompletions:
    """``client.chat.completions`` of :class:`AsyncGroq`."""

    def __init__(self, client: AsyncGroq) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> AsyncCompletionsWithRawResponse:
        """``create`` returning the raw HTTP response (headers, ``parse()``), as in the SDK."""
        from mirastream.groq._raw_response import AsyncCompletionsWithRawResponse

        return AsyncCompletionsWithRawResponse(self)

    @property
    def with_streaming_response(self) -> AsyncCompletionsWithStreamingResponse:
        """``create`` as a context manager around the raw response, as in the SDK."""
        from mirastream.groq._raw_response import AsyncCompletionsWithStreamingResponse

        return AsyncCompletionsWithStreamingResponse(self)

    @overload
    async def create(
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
    ) -> AsyncStream[ChatCompletionChunk]: ...
    @overload
    async def create(
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
    async def create(
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
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]: ...
    async def create(
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
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """Create a chat completion; with ``stream=True``, an :class:`AsyncStream`.

        Args:
            messages: The conversation so far.
            model: The model id.
            stream: ``True`` for a stream of chunks ending at ``data: [DONE]``.
            extra_headers: Headers for this request only.
            extra_query: Query parameters for this request only.
            extra_body: Body fields sent as given (after the typed ones).
            timeout: Overrides the client's timeout for this request.
            total_timeout: Overrides the client's ``total_timeout`` for this call
                (``None``: no limit).
            **params: Any documented request field.

        Returns:
            A ``ChatCompletion``, or an ``AsyncStream[ChatCompletionChunk]`` when streaming.

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
        response, deadline = await client._send(
            content,
            model=model,
            stream=bool(stream),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
            total_timeout=total_timeout,
        )
        if stream:
            return AsyncStream[ChatCompletionChunk](
                response, deadline=deadline, max_event_size=client._config.max_event_size
            )
        return completion_from_response(response)
