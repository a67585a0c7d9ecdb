"""``make bench``: mirastream's speed and memory, side by side with the parsing floor.

Every comparison is measured in one run, interleaved round by round (A, B, A, B ...),
as the best CPU time (``time.process_time``) of each side, so a noisy shared machine
moves both sides together. The floor is the least any Groq stream reader must do: read
the bytes with ``iter_raw``, split events, ``jiter.from_json`` each, join the contents.

Run: ``.venv/bin/python benchmarks/run.py`` (add ``--quick`` for fewer rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from _report import Row
from _streams import (
    URL,
    afloor,
    floor,
    structured_stream,
    text_stream,
    tool_stream,
    transport,
)
from bench_concurrency import concurrency
from bench_hostile import hostile
from bench_partial import partial_cost
from pydantic import BaseModel

from mirastream import groq_call
from mirastream.groq import AsyncGroq, Groq

ROUNDS = 15


def interleaved(fns: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best CPU seconds of each function over ``rounds`` interleaved rounds."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            gc.collect()
            start = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - start)
    return best


def _clients(events: list[bytes]) -> tuple[httpx.Client, Groq]:
    http = httpx.Client(transport=transport(events))
    return http, Groq(api_key="bench", base_url="http://bench.invalid", http_client=http)


def _stream_reader(client: Groq) -> Callable[[], str]:
    def read() -> str:
        parts: list[str] = []
        stream = client.chat.completions.create(
            messages=[{"role": "user", "content": "bench"}], model="m", stream=True
        )
        for chunk in stream:
            if chunk.choices:
                parts.append(chunk.choices[0].delta.content or "")
        return "".join(parts)

    return read


def _groq_stream_reader(client: Groq, tools: list[Any] | None = None) -> Callable[[], str]:
    @groq_call("llama-3.1-8b-instant", stream=True, client=client, tools=tools)
    def call() -> str:
        return "bench"

    def read() -> str:
        stream = call()
        for _chunk, _tool in stream:
            pass
        return stream.construct_call_response().content

    return read


def core(report: Row, rounds: int) -> float:
    """Issue 2 and 3: Stream and GroqStream against the floor on 2,000 chunks."""
    n = 2000
    events = text_stream(n)
    http, client = _clients(events)
    fns: dict[str, Callable[[], object]] = {
        "floor": lambda: floor(http),
        "Stream": _stream_reader(client),
        "GroqStream+construct": _groq_stream_reader(client),
    }
    assert len({fn() for fn in fns.values()}) == 1, "readers disagree on the content"
    try:
        import groq

        sdk = groq.Groq(api_key="bench", base_url="http://bench.invalid", http_client=http)
        fns["groq SDK Stream"] = _stream_reader(sdk)  # type: ignore[arg-type]
    except ImportError:
        pass
    best = interleaved(fns, rounds)
    chunks = len(events) - 1
    report.line(f"\n== {n}-chunk text stream from memory (CPU µs per chunk, best of {rounds})")
    for name, seconds in best.items():
        ratio = seconds / best["floor"]
        report.line(f"  {name:24s} {seconds / chunks * 1e6:7.2f} µs   {ratio:5.2f}x floor")
    report.target("Stream / floor", best["Stream"] / best["floor"], 1.5)
    report.target("GroqStream+construct / floor", best["GroqStream+construct"] / best["floor"], 2.0)
    return best["floor"] / chunks


def scaling(report: Row, rounds: int) -> None:
    """Per-chunk cost must not grow with the stream: 1k against 100k chunks."""
    report.line("\n== per-chunk cost, 1k vs 100k chunks (CPU µs per chunk)")
    per_chunk: dict[str, dict[int, float]] = {}
    for n in (1000, 100_000):
        events = text_stream(n)
        http, client = _clients(events)
        fns: dict[str, Callable[[], object]] = {
            "floor": lambda http=http: floor(http),  # type: ignore[misc]
            "Stream": _stream_reader(client),
            "GroqStream+construct": _groq_stream_reader(client),
        }
        best = interleaved(fns, rounds if n < 10_000 else max(3, rounds // 4))
        for name, seconds in best.items():
            per_chunk.setdefault(name, {})[n] = seconds / (len(events) - 1) * 1e6
    for name, by_n in per_chunk.items():
        growth = by_n[100_000] / by_n[1000]
        report.line(
            f"  {name:24s} 1k {by_n[1000]:6.2f}   100k {by_n[100_000]:6.2f}   {growth:.3f}x"
        )
    report.target(
        "Stream 100k / 1k", per_chunk["Stream"][100_000] / per_chunk["Stream"][1000], 1.05
    )
    report.target(
        "GroqStream 100k / 1k",
        per_chunk["GroqStream+construct"][100_000] / per_chunk["GroqStream+construct"][1000],
        1.05,
    )


def memory(report: Row) -> None:
    """Peak traced memory while reading a 100k-chunk stream (the input bytes excluded)."""
    events = text_stream(100_000)
    http, client = _clients(events)
    peaks: dict[str, float] = {}
    readers: dict[str, Callable[[], object]] = {
        "floor": lambda: floor(http),
        "GroqStream": _groq_stream_reader(client),
    }
    for name, fn in readers.items():
        gc.collect()
        tracemalloc.start()
        fn()
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    report.line("\n== peak memory reading 100k chunks (MiB, tracemalloc)")
    for name, peak in peaks.items():
        report.line(f"  {name:24s} {peak:7.2f} MiB")
    report.target("GroqStream peak / floor peak", peaks["GroqStream"] / peaks["floor"], 2.0)


def get_weather(location: str, unit: str = "celsius") -> str:
    """Get the current weather.

    Args:
        location: City and country.
        unit: "celsius" or "fahrenheit".
    """
    return f"18 degrees {unit} in {location}"


def tools(report: Row, rounds: int) -> None:
    """Issue 4: tool assembly costs nothing on chunks without tool deltas."""
    events = text_stream(2000)
    http, client = _clients(events)
    best = interleaved(
        {
            "floor": lambda: floor(http),
            "no tools": _groq_stream_reader(client),
            "tools offered": _groq_stream_reader(client, [get_weather]),
        },
        rounds,
    )
    report.line("\n== tools: 2,000 text chunks with and without tools offered (CPU µs per chunk)")
    for name, seconds in best.items():
        report.line(f"  {name:24s} {seconds / (len(events) - 1) * 1e6:7.2f} µs")
    report.target("tools offered / no tools", best["tools offered"] / best["no tools"], 1.05)
    for label, fragment in (("500 whole calls (Groq)", None), ("100 calls in 8-char pieces", 8)):
        n_calls = 500 if fragment is None else 100
        events = tool_stream(n_calls, fragment)
        http, client = _clients(events)
        reader = _groq_stream_reader(client, [get_weather])
        seconds = interleaved({"tools": reader}, max(3, rounds // 3))["tools"]
        per = seconds / (len(events) - 1) * 1e6
        report.line(f"  {label:30s} {len(events) - 1:5d} chunks  {per:7.2f} µs/chunk")


def observability(report: Row, rounds: int) -> None:
    """Issue 12: a stream with instrumentation off, with OpenTelemetry on, with DEBUG logs."""
    import logging

    from mirastream.integrations.otel import with_otel

    events = text_stream(2000)
    _http, client = _clients(events)
    off = _groq_stream_reader(client)
    try:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    except ImportError:
        report.line("\n== observability: opentelemetry-sdk not installed, skipped")
        return
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traced_read = with_otel(tracer_provider=provider)(off)

    def otel_on() -> str:
        exporter.clear()
        return traced_read()

    class Discard(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            self.format(record)  # what a real handler pays, without the IO

    def logging_on() -> str:
        logger = logging.getLogger("mirastream")
        handler = Discard()
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            return off()
        finally:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)

    best = interleaved(
        {"off": off, "otel span on": otel_on, "DEBUG logging on": logging_on}, rounds
    )
    assert len(exporter.get_finished_spans()) == 1, "one span per call"
    chunks = len(events) - 1
    report.line(
        f"\n== observability: 2,000-chunk GroqStream+construct (CPU µs per chunk, best of {rounds})"
    )
    for name, seconds in best.items():
        ratio = seconds / best["off"]
        report.line(f"  {name:24s} {seconds / chunks * 1e6:7.2f} µs   {ratio:5.2f}x off")


class Author(BaseModel):
    """An author."""

    name: str
    born: int


class Chapter(BaseModel):
    """A chapter."""

    number: int
    title: str
    pages: int


class Book(BaseModel):
    """A book."""

    title: str
    author: Author
    year: int
    rating: float
    tags: list[str]
    chapters: list[Chapter]


def structured(report: Row, rounds: int, floor_per_chunk: float) -> None:
    """Issues 5 and 11: 2,000-chunk structured streams, partial models yielded as JSON arrives.

    Each shape is read in tool mode (argument fragments) and text mode (content, the
    stream default), and against the parse-only floor on the same bytes (``floor``: read,
    split events, ``jiter`` each; no partials).
    """
    results: dict[str, tuple[int, float, float]] = {}
    shapes = (("222 chapter objects", True), ("10 chapters, long title", False))
    for label, list_heavy in shapes:
        for mode in ("tool", "text"):
            events, text = structured_stream(2000, list_heavy=list_heavy, content=mode == "text")
            http, client = _clients(events)

            @groq_call(
                "llama-3.1-8b-instant",
                stream=True,
                response_model=Book,
                client=client,
                structured=mode,
            )
            def extract() -> str:
                return "bench"

            def read() -> Book:
                last = None
                for book in extract():
                    last = book
                assert last is not None
                return last

            assert read() == Book.model_validate_json(text)
            best = interleaved(
                {"structured": read, "floor": lambda http=http: floor(http)},  # type: ignore[misc]
                max(3, rounds // 2),
            )
            chunks = len(events) - 1
            results[f"{label}, {mode}"] = (
                chunks,
                best["structured"] / chunks * 1e6,
                best["structured"] / best["floor"],
            )
    report.line(
        f"\n== structured: partial Book models (text floor {floor_per_chunk * 1e6:.2f} µs/chunk)"
    )
    report.line("  whole pipeline, against the floor on the same bytes:")
    for label, (chunks, per, ratio) in results.items():
        report.line(f"  {label:32s} {chunks} chunks  {per:7.2f} µs/chunk  {ratio:5.2f}x floor")
    report.target(
        "structured µs per chunk (222 objects)",
        results["222 chapter objects, tool"][1],
        15.0,
        " µs",
    )
    # The partials themselves: PartialStream.feed against the parse-only floor, the same
    # incremental parser building nothing (benchmarks/bench_partial.py), same fragments.
    ratios = {}
    report.line("  partials / parse-only floor (same fragments, no HTTP):")
    for label, list_heavy in shapes:
        partial_us, parse_us = partial_cost(2000, list_heavy=list_heavy, rounds=rounds)
        ratios[label] = partial_us / parse_us
        report.line(
            f"  {label:32s} partials {partial_us:5.2f} µs  parse-only {parse_us:5.2f} µs"
            f"  {ratios[label]:5.2f}x"
        )
    report.target("partials / parse-only (222 chapter objects)", ratios[shapes[0][0]], 2.5)
    report.target("partials / parse-only (10 chapters, long title)", ratios[shapes[1][0]], 2.5)


async def _fan_out(make: Callable[[], Any], n_streams: int) -> None:
    await asyncio.gather(*(make() for _ in range(n_streams)))


def fan_out(report: Row, rounds: int) -> None:
    """200 concurrent async streams x 500 chunks over the loopback server (in a subprocess)."""
    n_streams, n_chunks = 200, 500
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_loopback.py")), str(n_chunks)],
        stdin=subprocess.PIPE,  # the server stops when this pipe closes
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        url = base_url + "/openai/v1/chat/completions"
        limits = httpx.Limits(max_connections=n_streams, max_keepalive_connections=n_streams)

        async def run(kind: str) -> float:
            async with httpx.AsyncClient(limits=limits, timeout=60) as http:
                client = AsyncGroq(api_key="bench", base_url=base_url, http_client=http)

                @groq_call("llama-3.1-8b-instant", stream=True, client=client)
                async def call() -> str:
                    return "bench"

                async def one() -> None:
                    if kind == "floor":
                        await afloor(http, url)
                    elif kind == "AsyncStream":
                        stream = await client.chat.completions.create(
                            messages=[{"role": "user", "content": "b"}], model="m", stream=True
                        )
                        async for _ in stream:
                            pass
                    else:
                        groq_stream = await call()
                        async for _ in groq_stream:
                            pass
                        groq_stream.construct_call_response()

                await _fan_out(one, 20)  # warm the pool
                start = time.process_time()
                await _fan_out(one, n_streams)
                return time.process_time() - start

        best = {"floor": float("inf"), "AsyncStream": float("inf"), "AsyncGroqStream": float("inf")}
        for _ in range(max(2, rounds // 5)):
            for kind in best:
                best[kind] = min(best[kind], asyncio.run(run(kind)))
    finally:
        server.terminate()
        server.wait()
    total = n_streams * (n_chunks + 2)
    report.line(f"\n== {n_streams} concurrent async streams x {n_chunks} chunks, loopback server")
    for kind, seconds in best.items():
        per, ratio = seconds / total * 1e6, seconds / best["floor"]
        report.line(f"  {kind:24s} {per:7.2f} µs CPU/chunk   {ratio:5.2f}x floor")
    report.target("AsyncStream / floor (fan-out)", best["AsyncStream"] / best["floor"], 1.5)


def _import_time(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def imports(report: Row, runs: int = 15) -> None:
    """``import mirastream`` against ``import httpx, pydantic, jiter``, fresh interpreters."""
    statements = {
        "import httpx, pydantic, jiter": "import httpx, pydantic, jiter",
        "import mirastream": "import mirastream",
        "from mirastream.groq import Groq": "from mirastream.groq import Groq",
        "from mirastream import groq_call": "from mirastream import groq_call",
        "import groq (SDK, reference)": "import groq",
    }
    times: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(runs):
        for name, statement in statements.items():
            try:
                times[name].append(_import_time(statement))
            except subprocess.CalledProcessError:
                times[name].append(float("nan"))
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["import httpx, pydantic, jiter"]
    report.line(f"\n== import wall time, median of {runs} fresh interpreters")
    for name, value in medians.items():
        report.line(f"  {name:34s} {value * 1000:7.1f} ms   {value / base:5.2f}x")
    report.target("import mirastream / baseline", medians["import mirastream"] / base, 1.2)


def main() -> int:
    """Run every benchmark and print the report; exit 1 if a target was missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    rounds = 5 if args.quick else ROUNDS
    report = Row()
    report.line(f"mirastream benchmarks  (Python {sys.version.split()[0]}, {URL.split('/')[2]})")
    floor_per_chunk = core(report, rounds)
    scaling(report, rounds)
    memory(report)
    tools(report, rounds)
    observability(report, rounds)
    structured(report, rounds, floor_per_chunk)
    fan_out(report, rounds)
    concurrency(report)
    hostile(report)
    imports(report)
    if report.failed:
        report.line(f"\nmissed: {', '.join(report.failed)}")
        return 1
    report.line("\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
