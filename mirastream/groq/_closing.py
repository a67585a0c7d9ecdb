"""Releasing a response safely, whoever lets go of it and wherever that happens.

A stream must close its HTTP response on every exit path, garbage collection included.
But closing a sync response takes httpcore's connection-pool lock, which is not
reentrant, and the cyclic garbage collector can run *inside* that lock (any allocation
may trigger it). A close run by a collection in that thread would wait for itself
forever. So during a collection closes are queued, not done, and the queue is emptied
by the next request (``drain_deferred``), before it asks the pool for a connection.

An async response can only be closed on its own event loop: ``aclose_soon`` schedules
the close there, from whatever thread the collector happens to run in.

After ``[DONE]`` a stream ends at once. Reading on to the end of the body lets httpcore
pool the connection, so ``finish_after_done`` does that only while it costs nothing: the
end is already received (``end_is_buffered``), or bytes arrive within ``END_GRACE``
(the terminator is usually a few microseconds behind ``[DONE]``), and no more than
``END_BUDGET`` bytes. Otherwise the caller closes the response: a server that holds the
connection open or keeps sending after ``[DONE]`` costs at most that grace.
"""

from __future__ import annotations

import contextlib
import gc
import re
import select
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    import httpx

__all__ = [
    "AsyncResponseGuard",
    "ResponseGuard",
    "aclose_soon",
    "close",
    "END_BUDGET",
    "END_GRACE",
    "afinish_after_done",
    "drain_deferred",
    "end_is_buffered",
    "finish_after_done",
]

END_GRACE = 0.05
"""Seconds a stream waits after ``[DONE]`` for the end of the body before closing."""
END_BUDGET = 64 * 1024
"""Bytes a stream reads after ``[DONE]`` looking for the end of the body."""

_collecting = False
_deferred: deque[httpx.Response] = deque()  # append/popleft are atomic
_closing_tasks: set[Any] = set()  # the loop keeps only weak references to tasks


def _track_collection(phase: str, info: dict[str, Any]) -> None:
    global _collecting
    _collecting = phase == "start"


gc.callbacks.append(_track_collection)


def close(response: httpx.Response) -> None:
    """Close ``response`` now, or, during a garbage collection, at the next request."""
    if _collecting:
        _deferred.append(response)
    else:
        response.close()


def drain_deferred() -> None:
    """Close the responses a garbage collection let go of (call where no lock is held)."""
    while _deferred:
        try:
            response = _deferred.popleft()
        except IndexError:  # another thread took the last one
            return
        response.close()


def aclose_soon(response: httpx.Response, loop: asyncio.AbstractEventLoop | None) -> None:
    """Schedule ``response.aclose()`` on ``loop`` (its own), from any thread."""
    if loop is None or loop.is_closed():
        return  # no loop to close it on: its connections went with that loop

    def schedule() -> None:
        task = loop.create_task(response.aclose())
        _closing_tasks.add(task)
        task.add_done_callback(_closing_tasks.discard)

    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
        loop.call_soon_threadsafe(schedule)


class ResponseGuard:
    """Closes a response once nothing can read it any more.

    Held by a stream *and* by its generator's frame (an unstarted generator keeps its
    arguments too), so it goes when the last of them goes: a temporary stream object
    being dropped while its generator is iterated does not close anything.
    """

    __slots__ = ("response",)

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    def __del__(self) -> None:
        if not self.response.is_closed:
            close(self.response)


class AsyncResponseGuard:
    """The async twin of :class:`ResponseGuard`: closes on the response's own loop."""

    __slots__ = ("loop", "response")

    def __init__(self, response: httpx.Response, loop: asyncio.AbstractEventLoop | None) -> None:
        self.response = response
        self.loop = loop

    def __del__(self) -> None:
        if not self.response.is_closed:
            aclose_soon(self.response, self.loop)


# The last chunk of a chunked body: "0", optional extensions, optional trailers, CRLF
# (after the CRLF that closes the previous chunk's data, which h11 may not have read yet).
_CHUNKED_END = re.compile(rb"(?:\r\n)?0+(?:;[^\r\n]*)?\r\n(?:[^\r\n]+\r\n)*\r\n")


def _h11_connection(response: httpx.Response) -> Any:
    # httpx -> httpcore stream wrappers down to the HTTP/1.1 connection's h11 state.
    # Private attributes: if httpx or httpcore change them, this finds nothing and the
    # response is closed instead of pooled (correct, only slower).
    node: Any = response.stream
    for _ in range(8):
        state = getattr(node, "_h11_state", None)
        if state is not None:
            return state
        node = (
            getattr(node, "_stream", None)
            or getattr(node, "_httpcore_stream", None)
            or getattr(node, "_inner", None)  # mirastream.testing's recording tee
            or getattr(node, "_connection", None)
        )
        if node is None:
            return None
    return None


def end_is_buffered(response: httpx.Response) -> bool:
    """Whether reading ``response`` to its end needs no more bytes from the network."""
    headers = response.headers
    length = headers.get("content-length")
    if length is not None and "transfer-encoding" not in headers:
        return length.isdigit() and response.num_bytes_downloaded >= int(length)
    state = _h11_connection(response)
    if state is None:
        return False
    import h11  # httpcore's own dependency, loaded already when a state was found

    if state.their_state is h11.DONE:
        return True
    data, _closed = state.trailing_data
    return _CHUNKED_END.fullmatch(data) is not None


def _readable(response: httpx.Response, timeout: float) -> bool:
    # Whether the connection's socket has bytes within ``timeout`` (False if unknown).
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is None:
        return False
    try:
        return bool(select.select([sock], [], [], timeout)[0])
    except (OSError, ValueError):  # closed meanwhile
        return False


def finish_after_done(response: httpx.Response, body: Iterator[bytes]) -> None:
    """After ``[DONE]``: read the rest of ``body`` if it is (about to be) here, else stop.

    A failure here is not the caller's problem: the answer is complete. The caller closes
    the response afterwards either way (a no-op once the body was read to its end).
    """
    from mirastream.groq._failures import LOWER_LAYER

    budget = END_BUDGET
    until = time.monotonic() + END_GRACE
    try:
        while end_is_buffered(response) or _readable(response, until - time.monotonic()):
            piece = next(body, None)
            if piece is None:
                return  # the end: httpcore pools the connection
            budget -= len(piece)
            if budget < 0:
                return
    except LOWER_LAYER:
        pass


async def afinish_after_done(response: httpx.Response, body: AsyncIterator[bytes]) -> None:
    """The async twin of :func:`finish_after_done` (a cancel scope is the grace)."""
    import anyio

    from mirastream.groq._failures import LOWER_LAYER

    budget = END_BUDGET
    with anyio.move_on_after(END_GRACE):
        try:
            async for piece in body:
                budget -= len(piece)
                if budget < 0:
                    return
        except LOWER_LAYER:
            pass
