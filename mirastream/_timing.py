"""How fast a call was: time to first token and decode speed, as seen by the client.

All times are milliseconds since the epoch, on the clock of ``start_time`` and
``end_time`` (``time.time()``). The moment of the first token is taken once per stream,
when the first chunk carrying content, reasoning or a tool call is folded (see
``_StreamState._on_chunk``), so measuring costs nothing per chunk after it.
"""

from __future__ import annotations

__all__ = ["CallTimings", "now_ms", "tokens_per_second"]

import time


def now_ms() -> float:
    """Wall-clock milliseconds since the epoch: the clock of every call timestamp."""
    return time.time() * 1000


def tokens_per_second(
    output_tokens: int | None, first_token_time: float | None, end_time: float | None
) -> float | None:
    """Output tokens over the seconds from the first token to the end.

    ``None`` when a figure is missing or no time passed between the two (a non-stream
    answer arrives whole, so the client cannot see its decode speed).
    """
    if output_tokens is None or first_token_time is None or end_time is None:
        return None
    seconds = (end_time - first_token_time) / 1000
    return output_tokens / seconds if seconds > 0 else None


class CallTimings:
    """``time_to_first_token`` and ``tokens_per_second`` for a stream or a response.

    The class that mixes this in provides ``start_time``, ``end_time``,
    ``first_token_time`` and ``output_tokens``.
    """

    __slots__ = ()

    start_time: float
    end_time: float | None
    first_token_time: float | None
    """When the first chunk carrying content, reasoning or a tool call arrived (ms since
    the epoch), or ``None`` if none did."""

    @property
    def output_tokens(self) -> int | None:  # provided by UsageTokens
        raise NotImplementedError

    @property
    def time_to_first_token(self) -> float | None:
        """Milliseconds from the call to the first content, reasoning or tool call.

        ``None`` if none came.
        """
        first = self.first_token_time
        return None if first is None else first - self.start_time

    @property
    def tokens_per_second(self) -> float | None:
        """Output tokens per second, from the first token to the end.

        ``None`` until usage arrives, and for a non-stream call, whose answer arrives whole.
        """
        return tokens_per_second(self.output_tokens, self.first_token_time, self.end_time)
