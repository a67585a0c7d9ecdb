"""Connection pools fit for fan-out: many small httpx pools behind one transport.

httpcore's pool does bookkeeping over all its connections on every request and every
response close (and, once connections sit idle, over all of them for each idle one), so a
single pool of a thousand connections costs ten times more per chunk than a pool of ten.
A :class:`ShardedTransport` keeps the cost flat: it spreads requests over pools of at most
``shard_size`` connections each, sending a request where a connection came free last,
else to the first pool with room (so the pools open no more connections than the peak
number of requests in flight, and only surplus ones sit idle until they expire). Each
pool keeps all its connections alive (``max_keepalive_connections`` equal to its size):
httpcore counts every connection, not only the idle ones, against that limit, and closes
connections below it.

The routing core (:class:`ShardRouter`) does no IO; the sync and async transports are
thin shells around it.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

if TYPE_CHECKING:
    import ssl

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_SHARD_SIZE",
    "AsyncShardedTransport",
    "ShardRouter",
    "ShardedTransport",
    "fan_out_client_options",
]

# Up to a thousand requests in flight (the OpenAI SDK's limit); beyond that they queue.
DEFAULT_MAX_CONNECTIONS = 1000
# Measured (benchmarks/bench_concurrency.py, 1000 streams): 8 costs 23-25 µs of client
# CPU per chunk, 16 costs 26-31, 32 costs 36-37, 64 costs 85; 4 is no cheaper than 8 and
# makes the router scan twice as many shards.
DEFAULT_SHARD_SIZE = 8
# httpx's default: an idle connection is closed after 5 s.
DEFAULT_KEEPALIVE_EXPIRY = 5.0


class ShardRouter:
    """Which shard the next request goes to.

    The shard of the request that ended last, if it has room (its connection has just
    come free: reusing the most recently freed connections lets only truly surplus ones
    sit idle and expire); else the first shard with room (where a new connection is
    opened); else, every shard full, the least loaded. Load is the number of requests a
    shard holds (from send until the response is closed). Thread-safe: sync clients are
    shared by threads.

    Args:
        shards: How many shards there are.
        size: Requests a shard takes before the next shard is used.
    """

    __slots__ = ("_freed", "_load", "_lock", "size")

    def __init__(self, shards: int, size: int) -> None:
        self._load = [0] * shards
        self._freed: list[int] = []  # shards of ended requests, the latest last
        self._lock = threading.Lock()
        self.size = size

    def acquire(self) -> int:
        """Pick a shard for one request and count the request against it."""
        with self._lock:
            load = self._load
            size = self.size
            freed = self._freed
            while freed:
                index = freed.pop()
                if load[index] < size:  # else a queued request took the slot
                    load[index] += 1
                    return index
            for index, held in enumerate(load):
                if held < size:
                    load[index] = held + 1
                    return index
            # Every shard is full: queue in the least loaded one (its pool waits for a
            # free connection, bounded by the pool timeout).
            index = load.index(min(load))
            load[index] += 1
            return index

    def release(self, index: int) -> None:
        """One request on shard ``index`` is over (its response was closed)."""
        with self._lock:
            self._load[index] -= 1
            self._freed.append(index)

    @property
    def load(self) -> list[int]:
        """The requests each shard holds now (a copy)."""
        with self._lock:
            return list(self._load)


class _Release:
    """Releases a shard slot once, however often it is called."""

    __slots__ = ("_index", "_router")

    def __init__(self, router: ShardRouter, index: int) -> None:
        self._router: ShardRouter | None = router
        self._index = index

    def __call__(self) -> None:
        router, self._router = self._router, None
        if router is not None:
            router.release(self._index)


class _ReleasingStream(httpx.SyncByteStream):
    def __init__(self, stream: httpx.SyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._stream)

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._release()


class _AsyncReleasingStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release = release

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._release()


PoolT = TypeVar("PoolT", httpx.HTTPTransport, httpx.AsyncHTTPTransport)


class _Sharded(Generic[PoolT]):
    """What both transports share: the router and the pools, each built on first use."""

    def __init__(
        self,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        shard_size: int = DEFAULT_SHARD_SIZE,
        keepalive_expiry: float | None = DEFAULT_KEEPALIVE_EXPIRY,
        verify: ssl.SSLContext | bool = True,
        **options: Any,
    ) -> None:
        if max_connections < 1 or shard_size < 1:
            raise ValueError("max_connections and shard_size must be at least 1")
        count = -(-max_connections // shard_size)
        self._router = ShardRouter(count, shard_size)
        # One SSL context for every shard: building one loads the CA bundle (milliseconds).
        context = httpx.create_ssl_context() if verify is True else verify
        limits = httpx.Limits(
            max_connections=shard_size,
            max_keepalive_connections=shard_size,
            keepalive_expiry=keepalive_expiry,
        )
        self._options: dict[str, Any] = {"verify": context, "limits": limits, **options}
        self._lock = threading.Lock()
        self._pools: list[PoolT | None] = [None] * count

    @property
    def load(self) -> list[int]:
        """Requests each pool holds now: sent, response not yet closed."""
        return self._router.load

    @staticmethod
    def _new_pool(options: dict[str, Any]) -> PoolT:
        raise NotImplementedError

    def _acquire(self) -> tuple[PoolT, _Release]:
        """The pool for one request, and what to call once its response is closed."""
        index = self._router.acquire()
        release = _Release(self._router, index)
        pool = self._pools[index]
        if pool is None:
            try:
                with self._lock:
                    pool = self._pools[index]
                    if pool is None:
                        pool = self._pools[index] = self._new_pool(self._options)
            except BaseException:
                release()
                raise
        return pool, release


class ShardedTransport(_Sharded[httpx.HTTPTransport], httpx.BaseTransport):
    """An httpx transport spreading requests over small connection pools (sync).

    The transport of the ``Groq`` client built when none is given. To keep a client of
    your own cheap where many threads share it::

        httpx.Client(transport=ShardedTransport(), timeout=...)

    Args:
        max_connections: Requests in flight before further ones queue.
        shard_size: Connections per pool.
        keepalive_expiry: Seconds an idle connection is kept.
        verify: An ``ssl.SSLContext``, ``True`` (the default CA bundle) or ``False``.
        **options: Other ``httpx.HTTPTransport`` arguments (``retries``, ``local_address``,
            ``socket_options`` ...), applied to every pool.
    """

    @staticmethod
    def _new_pool(options: dict[str, Any]) -> httpx.HTTPTransport:
        return httpx.HTTPTransport(**options)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the first pool with room."""
        pool, release = self._acquire()
        try:
            response = pool.handle_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _ReleasingStream(response.stream, release)
        return response

    def close(self) -> None:
        """Close every pool and its connections."""
        for pool in self._pools:
            if pool is not None:
                pool.close()


class AsyncShardedTransport(_Sharded[httpx.AsyncHTTPTransport], httpx.AsyncBaseTransport):
    """An httpx transport spreading requests over small connection pools (async).

    The transport of the ``AsyncGroq`` client built when none is given. To keep fan-out
    cheap with a client of your own::

        httpx.AsyncClient(transport=AsyncShardedTransport(), timeout=...)

    Args:
        max_connections: Requests in flight before further ones queue.
        shard_size: Connections per pool.
        keepalive_expiry: Seconds an idle connection is kept.
        verify: An ``ssl.SSLContext``, ``True`` (the default CA bundle) or ``False``.
        **options: Other ``httpx.AsyncHTTPTransport`` arguments, applied to every pool.
    """

    @staticmethod
    def _new_pool(options: dict[str, Any]) -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(**options)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the first pool with room."""
        pool, release = self._acquire()
        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _AsyncReleasingStream(response.stream, release)
        return response

    async def aclose(self) -> None:
        """Close every pool and its connections."""
        for pool in self._pools:
            if pool is not None:
                await pool.aclose()


def fan_out_client_options(*, sync: bool) -> dict[str, Any]:
    """Options for the httpx client a ``Groq``/``AsyncGroq`` builds when none is given.

    A sharded transport, unless proxies are set in the environment: httpx honours those
    only for a client without a transport of its own, so there the client keeps httpx's
    pool, with fan-out limits (every connection kept alive).
    """
    import urllib.request  # only here: it is slow to import

    if urllib.request.getproxies():
        limits = httpx.Limits(
            max_connections=DEFAULT_MAX_CONNECTIONS,
            max_keepalive_connections=DEFAULT_MAX_CONNECTIONS,
            keepalive_expiry=DEFAULT_KEEPALIVE_EXPIRY,
        )
        return {"limits": limits}
    transport = ShardedTransport() if sync else AsyncShardedTransport()
    return {"transport": transport}
