"""``client.chat.completions.with_raw_response`` / ``with_streaming_response``, as in the SDK.

``with_raw_response.create(...)`` sends the same request as ``create(...)`` but returns
an :class:`APIResponse`: the HTTP response (headers, status, ``x-ratelimit-*``) with
``parse()`` for what ``create`` would have returned (a ``ChatCompletion``, or a
``Stream`` when ``stream=True``). ``with_streaming_response.create(...)`` is a context
manager around the same object that closes the response on exit.

Differences from the groq SDK: ``parse()`` takes no ``to=`` argument (there is one
result type), and a non-stream body is read before ``create`` returns in both variants
(the SDK's streaming variant defers it); ``rate_limits`` is extra.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from mirastream.groq._client import Completions, Timeout, completion_from_response
from mirastream.groq._deadline import Deadline
from mirastream.groq._params import ChatCompletionMessageParam, CompletionCreateParams
from mirastream.groq._ratelimits import RateLimits
from mirastream.groq._request import NOT_GIVEN, NotGiven, build_body
from mirastream.groq._sse import DEFAULT_MAX_SIZE
from mirastream.groq._streaming import AsyncStream, Stream
from mirastream.groq.types import ChatCompletion, ChatCompletionChunk

if TYPE_CHECKING:
    from typing_extensions import Required, Unpack

    from mirastream.groq._async_client import AsyncCompletions

__all__ = [
    "APIResponse",
    "AsyncAPIResponse",
    "AsyncCompletionsWithRawResponse",
    "AsyncCompletionsWithStreamingResponse",
    "AsyncResponseContextManager",
    "CompletionsWithRawResponse",
    "CompletionsWithStreamingResponse",
    "CreateArgs",
    "ResponseContextManager",
]

R = TypeVar("R")


class CreateArgs(CompletionCreateParams, total=False):
    """The keyword arguments of ``create``: ``messages``, ``model`` and the rest."""

    messages: Required[Iterable[ChatCompletionMessageParam]]
    model: Required[str]
    stream: bool | None
    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, str] | None
    extra_body: Mapping[str, Any] | None
    timeout: Timeout | None
    total_timeout: float | NotGiven | None


def _prepare(args: Mapping[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """Split ``create``'s arguments into the encoded body and ``_send``'s options.

    The body is built and checked as ``create`` builds it: a caller mistake raises
    before anything is sent.
    """
    params = dict(args)
    messages = params.pop("messages")
    model = params.pop("model")
    stream = params.pop("stream", None)
    extra_body = params.pop("extra_body", None)
    options = {
        "model": model,
        "stream": bool(stream),
        "extra_headers": params.pop("extra_headers", None),
        "extra_query": params.pop("extra_query", None),
        "timeout": params.pop("timeout", None),
        "total_timeout": params.pop("total_timeout", NOT_GIVEN),
    }
    return build_body(messages, model, stream, params, extra_body), options


class _BaseResponse(Generic[R]):
    """What both response kinds expose without IO."""

    def __init__(
        self,
        response: httpx.Response,
        *,
        stream: bool,
        deadline: Deadline | None = None,
        max_event_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        self.http_response = response
        self._stream = stream
        self._deadline = deadline  # the call's total_timeout goes on into parse()'s stream
        self._max_event_size = max_event_size
        self._parsed: R | None = None

    @property
    def headers(self) -> httpx.Headers:
        """The response headers."""
        return self.http_response.headers

    @property
    def http_request(self) -> httpx.Request:
        """The request that was sent."""
        return self.http_response.request

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self.http_response.status_code

    @property
    def url(self) -> httpx.URL:
        """The URL the request was sent to."""
        return self.http_response.url

    @property
    def method(self) -> str:
        """The HTTP method (``POST``)."""
        return self.http_request.method

    @property
    def http_version(self) -> str:
        """The HTTP version, e.g. ``"HTTP/1.1"``."""
        return self.http_response.http_version

    @property
    def elapsed(self) -> datetime.timedelta:
        """Time from sending the request to the end of the response (once it is read)."""
        return self.http_response.elapsed

    @property
    def is_closed(self) -> bool:
        """Whether the response body has been closed."""
        return self.http_response.is_closed

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` response header."""
        request_id: str | None = self.headers.get("x-request-id")
        return request_id

    @property
    def rate_limits(self) -> RateLimits:
        """Groq's ``x-ratelimit-*`` headers, parsed."""
        return RateLimits.from_headers(self.headers)

    def __repr__(self) -> str:
        kind = "Stream" if self._stream else "ChatCompletion"
        return (
            f"<{type(self).__name__} [{self.status_code} {self.http_response.reason_phrase}]"
            f" type={kind}>"
        )


class APIResponse(_BaseResponse[R]):
    """The raw answer to ``with_raw_response.create(...)``; ``parse()`` gives the result."""

    def parse(self) -> R:
        """What ``create`` would have returned: a ``ChatCompletion`` or a ``Stream``.

        Parsing twice returns the same object.
        """
        if self._parsed is None:
            if self._stream:
                self._parsed = Stream[ChatCompletionChunk](  # type: ignore[assignment]
                    self.http_response,
                    deadline=self._deadline,
                    max_event_size=self._max_event_size,
                )
            else:
                self._parsed = completion_from_response(self.http_response)  # type: ignore[assignment]
        return self._parsed  # type: ignore[return-value]

    def read(self) -> bytes:
        """Read and return the whole body."""
        return self.http_response.read()

    def text(self) -> str:
        """Read the body and decode it as text."""
        self.read()
        return self.http_response.text

    def json(self) -> object:
        """Read the body and decode it as JSON."""
        self.read()
        return self.http_response.json()

    def close(self) -> None:
        """Close the response and release the connection."""
        self.http_response.close()

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body's bytes, decoded (gzip, ...), as they arrive."""
        yield from self.http_response.iter_bytes(chunk_size)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        """The body as text, as it arrives."""
        yield from self.http_response.iter_text(chunk_size)

    def iter_lines(self) -> Iterator[str]:
        """The body line by line, as it arrives."""
        yield from self.http_response.iter_lines()


class AsyncAPIResponse(_BaseResponse[R]):
    """The async twin of :class:`APIResponse`: ``await response.parse()``."""

    async def parse(self) -> R:
        """What ``create`` would have returned: a ``ChatCompletion`` or an ``AsyncStream``."""
        if self._parsed is None:
            if self._stream:
                self._parsed = AsyncStream[ChatCompletionChunk](  # type: ignore[assignment]
                    self.http_response,
                    deadline=self._deadline,
                    max_event_size=self._max_event_size,
                )
            else:
                await self.http_response.aread()
                self._parsed = completion_from_response(self.http_response)  # type: ignore[assignment]
        return self._parsed  # type: ignore[return-value]

    async def read(self) -> bytes:
        """Read and return the whole body."""
        return await self.http_response.aread()

    async def text(self) -> str:
        """Read the body and decode it as text."""
        await self.read()
        return self.http_response.text

    async def json(self) -> object:
        """Read the body and decode it as JSON."""
        await self.read()
        return self.http_response.json()

    async def close(self) -> None:
        """Close the response and release the connection."""
        await self.http_response.aclose()

    async def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body's bytes, decoded, as they arrive."""
        async for piece in self.http_response.aiter_bytes(chunk_size):
            yield piece

    async def iter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        """The body as text, as it arrives."""
        async for piece in self.http_response.aiter_text(chunk_size):
            yield piece

    async def iter_lines(self) -> AsyncIterator[str]:
        """The body line by line, as it arrives."""
        async for line in self.http_response.aiter_lines():
            yield line


SyncResult = ChatCompletion | Stream[ChatCompletionChunk]
AsyncResult = ChatCompletion | AsyncStream[ChatCompletionChunk]


class CompletionsWithRawResponse:
    """``client.chat.completions.with_raw_response``."""

    def __init__(self, completions: Completions) -> None:
        self._completions = completions

    def create(self, **kwargs: Unpack[CreateArgs]) -> APIResponse[SyncResult]:
        """Send the request of ``create(**kwargs)``; return the raw response.

        Raises:
            APIStatusError: The server answered with an error status, as ``create`` does.
        """
        content, options = _prepare(kwargs)
        client = self._completions._client
        response, deadline = client._send(content, **options)
        return APIResponse(
            response,
            stream=options["stream"],
            deadline=deadline,
            max_event_size=client._config.max_event_size,
        )


class AsyncCompletionsWithRawResponse:
    """``client.chat.completions.with_raw_response`` of an ``AsyncGroq``."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self._completions = completions

    async def create(self, **kwargs: Unpack[CreateArgs]) -> AsyncAPIResponse[AsyncResult]:
        """Send the request of ``create(**kwargs)``; return the raw response.

        Raises:
            APIStatusError: The server answered with an error status, as ``create`` does.
        """
        content, options = _prepare(kwargs)
        client = self._completions._client
        response, deadline = await client._send(content, **options)
        return AsyncAPIResponse(
            response,
            stream=options["stream"],
            deadline=deadline,
            max_event_size=client._config.max_event_size,
        )


class ResponseContextManager:
    """Sends the request on ``__enter__`` and closes the response on ``__exit__``."""

    def __init__(self, raw: CompletionsWithRawResponse, kwargs: CreateArgs) -> None:
        self._raw = raw
        self._kwargs = kwargs
        self._response: APIResponse[SyncResult] | None = None

    def __enter__(self) -> APIResponse[SyncResult]:
        self._response = self._raw.create(**self._kwargs)
        return self._response

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            self._response.close()


class AsyncResponseContextManager:
    """The async twin of :class:`ResponseContextManager` (``async with``)."""

    def __init__(self, raw: AsyncCompletionsWithRawResponse, kwargs: CreateArgs) -> None:
        self._raw = raw
        self._kwargs = kwargs
        self._response: AsyncAPIResponse[AsyncResult] | None = None

    async def __aenter__(self) -> AsyncAPIResponse[AsyncResult]:
        self._response = await self._raw.create(**self._kwargs)
        return self._response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            await self._response.close()


class CompletionsWithStreamingResponse:
    """``client.chat.completions.with_streaming_response``: ``with ... .create() as r:``."""

    def __init__(self, completions: Completions) -> None:
        self._raw = CompletionsWithRawResponse(completions)

    def create(self, **kwargs: Unpack[CreateArgs]) -> ResponseContextManager:
        """A context manager that sends ``create(**kwargs)``'s request when entered."""
        return ResponseContextManager(self._raw, kwargs)


class AsyncCompletionsWithStreamingResponse:
    """``client.chat.completions.with_streaming_response`` of an ``AsyncGroq``."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self._raw = AsyncCompletionsWithRawResponse(completions)

    def create(self, **kwargs: Unpack[CreateArgs]) -> AsyncResponseContextManager:
        """An async context manager that sends ``create(**kwargs)``'s request when entered."""
        return AsyncResponseContextManager(self._raw, kwargs)
