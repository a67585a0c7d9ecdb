"""Recording: an httpx transport wrapper that tees every chat-completions exchange to disk.

Recording happens below the API layer, on the bytes the server sent, so a cassette is
exact whatever client (mirastream, the groq SDK, plain httpx) made the call and however
the client later parses it. The response is handed to the client unchanged; the body is
copied as the client reads it and written out when the body ends or is closed.
"""

from __future__ import annotations

import json
import os
import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from mirastream.testing._cassette import (
    is_chat_path,
    next_number,
    redact,
    remove_exchanges,
    scrub_bytes,
    scrub_text,
    secrets_in,
    write_exchange,
)

if TYPE_CHECKING:
    from mirastream.groq import AsyncGroq, Groq

__all__ = ["AsyncRecordingTransport", "Recorder", "Recording", "RecordingTransport", "record"]


def _decode(body: bytes, encoding: str) -> bytes | None:
    """Undo gzip/deflate (what httpx asks for by default); ``None`` when it cannot."""
    encoding = encoding.strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(body, zlib.MAX_WBITS | 16)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:  # some servers send raw deflate without the zlib header
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except zlib.error:
        return None
    return None


class Recorder:
    """Writes exchanges into one cassette directory; shared by sync and async transports.

    Exchanges are numbered in the order their response headers arrive, so the numbers
    follow the order of the calls even when bodies finish out of order.

    Args:
        directory: The cassette directory (created on the first write).
        overwrite: Delete the exchanges already there first; otherwise numbering goes on
            after the highest existing number.
    """

    def __init__(self, directory: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.directory = Path(directory)
        if overwrite:
            remove_exchanges(self.directory)
        self._lock = threading.Lock()
        self._next = next_number(self.directory)
        self._written: list[Path] = []

    @property
    def written(self) -> list[Path]:
        """The body files written so far, in the order they were finished (a copy)."""
        with self._lock:
            return list(self._written)

    def wants(self, request: httpx.Request) -> bool:
        """Whether to record this request: chat-completions calls only.

        Other calls (listing models, say) pass through unrecorded: a replaying
        ``GroqServer`` answers those itself.
        """
        return request.method == "POST" and is_chat_path(request.url.path)

    def begin(self, request: httpx.Request, response: httpx.Response) -> _Take:
        """Start recording an exchange whose response headers just arrived."""
        with self._lock:
            number = self._next
            self._next += 1
        return _Take(self, number, request, response)

    def _finished(self, path: Path) -> None:
        with self._lock:
            self._written.append(path)


class _Take:
    """One exchange being recorded: collects body bytes, writes the files once."""

    def __init__(
        self, recorder: Recorder, number: int, request: httpx.Request, response: httpx.Response
    ) -> None:
        self._recorder = recorder
        self._number = number
        self._pieces: list[bytes] = []
        self._done = False
        # The key is only ever seen here, in the request's headers; it is used to scrub
        # and then dropped with the request.
        self._secrets = secrets_in(request.headers.multi_items())
        raw_request = scrub_bytes(request.content, self._secrets)
        try:
            body: Any = json.loads(raw_request) if raw_request else None
        except ValueError:
            body = raw_request.decode("utf-8", "replace")
        self._request = {
            "method": request.method,
            "path": request.url.path,
            "query": scrub_text(request.url.query.decode("ascii", "replace"), self._secrets),
            "headers": redact(request.headers.multi_items(), self._secrets),
            "body": body,
        }
        self._status = response.status_code
        self._response_headers = response.headers.multi_items()
        self._encoding = response.headers.get("content-encoding", "")

    def feed(self, data: bytes) -> None:
        self._pieces.append(data)

    def finish(self, *, complete: bool) -> None:
        if self._done:
            return
        self._done = True
        body = b"".join(self._pieces)
        decoded = body
        if self._encoding and self._encoding.lower() != "identity":
            # Store readable SSE/JSON; an encoding we cannot undo is kept (and replayed)
            # as it is, with its content-encoding header.
            attempt = _decode(body, self._encoding)
            decoded = body if attempt is None else attempt
        keep_encoding = decoded is body and bool(self._encoding)
        path = write_exchange(
            self._recorder.directory,
            self._number,
            request=self._request,
            status=self._status,
            headers=redact(self._response_headers, self._secrets, keep_encoding=keep_encoding),
            body=scrub_bytes(decoded, self._secrets),
            complete=complete,
        )
        self._recorder._finished(path)


class _TeeStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, take: _Take) -> None:
        self._inner = inner
        self._take = take

    def __iter__(self) -> Iterator[bytes]:
        for data in self._inner:
            self._take.feed(data)
            yield data
        self._take.finish(complete=True)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._take.finish(complete=False)  # no-op when the body was read to the end


class _AsyncTeeStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, take: _Take) -> None:
        self._inner = inner
        self._take = take

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for data in self._inner:
            self._take.feed(data)
            yield data
        self._take.finish(complete=True)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._take.finish(complete=False)


def _teed(response: httpx.Response, stream: Any, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        status_code=response.status_code,
        headers=response.headers,
        stream=stream,
        extensions=response.extensions,
        request=request,
    )


class RecordingTransport(httpx.BaseTransport):
    """An httpx transport that records chat-completions exchanges while passing them on.

    Example:
        >>> transport = RecordingTransport(directory="tests/cassettes/joke")
        >>> client = Groq(http_client=httpx.Client(transport=transport))  # doctest: +SKIP

    Args:
        inner: The transport that really sends; a fresh ``httpx.HTTPTransport()`` if
            ``None``.
        directory: The cassette directory; ignored when ``recorder`` is given.
        recorder: A :class:`Recorder` to share with other transports.
        overwrite: Delete the exchanges already in ``directory`` first.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        directory: str | os.PathLike[str] | None = None,
        *,
        recorder: Recorder | None = None,
        overwrite: bool = False,
    ) -> None:
        self.recorder = _recorder(directory, recorder, overwrite)
        self.inner = inner if inner is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the inner transport, recording the exchange."""
        if not self.recorder.wants(request):
            return self.inner.handle_request(request)
        request.read()
        response = self.inner.handle_request(request)
        take = self.recorder.begin(request, response)
        stream = response.stream
        assert isinstance(stream, httpx.SyncByteStream)
        return _teed(response, _TeeStream(stream, take), request)

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`RecordingTransport`, for ``httpx.AsyncClient``.

    Args:
        inner: The transport that really sends; a fresh ``httpx.AsyncHTTPTransport()``
            if ``None``.
        directory: The cassette directory; ignored when ``recorder`` is given.
        recorder: A :class:`Recorder` to share with other transports.
        overwrite: Delete the exchanges already in ``directory`` first.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None = None,
        directory: str | os.PathLike[str] | None = None,
        *,
        recorder: Recorder | None = None,
        overwrite: bool = False,
    ) -> None:
        self.recorder = _recorder(directory, recorder, overwrite)
        self.inner = inner if inner is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the inner transport, recording the exchange."""
        if not self.recorder.wants(request):
            return await self.inner.handle_async_request(request)
        await request.aread()
        response = await self.inner.handle_async_request(request)
        take = self.recorder.begin(request, response)
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        return _teed(response, _AsyncTeeStream(stream, take), request)

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()


def _recorder(
    directory: str | os.PathLike[str] | None, recorder: Recorder | None, overwrite: bool
) -> Recorder:
    if recorder is not None:
        return recorder
    if directory is None:
        raise TypeError("give the cassette directory (directory=...) or a recorder=")
    return Recorder(directory, overwrite=overwrite)


HTTPClient = httpx.Client | httpx.AsyncClient


class Recording:
    """A client being recorded; :meth:`stop` (or leaving the ``with`` block) undoes it.

    Attributes:
        recorder: Where the exchanges go; ``recorder.written`` lists the body files.
    """

    def __init__(self, http: HTTPClient, recorder: Recorder) -> None:
        self.recorder = recorder
        self._http = http
        # Every transport the client can pick (the default one and any mounted for
        # proxies) is wrapped, so no request escapes the recording.
        self._saved: tuple[Any, dict[Any, Any]] | None = (http._transport, dict(http._mounts))
        if isinstance(http, httpx.Client):
            http._transport = RecordingTransport(http._transport, recorder=recorder)
            http._mounts = {
                pattern: None if t is None else RecordingTransport(t, recorder=recorder)
                for pattern, t in http._mounts.items()
            }
        else:
            http._transport = AsyncRecordingTransport(http._transport, recorder=recorder)
            http._mounts = {
                pattern: None if t is None else AsyncRecordingTransport(t, recorder=recorder)
                for pattern, t in http._mounts.items()
            }

    @property
    def directory(self) -> Path:
        """The cassette directory."""
        return self.recorder.directory

    @property
    def written(self) -> list[Path]:
        """The body files written so far."""
        return self.recorder.written

    def stop(self) -> None:
        """Put the client's own transports back; later calls are no longer recorded."""
        if self._saved is None:
            return
        self._http._transport, self._http._mounts = self._saved
        self._saved = None

    def __enter__(self) -> Recording:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def record(
    client: Groq | AsyncGroq | HTTPClient,
    directory: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> Recording:
    """Record every chat-completions exchange ``client`` makes into a cassette directory.

    Each exchange becomes ``NNN.sse`` (``NNN.json`` when not streamed), the exact body
    the server sent, and ``NNN.request.json`` beside it (the request without its
    credentials, plus the response's status and headers). The ``Authorization`` header,
    and any header that looks like a credential, is never written, and the key is
    scrubbed from everything that is.

    Example:
        >>> client = Groq()  # doctest: +SKIP
        >>> with record(client, "tests/cassettes/joke", overwrite=True):  # doctest: +SKIP
        ...     for chunk in client.chat.completions.create(..., stream=True):
        ...         pass

    Args:
        client: A ``mirastream.groq.Groq`` / ``AsyncGroq``, a groq SDK ``Groq`` /
            ``AsyncGroq``, or an ``httpx.Client`` / ``httpx.AsyncClient``.
        directory: The cassette directory (created on the first write).
        overwrite: Delete the exchanges already recorded there first; otherwise new ones
            are numbered after them.

    Returns:
        The recording; stop it with ``stop()`` or by leaving a ``with`` block.

    Raises:
        TypeError: If ``client`` is none of the supported kinds.
    """
    from mirastream.groq import AsyncGroq, Groq

    http: Any = client
    if isinstance(client, (Groq, AsyncGroq)):
        http = client._http
    elif not isinstance(client, (httpx.Client, httpx.AsyncClient)):
        # The groq SDK (and other Stainless-made SDKs) keep their httpx client here.
        http = getattr(client, "_client", None)
    if not isinstance(http, (httpx.Client, httpx.AsyncClient)):
        raise TypeError(
            "record() takes a mirastream Groq/AsyncGroq, a groq SDK client or an httpx "
            f"Client/AsyncClient, not {type(client).__name__}"
        )
    return Recording(http, Recorder(directory, overwrite=overwrite))
