"""Structured output: ``response_model=Book`` with or without streaming.

Four ways to ask Groq (``structured=``, chosen in :mod:`mirastream.structured._modes`):

* ``tool``: a forced tool call; the model's JSON arrives as the tool call's arguments;
* ``json``: ``response_format={"type": "json_object"}`` and the schema in the prompt, in
  Mirascope's JSON instruction (:mod:`mirastream.structured._json_mode`); the JSON arrives
  as content;
* ``text``: the same instruction without ``response_format`` (what streams on Groq);
* ``strict``: a strict ``json_schema`` ``response_format``, nothing in the prompt.

A :class:`StructuredStream` feeds those fragments to
:class:`~mirastream.structured._partial.PartialStream` (incremental, built once per
model) and yields partial models, then the validated one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from mirastream.errors import StructuredOutputError
from mirastream.groq.types import ChatCompletionChunk
from mirastream.structured._json_mode import with_json_instruction
from mirastream.structured._partial import PartialStream
from mirastream.structured._partial_items import ItemTracker
from mirastream.structured._strict_schema import strict_response_format
from mirastream.tools._tool import tool_from

if TYPE_CHECKING:
    from typing_extensions import Self

    from mirastream._costs import CostMetadata
    from mirastream._results import GroqCallResponse
    from mirastream._stream import AsyncGroqStream, GroqStream
    from mirastream._stream_state import _StreamState
    from mirastream.groq.types import CompletionUsage
    from mirastream.recovery._attempts import Attempt
    from mirastream.structured._modes import StructuredMode

__all__ = [
    "AsyncStructuredStream",
    "StructuredStream",
    "parse_structured",
    "prepare_structured",
]

T = TypeVar("T", bound=BaseModel)


def prepare_structured(
    model: type[BaseModel],
    json_mode: bool | StructuredMode,
    messages: list[dict[str, Any]],
    params: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Adjust a request so the model answers with ``model``'s JSON.

    Args:
        model: The response model.
        json_mode: The mode (:mod:`mirastream.structured._modes`); ``True`` is
            ``"json"``, ``False`` is ``"tool"``.
        messages: The messages to send.
        params: The request parameters.

    Returns:
        New ``(messages, params)``; the inputs are not modified.
    """
    params = dict(params)
    mode = ("json" if json_mode else "tool") if isinstance(json_mode, bool) else json_mode
    if mode == "strict":  # the schema travels in response_format; decoding follows it
        params["response_format"] = strict_response_format(model)
        return messages, params
    if mode == "json":
        params.setdefault("response_format", {"type": "json_object"})
    elif mode == "text":
        params.pop("response_format", None)
    if mode != "tool":  # the schema goes into the prompt, in Mirascope's JSON instruction
        return with_json_instruction(messages, model), params
    tool = tool_from(model)
    params["tools"] = [*params.get("tools", ()), tool.tool_schema()]
    params["tool_choice"] = {"type": "function", "function": {"name": tool._name()}}
    return messages, params


def parse_structured(model: type[T], response: GroqCallResponse, json_mode: bool) -> T:
    """Validate a non-stream response as ``model``.

    Raises:
        StructuredOutputError: The JSON is missing, malformed or fails validation.
    """
    text = response.content
    if not json_mode:
        name = tool_from(model)._name()
        calls = [c for c in response.tool_calls if c.function.name == name]
        text = (calls[0].function.arguments or "") if calls else ""
    partial = PartialStream(model)
    partial.feed(text)
    return partial.finish()


class _Fragments:
    """Picks the JSON text out of each chunk.

    JSON mode: the content. Tool mode: the arguments of the response model's own call,
    found by name on its first delta and then followed by ``index`` (fragments after the
    first carry no name); content and other calls are not part of the JSON.
    """

    __slots__ = ("_index", "_json_mode", "_name")

    def __init__(self, model: type[BaseModel], json_mode: bool) -> None:
        self._json_mode = json_mode
        self._name = tool_from(model)._name()
        self._index: int | None = None

    def __call__(self, chunk: ChatCompletionChunk) -> str | None:
        choices = chunk.choices
        if not choices:
            return None
        delta = choices[0].delta
        if self._json_mode:
            return delta.content
        calls = delta._data.get("tool_calls")
        if not calls:
            return None
        if self._index is None:
            for call in calls:
                if (call.get("function") or {}).get("name") == self._name:
                    self._index = call.get("index", 0)
                    break
            else:
                return None
        if len(calls) == 1:  # the usual delta: one fragment of one call
            call = calls[0]
            if call.get("index", 0) != self._index:
                return None
            function = call.get("function")
            return (function.get("arguments") or None) if function else None
        out = [
            (call.get("function") or {}).get("arguments") or ""
            for call in calls
            if call.get("index", 0) == self._index
        ]
        return "".join(out) or None


class _StructuredState(Generic[T]):
    """The properties a structured stream shares with the stream beneath it."""

    stream: _StreamState

    def __init__(
        self, model: type[T], json_mode: bool, unwrap: Callable[[T], Any] | None = None
    ) -> None:
        self.response_model = model
        # For a response_model that is not a model (str, list[...]): yields its value.
        self._unwrap = unwrap
        self.json_mode = json_mode
        self._fragments = _Fragments(model, json_mode)
        self._partial = PartialStream(model)
        self._final: T | None = None
        self._items: ItemTracker | None = None  # made on first use (items())

    @property
    def partial(self) -> T | None:
        """The latest partial model, or ``None`` before the first."""
        return self._partial.latest

    @property
    def final(self) -> T | None:
        """The validated model, once the stream ended."""
        return self._final

    @property
    def completed_items(self) -> list[Any]:
        """For a list-shaped model: the list's elements finished so far, validated.

        Read it next to the partials (``for partial in stream: stream.completed_items``);
        see :mod:`mirastream.structured._partial_items` for when an element counts as finished.

        Raises:
            TypeError: The response model has no single list field.
        """
        tracker = self._tracker()
        if self._final is not None and self.stream._ended:
            tracker.finish(self._final)
        else:
            tracker.update(self._partial.latest)
        return list(tracker.items)

    def _tracker(self) -> ItemTracker:
        if self._items is None:
            self._items = ItemTracker(self.response_model)
        return self._items

    def _new_items(self, value: T) -> list[Any]:
        tracker = self._tracker()
        if value is self._final:
            return tracker.finish(value)
        return tracker.update(value)

    @property
    def raw(self) -> str:
        """The JSON text received so far."""
        return self._partial.raw

    @property
    def content(self) -> str:
        """The answer's content (the JSON itself in JSON mode)."""
        return self.stream.content

    @property
    def usage(self) -> CompletionUsage | None:
        """Usage, once the final chunk arrived."""
        return self.stream.usage

    @property
    def input_tokens(self) -> int | None:
        """Prompt tokens, once usage arrived."""
        return self.stream.input_tokens

    @property
    def output_tokens(self) -> int | None:
        """Completion tokens, once usage arrived."""
        return self.stream.output_tokens

    @property
    def cached_tokens(self) -> int | None:
        """Cached prompt tokens, once usage arrived."""
        return self.stream.cached_tokens

    @property
    def cost(self) -> float | None:
        """Cost in USD, once usage arrived."""
        return self.stream.cost

    @property
    def cost_metadata(self) -> CostMetadata:
        """Cost and what it was computed from."""
        return self.stream.cost_metadata

    @property
    def model(self) -> str:
        """The model that answered."""
        return self.stream.model

    @property
    def id(self) -> str | None:
        """The completion id."""
        return self.stream.id

    @property
    def finish_reasons(self) -> list[str]:
        """The finish reasons, once the final chunk arrived."""
        return self.stream.finish_reasons

    @property
    def start_time(self) -> float:
        """When the call started (ms since the epoch)."""
        return self.stream.start_time

    @property
    def end_time(self) -> float | None:
        """When the stream ended (ms since the epoch)."""
        return self.stream.end_time

    @property
    def attempt(self) -> int:
        """The current attempt's number (0 for the first; see ``reask=``)."""
        return self.stream.attempt

    @property
    def attempts(self) -> list[Attempt]:
        """Every attempt so far with ``reask=`` / ``fallback=`` (else ``[]``)."""
        return self.stream.attempts

    def construct_call_response(self) -> GroqCallResponse:
        """The consumed stream as a :class:`GroqCallResponse`."""
        return self.stream.construct_call_response()

    def _feed(self, chunk: ChatCompletionChunk) -> T | None:
        fragment = self._fragments(chunk)
        if not fragment:
            return None
        partial = self._partial.feed(fragment)
        if partial is None or self._unwrap is None:
            return partial
        return self._unwrap(partial)  # type: ignore[no-any-return]

    def _finish(self) -> T:
        if self._final is None:  # validated already when a recovering stream checked it
            self._final = self._partial.finish()
        return self._final if self._unwrap is None else self._unwrap(self._final)

    # Hooks of a recovering stream (reask=): check an attempt's answer, start afresh.

    def _end_error(self) -> StructuredOutputError | None:
        try:
            self._final = self._partial.finish()
        except StructuredOutputError as exc:
            return exc
        return None

    def _restart(self) -> None:
        # New objects: the partials of the failed attempt stay as the consumer holds them.
        self._fragments = _Fragments(self.response_model, self.json_mode)
        self._partial = PartialStream(self.response_model)
        self._final = None
        if self._items is not None:
            self._items = ItemTracker(self.response_model)


class StructuredStream(_StructuredState[T]):
    """Partial ``T`` instances as the JSON arrives, then the validated ``T``.

    Raises (while iterating):
        StructuredOutputError: The final JSON fails validation (``.raw``, ``.errors``).
        StreamError: The stream failed; what arrived stays readable.
    """

    stream: GroqStream

    def __init__(
        self,
        stream: GroqStream,
        model: type[T],
        json_mode: bool = False,
        unwrap: Callable[[T], Any] | None = None,
    ) -> None:
        super().__init__(model, json_mode, unwrap)
        self.stream = stream

    def __iter__(self) -> Iterator[T]:
        for response_chunk, _ in self.stream:
            partial = self._feed(response_chunk.chunk)
            if partial is not None:
                yield partial
        yield self._finish()

    def items(self) -> Iterator[Any]:
        """For a list-shaped model: each element of its list once, as soon as it is complete.

        Consumes the stream (``partial`` and ``completed_items`` stay readable meanwhile);
        elements are validated instances of the list's element type. With ``reask=``, a
        new attempt starts its list afresh (``attempt`` tells which one).

        Raises:
            TypeError: The response model has no single list field.
            StructuredOutputError: The whole answer fails validation at the end.
        """
        self._tracker()
        for value in self:
            yield from self._new_items(value)

    def close(self) -> None:
        """Stop reading and release the connection."""
        self.stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStructuredStream(_StructuredState[T]):
    """The async twin of :class:`StructuredStream`."""

    stream: AsyncGroqStream

    def __init__(
        self,
        stream: AsyncGroqStream,
        model: type[T],
        json_mode: bool = False,
        unwrap: Callable[[T], Any] | None = None,
    ) -> None:
        super().__init__(model, json_mode, unwrap)
        self.stream = stream

    async def __aiter__(self) -> AsyncIterator[T]:
        async for response_chunk, _ in self.stream:
            partial = self._feed(response_chunk.chunk)
            if partial is not None:
                yield partial
        yield self._finish()

    async def items(self) -> AsyncIterator[Any]:
        """The async twin of :meth:`StructuredStream.items`."""
        self._tracker()
        async for value in self:
            for item in self._new_items(value):
                yield item

    async def close(self) -> None:
        """Stop reading and release the connection."""
        await self.stream.close()

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
