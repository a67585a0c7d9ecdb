"""Groq's ``x-ratelimit-*`` response headers, parsed (sans-IO).

Groq sends six headers on every answer, success or error::

    x-ratelimit-limit-requests: 14400        x-ratelimit-limit-tokens: 18000
    x-ratelimit-remaining-requests: 14370    x-ratelimit-remaining-tokens: 17997
    x-ratelimit-reset-requests: 2m59.56s     x-ratelimit-reset-tokens: 7.66s

Counts are integers; resets are Go ``time.Duration`` strings (``"6s"``, ``"400ms"``,
``"1h2m3s"``). Third-party write-ups say the ``requests`` pair is the per-day window and
the ``tokens`` pair the per-minute one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["RateLimits", "parse_go_duration"]

_UNIT_SECONDS = {
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "\u00b5s": 1e-6,  # micro sign, as Go prints it
    "\u03bcs": 1e-6,  # Greek mu, which Go also accepts
    "ns": 1e-9,
}
_PART = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)"
_DURATION_RE = re.compile(f"(?:{_PART})+")
_PART_RE = re.compile(_PART)


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go duration string, or ``None`` if it is not one.

    Args:
        text: For example ``"2m59.56s"``, ``"400ms"``, ``"6s"``, ``"1h2m3s"``; a bare
            number (``"6"``, ``"0"``) is taken as seconds, as some proxies send it.

    Returns:
        The duration in seconds (never negative), or ``None`` for anything else.
    """
    text = text.strip()
    if _DURATION_RE.fullmatch(text):
        return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART_RE.findall(text))
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if seconds >= 0 and seconds != float("inf") else None


def _count(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() else None


def _reset(value: str | None) -> float | None:
    return None if value is None else parse_go_duration(value)


@dataclass(frozen=True)
class RateLimits:
    """Where a key stands against Groq's limits, from one response's headers.

    Every field is ``None`` when its header was absent or malformed.

    Attributes:
        limit_requests: Requests allowed in the window (``x-ratelimit-limit-requests``).
        remaining_requests: Requests left in the window.
        reset_requests: Seconds until the request window resets.
        limit_tokens: Tokens allowed in the window (``x-ratelimit-limit-tokens``).
        remaining_tokens: Tokens left in the window.
        reset_tokens: Seconds until the token window resets.
    """

    limit_requests: int | None = None
    remaining_requests: int | None = None
    reset_requests: float | None = None
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_tokens: float | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimits:
        """Parse the ``x-ratelimit-*`` headers.

        Args:
            headers: Response headers; an ``httpx.Headers`` (case-insensitive), or a plain
                mapping with lower-case names.

        Returns:
            The parsed limits (all ``None`` when no header is there).
        """
        get = headers.get
        return cls(
            limit_requests=_count(get("x-ratelimit-limit-requests")),
            remaining_requests=_count(get("x-ratelimit-remaining-requests")),
            reset_requests=_reset(get("x-ratelimit-reset-requests")),
            limit_tokens=_count(get("x-ratelimit-limit-tokens")),
            remaining_tokens=_count(get("x-ratelimit-remaining-tokens")),
            reset_tokens=_reset(get("x-ratelimit-reset-tokens")),
        )

    def __bool__(self) -> bool:
        """Whether any header was present."""
        return any(
            value is not None
            for value in (
                self.limit_requests,
                self.remaining_requests,
                self.reset_requests,
                self.limit_tokens,
                self.remaining_tokens,
                self.reset_tokens,
            )
        )
