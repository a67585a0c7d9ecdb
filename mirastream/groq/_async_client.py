"""``AsyncGroq``: the async twin of :class:`~mirastream.groq.Groq`.

Same configuration, same request building (:mod:`._request`), same retry policy; only
the send loop differs, awaiting where the sync one blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

import httpx

from mirastream.errors import APIConnectionError, APITimeoutError
from mirastream.groq._client import BaseClient, Timeout, completion_from_response
from mirastream.groq._params import ChatCompletionMessageParam, CompletionCreateParams
from mirastream.groq._pool import fan_out_client_options
from mirastream.groq._request import (
    DEFAULT_HTTP_OPTIONS,
    DEFAULT_MAX_RETRIES,
    NOT_GIVEN,
    NotGiven,
    build_body,
    make_status_error,
)
from mirastream.groq._retry import retry_delay, should_retry
from mirastream.groq._streaming import AsyncStream
from mirastream.groq.types import ChatCompletion, ChatCompletionChunk

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

__all__ = ["AsyncGroq"]


class AsyncGroq(BaseClient[httpx.AsyncClient]):
    """Asynchronous Groq client; the same arguments as :class:`Groq`.

    Args:
        api_key: Defaults to the ``GROQ_API_KEY`` environment variable.
        base_url: Defaults to ``GROQ_BASE_URL`` or ``https://api.groq.com``.
        timeout: Seconds or an ``httpx.Timeout``; default: the ``http_client``'s if one is
            given, else 60 s (connect 5 s).
        max_retries: Retries for connection errors and 408/409/429/498/5xx (default 2).
        default_headers: Headers sent with every request.
        http_client: An ``httpx.AsyncClient`` to use (not closed by :meth:`close`).
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
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            http_client=http_client,
        )
        self.chat = AsyncChat(self)

    @staticmethod
    def _new_http(timeout: httpx.Timeout) -> httpx.AsyncClient:
        options = fan_out_client_options(sync=False)
        return httpx.AsyncClient(**DEFAULT_HTTP_OPTIONS, **options, timeout=timeout)

    async def _send(
        self,
        body: dict[str, Any],
        *,
        stream: bool,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, str] | None,
        timeout: Timeout | None,
    ) -> httpx.Response:
        import anyio  # httpx's own dependency; imported here to keep import time low

        config = self._config
        retries = 0
        while True:
            request = config.build_request(self._http, body, extra_headers, extra_query, timeout)
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                if retries < config.max_retries:
                    await anyio.sleep(retry_delay(retries, config.max_retries, None))
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
                await response.aclose()
                await anyio.sleep(delay)
                retries += 1
                continue
            try:
                await response.aread()
            finally:
                await response.aclose()
            raise make_status_error(response)

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
            **params: Any documented request field.

        Returns:
            A ``ChatCompletion``, or an ``AsyncStream[ChatCompletionChunk]`` when streaming.

        Raises:
            APIStatusError: The server answered with an error status (typed by status).
            APIConnectionError: The server could not be reached, after retries.
        """
        body = build_body(messages, model, stream, params, extra_body)
        response = await self._client._send(
            body,
            stream=bool(stream),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )
        if stream:
            return AsyncStream[ChatCompletionChunk](response)
        return completion_from_response(response)
