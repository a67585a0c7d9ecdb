"""``GroqStream`` and ``AsyncGroqStream``: ``(chunk, tool)`` pairs over a low-level stream.

All the logic is in :class:`~mirastream._stream_state._StreamState`, shared by both; the
two classes differ only in how they pull the next raw chunk (``next`` or ``await
__anext__``). They are iterator classes rather than generators because a generator cannot
go on after raising, and a :class:`~mirastream.errors.ToolCallError` must leave the stream
usable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mirastream._stream_state import Pair, _StreamState
from mirastream.errors import StreamError
from mirastream.groq import AsyncStream, Stream
from mirastream.groq.types import ChatCompletionChunk

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncGroqStream", "GroqStream"]


class GroqStream(_StreamState):
    """A streamed call: ``for chunk, tool in stream`` (see the module docs).

    Iteration yields every chunk once, in order, paired with the tool that became
    complete on it (else ``None``). When one chunk completes two calls, the second tool
    comes with the next chunk; a call that only the end of the stream completes comes
    with the last chunk (held back while a call is open); tools left when chunks run out
    come with the last chunk again. A bad tool call raises
    ``ToolCallError`` right after the chunk that completed it: catch it and iterate again
    to go on. A ``StreamError`` ends the stream but leaves what arrived readable.
    """

    _stream: Stream[ChatCompletionChunk]

    def __init__(self, stream: Stream[ChatCompletionChunk], **state: Any) -> None:
        super().__init__(**state)
        self._stream = stream
        self._chunks: Iterator[ChatCompletionChunk] = iter(stream)

    def __iter__(self) -> Self:
        self._begin()
        return self

    def __next__(self) -> Pair:
        while True:
            pair = self._next_ready()
            if pair is not None:
                return pair
            if self._ended:
                self._exhausted = True
                raise StopIteration
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self._on_end()
                continue
            except StreamError as exc:
                self._on_error(exc)
                continue
            pair = self._on_chunk(chunk)
            if pair is not None:
                return pair

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._mark_closed()
        self._stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncGroqStream(_StreamState):
    """The async twin of :class:`GroqStream`: ``async for chunk, tool in stream``."""

    _stream: AsyncStream[ChatCompletionChunk]

    def __init__(self, stream: AsyncStream[ChatCompletionChunk], **state: Any) -> None:
        super().__init__(**state)
        self._stream = stream
        self._chunks: AsyncIterator[ChatCompletionChunk] = stream.__aiter__()

    def __aiter__(self) -> Self:
        self._begin()
        return self

    async def __anext__(self) -> Pair:
        while True:
            pair = self._next_ready()
            if pair is not None:
                return pair
            if self._ended:
                self._exhausted = True
                raise StopAsyncIteration
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                self._on_end()
                continue
            except StreamError as exc:
                self._on_error(exc)
                continue
            pair = self._on_chunk(chunk)
            if pair is not None:
                return pair

    async def close(self) -> None:
        """Stop reading and release the connection."""
        self._mark_closed()
        await self._stream.close()

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
