"""A hostile HTTP/1.1 server on 127.0.0.1: raw sockets, so it can misbehave on purpose.

Each connection is served in its own thread: the request (head and body) is read, then a
behaviour writes whatever bytes it likes, as slowly as it likes, and holds the connection
open or not. Used where ``GroqServer`` is too well-behaved (stalls after ``[DONE]``,
drips, 300 MB error bodies, redirects, corrupt gzip).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hostile", "Received", "chunk", "head", "sse_event"]


@dataclass
class Received:
    """One request as the server read it."""

    head: bytes
    body: bytes

    @property
    def headers(self) -> dict[str, str]:
        lines = self.head.decode("latin-1").split("\r\n")[1:]
        return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}

    @property
    def path(self) -> str:
        return self.head.split(b" ", 2)[1].decode()


Behaviour = Callable[[socket.socket, Received], None]


def head(status: int = 200, **headers: str) -> bytes:
    """A response head; header names are given with ``_`` for ``-``."""
    lines = [f"HTTP/1.1 {status} X"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    """``data`` framed as one HTTP/1.1 chunk (``b""`` gives the terminator)."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def sse_event(obj: Any) -> bytes:
    """One ``data:`` event."""
    payload = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return b"data: " + payload + b"\n\n"


@dataclass
class Hostile:
    """The server; ``with Hostile(behaviour) as srv:`` then point a client at ``srv.base_url``."""

    behaviour: Behaviour
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Hostile:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._sock.close()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        with conn:
            try:
                for request in self._requests(conn):
                    self.received.append(request)
                    conn.settimeout(5)
                    self.behaviour(conn, request)
                    conn.settimeout(0.05)
            except OSError:
                pass  # the client went away: that is often the point

    def _requests(self, conn: socket.socket) -> Iterator[Received]:
        buffer = b""
        while not self._stop.is_set():
            while b"\r\n\r\n" not in buffer:
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    if self._stop.is_set():
                        return
                    continue
                if not data:
                    return
                buffer += data
            raw_head, _, buffer = buffer.partition(b"\r\n\r\n")
            length = 0
            for line in raw_head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buffer) < length:
                conn.settimeout(5)
                data = conn.recv(65536)
                conn.settimeout(0.05)
                if not data:
                    return
                buffer += data
            yield Received(raw_head, buffer[:length])
            buffer = buffer[length:]

    def hold(self, conn: socket.socket, seconds: float = 3.0) -> None:
        """Keep ``conn`` open without sending (until the client closes or the server stops)."""
        conn.settimeout(0.05)
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self._stop.is_set():
            try:
                if conn.recv(65536) == b"":
                    return  # the client closed it
            except TimeoutError:
                continue
