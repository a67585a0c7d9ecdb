"""A sans-IO Server-Sent Events decoder (WHATWG "interpreting an event stream").

Bytes go in with :meth:`SSEDecoder.feed`, complete events come out; nothing here does
IO, so the sync and async streams share it. Rules followed, and why they matter here:

* Lines end at CRLF, LF or a lone CR, also when the CR and LF arrive in different reads.
* Lines are split on bytes *before* UTF-8 decoding: a multibyte character cut between
  two reads is reassembled, and U+2028 inside JSON is not mistaken for a line end.
  Decoding uses U+FFFD replacement, as the spec says, instead of raising.
* One leading UTF-8 BOM is stripped (the groq SDK loses the first event instead).
* Comment lines (``:`` first) are ignored; one optional space after the colon is removed;
  several ``data`` lines are joined with ``\\n``; ``retry`` is taken only if all digits.
* An event is dispatched only if at least one ``data`` line was seen, and an unterminated
  event at end of input is discarded (the groq SDK dispatches data-less ``event:`` or
  ``id:``-only blocks and then fails on empty JSON).
"""

from __future__ import annotations

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"


class ServerSentEvent:
    """One dispatched event.

    Attributes:
        event: The event type; ``"message"`` when the stream named none.
        raw_data: The data field as bytes, ``data`` lines joined with ``b"\\n"``.
        id: The last event id seen so far in the stream (ids persist, as the spec says).
        retry: The reconnection time in milliseconds sent with this event, if any.
    """

    __slots__ = ("event", "id", "raw_data", "retry")

    def __init__(
        self, raw_data: bytes, event: str = "message", id: str = "", retry: int | None = None
    ) -> None:
        self.raw_data = raw_data
        self.event = event
        self.id = id
        self.retry = retry

    @property
    def data(self) -> str:
        """The data field decoded as UTF-8, invalid bytes replaced by U+FFFD."""
        return self.raw_data.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(event={self.event!r}, data={self.data!r}, "
            f"id={self.id!r}, retry={self.retry!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.event, self.raw_data, self.id, self.retry) == (
            other.event,
            other.raw_data,
            other.id,
            other.retry,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value


class SSEDecoder:
    """Incremental decoder: ``feed(bytes) -> events``; ``flush()`` at end of input."""

    __slots__ = ("_data", "_event", "_last_id", "_pending", "_retry", "_skip_lf", "_started")

    def __init__(self) -> None:
        self._pending = b""  # bytes of a line not yet terminated
        self._skip_lf = False  # the last read ended in CR: a leading LF completes that CRLF
        self._started = False  # a BOM is only stripped at the very start
        self._data: list[bytes] = []
        self._event = ""
        self._retry: int | None = None
        self._last_id = ""

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume a piece of the body and return the events it completes.

        Args:
            chunk: The next bytes of the stream, cut anywhere.

        Returns:
            The events completed by this piece, in order (often none or one).
        """
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        buf = self._pending + chunk if self._pending else chunk
        if not self._started:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._pending = buf  # could still be the start of a BOM
                return []
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        if b"\r" in buf:
            lines = buf.splitlines(keepends=True)
            last = lines[-1]
            if last.endswith(b"\r"):
                self._skip_lf = True
                self._pending = b""
            elif last.endswith(b"\n"):
                self._pending = b""
            else:
                self._pending = lines.pop()
            lines = [line.rstrip(b"\r\n") for line in lines]
        else:
            # Fast path, the only shape Groq sends: LF line ends.
            lines = buf.split(b"\n")
            self._pending = lines.pop()
        return self._process(lines)

    def flush(self) -> list[ServerSentEvent]:
        """Signal end of input. An event without its terminating blank line is discarded.

        Returns:
            Always empty; kept as a list so callers can treat it like :meth:`feed`.
        """
        self._pending = b""
        self._skip_lf = False
        self._data = []
        self._event = ""
        self._retry = None
        return []

    def _process(self, lines: list[bytes]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    raw = data[0] if len(data) == 1 else b"\n".join(data)
                    events.append(
                        ServerSentEvent(raw, self._event or "message", self._last_id, self._retry)
                    )
                    data = self._data = []
                self._event = ""
                self._retry = None
            elif line[:6] == b"data: ":
                data.append(line[6:])
            else:
                self._field(line)
        return events

    def _field(self, line: bytes) -> None:
        if line[0] == 0x3A:  # ":" starts a comment
            return
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\x00" not in value:
                self._last_id = value.decode("utf-8", "replace")
        elif name == b"retry":
            if value and value.isdigit():
                self._retry = int(value)
        # Any other field is ignored, as the spec requires.
