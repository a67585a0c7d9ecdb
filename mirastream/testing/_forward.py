"""Forward: a ``GroqServer`` responder that asks the real API and records the answer.

It lets code that cannot be handed a client (a decorated function using the default
client, a subprocess) be recorded: point it at a ``GroqServer(responder=forward(...))``
and every chat-completions request goes upstream through a :class:`RecordingTransport`.
The server answers once the upstream body is complete, so the client gets the same bytes
but not at the same pace; recording is for capturing, not for watching tokens arrive.
"""

from __future__ import annotations

import os
from types import TracebackType

import httpx

from mirastream.testing._cassette import REDACTED, scrub_text
from mirastream.testing._http import RecordedRequest
from mirastream.testing._record import Recorder, RecordingTransport
from mirastream.testing._replies import ErrorReply, SSEReply

__all__ = ["DEFAULT_UPSTREAM", "Forward", "forward"]

DEFAULT_UPSTREAM = "https://api.groq.com"

# Request headers worth passing upstream; the client's own credentials are a fake key.
_PASSED_HEADERS = ("content-type", "accept", "user-agent")
# Headers that describe the upstream connection or encoding; the server sets its own and
# ``response.content`` is already decoded.
_DROPPED_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "date"}
)


class Forward:
    """Answers each request by sending it to the real API, recording the exchange.

    Args:
        directory: The cassette directory to write.
        upstream: The real API's base URL; defaults to ``GROQ_BASE_URL`` or
            ``https://api.groq.com``.
        api_key: The real key; defaults to ``GROQ_API_KEY``. It is sent upstream only and
            never written to the cassette.
        overwrite: Delete the exchanges already in ``directory`` first.
        timeout: Seconds to wait for each upstream answer.

    Raises:
        ValueError: If there is no API key.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        upstream: str | None = None,
        api_key: str | None = None,
        overwrite: bool = True,
        timeout: float = 120.0,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("GROQ_API_KEY")
        if not key:
            raise ValueError("recording needs the real API key: set GROQ_API_KEY")
        self._key = key
        base = upstream or os.environ.get("GROQ_BASE_URL") or DEFAULT_UPSTREAM
        self.upstream = base.rstrip("/")
        self.recorder = Recorder(directory, overwrite=overwrite)
        self._http = httpx.Client(
            transport=RecordingTransport(recorder=self.recorder), timeout=timeout
        )
        self.failures: list[str] = []

    def __call__(self, request: RecordedRequest) -> SSEReply | ErrorReply:
        """Send ``request`` upstream and answer with what came back, byte for byte."""
        headers = {k: request.headers[k] for k in _PASSED_HEADERS if k in request.headers}
        headers["authorization"] = f"Bearer {self._key}"
        try:
            response = self._http.post(
                self.upstream + request.path,
                content=request.raw_body,
                params=request.query or None,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            # httpx messages name the URL, never headers; scrub anyway.
            message = scrub_text(f"cannot reach {self.upstream}: {exc!r}", [self._key])
            self.failures.append(message)
            return ErrorReply(502, message, type="upstream_error")
        kept = {k: v for k, v in response.headers.items() if k not in _DROPPED_HEADERS}
        return SSEReply(response.content, status=response.status_code, headers=kept)

    def close(self) -> None:
        """Close the upstream connections."""
        self._http.close()

    def __enter__(self) -> Forward:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        key = REDACTED  # never the key, even in a repr
        return f"Forward({str(self.recorder.directory)!r}, upstream={self.upstream!r}, key={key})"


def forward(
    directory: str | os.PathLike[str],
    *,
    upstream: str | None = None,
    api_key: str | None = None,
    overwrite: bool = True,
) -> Forward:
    """Record real answers through a ``GroqServer``: ``GroqServer(responder=forward(dir))``.

    Args:
        directory: The cassette directory to write.
        upstream: The real API's base URL (default ``GROQ_BASE_URL`` or api.groq.com).
        api_key: The real key (default ``GROQ_API_KEY``); never written anywhere.
        overwrite: Delete the exchanges already in ``directory`` first (default).

    Returns:
        The responder; ``close()`` it when done.
    """
    return Forward(directory, upstream=upstream, api_key=api_key, overwrite=overwrite)
