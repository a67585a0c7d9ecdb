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

Bounded and linear, whatever arrives: each byte is scanned and copied a constant number
of times (a line still growing is held as pieces and joined once it ends); complete
lines are consumed as they arrive, so comments never pile up; a line, or an event's data,
longer than ``max_size`` bytes stops the decoder (:attr:`SSEDecoder.overflow` says why)
before it costs more memory than that plus one read.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DEFAULT_MAX_SIZE", "SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_SIZE = 16 * 1024 * 1024
"""Largest line or event data accepted by default, in bytes (16 MiB; the clients'
``max_event_size``). Groq's largest real events are a few KiB; compound models' tool
results, tens of KiB."""


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
    """Incremental decoder: ``feed(bytes) -> events``; ``flush()`` at end of input.

    Args:
        max_size: The longest line, and the most data one event may hold, in bytes.

    Attributes:
        overflow: Why decoding stopped (a line or event over ``max_size``), else ``None``.
            Once set, all further input is ignored.
    """

    __slots__ = (
        "_clean",
        "_data",
        "_event",
        "_held",
        "_last_id",
        "_parts",
        "_pending",
        "_retry",
        "_size",
        "_skip_lf",
        "_started",
        "max_size",
        "overflow",
    )

    def __init__(self, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self._pending = b""  # the start of a line whose end has not arrived
        self._parts: list[bytes] = []  # later pieces of that line, joined once it ends
        self._held = 0  # bytes in _pending and _parts
        self._skip_lf = False  # the last read ended in CR: a leading LF completes that CRLF
        self._started = False  # a BOM is only stripped at the very start
        self._data: list[bytes] = []  # data lines of the event being read
        self._size = 0  # bytes in _data
        self._event = ""
        self._retry: int | None = None
        self._last_id = ""
        self.max_size = max_size
        self.overflow: str | None = None
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
            self._pending
            or self._skip_lf
            or self._data
            or self._event
            or self._retry is not None
            or self.overflow
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
            if (
                6 <= end <= self.max_size
                and chunk.find(10) == end
                and chunk[-1] == 10
                and chunk[:6] == b"data: "
            ):
                return chunk[6:end]
        return None

    def _feed_general(self, chunk: bytes) -> list[ServerSentEvent]:
        if not chunk or self.overflow:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 10:
                chunk = chunk[1:]
        pending = self._pending
        if pending:
            if 10 not in chunk and 13 not in chunk:
                # The line goes on: hold the piece (copying pending + chunk on every read
                # would make one long line quadratic).
                self._parts.append(chunk)
                self._held += len(chunk)
                if self._held > self.max_size:
                    self._overflowed(f"a line longer than {self.max_size} bytes")
                return []
            if self._parts:
                buf = b"".join((pending, *self._parts, chunk))
                self._parts = []
            else:
                buf = pending + chunk
        else:
            buf = chunk
        if not self._started:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._pending = buf  # could still be the start of a BOM
                self._held = len(buf)
                return []
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        if 13 in buf:
            lines = buf.splitlines(keepends=True)
            tail = b""
            if lines:
                last = lines[-1]
                if last.endswith(b"\r"):
                    self._skip_lf = True
                elif not last.endswith(b"\n"):
                    tail = lines.pop()
            events = self._process([line.rstrip(b"\r\n") for line in lines])
        elif not self._data and not self._event and self._retry is None:
            tail, events = self._feed_blocks(buf)
        else:
            lines = buf.split(b"\n")
            tail = lines.pop()
            events = self._process(lines)
        self._pending = tail
        self._held = len(tail)
        if self._held > self.max_size:
            self._overflowed(f"a line longer than {self.max_size} bytes")
        return events

    def _feed_blocks(self, buf: bytes) -> tuple[bytes, list[ServerSentEvent]]:
        # LF-only input with no event half-parsed: split into blank-line terminated
        # blocks; a block of one ``data: `` line becomes an event directly, anything else
        # goes through the line rules. Complete lines after the last blank line are
        # consumed too (comments must not pile up); the partial last line is returned.
        blocks = buf.split(b"\n\n")
        tail = blocks.pop()
        events: list[ServerSentEvent] = []
        max_size = self.max_size
        for block in blocks:
            if block[:6] == b"data: " and 10 not in block and len(block) <= max_size:
                events.append(
                    _new_event(ServerSentEvent, (block[6:], "message", self._last_id, None))
                )
            else:
                lines = block.split(b"\n")
                lines.append(b"")
                events += self._process(lines)
                if self.overflow:
                    return b"", events
        if 10 in tail:
            lines = tail.split(b"\n")
            tail = lines.pop()
            events += self._process(lines)
        return tail, events

    def _overflowed(self, what: str) -> None:
        # Drop everything held: the stream cannot be decoded past this point.
        self.overflow = f"The stream sent {what} (max_event_size); it was not read further."
        self._pending = b""
        self._parts = []
        self._held = 0
        self._data = []
        self._size = 0

    def flush(self) -> list[ServerSentEvent]:
        """Signal end of input. An event without its terminating blank line is discarded.

        Returns:
            Always empty; kept as a list so callers can treat it like :meth:`feed`.
        """
        self._pending = b""
        self._parts = []
        self._held = 0
        self._skip_lf = False
        self._data = []
        self._size = 0
        self._event = ""
        self._retry = None
        self._clean = self._started and not self.overflow
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
                    self._size = 0
                self._event = ""
                self._retry = None
            elif line[:6] == b"data: ":
                self._add_data(line[6:])
            else:
                self._field(line)
            if self.overflow:
                break
        return events

    def _add_data(self, value: bytes) -> None:
        self._size += len(value) + 1
        if self._size > self.max_size or len(value) > self.max_size:
            self._overflowed(f"an event with more than {self.max_size} bytes of data")
        else:
            self._data.append(value)

    def _field(self, line: bytes) -> None:
        if line[0] == 0x3A:  # ":" starts a comment
            return
        if len(line) > self.max_size:
            self._overflowed(f"a line longer than {self.max_size} bytes")
            return
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._add_data(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id" and b"\x00" not in value:
            self._last_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self._retry = int(value)
        # Any other field is ignored, as the spec requires.
