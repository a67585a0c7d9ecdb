"""Retry policy for HTTP requests to Groq, as small pure functions.

Nothing here sleeps or does IO: the send loop asks :func:`should_retry` whether a failed
response may be retried and :func:`retry_delay` how long to wait before the next attempt.
Connection errors and timeouts are not classified here; the send loop retries those itself.

The policy mirrors the groq SDK (see ``groq-wire.md`` §9) with one deliberate difference:
HTTP 498 (flex-tier ``capacity_exceeded``) is retried, because it means "no capacity right
now", which a later attempt can succeed at.
"""

from __future__ import annotations

import email.utils
import math
import random as _random
import time
from collections.abc import Callable, Mapping
from datetime import timezone
from typing import TypeAlias

import httpx

__all__ = [
    "INITIAL_RETRY_DELAY",
    "HeadersLike",
    "MAX_RETRY_DELAY",
    "MAX_SERVER_WAIT",
    "retry_after_seconds",
    "retry_delay",
    "should_retry",
]

INITIAL_RETRY_DELAY = 0.5
"""Backoff before the first retry, in seconds (before jitter)."""

MAX_RETRY_DELAY = 8.0
"""Upper bound of the exponential backoff, in seconds (before jitter)."""

MAX_SERVER_WAIT = 60.0
"""Longest server-requested wait that is honoured; longer requests fall back to backoff."""

# Status codes that are worth another attempt. 498 is Groq's flex tier saying it has no
# capacity at the moment; the SDK does not retry it, we do (groq-wire.md §11).
_RETRYABLE_STATUSES = frozenset({408, 409, 429, 498})

# Exponent cap for the backoff: 2**5 * 0.5 already exceeds MAX_RETRY_DELAY, and capping
# keeps ``2.0**n`` from overflowing for absurd retry counts.
_MAX_BACKOFF_EXPONENT = 16

HeadersLike: TypeAlias = "httpx.Headers | Mapping[str, str]"
"""Response headers: ``httpx.Headers`` or any mapping of header name to value."""


def _as_headers(headers: HeadersLike) -> httpx.Headers:
    # httpx.Headers looks names up case-insensitively; a plain dict would not.
    return headers if isinstance(headers, httpx.Headers) else httpx.Headers(headers)


def _parse_float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    # float() accepts "nan" and "inf"; neither is a wait anyone can honour.
    return number if math.isfinite(number) else None


def _parse_http_date(value: str, now: float) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # "-0000" in an RFC 5322 date yields a naive datetime; HTTP-dates are always GMT.
        when = when.replace(tzinfo=timezone.utc)
    try:
        return when.timestamp() - now
    except (OverflowError, OSError, ValueError):
        return None


def retry_after_seconds(headers: HeadersLike, *, now: float | None = None) -> float | None:
    """Return how long the server asked the client to wait, in seconds.

    ``retry-after-ms`` (milliseconds, may be fractional) is read first; if it is absent or
    unusable, ``retry-after`` is read as a number of seconds (may be fractional) or as an
    HTTP-date, in which case the result is the date minus ``now``. The value is reported
    as the server sent it: it is not capped, and ``0`` is returned as ``0.0``.

    Args:
        headers: The response headers (names are matched case-insensitively).
        now: The current time as a Unix timestamp, for HTTP-dates; defaults to
            ``time.time()``.

    Returns:
        The wait in seconds, or ``None`` when neither header is present, parsable,
        finite and non-negative (an HTTP-date in the past counts as negative).
    """
    hdrs = _as_headers(headers)

    raw_ms = hdrs.get("retry-after-ms")
    if raw_ms is not None:
        ms = _parse_float(raw_ms)
        if ms is not None and ms >= 0:
            return ms / 1000.0

    raw = hdrs.get("retry-after")
    if raw is None:
        return None
    seconds = _parse_float(raw)
    if seconds is None:
        seconds = _parse_http_date(raw, time.time() if now is None else now)
    if seconds is None or seconds < 0:
        return None
    return seconds


def should_retry(status_code: int, headers: HeadersLike | None = None) -> bool:
    """Decide whether a response with this status may be retried.

    A ``x-should-retry: true`` or ``x-should-retry: false`` header overrides everything
    else. Otherwise 408, 409, 429, 498 (Groq flex-tier capacity exceeded) and every
    status >= 500 are retried; everything else (400, 401, 403, 404, 413, 422, 424, 499,
    ...) is not.

    Args:
        status_code: The HTTP status of the response.
        headers: The response headers, if any.

    Returns:
        ``True`` if another attempt may succeed.
    """
    if headers is not None:
        hint = _as_headers(headers).get("x-should-retry")
        if hint is not None:
            # Case and surrounding blanks carry no meaning; other values are ignored.
            normalized = hint.strip().lower()
            if normalized == "true":
                return True
            if normalized == "false":
                return False
    return status_code in _RETRYABLE_STATUSES or status_code >= 500


def retry_delay(
    retries_taken: int,
    max_retries: int,
    headers: HeadersLike | None,
    *,
    random: Callable[[], float] = _random.random,
    now: float | None = None,
) -> float:
    """Return how many seconds to wait before the next attempt.

    If the server asked for a wait in (0, 60] seconds (see :func:`retry_after_seconds`),
    that wait is used exactly. Otherwise the delay is exponential backoff with jitter:
    ``min(0.5 * 2**retries_taken, 8.0) * (1 - 0.25 * random())``, i.e. 0.375-0.5 s,
    0.75-1 s, 1.5-2 s, 3-4 s, then 6-8 s for every later retry. Jitter only shortens
    the wait, so clients that failed together spread out.

    Args:
        retries_taken: Retries already made for this request (0 before the first retry).
            Negative values are treated as 0.
        max_retries: The request's retry budget. It does not change the delay (the
            backoff depends only on ``retries_taken``); it is accepted so the send loop
            can pass its whole retry state in one call.
        headers: The failed response's headers, or ``None`` when there was no response
            (for example after a timeout).
        random: Source of jitter returning a float in [0, 1); pass ``lambda: 0.0`` in
            tests for the undiminished backoff.
        now: The current Unix time, for ``retry-after`` HTTP-dates; defaults to
            ``time.time()``.

    Returns:
        The delay in seconds, never negative.
    """
    if headers is not None:
        requested = retry_after_seconds(headers, now=now)
        if requested is not None and 0 < requested <= MAX_SERVER_WAIT:
            return requested

    exponent = min(max(retries_taken, 0), _MAX_BACKOFF_EXPONENT)
    backoff = min(INITIAL_RETRY_DELAY * 2.0**exponent, MAX_RETRY_DELAY)
    return max(backoff * (1.0 - 0.25 * random()), 0.0)
