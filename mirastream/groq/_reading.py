"""Reading a whole (non-stream) body: bounded in bytes and by the call's deadline.

Every response is sent for with ``stream=True``, so the send loop decides how much of a
body it reads: an error body only up to ``ERROR_BODY_LIMIT`` (a 300 MB error page costs
1 MiB, not 1.2 GB), a completion whole but never past ``total_timeout``. What is read
comes back as a new, fully read ``httpx.Response`` (same status, headers, request), so
``exc.response.text`` and ``.json()`` work on it; the original is closed.
"""

from __future__ import annotations

import httpx

from mirastream.groq._deadline import Deadline
from mirastream.groq._failures import LOWER_LAYER, request_failure

__all__ = ["aread_body", "read_body"]

# The body kept is decoded and possibly cut: the headers describing the wire form go.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _rebuilt(response: httpx.Response, pieces: list[bytes]) -> httpx.Response:
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in _WIRE_HEADERS]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(pieces),
        request=response.request,
        extensions=response.extensions,
    )


def read_body(
    response: httpx.Response, limit: int | None, deadline: Deadline | None
) -> httpx.Response:
    """Read up to ``limit`` bytes (``None``: all) of ``response``, then close it.

    Raises:
        APIConnectionError: The body could not be read (``APITimeoutError`` on timeout).
    """
    pieces: list[bytes] = []
    size = 0
    try:
        for piece in response.iter_bytes():
            pieces.append(piece)
            size += len(piece)
            if deadline is not None and deadline.passed():
                raise httpx.ReadTimeout("total_timeout", request=response.request)
            if limit is not None and size >= limit:
                break
    except LOWER_LAYER as exc:
        raise request_failure(exc, response.request, deadline) from exc
    finally:
        response.close()
    if limit is not None and size > limit:
        pieces = [b"".join(pieces)[:limit]]
    return _rebuilt(response, pieces)


async def aread_body(
    response: httpx.Response, limit: int | None, deadline: Deadline | None
) -> httpx.Response:
    """The async twin of :func:`read_body`."""
    pieces: list[bytes] = []
    size = 0
    try:
        async for piece in response.aiter_bytes():
            pieces.append(piece)
            size += len(piece)
            if deadline is not None and deadline.passed():
                raise httpx.ReadTimeout("total_timeout", request=response.request)
            if limit is not None and size >= limit:
                break
    except LOWER_LAYER as exc:
        raise request_failure(exc, response.request, deadline) from exc
    finally:
        await response.aclose()
    if limit is not None and size > limit:
        pieces = [b"".join(pieces)[:limit]]
    return _rebuilt(response, pieces)
