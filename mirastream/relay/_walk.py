"""Walking a stream into event bytes: one sans-IO core, a sync and an async shell.

:class:`Relay` knows what to say (through a :class:`~mirastream.relay._format.Format`)
for each pair the stream yields, for its end and for errors; the shells only pull pairs,
run tools when asked, and close the stream on every way out. Each upstream chunk gives
at most one ``bytes`` (its events joined), so the ASGI server sends one body message per
chunk.

Closing: a client that goes away ends the body iterator, by ``aclose()`` (the iterator
is closed or collected) or by cancellation (Starlette cancels the response task when the
server reports the disconnect). Either way the shell closes the Groq stream on its way
out; the async close is shielded, because under an anyio cancel scope every ``await``
in a cancelled task is cancelled again, and the HTTP connection to Groq must still close.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from mirastream._stream import AsyncGroqStream, GroqStream
from mirastream.errors import MirastreamError, ToolCallError
from mirastream.recovery._recovering import AttemptStart
from mirastream.relay._format import During, Format, default_error_message

if TYPE_CHECKING:
    from mirastream._results import GroqCallResponseChunk
    from mirastream.tools._tool import GroqTool

__all__ = ["AsyncSource", "ErrorMessage", "Relay", "Source", "async_walk", "walk"]

Source: TypeAlias = GroqStream | Callable[[], GroqStream]
"""A stream, or what makes one (so the relay can report the call's own errors)."""

AsyncSource: TypeAlias = (
    AsyncGroqStream
    | Awaitable[AsyncGroqStream]
    | Callable[[], AsyncGroqStream | Awaitable[AsyncGroqStream]]
)
"""An async stream, the awaitable an async call returns, or a function making either."""

ErrorMessage = Callable[[BaseException], str]
"""Turns an exception into the message the page is shown."""

S = TypeVar("S", GroqStream, AsyncGroqStream)
_closing: set[asyncio.Task[None]] = set()  # shielded closes still running


class _Call:
    """A tool call seen in the stream: its id, name and arguments so far."""

    __slots__ = ("arguments", "done", "id", "name")

    def __init__(self, call_id: str, name: str) -> None:
        self.id = call_id
        self.name = name
        self.arguments: list[str] = []
        self.done = False


class Relay:
    """What to send for each thing a stream does, in one format.

    Args:
        format: The wire format.
        on_error: The message shown for an exception; by default mirastream's own
            message for its errors and a generic one for anything else.
    """

    def __init__(self, format: Format, on_error: ErrorMessage | None = None) -> None:
        self.format = format
        self._message = on_error or default_error_message
        self._calls: dict[int, _Call] = {}  # by the delta's index, in order of arrival

    def chunk(self, response_chunk: GroqCallResponseChunk) -> str:
        """The events of one chunk: reasoning, text and tool-call pieces."""
        choices = response_chunk.chunk.choices
        if not choices:  # usage only, or a new attempt (reask=, fallback=): no delta
            if isinstance(response_chunk, AttemptStart):
                self._calls.clear()  # the failed attempt's calls are not this one's
                error = response_chunk.error
                reason = self._message(error)
                return self.format.attempt(response_chunk.attempt, response_chunk.model, reason)
            return ""
        delta = choices[0].delta
        events = ""
        if delta.reasoning:
            events += self.format.reasoning(delta.reasoning)
        if delta.content:
            events += self.format.text(delta.content)
        tool_calls = delta.tool_calls
        if tool_calls:
            for fragment in tool_calls:
                events += self._tool_fragment(fragment.index, fragment.id, fragment.function)
        return events

    def _tool_fragment(self, index: int, call_id: str | None, function: Any) -> str:
        events = ""
        call = self._calls.get(index)
        if call is None:  # a call's first delta carries its id and name
            call = self._calls[index] = _Call(call_id or f"call-{index}", function.name or "")
            events += self.format.tool_input_start(call.id, call.name)
        arguments = function.arguments
        if arguments:
            call.arguments.append(arguments)
            events += self.format.tool_input_delta(call.id, arguments)
        return events

    def _find(self, call_id: str | None) -> _Call | None:
        return next((c for c in self._calls.values() if c.id == call_id and not c.done), None)

    def tool(self, tool: GroqTool) -> str:
        """A tool the stream completed: its input is available."""
        call = self._find(tool.tool_call.id if tool.tool_call else None)
        if call is None:
            return ""
        call.done = True
        return self.format.tool_input(call.id, call.name, "".join(call.arguments), tool.args, None)

    def tool_error(self, exc: ToolCallError) -> str:
        """A tool call that could not become a tool (bad arguments, unknown name)."""
        call = self._find(exc.tool_call_id)
        if call is not None:
            call.done = True
        call_id = call.id if call is not None else exc.tool_call_id or "call"
        return self.format.tool_input(call_id, exc.tool_name, exc.arguments, None, str(exc))

    def tool_output(self, tool: GroqTool, output: Any, error: BaseException | None) -> str:
        """What running ``tool`` gave: its output, or the exception it raised."""
        call_id = tool.tool_call.id if tool.tool_call else ""
        message = None if error is None else self._message(error)
        return self.format.tool_output(call_id, output, message)

    def end(self, stream: GroqStream | AsyncGroqStream) -> str:
        """The stream ended: complete the calls no tool took, then finish."""
        events = ""
        for call in self._calls.values():
            if not call.done:  # no tools were offered, so the stream made no tool of it
                call.done = True
                arguments = "".join(call.arguments)
                try:
                    value = json.loads(arguments) if arguments.strip() else {}
                except ValueError as exc:
                    message = f"the arguments are not valid JSON: {exc}"
                    events += self.format.tool_input(call.id, call.name, arguments, None, message)
                else:
                    events += self.format.tool_input(call.id, call.name, arguments, value, None)
        return events + self.format.finish(stream) + self.format.end()

    def failure(self, exc: BaseException, during: During) -> str:
        """The call or the stream failed: the error, then the end."""
        return self.format.error(self._message(exc), exc, during) + self.format.end()


def _reraise(exc: BaseException) -> bool:
    """Whether ``exc`` is a bug to re-raise after telling the page (it is not mirastream's)."""
    return not isinstance(exc, MirastreamError)


def walk(source: Source, relay: Relay, *, call_tools: bool = False) -> Generator[bytes, None, None]:
    """The sync shell: event bytes for a :class:`GroqStream` (see :class:`Relay`)."""
    if begin := relay.format.begin():
        yield begin.encode()
    try:
        stream = _check(source if isinstance(source, GroqStream) else source(), GroqStream)
        pairs = iter(stream)  # a stream consumed already fails here, as a request error
    except Exception as exc:
        yield relay.failure(exc, "request").encode()
        if _reraise(exc):
            raise
        return
    with stream:  # closes the Groq stream however the iterator is left
        if opened := relay.format.opened(stream):
            yield opened.encode()
        while True:
            try:
                chunk, tool = next(pairs)
            except StopIteration:
                break
            except ToolCallError as exc:  # one bad call: report it and go on
                yield relay.tool_error(exc).encode()
                continue
            except Exception as exc:
                yield relay.failure(exc, "stream").encode()
                if _reraise(exc):
                    raise
                return
            events = relay.chunk(chunk)
            if tool is not None:
                events += relay.tool(tool)
                if call_tools:
                    events += _call_sync(relay, tool)
            if events:
                yield events.encode()
        yield relay.end(stream).encode()


def _call_sync(relay: Relay, tool: GroqTool) -> str:
    try:
        output = tool.call()
    except Exception as exc:
        return relay.tool_output(tool, None, exc)
    if inspect.isawaitable(output):
        if inspect.iscoroutine(output):
            output.close()  # never awaited: no "never awaited" warning either
        error = TypeError(f"tool {tool._name()} is async: relay it with the async helpers")
        return relay.tool_output(tool, None, error)
    return relay.tool_output(tool, output, None)


async def async_walk(
    source: AsyncSource, relay: Relay, *, call_tools: bool = False
) -> AsyncGenerator[bytes, None]:
    """The async shell: event bytes for an :class:`AsyncGroqStream` (see :class:`Relay`)."""
    if begin := relay.format.begin():
        yield begin.encode()
    try:
        stream = await _open(source)
        pairs = stream.__aiter__()
    except Exception as exc:
        yield relay.failure(exc, "request").encode()
        if _reraise(exc):
            raise
        return
    try:
        if opened := relay.format.opened(stream):
            yield opened.encode()
        while True:
            try:
                chunk, tool = await pairs.__anext__()
            except StopAsyncIteration:
                break
            except ToolCallError as exc:
                yield relay.tool_error(exc).encode()
                continue
            except Exception as exc:
                yield relay.failure(exc, "stream").encode()
                if _reraise(exc):
                    raise
                return
            events = relay.chunk(chunk)
            if tool is not None:
                events += relay.tool(tool)
                if call_tools:
                    events += await _call_async(relay, tool)
            if events:
                yield events.encode()
        yield relay.end(stream).encode()
    finally:
        await _close_shielded(stream)


async def _open(source: AsyncSource) -> AsyncGroqStream:
    if isinstance(source, AsyncGroqStream):
        return source
    opened = source() if callable(source) else source
    if inspect.isawaitable(opened):
        opened = await opened
    return _check(opened, AsyncGroqStream)


def _check(stream: object, expected: type[S]) -> S:
    if not isinstance(stream, expected):
        raise TypeError(
            f"expected a {expected.__name__} (from a groq_call with stream=True), "
            f"got {type(stream).__name__}"
        )
    return stream


async def _call_async(relay: Relay, tool: GroqTool) -> str:
    try:
        output = tool.call()
        if inspect.isawaitable(output):
            output = await output
    except Exception as exc:
        return relay.tool_output(tool, None, exc)
    return relay.tool_output(tool, output, None)


async def _close_shielded(stream: AsyncGroqStream) -> None:
    """Close ``stream`` even if this task is being cancelled (see the module docs)."""
    task = asyncio.get_running_loop().create_task(stream.close())
    _closing.add(task)
    task.add_done_callback(_closing.discard)
    await asyncio.shield(task)
