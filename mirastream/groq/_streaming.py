"""``Stream`` / ``AsyncStream``: typed chunks from a streaming HTTP response.

:class:`ChunkDecoder` is the sans-IO core (bytes in, chunks out) and the one place that
knows how a Groq stream ends: ``data: [DONE]``, an ``event: error`` frame or a data-only
``{"error": ...}`` object, or a body that stops early. The two stream classes are short
loops that feed it from httpx; their failures are translated in :mod:`._failures`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
from jiter import from_json

from mirastream.errors import (
    APIStreamError,
    StreamDecodeError,
    StreamError,
    StreamInterruptedError,
)
from mirastream.groq._closing import (
    AsyncResponseGuard,
    ResponseGuard,
    afinish_after_done,
    finish_after_done,
)
from mirastream.groq._closing import close as close_response
from mirastream.groq._deadline import Deadline
from mirastream.groq._failures import LOWER_LAYER, stream_failure
from mirastream.groq._sse import DEFAULT_MAX_SIZE, SSEDecoder
from mirastream.groq.types import ChatCompletionChunk, chunk_from_json

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncStream", "ChunkDecoder", "Stream"]

T = TypeVar("T")


class ChunkDecoder:
    """Turns the bytes of a streaming response into :class:`ChatCompletionChunk` objects.

    Call :meth:`feed` with each piece of the body and :meth:`end` at end of body.
    ``feed`` never raises: the chunks that arrived before a failure are returned first
    and the failure is kept in :attr:`error` for the caller to raise after yielding them.

    Attributes:
        stopped: ``True`` once ``[DONE]`` or an error ended the stream; later bytes are ignored.
        error: The :class:`StreamError` that ended the stream, if any.
        finished: ``True`` once the model's answer is complete (see :attr:`finished`).
    """

    __slots__ = ("_last", "_sse", "error", "request", "stopped")

    def __init__(
        self, request: httpx.Request | None = None, *, max_event_size: int = DEFAULT_MAX_SIZE
    ) -> None:
        self._sse = SSEDecoder(max_event_size)
        self.request = request
        self.stopped = False
        self._last: ChatCompletionChunk | None = None
        self.error: StreamError | None = None

    def feed(self, data: bytes) -> list[ChatCompletionChunk]:
        """Decode the next piece of the body.

        Args:
            data: Bytes as read from the network, cut anywhere.

        Returns:
            The chunks completed by ``data``, in order.
        """
        if self.stopped:
            return []
        raw = self._sse.feed_message(data)
        if raw is not None:
            chunk = self._chunk(raw)
            return [] if chunk is None else [chunk]
        chunks = []
        for raw, event, _, _ in self._sse.feed(data):
            if event == "message":
                chunk = self._chunk(raw)
                if chunk is not None:
                    chunks.append(chunk)
            elif event == "error":
                self._server_error(raw)
            # Other named events (keep-alives and the like) carry no chunk.
            if self.stopped:
                return chunks
        if self._sse.overflow is not None:
            self.stopped = True
            self.error = StreamDecodeError(self._sse.overflow, data="", request=self.request)
        return chunks

    def _chunk(self, raw: bytes) -> ChatCompletionChunk | None:
        # The one place a message event becomes a chunk, the end marker or an error.
        if raw == b"[DONE]":
            self.stopped = True
            return None
        try:
            obj = from_json(raw)
        except ValueError:
            obj = self._decode_slow(raw)
            if obj is None:
                return None  # an empty data field carries no chunk (or _decode_slow failed)
        if type(obj) is not dict or (obj.get("error")):
            self._fail(obj, raw)
            return None
        chunk = self._last = chunk_from_json(obj)
        return chunk

    @property
    def finished(self) -> bool:
        """Whether the answer is complete: the last chunk carries a ``finish_reason``.

        The ``choices: []`` usage trailer only ever follows the finish chunk, so a stream
        that ends on it is complete too.
        """
        last = self._last
        if last is None:
            return False
        if not last.choices:
            return "usage" in last._data
        return all(choice.finish_reason is not None for choice in last.choices)

    def end(self) -> None:
        """Signal end of body; records a :class:`StreamInterruptedError` if it came too early."""
        self._sse.flush()
        if not self.stopped and not self.finished:
            self.error = StreamInterruptedError(
                "The stream ended before it was complete: no finish_reason and no [DONE].",
                request=self.request,
            )
        self.stopped = True

    def _decode_slow(self, raw: bytes) -> Any:
        try:
            return from_json(raw)
        except ValueError:
            pass
        text = raw.decode("utf-8", "replace")
        if not text.strip():
            return None
        try:
            # Invalid UTF-8 inside a JSON string: decode with replacement, as SSE requires.
            return from_json(text.encode())
        except ValueError as exc:
            self.error = StreamDecodeError(
                f"Invalid JSON in stream event: {text[:200]!r} ({exc})",
                data=text,
                request=self.request,
            )
            self.stopped = True
            return None

    def _server_error(self, raw: bytes) -> None:
        # ``event: error``: whatever its data holds, the server is reporting an error.
        self.stopped = True
        try:
            body: Any = from_json(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace").strip() or None
        if isinstance(body, dict) and "error" in body:
            body = body["error"]
        self.error = APIStreamError(body, request=self.request)

    def _fail(self, obj: Any, raw: bytes) -> None:
        if self.error is not None:
            return  # _decode_slow already recorded why
        self.stopped = True
        if isinstance(obj, dict) and obj.get("error"):
            self.error = APIStreamError(obj["error"], request=self.request)
        else:
            text = raw.decode("utf-8", "replace")
            self.error = StreamDecodeError(
                f"Stream event is not a chat-completion chunk: {text[:200]!r}",
                data=text,
                request=self.request,
            )


def _body(response: httpx.Response) -> Iterator[bytes]:
    # Without a content-encoding, raw bytes are the body: skip httpx's decoder layer.
    # (A response whose body was already read can only replay it through iter_bytes.)
    if "content-encoding" in response.headers or response.is_stream_consumed:
        return response.iter_bytes()
    return response.iter_raw()


def _abody(response: httpx.Response) -> AsyncIterator[bytes]:
    if "content-encoding" in response.headers or response.is_stream_consumed:
        return response.aiter_bytes()
    return response.aiter_raw()


def _iterate(
    guard: ResponseGuard, deadline: Deadline | None, max_event_size: int
) -> Iterator[ChatCompletionChunk]:
    response = guard.response
    decoder = ChunkDecoder(response.request, max_event_size=max_event_size)
    try:
        try:
            body = _body(response)
            feed = decoder.feed
            for data in body:
                yield from feed(data)
                if decoder.stopped:
                    if decoder.error is None:
                        finish_after_done(response, body)
                    break
                if deadline is not None and deadline.passed():
                    raise httpx.ReadTimeout("total_timeout", request=response.request)
            else:
                decoder.end()
        except LOWER_LAYER as exc:
            raise stream_failure(exc, response.request, deadline) from exc
        if decoder.error is not None:
            raise decoder.error
    finally:
        close_response(response)  # may run in a garbage collection: see _closing


async def _aiterate(
    guard: AsyncResponseGuard, deadline: Deadline | None, max_event_size: int
) -> AsyncIterator[ChatCompletionChunk]:
    response = guard.response
    decoder = ChunkDecoder(response.request, max_event_size=max_event_size)
    try:
        try:
            body = _abody(response)
            feed = decoder.feed
            async for data in body:
                for chunk in feed(data):
                    yield chunk
                if decoder.stopped:
                    if decoder.error is None:
                        await afinish_after_done(response, body)
                    break
                if deadline is not None and deadline.passed():
                    raise httpx.ReadTimeout("total_timeout", request=response.request)
            else:
                decoder.end()
        except LOWER_LAYER as exc:
            raise stream_failure(exc, response.request, deadline) from exc
        if decoder.error is not None:
            raise decoder.error
    finally:
        await response.aclose()


def _running_loop() -> Any:
    import asyncio  # loaded already wherever an AsyncStream is made

    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # another async library: no asyncio loop to close on
        return None


class Stream(Generic[T]):
    """Chunks of a streaming completion; iterate it, then it closes itself.

    Use it as a context manager, or call :meth:`close`, to stop early: the HTTP
    response is closed on every exit path (end, error, ``break`` + close, GC).

    Attributes:
        response: The underlying ``httpx.Response`` (headers: ``x-request-id``,
            ``x-ratelimit-*``).
    """

    def __init__(
        self,
        response: httpx.Response,
        *,
        deadline: Deadline | None = None,
        max_event_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        self.response = response
        # The generator sees the guard, not the stream: no reference cycle, so a dropped
        # stream is freed at once rather than by a later garbage collection; the guard
        # closes the response when neither the stream nor its generator is left.
        iterator = _iterate(ResponseGuard(response), deadline, max_event_size)
        self._iterator: Iterator[T] = iterator  # type: ignore[assignment]

    def __iter__(self) -> Iterator[T]:
        return self._iterator

    def __next__(self) -> T:
        return next(self._iterator)

    def close(self) -> None:
        """Stop reading and release the connection. Safe to call more than once."""
        self._iterator.close()  # type: ignore[attr-defined]
        self.response.close()  # the caller's own context: closing directly is safe

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` response header."""
        request_id: str | None = self.response.headers.get("x-request-id")
        return request_id


class AsyncStream(Generic[T]):
    """The async twin of :class:`Stream`: ``async for``, ``async with``, ``await close()``.

    Attributes:
        response: The underlying ``httpx.Response``.
    """

    def __init__(
        self,
        response: httpx.Response,
        *,
        deadline: Deadline | None = None,
        max_event_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        self.response = response
        guard = AsyncResponseGuard(response, _running_loop())  # see Stream.__init__
        iterator = _aiterate(guard, deadline, max_event_size)
        self._iterator: AsyncIterator[T] = iterator  # type: ignore[assignment]

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterator

    async def __anext__(self) -> T:
        return await self._iterator.__anext__()

    async def close(self) -> None:
        """Stop reading and release the connection. Safe to call more than once."""
        await self._iterator.aclose()  # type: ignore[attr-defined]
        await self.response.aclose()

    async def aclose(self) -> None:
        """Alias of :meth:`close`."""
        await self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` response header."""
        request_id: str | None = self.response.headers.get("x-request-id")
        return request_id
