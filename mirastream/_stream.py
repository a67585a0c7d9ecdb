"""``GroqStream`` and ``AsyncGroqStream``: ``(chunk, tool)`` pairs over a low-level stream.

All the logic is in :class:`_StreamState`, shared by both; the two classes differ only in
how they pull the next raw chunk (``next`` or ``await __anext__``). They are iterator
classes rather than generators because a generator cannot go on after raising, and a
:class:`~mirastream.errors.ToolCallError` must leave the stream usable.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Union

from mirastream._costs import CostMetadata
from mirastream._fold import StreamFold, ToolCallAssembly
from mirastream._results import (
    GroqCallResponse,
    GroqCallResponseChunk,
    assistant_message_param,
    cost_metadata,
)
from mirastream.errors import (
    StreamConsumedError,
    StreamError,
    StreamNotConsumedError,
    ToolCallError,
)
from mirastream.groq import AsyncStream, Stream
from mirastream.groq.types import (
    ChatCompletionChunk,
    ChatCompletionMessageToolCall,
    CompletionUsage,
)

if TYPE_CHECKING:
    from typing_extensions import Self

    from mirastream._toolkit import Toolkit
    from mirastream._tools import GroqTool

__all__ = ["AsyncGroqStream", "GroqStream"]

Pair = tuple[GroqCallResponseChunk, Union["GroqTool", None]]
_new = object.__new__


def _now_ms() -> float:
    return time.time() * 1000


class _StreamState:
    """What a high-level stream knows; everything except pulling raw chunks."""

    def __init__(
        self,
        *,
        messages: list[dict[str, Any]],
        model: str,
        toolkit: Toolkit | None = None,  # tool calls become tools only when tools were offered
        call_params: dict[str, Any] | None = None,
        start_time: float | None = None,
    ) -> None:
        self._fold = StreamFold()
        self._toolkit = toolkit
        self._tools: list[GroqTool] = []
        self._queue: deque[Pair] = deque()  # pairs of the current chunk still to yield
        self._errors: deque[ToolCallError] = deque()  # raised after the queued pairs
        self._started = False
        self._ended = False  # the server's stream is over (normally or not)
        self._exhausted = False  # iteration has reported its end to the caller
        self._error: BaseException | None = None
        self._closed_early = False
        self.messages = messages
        self.call_params = call_params or {}
        self._model = model
        self.start_time: float = _now_ms() if start_time is None else start_time
        self.end_time: float | None = None

    # -- iteration ------------------------------------------------------------------

    def _begin(self) -> None:
        # Ended by exhaustion, by close() or by a StreamError: over. (A ToolCallError
        # does not end a stream: iterating again goes on with the next chunk.)
        if self._exhausted or self._closed_early or self._error is not None:
            raise StreamConsumedError(
                "This stream has already been consumed; read its properties "
                "(content, usage, tool_calls ...) or call construct_call_response()."
            )
        self._started = True

    def _on_chunk(self, chunk: ChatCompletionChunk) -> Pair:
        completed = self._fold.add(chunk)
        response_chunk: GroqCallResponseChunk = _new(GroqCallResponseChunk)
        response_chunk.chunk = chunk
        if not completed or self._toolkit is None:
            return (response_chunk, None)
        pairs: list[Pair] = [(response_chunk, tool) for tool in self._build_tools(completed)]
        # The chunk is yielded once even if every call it completed failed; the errors
        # are raised right after it, before the next chunk.
        self._queue.extend(pairs[1:] if pairs else ())
        return pairs[0] if pairs else (response_chunk, None)

    def _on_end(self) -> None:
        """The raw stream is exhausted: calls still open are completed (not yielded)."""
        if self._ended:
            return
        self._ended = True
        self.end_time = _now_ms()
        pending = self._fold.end()
        if pending and self._toolkit is not None:
            # Only a stream that never sent a finish_reason gets here. Its chunks were all
            # yielded already, so these tools join ``tools`` without a chunk of their own.
            self._build_tools(pending)

    def _build_tools(self, calls: list[ToolCallAssembly]) -> list[GroqTool]:
        """Turn completed calls into tools; queue a ToolCallError for each bad one."""
        assert self._toolkit is not None
        tools: list[GroqTool] = []
        errors: list[ToolCallError] = []
        for call in calls:
            try:
                tools.append(self._toolkit.tool_for(call.to_tool_call()))
            except ToolCallError as exc:
                errors.append(exc)
        self._tools += tools
        self._errors.extend(errors)
        return tools

    def _pending(self) -> Pair | None:
        """The next queued pair; raises the next queued error first."""
        if self._errors and not self._queue:
            raise self._errors.popleft()
        return self._queue.popleft() if self._queue else None

    def _on_error(self, exc: BaseException) -> None:
        self._ended = True
        self._error = exc
        if self.end_time is None:
            self.end_time = _now_ms()

    # -- what was received ------------------------------------------------------------

    @property
    def content(self) -> str:
        """The content received so far."""
        return self._fold.content

    @property
    def reasoning(self) -> str:
        """The reasoning received so far."""
        return self._fold.reasoning

    @property
    def finish_reasons(self) -> list[str]:
        """The finish reasons, once the final chunk arrived."""
        return list(self._fold.finish_reasons)

    @property
    def usage(self) -> CompletionUsage | None:
        """Usage (``x_groq.usage``, else top-level ``usage``), once the final chunk arrived."""
        return self._fold.usage

    @property
    def input_tokens(self) -> int | None:
        """Prompt tokens, once usage arrived."""
        usage = self._fold.usage
        return usage.prompt_tokens if usage else None

    @property
    def output_tokens(self) -> int | None:
        """Completion tokens, once usage arrived."""
        usage = self._fold.usage
        return usage.completion_tokens if usage else None

    @property
    def cached_tokens(self) -> int | None:
        """Cached prompt tokens, once usage arrived."""
        usage = self._fold.usage
        return usage.cached_tokens if usage else None

    @property
    def model(self) -> str:
        """The model that answered (the requested one until the first chunk)."""
        return self._fold.model or self._model

    @property
    def id(self) -> str | None:
        """The completion id."""
        return self._fold.id

    @property
    def cost_metadata(self) -> CostMetadata:
        """Cost and what it was computed from; ``cost`` is ``None`` until usage arrives."""
        return cost_metadata(self.model, self._fold.usage)

    @property
    def cost(self) -> float | None:
        """Cost in USD, once usage arrived and the model has a price."""
        return self.cost_metadata.cost

    @property
    def tool_calls(self) -> list[ChatCompletionMessageToolCall]:
        """Every tool call received, including ones that failed to become tools."""
        return [call.to_tool_call() for call in self._fold.tool_calls]

    @property
    def tools(self) -> list[GroqTool]:
        """The tools yielded so far."""
        return list(self._tools)

    @property
    def message_param(self) -> dict[str, Any]:
        """The answer so far as a clean assistant message for history."""
        return assistant_message_param(
            self._fold.content, [call.to_dict() for call in self._fold.tool_calls]
        )

    @property
    def error(self) -> BaseException | None:
        """The error that ended the stream, if one did."""
        return self._error

    def construct_call_response(self) -> GroqCallResponse:
        """Fold the consumed stream into a :class:`GroqCallResponse`.

        Raises:
            StreamNotConsumedError: The stream has not ended yet (iterate it first).
        """
        if not self._ended:
            raise StreamNotConsumedError(
                "construct_call_response() needs the whole stream: iterate it to the end "
                "first" + (" (it was closed early)." if self._closed_early else ".")
            )
        return GroqCallResponse(
            self._fold.completion(),
            messages=self.messages,
            toolkit=self._toolkit,
            tools=list(self._tools),
            start_time=self.start_time,
            end_time=self.end_time or _now_ms(),
            model=self._model,
            call_params=self.call_params,
        )

    def _mark_closed(self) -> None:
        if not self._ended:
            self._closed_early = True
            if self.end_time is None:
                self.end_time = _now_ms()


class GroqStream(_StreamState):
    """A streamed call: ``for chunk, tool in stream`` (see the module docs).

    Iteration yields every chunk once, in order, paired with the tool that became
    complete on it (else ``None``; a chunk completing two calls is paired with each). A
    bad tool call raises ``ToolCallError`` right after the chunk that completed it: catch
    it and iterate again to go on with the next chunk. Calls that only the end of the
    stream completes (no ``finish_reason`` was sent) join :attr:`tools` without a chunk.
    A ``StreamError`` ends the stream but leaves what arrived readable.
    """

    def __init__(self, stream: Stream[ChatCompletionChunk], **state: Any) -> None:
        super().__init__(**state)
        self._stream = stream
        self._chunks: Iterator[ChatCompletionChunk] = iter(stream)

    def __iter__(self) -> Self:
        self._begin()
        return self

    def __next__(self) -> Pair:
        if self._queue or self._errors:
            pair = self._pending()
            if pair is not None:
                return pair
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._on_end()
            if self._errors:
                raise self._errors.popleft() from None
            self._exhausted = True
            raise
        except StreamError as exc:
            self._on_error(exc)
            raise
        return self._on_chunk(chunk)

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

    def __init__(self, stream: AsyncStream[ChatCompletionChunk], **state: Any) -> None:
        super().__init__(**state)
        self._stream = stream
        self._chunks: AsyncIterator[ChatCompletionChunk] = stream.__aiter__()

    def __aiter__(self) -> Self:
        self._begin()
        return self

    async def __anext__(self) -> Pair:
        if self._queue or self._errors:
            pair = self._pending()
            if pair is not None:
                return pair
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._on_end()
            if self._errors:
                raise self._errors.popleft() from None
            self._exhausted = True
            raise
        except StreamError as exc:
            self._on_error(exc)
            raise
        return self._on_chunk(chunk)

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
