"""Lower-layer failures translated to mirastream's tree: the one place that does it.

Both send loops (before a response arrives or while an error body is read) call
:func:`request_failure`; both stream loops (once the body streams) call
:func:`stream_failure`. Whatever httpx, httpcore or h11 raise arrives as one of
:data:`LOWER_LAYER`, and goes out as a class of the tree, chained to the original:

======================================  ====================  =======================
lower layer                             before the stream     mid-stream
======================================  ====================  =======================
``httpx.TimeoutException``, deadline    ``APITimeoutError``   ``StreamTimeoutError``
``httpx.DecodingError`` (corrupt gzip)  ``APIConnectionError``  ``StreamDecodeError``
any other ``httpx.HTTPError``,          ``APIConnectionError``  ``StreamInterruptedError``
``httpx.InvalidURL``
======================================  ====================  =======================

Which of them may be retried is :func:`is_retryable`: a malformed request, an unsupported
URL, a corrupt encoding or a redirect loop would fail the same way again.
"""

from __future__ import annotations

import httpx

from mirastream.errors import (
    APIConnectionError,
    APITimeoutError,
    StreamDecodeError,
    StreamError,
    StreamInterruptedError,
    StreamTimeoutError,
)
from mirastream.groq._deadline import Deadline

__all__ = ["LOWER_LAYER", "is_retryable", "may_retry", "request_failure", "stream_failure"]

LOWER_LAYER: tuple[type[Exception], ...] = (httpx.HTTPError, httpx.InvalidURL)
"""What an httpx call can raise on a network or server fault (h11 and httpcore errors
arrive wrapped in these)."""

_NEVER_RETRIED = (
    httpx.LocalProtocolError,  # our own request is malformed
    httpx.UnsupportedProtocol,
    httpx.DecodingError,
    httpx.TooManyRedirects,
    httpx.InvalidURL,
)
_MAX_DETAIL = 300


def is_retryable(exc: Exception) -> bool:
    """Whether another attempt after ``exc`` (raised before any response) may succeed."""
    return not isinstance(exc, _NEVER_RETRIED)


def may_retry(exc: Exception, delay: float, deadline: Deadline | None) -> bool:
    """Whether to retry after ``exc``: it is retryable and the wait fits in the deadline."""
    return is_retryable(exc) and (deadline is None or deadline.allows(delay))


def _detail(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if len(text) > _MAX_DETAIL:
        text = text[:_MAX_DETAIL] + "..."
    return f"{type(exc).__name__}: {text}"


def _timed_out(exc: Exception, deadline: Deadline | None) -> bool:
    return isinstance(exc, httpx.TimeoutException) or (deadline is not None and deadline.passed())


def request_failure(
    exc: Exception, request: httpx.Request | None, deadline: Deadline | None = None
) -> APIConnectionError:
    """The error for ``exc``, raised before a stream began (sending, or reading a body)."""
    if _timed_out(exc, deadline):
        if deadline is not None and deadline.passed():
            return APITimeoutError(deadline.message(), request=request)
        return APITimeoutError(f"Request timed out ({_detail(exc)}).", request=request)
    if isinstance(exc, httpx.DecodingError):
        return APIConnectionError(
            f"The response body could not be decoded ({_detail(exc)}).", request=request
        )
    if isinstance(exc, httpx.TooManyRedirects):
        return APIConnectionError(f"Too many redirects ({_detail(exc)}).", request=request)
    return APIConnectionError(f"Connection error: {_detail(exc)}", request=request)


def stream_failure(
    exc: Exception, request: httpx.Request | None, deadline: Deadline | None = None
) -> StreamError:
    """The error for ``exc``, raised while the body of a stream was being read."""
    if _timed_out(exc, deadline):
        if deadline is not None and deadline.passed():
            return StreamTimeoutError(deadline.message(), request=request)
        return StreamTimeoutError(
            f"The stream stalled: no data within the read timeout ({_detail(exc)}).",
            request=request,
        )
    if isinstance(exc, httpx.DecodingError):
        return StreamDecodeError(
            f"The stream's body could not be decoded ({_detail(exc)}).", data="", request=request
        )
    return StreamInterruptedError(
        f"The connection failed mid-stream: {_detail(exc)}", request=request
    )
