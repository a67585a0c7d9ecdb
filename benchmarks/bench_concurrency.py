"""Concurrency: C workers x 3 sequential streams on one shared client, default settings.

A loopback server in its own process (``_fanout_server.py``) waits 1 s before each
response's first byte, as a model would, then streams 100 chunks; it counts the
connections it accepted and the peak number of requests in flight. Each (client, C) runs
in a fresh worker process that reports its own CPU time (``time.process_time``), so the
server's CPU is never counted. All clients run side by side in one run, C by C.

Run alone: ``.venv/bin/python benchmarks/bench_concurrency.py`` (``make bench-concurrency``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from _report import Row
from _streams import afloor, floor, raise_fd_limit, text_stream

CHUNKS = 100
DELAY = 1.0
STREAMS_PER_WORKER = 3
ASYNC_CS = (10, 200, 1000)
# A row still running after this long is cut off (the groq SDK at C = 1000 queues behind
# its 100-connection limit): it reports the streams done and the CPU per chunk of those.
DEADLINE = 30.0
SYNC_THREADS = 64
ASYNC_KINDS = ("GroqStream", "AsyncStream", "httpx pooled", "groq SDK")
SYNC_KINDS = ("GroqStream", "Stream", "httpx pooled", "groq SDK")
# Plain httpx gets the limits a fan-out needs; mirastream and the SDK run as built.
_HTTPX_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
_MESSAGES: list[Any] = [{"role": "user", "content": "bench"}]
_PATH = "/openai/v1/chat/completions"


# -- worker process --------------------------------------------------------------------


def _async_stream(kind: str, base_url: str) -> tuple[Callable[[], Awaitable[object]], Any]:
    """One stream's reader for ``kind`` and the shared client it uses."""
    if kind == "httpx pooled":
        http = httpx.AsyncClient(limits=_HTTPX_LIMITS, timeout=60)
        return lambda: afloor(http, base_url + _PATH), http
    if kind == "groq SDK":
        import groq

        sdk = groq.AsyncGroq(api_key="bench", base_url=base_url)

        async def sdk_read() -> None:
            stream = await sdk.chat.completions.create(messages=_MESSAGES, model="m", stream=True)
            async for _chunk in stream:
                pass

        return sdk_read, sdk
    from mirastream import groq_call
    from mirastream.groq import AsyncGroq

    client = AsyncGroq(api_key="bench", base_url=base_url)
    if kind == "AsyncStream":

        async def low_read() -> None:
            stream = await client.chat.completions.create(
                messages=_MESSAGES,
                model="m",
                stream=True,
            )
            async for _chunk in stream:
                pass

        return low_read, client

    @groq_call("llama-3.1-8b-instant", stream=True, client=client)
    async def call() -> str:
        return "bench"

    async def high_read() -> None:
        stream = await call()
        async for _chunk, _tool in stream:
            pass
        stream.construct_call_response()

    return high_read, client


def _sync_stream(kind: str, base_url: str) -> Callable[[], object]:
    if kind == "httpx pooled":
        http = httpx.Client(limits=_HTTPX_LIMITS, timeout=60)
        return lambda: floor(http, base_url + _PATH)
    if kind == "groq SDK":
        import groq

        sdk = groq.Groq(api_key="bench", base_url=base_url)

        def sdk_read() -> None:
            for _chunk in sdk.chat.completions.create(messages=_MESSAGES, model="m", stream=True):
                pass

        return sdk_read
    from mirastream import groq_call
    from mirastream.groq import Groq

    client = Groq(api_key="bench", base_url=base_url)
    if kind == "Stream":

        def low_read() -> None:
            stream = client.chat.completions.create(
                messages=_MESSAGES,
                model="m",
                stream=True,
            )
            for _chunk in stream:
                pass

        return low_read

    @groq_call("llama-3.1-8b-instant", stream=True, client=client)
    def call() -> str:
        return "bench"

    def high_read() -> None:
        stream = call()
        for _chunk, _tool in stream:
            pass
        stream.construct_call_response()

    return high_read


def _errors_text(errors: list[BaseException]) -> str:
    return repr(errors[0])[:160] if errors else ""


async def _run_async(kind: str, workers: int, base_url: str) -> dict[str, Any]:
    read, _client = _async_stream(kind, base_url)
    errors: list[BaseException] = []

    done = 0

    async def worker() -> None:
        nonlocal done
        for _ in range(STREAMS_PER_WORKER):
            try:
                await read()
                done += 1
            except Exception as exc:
                errors.append(exc)

    cpu, wall = time.process_time(), time.perf_counter()
    tasks = [asyncio.ensure_future(worker()) for _ in range(workers)]
    _, late = await asyncio.wait(tasks, timeout=DEADLINE)
    for task in late:  # a client this slow is cut off: its row counts what was done
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "cpu": cpu,
        "wall": wall,
        "done": done,
        "errors": len(errors),
        "error": _errors_text(errors),
    }


def _run_sync(kind: str, workers: int, base_url: str) -> dict[str, Any]:
    read = _sync_stream(kind, base_url)
    errors: list[BaseException] = []
    start = threading.Barrier(workers + 1)

    done = [0] * workers

    def worker(index: int) -> None:
        start.wait()
        for _ in range(STREAMS_PER_WORKER):
            try:
                read()
                done[index] += 1
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    cpu, wall = time.process_time(), time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "cpu": cpu,
        "wall": wall,
        "done": sum(done),
        "errors": len(errors),
        "error": _errors_text(errors),
    }


def worker_main(mode: str, kind: str, workers: int, base_url: str) -> None:
    raise_fd_limit()
    if mode == "async":
        result = asyncio.run(_run_async(kind, workers, base_url))
    else:
        result = _run_sync(kind, workers, base_url)
    print(json.dumps(result), flush=True)


# -- parent: server, workers, report ---------------------------------------------------


class Server:
    """The loopback server process; ``stats()`` returns its counters since the last call."""

    def __init__(self) -> None:
        script = Path(__file__).with_name("_fanout_server.py")
        self._process = subprocess.Popen(
            [sys.executable, str(script), str(CHUNKS), str(DELAY)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()

    def stats(self) -> dict[str, int]:
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("stats\n")
        process.stdin.flush()
        result: dict[str, int] = json.loads(process.stdout.readline())
        return result

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(10)


def _measure(server: Server, mode: str, kind: str, workers: int) -> dict[str, Any]:
    server.stats()  # reset the counters
    out = subprocess.run(
        [sys.executable, __file__, "--worker", mode, kind, str(workers), server.base_url],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result.update(server.stats())
    chunks = max(1, result["done"]) * (len(text_stream(CHUNKS)) - 1)
    result["us_per_chunk"] = result["cpu"] / chunks * 1e6
    return result


def _best(results: list[dict[str, Any]]) -> dict[str, Any]:
    return min(results, key=lambda r: float(r["cpu"]))


def _row(report: Row, kind: str, workers: int, r: dict[str, Any]) -> None:
    total = workers * STREAMS_PER_WORKER
    notes = f"  cut off at {DEADLINE:g} s: {r['done']}/{total} streams" if r["done"] < total else ""
    if r["errors"]:
        notes += f"  errors {r['errors']}: {r['error']}"
    report.line(
        f"  {kind:14s} {workers:5d} {r['us_per_chunk']:9.1f} {r['wall']:7.2f}"
        f" {r['accepted']:9d} {r['accepted'] / workers:5.2f} {r['peak']:6d}{notes}"
    )


_HEADER = "  client             C  µs/chunk  wall s  accepted  /C   peak in-flight"


def concurrency(report: Row, rounds: int = 1, only: tuple[str, ...] = ()) -> None:
    """The async scenario (C in ASYNC_CS) and the sync one (SYNC_THREADS threads).

    ``only``: the clients to run (default: all); targets are checked on those run.
    """
    async_kinds = [kind for kind in ASYNC_KINDS if not only or kind in only]
    sync_kinds = [kind for kind in SYNC_KINDS if not only or kind in only]
    server = Server()
    try:
        results: dict[tuple[str, int], dict[str, Any]] = {}
        report.line(
            f"\n== concurrency: C async workers x {STREAMS_PER_WORKER} sequential streams x"
            f" {CHUNKS} chunks, first byte after {DELAY:g} s, one shared client with default"
            " settings (plain httpx: limits 1000/1000); client CPU only"
        )
        report.line(_HEADER)
        for workers in ASYNC_CS:
            for kind in async_kinds:
                runs = [_measure(server, "async", kind, workers) for _ in range(rounds)]
                results[kind, workers] = _best(runs)
                _row(report, kind, workers, results[kind, workers])
        report.line(
            f"\n== concurrency, sync: {SYNC_THREADS} threads sharing one client, same streams"
        )
        report.line(_HEADER)
        sync: dict[str, dict[str, Any]] = {}
        for kind in sync_kinds:
            runs = [_measure(server, "sync", kind, SYNC_THREADS) for _ in range(rounds)]
            sync[kind] = _best(runs)
            _row(report, kind, SYNC_THREADS, sync[kind])
    finally:
        server.close()
    low, high = ASYNC_CS[0], ASYNC_CS[-1]
    for kind in ("GroqStream", "AsyncStream"):
        if kind not in async_kinds:
            continue
        at_high = results[kind, high]
        report.target(
            f"{kind} µs/chunk C={high} / C={low}",
            at_high["us_per_chunk"] / results[kind, low]["us_per_chunk"],
            1.3,
        )
        report.target(
            f"{kind} peak in-flight / C at C={high}", at_high["peak"] / high, 0.9, at_least=True
        )
        report.target(f"{kind} connections / C at C={high}", at_high["accepted"] / high, 1.2)
        unfinished = high * STREAMS_PER_WORKER - at_high["done"]
        report.target(f"{kind} streams failed or unfinished at C={high}", unfinished, 0, "")
    if "GroqStream" not in sync:
        return
    report.target(
        f"sync GroqStream connections / threads ({SYNC_THREADS})",
        sync["GroqStream"]["accepted"] / SYNC_THREADS,
        1.2,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1, help="runs per row (best CPU kept)")
    parser.add_argument("--only", nargs="*", default=(), help="clients to run, e.g. GroqStream")
    parser.add_argument("--worker", nargs=4, metavar=("MODE", "KIND", "C", "URL"))
    args = parser.parse_args()
    if args.worker:
        mode, kind, workers, url = args.worker
        worker_main(mode, kind, int(workers), url)
        return 0
    report = Row()
    concurrency(report, args.rounds, tuple(args.only))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
