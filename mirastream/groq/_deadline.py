"""``total_timeout``: one time limit for a whole call, apart from httpx's per-read timeouts.

httpx bounds each wait (connect, write, each read) but not their sum, so a server that
drips one byte per second never times out. A :class:`Deadline` is started when a call
begins and is checked wherever time passes: before each attempt and each retry's sleep,
and whenever bytes arrive. Each wait for bytes is also shortened to the time left, so a
server that sends nothing at all is caught too.
"""

from __future__ import annotations

import time

import httpx

__all__ = ["Deadline", "attempt_timeout", "stream_timeout"]


class Deadline:
    """The instant a call must be over by (``time.monotonic()`` based).

    Attributes:
        limit: The ``total_timeout`` it was started with, in seconds.
        at: The monotonic instant it passes.
    """

    __slots__ = ("at", "limit")

    def __init__(self, limit: float) -> None:
        if not limit > 0:
            raise ValueError(f"total_timeout must be a positive number of seconds, not {limit}.")
        self.limit = limit
        self.at = time.monotonic() + limit

    @classmethod
    def start(cls, limit: float | None) -> Deadline | None:
        """A deadline ``limit`` seconds from now; ``None`` (no limit) for ``None``."""
        return None if limit is None else cls(limit)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(self.at - time.monotonic(), 0.0)

    def passed(self) -> bool:
        """Whether the call is out of time."""
        return time.monotonic() >= self.at

    def allows(self, delay: float) -> bool:
        """Whether there is time to sleep ``delay`` seconds and still try again."""
        return time.monotonic() + delay < self.at

    def clamp(self, timeout: httpx.Timeout) -> httpx.Timeout:
        """``timeout`` with every wait shortened to the time left."""
        left = max(self.remaining(), 0.001)  # 0 would mean "do not wait at all" to some calls

        def cut(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(
            connect=cut(timeout.connect),
            read=cut(timeout.read),
            write=cut(timeout.write),
            pool=cut(timeout.pool),
        )

    def message(self) -> str:
        """The message of the timeout error raised when it passes."""
        return f"The call exceeded its total_timeout of {self.limit:g} s."


def attempt_timeout(timeout: httpx.Timeout, deadline: Deadline | None) -> httpx.Timeout:
    """The timeout of one attempt: the call's, each wait cut to the time left."""
    return timeout if deadline is None else deadline.clamp(timeout)


def stream_timeout(
    response: httpx.Response, timeout: httpx.Timeout, deadline: Deadline | None
) -> None:
    """Cut the waits of a stream's body reads to the time left, before the body is read.

    httpcore reads a request's ``timeout`` extension when the body starts to stream, so
    setting it between the headers and the first read bounds every later read too.
    """
    if deadline is not None:
        response.request.extensions["timeout"] = deadline.clamp(timeout).as_dict()
