r"""A sans-IO Server-Sent Events decoder (WHATWG "interpreting an event stream").

Bytes go in with :meth:`SSEDecoder.feed`, complete events come out; nothing here does
IO, so the sync and async streams share it. Rules followed, and why they matter here:

* Lines end at CRLF, LF or a lone CR, also when the CR and LF arrive in different reads.
* Lines are split on bytes *before* UTF-8 decoding: a multibyte character cut between
  two reads is reassembled, and U+2028 inside JSON is not mistaken for a line end.
  Decoding uses U+FFFD replacement, as the spec says, instead of raising.
* One leading UTF-8 BOM is stripped (the groq SDK loses the first event instead).
* Comment lines (``:`` first) are ignored; one optional space after the colon is removed;
  several ``data`` lines are joined with ``\n``; ``retry`` is taken only if all digits.
* An event is dispatched only if at least one ``data`` line was seen, and an unterminated
  event at end of input is discarded (the groq SDK dispatches data-less ``event:`` or
  ``id:``-only blocks and then fails on empty JSON).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"


class ServerSentEvent(NamedTuple):
    r"""One dispatched event (a named tuple: built at C speed on the hot path).

    Attributes:
        raw_data: The data field as bytes, ``data`` lines joined with ``b"\n"``.
        event: The event type; ``"message"`` when the stream named none.
        id: The last event id seen so far in the stream (ids persist, as the spec says).
        retry: The reconnection time in milliseconds sent with this event, if any.
    """

    raw_data: bytes
    event: str = "message"
    id: str = ""
    retry: int | None = None

    @property
    def data(self) -> str:
        """The data field decoded as UTF-8, invalid bytes replaced by U+FFFD."""
        return self.raw_data.decode("utf-8", "replace")


_new_event = tuple.__new__


class SSEDecoder:
    """Incremental decoder: ``feed(bytes) -> events``; ``flush()`` at end of input."""

    __slots__ = (
        "_clean",
        "_data",
        "_event",
        "_last_id",
        "_pending",
        "_retry",
        "_skip_lf",
        "_started",
    )

    def __init__(self) -> None:
        self._pending = b""  # bytes not yet split into lines (see _feed_blocks)
        self._skip_lf = False  # the last read ended in CR: a leading LF completes that CRLF
        self._started = False  # a BOM is only stripped at the very start
        self._data: list[bytes] = []  # data lines of the event being read
        self._event = ""
        self._retry: int | None = None
        self._last_id = ""
        # True when none of the state above is in play, so a read holding exactly one
        # whole ``data: ...`` event (how Groq writes) can skip the general rules.
        self._clean = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume a piece of the body and return the events it completes.

        Args:
            chunk: The next bytes of the stream, cut anywhere.

        Returns:
            The events completed by this piece, in order (often none or one).
        """
        data = self.feed_message(chunk)
        if data is not None:
            return [_new_event(ServerSentEvent, (data, "message", self._last_id, None))]
        events = self._feed_general(chunk)
        self._clean = self._started and not (
            self._pending or self._skip_lf or self._data or self._event or self._retry is not None
        )
        return events

    def feed_message(self, chunk: bytes) -> bytes | None:
        """Fast path: consume ``chunk`` if it is exactly one whole plain ``data:`` event.

        That is how Groq writes every event, so a read usually holds just that. Call
        :meth:`feed` when this returns ``None``: nothing was consumed then.

        Args:
            chunk: The next bytes of the stream.

        Returns:
            The event's data (an event of type ``"message"`` with the current id), or
            ``None`` if ``chunk`` is anything else or the decoder is mid-event.
        """
        # Int needles (13 = CR, 10 = LF) make these memchr scans: ~8x cheaper than b"\r".
        if self._clean and 13 not in chunk:
            end = len(chunk) - 2
            if end >= 6 and chunk.find(10) == end and chunk[-1] == 10 and chunk[:6] == b"data: ":
                return chunk[6:end]
        return None

    def _feed_general(self, chunk: bytes) -> list[ServerSentEvent]:
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 10:
                chunk = chunk[1:]
        buf = self._pending + chunk if self._pending else chunk
        if not self._started:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._pending = buf  # could still be the start of a BOM
                return []
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        if 13 in buf:
            lines = buf.splitlines(keepends=True)
            if not lines:
                self._pending = b""
                return []
            last = lines[-1]
            if last.endswith(b"\r"):
                self._skip_lf = True
                self._pending = b""
            elif last.endswith(b"\n"):
                self._pending = b""
            else:
                self._pending = lines.pop()
            return self._process([line.rstrip(b"\r\n") for line in lines])
        if not self._data and not self._event and self._retry is None:
            return self._feed_blocks(buf)
        lines = buf.split(b"\n")
        self._pending = lines.pop()
        return self._process(lines)

    def _feed_blocks(self, buf: bytes) -> list[ServerSentEvent]:
        # LF-only input with no event half-parsed: split into blank-line terminated
        # blocks; a block of one ``data: `` line becomes an event directly, anything else
        # goes through the line rules. The tail after the last blank line stays pending
        # whole (complete lines included) and is split again with the next read.
        blocks = buf.split(b"\n\n")
        self._pending = blocks.pop()
        events: list[ServerSentEvent] = []
        for block in blocks:
            if block[:6] == b"data: " and 10 not in block:
                events.append(
                    _new_event(ServerSentEvent, (block[6:], "message", self._last_id, None))
                )
            else:
                lines = block.split(b"\n")
                lines.append(b"")
                events += self._process(lines)
        return events

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
        self._clean = self._started
        return []

    def _process(self, lines: list[bytes]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    raw = data[0] if len(data) == 1 else b"\n".join(data)
                    events.append(
                        _new_event(
                            ServerSentEvent,
                            (raw, self._event or "message", self._last_id, self._retry),
                        )
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
        elif name == b"id" and b"\x00" not in value:
            self._last_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self._retry = int(value)
        # Any other field is ignored, as the spec requires.
