"""A lean loopback Groq server for the concurrency benchmark, run in its own process.

Arguments: chunks per stream, seconds before the first byte. It prints its base URL, then
serves until stdin closes. Each line read from stdin (``stats``) is answered on stdout
with a JSON line of counters since the previous one: connections accepted, requests
served and the peak number of requests in flight (received, answer not yet written).

Raw asyncio protocol, pre-encoded chunked SSE body, one timer per request: it serves a
thousand concurrent streams on one core without becoming what the benchmark measures.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading

from _streams import raise_fd_limit, text_stream

_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: text/event-stream\r\n"
    b"transfer-encoding: chunked\r\n"
    b"connection: keep-alive\r\n\r\n"
)
# The body arrives in this many writes (first after the delay, then every _GAP seconds),
# as a model's tokens arrive in bursts.
_WRITES = 4
_GAP = 0.02


class Stats:
    def __init__(self) -> None:
        self.accepted = 0
        self.served = 0
        self.in_flight = 0
        self.peak = 0

    def take(self) -> dict[str, int]:
        out = {"accepted": self.accepted, "served": self.served, "peak": self.peak}
        self.accepted = self.served = 0
        self.peak = self.in_flight
        return out


def _encode(events: list[bytes]) -> list[bytes]:
    """The chunked body cut into ``_WRITES`` pieces, each event its own chunk frame."""
    frames = [b"%x\r\n%s\r\n" % (len(event), event) for event in events]
    step = -(-len(frames) // _WRITES)
    pieces = [b"".join(frames[i : i + step]) for i in range(0, len(frames), step)]
    pieces[-1] += b"0\r\n\r\n"
    pieces[0] = _HEAD + pieces[0]
    return pieces


class Connection(asyncio.Protocol):
    def __init__(self, stats: Stats, pieces: list[bytes], delay: float) -> None:
        self._stats = stats
        self._pieces = pieces
        self._delay = delay
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._next = 0  # index of the next piece to write; 0: none in progress

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._stats.accepted += 1

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._timer is None:
            self._maybe_start()

    def _maybe_start(self) -> None:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self._buffer[:end].lower()
        length = 0
        at = head.find(b"content-length:")
        if at >= 0:
            length = int(head[at + 15 :].split(b"\r\n", 1)[0])
        if len(self._buffer) < end + 4 + length:
            return
        self._buffer = self._buffer[end + 4 + length :]
        stats = self._stats
        stats.in_flight += 1
        stats.peak = max(stats.peak, stats.in_flight)
        self._next = 0
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._delay, self._write)

    def _write(self) -> None:
        assert self._transport is not None
        self._transport.write(self._pieces[self._next])
        self._next += 1
        loop = asyncio.get_running_loop()
        if self._next < len(self._pieces):
            self._timer = loop.call_later(_GAP, self._write)
            return
        self._timer = None
        self._stats.in_flight -= 1
        self._stats.served += 1
        self._maybe_start()  # a pipelined request, if any

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._stats.in_flight -= 1


async def serve(n_chunks: int, delay: float) -> None:
    stats = Stats()
    pieces = _encode(text_stream(n_chunks))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Connection(stats, pieces, delay), "127.0.0.1", 0, backlog=4096
    )
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    done = asyncio.Event()

    def read_commands() -> None:  # stdin is blocking: a thread hands each line over
        for _line in sys.stdin:
            loop.call_soon_threadsafe(lambda: print(json.dumps(stats.take()), flush=True))
        loop.call_soon_threadsafe(done.set)

    threading.Thread(target=read_commands, daemon=True).start()
    await done.wait()
    server.close()


def main() -> None:
    raise_fd_limit()
    asyncio.run(serve(int(sys.argv[1]), float(sys.argv[2])))


if __name__ == "__main__":
    main()
