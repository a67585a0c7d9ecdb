"""Releasing a response safely, whoever lets go of it and wherever that happens.

A stream must close its HTTP response on every exit path, garbage collection included.
But closing a sync response takes httpcore's connection-pool lock, which is not
reentrant, and the cyclic garbage collector can run *inside* that lock (any allocation
may trigger it). A close run by a collection in that thread would wait for itself
forever. So during a collection closes are queued, not done, and the queue is emptied
by the next request (``drain_deferred``), before it asks the pool for a connection.

An async response can only be closed on its own event loop: ``aclose_soon`` schedules
the close there, from whatever thread the collector happens to run in.
"""

from __future__ import annotations

import contextlib
import gc
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    import httpx

__all__ = ["AsyncResponseGuard", "ResponseGuard", "aclose_soon", "close", "drain_deferred"]

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
