"""Replay: a ``GroqServer`` responder that serves a cassette's recorded answers.

Two ways to pick the answer for a request:

* ``match="order"``: the recorded exchanges in turn, whatever is asked;
* ``match="request"``: the first unused exchange whose recorded request equals this one
  on the compared body keys (by default ``model``, ``messages`` and ``stream``).

When nothing fits, the client gets a 404 whose message lists what the cassette holds,
and the failure is kept in :attr:`Replay.failures` (the pytest plugin fails the test with
it, so an error swallowed by the code under test still shows).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from mirastream.testing._cassette import Exchange, load_cassette, summarize_request
from mirastream.testing._http import RecordedRequest
from mirastream.testing._replies import Chunking, ErrorReply, SSEReply

__all__ = ["DEFAULT_MATCH_ON", "Match", "Replay", "replay"]

Match = Literal["order", "request"]
"""How a replay picks the recorded answer for a request."""

DEFAULT_MATCH_ON = ("model", "messages", "stream")
"""The request body keys compared by ``match="request"``."""

BodyMatcher = Callable[[Any, Any], bool]
"""``(recorded_body, request_body) -> bool``: a custom request matcher."""

# The server writes these itself; replaying the recorded ones would duplicate them.
_SERVER_HEADERS = frozenset({"date", "content-length", "transfer-encoding", "connection"})


def _compared(body: Any, keys: Sequence[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        return {}
    # stream missing, null and false all mean "not streamed".
    return {key: bool(body.get(key)) if key == "stream" else body.get(key) for key in keys}


class Replay:
    """Serves recorded exchanges to a ``GroqServer``: ``GroqServer(responder=replay(...))``.

    Args:
        path: A cassette directory, or a single ``.sse`` / ``.json`` body file.
        match: ``"order"`` (each exchange in turn) or ``"request"`` (by request body).
        match_on: For ``match="request"``: the body keys that must be equal, or a
            function ``(recorded_body, request_body) -> bool``.
        chunking: How the server cuts bodies into writes (``"events"`` or a byte count).

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If it holds no exchange, or ``match="request"`` and no exchange has a
            recorded request.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        match: Match = "order",
        match_on: Sequence[str] | BodyMatcher = DEFAULT_MATCH_ON,
        chunking: Chunking = "events",
    ) -> None:
        if match not in ("order", "request"):
            raise ValueError(f"match must be 'order' or 'request', got {match!r}")
        self.path = Path(path)
        self.match: Match = match
        self.exchanges: list[Exchange] = load_cassette(self.path)
        if match == "request" and all(e.request is None for e in self.exchanges):
            raise ValueError(
                f"match='request' needs recorded requests, and {self.path} has no "
                "*.request.json file; use match='order'"
            )
        self._match_on = match_on
        self._chunking = chunking
        self._lock = threading.Lock()
        self._served: list[Exchange] = []
        self._failures: list[str] = []
        self._requests = 0

    @property
    def served(self) -> list[Exchange]:
        """The exchanges served so far, in order (a copy)."""
        with self._lock:
            return list(self._served)

    @property
    def unused(self) -> list[Exchange]:
        """The exchanges never served."""
        with self._lock:
            served = {e.name for e in self._served}
        return [e for e in self.exchanges if e.name not in served]

    @property
    def failures(self) -> list[str]:
        """One message per request that had no recorded answer (a copy)."""
        with self._lock:
            return list(self._failures)

    def __call__(self, request: RecordedRequest) -> SSEReply | ErrorReply:
        """Answer one chat-completions request from the cassette."""
        with self._lock:
            self._requests += 1
            number = self._requests
            if self.match == "order":
                found, problem = self._next_in_order(number, request)
            else:
                found, problem = self._matching(number, request)
            if found is None:
                self._failures.append(problem)
                return ErrorReply(404, problem, code="cassette_mismatch")
            self._served.append(found)
        return self._reply(found)

    def _next_in_order(self, number: int, request: RecordedRequest) -> tuple[Exchange | None, str]:
        index = len(self._served)
        if index < len(self.exchanges):
            exchange = self.exchanges[index]
            if exchange.streamed == request.stream:
                return exchange, ""
            # A stream body for a plain call (or the reverse) would only confuse the
            # client; the calls are not in the order they were recorded in.
            asked, recorded = ("a stream", "a plain call")
            if not request.stream:
                asked, recorded = recorded, asked
            return None, (
                f"mirastream replay: request #{number} ({summarize_request(request.body)}) "
                f"asks for {asked}, but the next exchange in {self.path}, "
                f"{exchange.body_path.name}, answered {recorded}: the calls are not in "
                "the order they were recorded in (match='request' picks by request body)"
            )
        count = len(self.exchanges)
        return None, (
            f"mirastream replay: the cassette {self.path} holds {count} "
            f"exchange{'s' if count != 1 else ''}, all served; request #{number} "
            f"({summarize_request(request.body)}) has no recorded answer"
        )

    def _matching(self, number: int, request: RecordedRequest) -> tuple[Exchange | None, str]:
        served = {e.name for e in self._served}
        candidates = [e for e in self.exchanges if self._fits(e, request.body)]
        for exchange in candidates:
            if exchange.name not in served:
                return exchange, ""
        if candidates:
            # Every match was served already: a repeated call gets the last answer again.
            return candidates[-1], ""
        return None, self._mismatch(number, request)

    def _fits(self, exchange: Exchange, body: Any) -> bool:
        if exchange.request is None:
            return False
        if callable(self._match_on):
            return bool(self._match_on(exchange.request_body, body))
        recorded = _compared(exchange.request_body, self._match_on)
        return bool(recorded) and recorded == _compared(body, self._match_on)

    def _mismatch(self, number: int, request: RecordedRequest) -> str:
        if callable(self._match_on):
            compared = "the custom match_on function"
        else:
            compared = ", ".join(self._match_on)
        lines = [
            f"mirastream replay: no exchange recorded in {self.path} matches request "
            f"#{number} ({summarize_request(request.body)}); compared on {compared}. Recorded:"
        ]
        for exchange in self.exchanges:
            line = f"  {exchange.describe()}"
            if exchange.request is not None and not callable(self._match_on):
                recorded = _compared(exchange.request_body, self._match_on)
                asked = _compared(request.body, self._match_on)
                differing = [key for key in self._match_on if recorded.get(key) != asked.get(key)]
                line += f" - differs in {', '.join(differing)}"
            lines.append(line)
        return "\n".join(lines)

    def _reply(self, exchange: Exchange) -> SSEReply:
        headers = {k: v for k, v in exchange.headers.items() if k not in _SERVER_HEADERS}
        # The body is read from disk when served, so editing a cassette needs no restart.
        return SSEReply(
            exchange.body_path, chunking=self._chunking, status=exchange.status, headers=headers
        )

    def __repr__(self) -> str:
        return f"Replay({str(self.path)!r}, match={self.match!r})"


def replay(
    path: str | os.PathLike[str],
    *,
    match: Match = "order",
    match_on: Sequence[str] | BodyMatcher = DEFAULT_MATCH_ON,
    chunking: Chunking = "events",
) -> Replay:
    """Serve a cassette back: a responder for ``GroqServer(responder=...)``.

    Bodies are served byte for byte with their recorded status and headers, so a client
    sees exactly what it saw while recording, errors included.

    Example:
        >>> with GroqServer(responder=replay("tests/cassettes/joke")) as server:
        ...     client = Groq(api_key="test", base_url=server.base_url)  # doctest: +SKIP

    Args:
        path: A cassette directory (``record()``'s output, or any directory of ``.sse``
            files, served in name order), or a single body file.
        match: ``"order"``: the exchanges in turn; ``"request"``: the one whose recorded
            request body equals the request's on ``match_on``.
        match_on: Body keys to compare (default ``model``, ``messages``, ``stream``), or
            a function ``(recorded_body, request_body) -> bool``.
        chunking: ``"events"`` for one write per SSE event, or a byte count to split
            events (as a slow network would).

    Returns:
        The responder; its ``failures`` list the requests that found no answer.
    """
    return Replay(path, match=match, match_on=match_on, chunking=chunking)
