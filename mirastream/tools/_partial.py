"""``stream={"partial_tools": True}``: partial tools while a call's arguments arrive.

A stream built this way yields, for each chunk that carries an arguments fragment of an
offered tool, that tool built from the arguments so far (``model_construct``: not
validated, missing fields absent) with ``tool.delta`` set to the fragment. The complete,
validated tool still comes as in any stream, with ``delta`` ``None``. A chunk that both
carries a fragment and completes the call (Groq sends most calls whole, in one chunk) is
yielded twice: with the partial tool, then with the complete one.

The classes subclass ``GroqStream`` / ``AsyncGroqStream``, so a plain stream's hot path
has no partial-tool check at all.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import jiter

from mirastream._stream import AsyncGroqStream, GroqStream
from mirastream._stream_state import Pair

if TYPE_CHECKING:
    from mirastream.groq.types import ChatCompletionChunk
    from mirastream.tools._tool import GroqTool

__all__ = ["AsyncPartialToolStream", "PartialToolStream"]


class _PartialTools:
    """Accumulates argument fragments by call index; builds the partial tools of a chunk."""

    __slots__ = ("_by_name", "_calls", "_extra", "_last")

    def __init__(self, stream: GroqStream | AsyncGroqStream) -> None:
        toolkit = stream._toolkit
        self._by_name: dict[str, type[GroqTool]] = (
            {tool._name(): tool for tool in toolkit} if toolkit is not None else {}
        )
        self._calls: dict[int, list[str]] = {}  # index -> [name, arguments so far]
        self._extra: deque[Pair] = deque()
        self._last: ChatCompletionChunk | None = None

    def _partials(self, chunk: ChatCompletionChunk) -> list[GroqTool]:
        choices = chunk.choices
        if not choices or not self._by_name:
            return []
        out: list[GroqTool] = []
        for call in choices[0].delta._data.get("tool_calls") or ():
            function = call.get("function") or {}
            entry = self._calls.setdefault(call.get("index", 0), ["", ""])
            if function.get("name"):
                entry[0] = function["name"]
            fragment = function.get("arguments") or ""
            tool = self._by_name.get(entry[0])
            if not fragment or tool is None:
                continue
            entry[1] += fragment
            try:
                args: Any = jiter.from_json(entry[1].encode(), partial_mode="trailing-strings")
            except ValueError:
                args = {}
            partial = tool.model_construct(**(args if isinstance(args, dict) else {}))
            partial._delta = fragment
            out.append(partial)
        return out

    def next(self, pair: Pair) -> Pair:
        """The pair to yield for ``pair`` from the stream; later ones wait in ``_extra``."""
        chunk = pair[0].chunk
        if chunk is self._last:  # a chunk yielded again with a leftover tool
            return pair
        self._last = chunk
        partials = self._partials(chunk)
        if not partials:
            return pair
        self._extra.extend((pair[0], p) for p in partials[1:])
        if pair[1] is not None:
            self._extra.append(pair)
        return (pair[0], partials[0])


class PartialToolStream(GroqStream):
    """A :class:`GroqStream` that also yields partial tools (see the module docs)."""

    def __init__(self, stream: Any, **state: Any) -> None:
        super().__init__(stream, **state)
        self._partial_tools = _PartialTools(self)

    def __next__(self) -> Pair:
        extra = self._partial_tools._extra
        if extra:
            return extra.popleft()
        return self._partial_tools.next(super().__next__())


class AsyncPartialToolStream(AsyncGroqStream):
    """An :class:`AsyncGroqStream` that also yields partial tools (see the module docs)."""

    def __init__(self, stream: Any, **state: Any) -> None:
        super().__init__(stream, **state)
        self._partial_tools = _PartialTools(self)

    async def __anext__(self) -> Pair:
        extra = self._partial_tools._extra
        if extra:
            return extra.popleft()
        return self._partial_tools.next(await super().__anext__())
