"""``GroqServer``: a loopback HTTP/1.1 server that speaks Groq's chat-completions API."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
from types import TracebackType
from typing import Any

from mirastream.testing._checks import check_request
from mirastream.testing._http import (
    LAST_CHUNK,
    HTTPError,
    RecordedRequest,
    chunk_frame,
    read_request,
    response_head,
)
from mirastream.testing._replies import ErrorReply
from mirastream.testing._respond import (
    CHAT_PATH,
    MODELS_PATH,
    Plan,
    RateLimits,
    Reply,
    Responder,
    default_responder,
    models_reply,
    not_found_reply,
    plan_reply,
)
from mirastream.testing._script import Script

__all__ = ["GroqServer"]

# Many clients connecting at once (load tests) must not overflow the listen queue, which
# would stall them for a SYN retransmit (about a second).
_BACKLOG = 2048
# Request heads are small; this bounds memory per connection.
_HEAD_LIMIT = 256 * 1024
# Buffered bytes above which a stream waits for the client to read.
_DRAIN_ABOVE = 64 * 1024
# Errors that only mean "the client went away"; they are expected, not failures.
_GONE = (ConnectionError, asyncio.IncompleteReadError)


class GroqServer:
    """A real HTTP/1.1 server on loopback that answers like ``api.groq.com``.

    It runs its own asyncio event loop in a daemon thread, so it serves sync tests, async
    tests and scripts alike. Point a client at ``base_url``; it answers
    ``POST /openai/v1/chat/completions`` with queued replies first (FIFO), then with the
    responder, and ``GET /openai/v1/models`` with a short model list.

    Example:
        >>> with GroqServer() as server:  # doctest: +SKIP
        ...     server.enqueue(script("Hi there!"))
        ...     httpx.post(server.chat_url, json={...})

    Args:
        host: The interface to listen on.
        port: The port; 0 picks a free one.
        responder: Answers requests when the queue is empty; defaults to
            ``default_responder`` (an echo of the last user message).
        rate_limits: Limits advertised in the ``x-ratelimit-*`` headers.
        check_requests: Refuse chat-completions requests Groq would refuse (``n`` other
            than 1, ``json_object`` without "json" in the messages, bad tool names, more
            than 128 tools, a strict schema Groq rejects) with Groq's 400, before any
            queued reply; see :mod:`mirastream.testing._checks`. ``False`` serves them.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        responder: Responder | None = None,
        rate_limits: RateLimits | None = None,
        check_requests: bool = True,
    ) -> None:
        self.host = host
        self.check_requests = check_requests
        self._port = port
        self._responder: Responder = responder or default_responder
        self._rate_limits = rate_limits or RateLimits()
        self._lock = threading.Lock()
        self._queue: collections.deque[Reply | Script] = collections.deque()
        self._requests: list[RecordedRequest] = []
        self._errors: list[BaseException] = []
        self._served = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._startup_error: BaseException | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> GroqServer:
        """Start serving in a background thread; returns once the port is bound.

        Returns:
            The server itself.

        Raises:
            RuntimeError: If the server was already started.
            OSError: If the address cannot be bound.
        """
        if self._thread is not None:
            raise RuntimeError("GroqServer was already started")
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="mirastream-groq-server", daemon=True
        )
        self._thread.start()
        ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            raise self._startup_error
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: close the listener and every open connection, end the thread.

        Safe to call more than once, and on a server that never started.

        Args:
            timeout: How long to wait for the thread to finish.
        """
        loop, stop_event, thread = self._loop, self._stop_event, self._thread
        if thread is None or loop is None or stop_event is None:
            return
        # RuntimeError: the loop has already closed (stopped before, or died).
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(stop_event.set)
        if thread is not threading.current_thread():  # e.g. called from a responder
            thread.join(timeout)

    def __repr__(self) -> str:
        state = "running" if self._thread is not None and self._thread.is_alive() else "stopped"
        return f"<GroqServer {self.base_url} {state}>"

    def __enter__(self) -> GroqServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- public state ----------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the requested one until ``start()`` has run)."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``, the base URL to give a Groq client."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    @property
    def chat_url(self) -> str:
        """The full chat-completions URL."""
        return self.base_url + CHAT_PATH

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected errors inside the server (a failing responder, say); a copy."""
        with self._lock:
            return list(self._errors)

    @property
    def pending(self) -> int:
        """How many queued replies have not been served yet."""
        with self._lock:
            return len(self._queue)

    @property
    def open_connections(self) -> int:
        """How many client connections are currently open."""
        return len(self._tasks)

    def enqueue(self, *replies: Reply | Script) -> None:
        """Queue replies for the next chat-completions requests, first in first out.

        Args:
            *replies: The replies; a bare ``Script`` is served as ``ScriptReply(script)``.
        """
        with self._lock:
            self._queue.extend(replies)

    def clear(self) -> None:
        """Forget recorded requests and errors, and drop queued replies."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._errors.clear()

    # -- event loop thread -----------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.set_exception_handler(self._on_loop_error)
        try:
            loop.run_until_complete(self._main(ready))
        except BaseException as exc:  # pragma: no cover - defensive: keep the thread quiet
            self._record_error(exc)
        finally:
            ready.set()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self, ready: threading.Event) -> None:
        self._stop_event = asyncio.Event()
        try:
            server = await asyncio.start_server(
                self._handle, self.host, self._port, limit=_HEAD_LIMIT, backlog=_BACKLOG
            )
        except OSError as exc:
            self._startup_error = exc
            ready.set()
            return
        self._port = server.sockets[0].getsockname()[1]
        ready.set()
        await self._stop_event.wait()
        server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Let the closed transports run their connection_lost callbacks, which close the
        # sockets, before the loop goes away.
        for _ in range(3):
            await asyncio.sleep(0)

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, _GONE):
            return
        self._record_error(exc if exc is not None else RuntimeError(context.get("message")))

    def _record_error(self, exc: BaseException) -> None:
        with self._lock:
            self._errors.append(exc)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        aborted = False
        try:
            await self._serve_connection(reader, writer)
        except _GONE:
            pass
        except asyncio.CancelledError:
            # Shutdown: don't wait for a slow client to take buffered bytes (see finally).
            aborted = True
        except Exception as exc:
            self._record_error(exc)
        finally:
            self._tasks.discard(task)
            if aborted and writer.transport.get_write_buffer_size():
                writer.transport.abort()
            else:
                writer.close()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None
        while True:
            try:
                request = await read_request(reader, client)
            except HTTPError as exc:
                plan = plan_reply(ErrorReply(exc.status, exc.message), _BAD_REQUEST)
                await self._send(writer, plan, keep_alive=False)
                return
            if request is None:
                return
            with self._lock:
                self._requests.append(request)
            plan = self._answer(request)
            if not await self._send(writer, plan, keep_alive=request.keep_alive):
                return

    def _answer(self, request: RecordedRequest) -> Plan:
        try:
            return plan_reply(self._route(request), request)
        except Exception as exc:
            # A broken responder or reply must show up in the test, not hang the client.
            self._record_error(exc)
            message = f"mirastream.testing could not build a reply: {exc!r}"
            return plan_reply(ErrorReply(500, message, type="internal_server_error"), request)

    def _route(self, request: RecordedRequest) -> Reply | Script:
        path = request.path.rstrip("/") or "/"
        if path == CHAT_PATH and request.method == "POST":
            refused = check_request(request.body) if self.check_requests else None
            if refused is not None:
                return refused
            with self._lock:
                queued = self._queue.popleft() if self._queue else None
            return queued if queued is not None else self._responder(request)
        if path == MODELS_PATH and request.method == "GET":
            return models_reply()
        if path.startswith(MODELS_PATH + "/") and request.method == "GET":
            return models_reply(path[len(MODELS_PATH) + 1 :])
        if path in (CHAT_PATH, MODELS_PATH):
            return ErrorReply(405, f"Method {request.method} is not allowed for {path}.")
        return not_found_reply(request)

    async def _send(self, writer: asyncio.StreamWriter, plan: Plan, *, keep_alive: bool) -> bool:
        """Write one response; return whether the connection stays usable."""
        faults = plan.faults
        if faults.delay_before_headers:
            await asyncio.sleep(faults.delay_before_headers)
        with self._lock:
            self._served += 1
            served = self._served
        headers = {"content-type": plan.headers["content-type"]}
        if plan.chunked:
            headers["transfer-encoding"] = "chunked"
        else:
            headers["content-length"] = str(len(plan.body))
        headers["connection"] = "keep-alive" if keep_alive else "close"
        headers.update(self._rate_limits.headers(served, plan.tokens))
        headers.update(plan.headers)
        writer.write(response_head(plan.status, headers))
        await writer.drain()

        stall_at = plan.fault_offset(faults.stall_after_events)
        drop_at = plan.fault_offset(faults.drop_after_events)
        offset = 0
        transport = writer.transport
        for piece in [b"", *plan.pieces()]:
            if piece:
                if transport.is_closing():
                    # The client left; writing on would only make asyncio log warnings.
                    raise ConnectionResetError("client went away")
                writer.write(chunk_frame(piece) if plan.chunked else piece)
                # drain() costs more than the write itself; only wait once the socket
                # pushes back (drain also returns at once below the high-water mark).
                if transport.get_write_buffer_size() > _DRAIN_ABOVE:
                    await writer.drain()
                offset += len(piece)
            if offset == stall_at:
                stall_at = None
                await asyncio.sleep(faults.stall_seconds)
            if offset == drop_at:
                # A clean FIN with the body unfinished: the client sees a truncated body
                # (not a reset), exactly like a server dying mid-stream.
                writer.close()
                return False
        if plan.chunked:
            writer.write(LAST_CHUNK)
            await writer.drain()
        return keep_alive


# Stands in for the request when the request itself could not be parsed.
_BAD_REQUEST = RecordedRequest("?", "?")
