"""What a high-level stream knows, without IO: :class:`_StreamState`.

``GroqStream`` and ``AsyncGroqStream`` (:mod:`mirastream._stream`) are thin shells over
it that only pull the next raw chunk. Everything else lives here: folding chunks,
pairing tools with the chunk that completed them, the accumulated content, usage, cost,
timings and rate limits, and ``construct_call_response()``.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Union

from mirastream._context import CallContext, CallContextView
from mirastream._costs import CostMetadata
from mirastream._fold import StreamFold, ToolCallAssembly
from mirastream._results import (
    GroqCallResponse,
    GroqCallResponseChunk,
    UsageTokens,
    assistant_message_param,
    cost_metadata,
)
from mirastream._timing import CallTimings, now_ms
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
    ExecutedTool,
)

if TYPE_CHECKING:
    from mirastream._observe import Observer
    from mirastream.groq._ratelimits import RateLimits
    from mirastream.recovery._attempts import Attempt
    from mirastream.tools._tool import GroqTool
    from mirastream.tools._toolkit import Toolkit

__all__ = ["Pair"]

Pair = tuple[GroqCallResponseChunk, Union["GroqTool", None]]
_new = object.__new__
_now_ms = now_ms  # the call layer's clock too


class _StreamState(UsageTokens, CallContextView, CallTimings):
    """What a high-level stream knows; everything except pulling raw chunks."""

    # What construct_call_response() builds (a recovering stream's adds its attempts).
    _response_class: type[GroqCallResponse] = GroqCallResponse
    _stream: Stream[ChatCompletionChunk] | AsyncStream[ChatCompletionChunk]

    def __init__(
        self,
        *,
        messages: list[dict[str, Any]],
        model: str,
        toolkit: Toolkit | None = None,  # tool calls become tools only when tools were offered
        call_params: dict[str, Any] | None = None,
        start_time: float | None = None,
        context: CallContext | None = None,
        observer: Observer | None = None,
    ) -> None:
        self._context = context
        self._fold = StreamFold()
        self._toolkit = toolkit
        self._tools: list[GroqTool] = []
        # Pairing tools with chunks (see _release_held): the chunk held back, with the
        # errors to raise right after it; tools waiting for a chunk; what is ready to go.
        self._held: tuple[GroqCallResponseChunk, list[ToolCallError]] | None = None
        self._waiting_tools: deque[GroqTool] = deque()
        self._ready: deque[Pair | ToolCallError | StreamError] = deque()
        self._ended = False  # the server's stream is over (normally or not)
        self._exhausted = False  # iteration has reported its end to the caller
        self._error: BaseException | None = None
        self._closed_early = False
        self.messages = messages
        self.call_params = call_params or {}
        self._model = model
        self.start_time: float = _now_ms() if start_time is None else start_time
        self.end_time: float | None = None
        self.first_token_time: float | None = None
        # Told when the stream ends, fails, is closed or is dropped (see mirastream._observe).
        self._observer = observer
        if observer is not None:
            observer.watch(self)

    # -- iteration ------------------------------------------------------------------

    def _begin(self) -> None:
        # Ended by exhaustion, by close() or by a StreamError: over. (A ToolCallError
        # does not end a stream: iterating again goes on with the next chunk.)
        if self._exhausted or self._closed_early or self._error is not None:
            raise StreamConsumedError(
                "This stream has already been consumed; read its properties "
                "(content, usage, tool_calls ...) or call construct_call_response()."
            )

    def _on_chunk(self, chunk: ChatCompletionChunk) -> Pair | None:
        """Fold a chunk; the pair to yield now, or ``None`` if it must wait (see _release_held)."""
        completed = self._fold.add(chunk)
        if self.first_token_time is None and self._fold.has_output:
            self.first_token_time = _now_ms()  # once per stream: one test per chunk after
        response_chunk: GroqCallResponseChunk = _new(GroqCallResponseChunk)
        response_chunk.chunk = chunk
        if self._toolkit is None or (
            not completed and not self._held and not self._fold.open_calls
        ):
            return (response_chunk, None)  # the common case: nothing to pair or hold
        self._release_held()  # an earlier chunk cannot take this chunk's tools
        self._held = (response_chunk, self._build_tools(completed or []))
        if not self._fold.open_calls and len(self._waiting_tools) <= 1:
            self._release_held()
        return self._next_ready()

    def _on_end(self) -> None:
        """The raw stream is exhausted: complete open calls and release what is held."""
        if self._ended:
            return
        self._ended = True
        self.end_time = _now_ms()
        pending = self._fold.end()
        if pending and self._toolkit is not None:
            errors = self._build_tools(pending)
            if self._held is not None:
                self._held[1].extend(errors)
            else:
                self._ready.extend(errors)
        last = self._held[0] if self._held is not None else None
        self._release_held()
        if last is not None:
            # More tools than chunks left: the last chunk (the finish chunk, in every real
            # stream, with no content) goes out again with each, so no tool is lost.
            while self._waiting_tools:
                self._ready.append((last, self._waiting_tools.popleft()))
        if self._observer is not None:
            self._observer.stream_ended(self)

    def _build_tools(self, calls: list[ToolCallAssembly]) -> list[ToolCallError]:
        """Turn completed calls into waiting tools; return the errors of the bad ones."""
        assert self._toolkit is not None
        errors: list[ToolCallError] = []
        for call in calls:
            tool_call = call.to_tool_call()
            if self._toolkit.leaves_raw(tool_call):
                continue  # a built-in tool or a raw schema: never a tool instance
            try:
                tool = self._toolkit.tool_for(tool_call)
            except ToolCallError as exc:
                errors.append(exc)
            else:
                self._tools.append(tool)
                self._waiting_tools.append(tool)
        return errors

    def _release_held(self) -> None:
        """Yield the held chunk with the next waiting tool (or ``None``), then its errors.

        A chunk is held back only while it may still be needed: a call is open (the end
        of the stream would complete it on this chunk) or more tools wait than one chunk
        can take (each goes with the next chunk). Text chunks, and Groq's whole-call
        chunks, are never delayed.
        """
        if self._held is None:
            return
        response_chunk, errors = self._held
        self._held = None
        tools = self._waiting_tools
        self._ready.append((response_chunk, tools.popleft() if tools else None))
        self._ready.extend(errors)  # raised right after the chunk that completed them

    def _next_ready(self) -> Pair | None:
        """The next pair to yield; raises a ready ToolCallError or StreamError, in order."""
        if not self._ready:
            return None
        item = self._ready.popleft()
        if isinstance(item, (ToolCallError, StreamError)):
            raise item
        return item

    def _on_error(self, exc: StreamError) -> None:
        """The stream failed: what arrived (a held chunk too) goes out first, then ``exc``."""
        self._ended = True
        self._error = exc
        if self.end_time is None:
            self.end_time = _now_ms()
        self._release_held()
        self._ready.append(exc)
        if self._observer is not None:
            self._observer.stream_ended(self)

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
    def executed_tools(self) -> list[ExecutedTool]:
        """The tools Groq ran server-side so far (compound models), merged by index."""
        return [ExecutedTool(tool) for tool in self._fold.executed_tools]

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

    def tool_message_params(
        self, tools_and_outputs: list[tuple[GroqTool, Any]]
    ) -> list[dict[str, Any]]:
        """Tool messages answering the model's calls (as ``GroqCallResponse``'s)."""
        from mirastream.tools._toolkit import tool_message_params

        return tool_message_params(tools_and_outputs)

    @property
    def error(self) -> BaseException | None:
        """The error that ended the stream, if one did."""
        return self._error

    @property
    def attempt(self) -> int:
        """The current attempt's number: 0, or more after a re-ask (``reask=``)."""
        return 0

    @property
    def attempts(self) -> list[Attempt]:
        """With ``reask=`` / ``fallback=``: every attempt so far, the current one last."""
        return []

    @property
    def closed_early(self) -> bool:
        """Whether the stream was closed before the server's stream ended."""
        return self._closed_early

    @property
    def rate_limits(self) -> RateLimits:
        """Groq's ``x-ratelimit-*`` headers of this answer, parsed."""
        return self._stream.rate_limits

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
        return self._response_class(
            self._fold.completion(),
            messages=self.messages,
            toolkit=self._toolkit,
            tools=list(self._tools),
            start_time=self.start_time,
            end_time=self.end_time or _now_ms(),
            model=self._model,
            call_params=self.call_params,
            context=self._context,
            first_token_time=self.first_token_time,
            rate_limits=self.rate_limits,
        )

    def _mark_closed(self) -> None:
        if not self._ended:
            self._closed_early = True
            if self.end_time is None:
                self.end_time = _now_ms()
            if self._observer is not None:
                self._observer.stream_ended(self)
