"""Reading a whole (non-stream) body: bounded in bytes and by the call's deadline.

Every response is sent for with ``stream=True``, so the send loop decides how much of a
body it reads: an error body only up to ``ERROR_BODY_LIMIT`` (a 300 MB error page costs
1 MiB, not 1.2 GB), a completion whole but never past ``total_timeout``. What is read
comes back as a new, fully read ``httpx.Response`` (same status, headers, request), so
``exc.response.text`` and ``.json()`` work on it; the original is closed.
"""

from __future__ import annotations

import contextlib

import httpx

from mirastream.groq._deadline import Deadline
from mirastream.groq._failures import LOWER_LAYER, request_failure

__all__ = ["aread_body", "read_body"]

# The body kept is decoded and possibly cut: the headers describing the wire form go.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class _Collector:
    # The sans-IO part of both readers: keeps pieces up to the limit, watches the deadline.
    __slots__ = ("deadline", "limit", "pieces", "size")

    def __init__(self, limit: int | None, deadline: Deadline | None) -> None:
        self.pieces: list[bytes] = []
        self.size = 0
        self.limit = limit
        self.deadline = deadline

    def add(self, piece: bytes, request: httpx.Request) -> bool:
        """Keep ``piece``; return whether enough was read."""
        self.pieces.append(piece)
        self.size += len(piece)
        if self.deadline is not None and self.deadline.passed():
            raise httpx.ReadTimeout("total_timeout", request=request)
        return self.limit is not None and self.size >= self.limit

    def response(self, response: httpx.Response) -> httpx.Response:
        """A read response holding what was kept (cut to the limit)."""
        content = b"".join(self.pieces)
        if self.limit is not None:
            content = content[: self.limit]
        headers = [(k, v) for k, v in response.headers.multi_items() if k not in _WIRE_HEADERS]
        copy = httpx.Response(
            response.status_code,
            headers=headers,
            content=content,
            request=response.request,
            extensions=response.extensions,
        )
        # Known once httpx's client closed the original; a response it did not send has none.
        with contextlib.suppress(RuntimeError):
            copy.elapsed = response.elapsed
        return copy


def read_body(
    response: httpx.Response, limit: int | None, deadline: Deadline | None
) -> httpx.Response:
    """Read up to ``limit`` bytes (``None``: all) of ``response``, then close it.

    Raises:
        APIConnectionError: The body could not be read (``APITimeoutError`` on timeout).
    """
    collector = _Collector(limit, deadline)
    try:
        for piece in response.iter_bytes():
            if collector.add(piece, response.request):
                break
    except LOWER_LAYER as exc:
        raise request_failure(exc, response.request, deadline) from exc
    finally:
        response.close()
    return collector.response(response)


async def aread_body(
    response: httpx.Response, limit: int | None, deadline: Deadline | None
) -> httpx.Response:
    """The async twin of :func:`read_body`."""
    collector = _Collector(limit, deadline)
    try:
        async for piece in response.aiter_bytes():
            if collector.add(piece, response.request):
                break
    except LOWER_LAYER as exc:
        raise request_failure(exc, response.request, deadline) from exc
    finally:
        await response.aclose()
    return collector.response(response)
