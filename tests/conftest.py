"""Shared test fixtures and helpers for the low-level ``mirastream.groq`` suite.

* ``FIXTURES_DIR`` / ``EXPECTED``: the recorded-shape ``.sse`` bodies in
  ``shared/fixtures/groq_sse`` and, parsed from that directory's README, the folded result
  each one must produce (content, reasoning, tool calls, finish_reason, usage, error).
* ``fold()``: the README's folding rules applied to a list of chunks.
* ``Body`` / ``sse_response`` / ``Recorder``: ``httpx.MockTransport`` plumbing whose body
  stream works for both the sync and the async client and records whether it was closed.
* ``flavor``: runs one ``async def`` test body twice, once driving ``Groq``/``Stream``
  and once ``AsyncGroq``/``AsyncStream`` (sync calls simply block inside the async body).
* ``server``: a fresh loopback ``mirastream.testing.GroqServer`` per test.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
import httpx
import pytest

from mirastream.groq import AsyncGroq, AsyncStream, Groq, Stream
from mirastream.groq.types import ChatCompletion, ChatCompletionChunk
from mirastream.testing import GroqServer

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "groq_sse"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES_DIR.glob("*.sse"))

API_KEY = "gsk_test_0123456789abcdefSECRET"
MESSAGES: list[Any] = [{"role": "user", "content": "Tell me a joke"}]
MODEL = "llama-3.3-70b-versatile"


def fixture_bytes(name: str) -> bytes:
    """The exact body of one ``.sse`` fixture."""
    return (FIXTURES_DIR / name).read_bytes()


# ---------------------------------------------------------------------------------------
# The README's expected results, parsed.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedToolCall:
    index: int
    id: str
    name: str
    arguments: Any  # the parsed JSON object the README shows
    raw_arguments: str | None  # the exact wire string, when the README gives it


@dataclass(frozen=True)
class ExpectedError:
    message: str
    type: str
    code: str
    failed_generation: str
    status_code: int


@dataclass(frozen=True)
class Expected:
    """What one fixture folds to, per ``shared/fixtures/groq_sse/README.md``."""

    name: str
    chunks: int
    events: int | None
    completion_id: str
    request_id: str
    seed: int | None
    content: str
    reasoning: str
    tool_calls: tuple[ExpectedToolCall, ...]
    finish_reason: str | None
    service_tier: str | None
    usage: dict[str, Any] | None
    # Where usage rides: "x_groq" (finish chunk), "top" (finish chunk, top level),
    # "trailer" (the include_usage chunk with ``choices: []``).
    usage_places: frozenset[str]
    error: ExpectedError | None


def _unescape(text: str) -> str:
    # The README writes newlines inside folded text as the two characters "\n".
    return text.replace("\\n", "\n")


def _folded_text(section: str, key: str) -> str:
    """The value of a ``* content...`` / ``* reasoning...`` bullet ("" for none/empty)."""
    match = re.search(rf"^\* {key}\b([^\n]*)((?:\n  [^\n]*)*)", section, re.M)
    if match is None:
        return ""
    head, cont = match.group(1), match.group(2)
    if head.rstrip().endswith("):"):  # "content (explanation with `code`):" + value below
        value = re.search(r"`([^`]*)`", cont)
        assert value is not None, f"no value under {key!r}"
        return _unescape(value.group(1))
    rest = head.split(":", 1)[1].strip()
    if rest.startswith("none") or rest.startswith("``"):
        return ""
    value = re.match(r"`([^`]*)`", rest)
    assert value is not None, f"cannot read {key!r} from {head!r}"
    return _unescape(value.group(1))


def _usage(section: str) -> tuple[dict[str, Any] | None, frozenset[str]]:
    match = re.search(
        r"^\* usage \(([^)]*)\): prompt (\d+), completion (\d+)"
        r"(?: \(reasoning_tokens (\d+)\))?, total (\d+),\s+"
        r"queue_time ([\d.]+),\s+prompt_time ([\d.]+),\s+completion_time ([\d.]+),\s+"
        r"total_time ([\d.]+)",
        section,
        re.M,
    )
    if match is None:
        assert re.search(r"usage: none", section), "usage bullet not understood"
        return None, frozenset()
    where = match.group(1)
    if "x_groq only" in where:
        places = frozenset({"x_groq"})
    elif "three places" in where:
        places = frozenset({"x_groq", "top", "trailer"})
    elif "x_groq and top-level" in where:
        places = frozenset({"x_groq", "top"})
    else:  # pragma: no cover - a README change this parser does not know
        raise AssertionError(f"unknown usage placement {where!r}")
    usage: dict[str, Any] = {
        "prompt_tokens": int(match.group(2)),
        "completion_tokens": int(match.group(3)),
        "total_tokens": int(match.group(5)),
        "queue_time": float(match.group(6)),
        "prompt_time": float(match.group(7)),
        "completion_time": float(match.group(8)),
        "total_time": float(match.group(9)),
        "reasoning_tokens": int(match.group(4)) if match.group(4) else None,
    }
    return usage, places


def _tool_calls(section: str) -> tuple[ExpectedToolCall, ...]:
    raw = re.search(r"raw arguments string `([^`]*)`", section)
    calls = [
        ExpectedToolCall(
            index=int(m.group(1)),
            id=m.group(2),
            name=m.group(3),
            arguments=json.loads(m.group(4)),
            raw_arguments=raw.group(1) if raw else None,
        )
        for m in re.finditer(r"`\[(\d+)\] id=(\S+) name=(\S+) args=(\{[^`]*\})`", section)
    ]
    return tuple(calls)


def _error(section: str) -> ExpectedError | None:
    match = re.search(
        r"expected error: message `([^`]*)`,\s+type `([^`]*)`, code `([^`]*)`,\s+"
        r"failed_generation `([^`]*)`, status_code (\d+)",
        section,
    )
    if match is None:
        return None
    return ExpectedError(
        message=match.group(1),
        type=match.group(2),
        code=match.group(3),
        failed_generation=match.group(4),
        status_code=int(match.group(5)),
    )


def parse_readme(text: str) -> dict[str, Expected]:
    """Parse the ``### NN_name.sse`` sections of the fixtures README."""
    table: dict[str, Expected] = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        name = section.split(maxsplit=1)[0]
        if not name.endswith(".sse"):
            continue
        chunks = re.search(r"^\* chunks(?: before the error)?: (\d+)", section, re.M)
        ids = re.search(
            r"^\* id `([^`]+)`, x_groq\.id `([^`]+)`(?:[^\n]*seed (\d+))?", section, re.M
        )
        assert chunks is not None and ids is not None, f"cannot read {name}"
        events = re.search(r"SSE events: (\d+)", section)
        finish = re.search(r"finish_reason `(\w+)`", section)
        tier = re.search(r"service_tier `(\w+)`", section)
        usage, places = _usage(section)
        table[name] = Expected(
            name=name,
            chunks=int(chunks.group(1)),
            events=int(events.group(1)) if events else None,
            completion_id=ids.group(1),
            request_id=ids.group(2),
            seed=int(ids.group(3)) if ids.group(3) else None,
            content=_folded_text(section, "content"),
            reasoning=_folded_text(section, "reasoning"),
            tool_calls=_tool_calls(section),
            finish_reason=finish.group(1) if finish else None,
            service_tier=tier.group(1) if tier else None,
            usage=usage,
            usage_places=places,
            error=_error(section),
        )
    return table


EXPECTED: dict[str, Expected] = parse_readme((FIXTURES_DIR / "README.md").read_text("utf-8"))


# ---------------------------------------------------------------------------------------
# Folding chunks (the README's rules), through the public attribute API.
# ---------------------------------------------------------------------------------------


@dataclass
class FoldedCall:
    id: str | None = None
    name: str = ""
    arguments: str = ""


@dataclass
class Fold:
    content: str = ""
    reasoning: str = ""
    tool_calls: dict[int, FoldedCall] = field(default_factory=dict)
    finish_reason: str | None = None
    usages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    service_tiers: list[str] = field(default_factory=list)
    completion_ids: set[str] = field(default_factory=set)
    request_ids: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    chunks: int = 0

    @property
    def usage(self) -> dict[str, Any] | None:
        """The one usage report (all copies must agree: usage is reported, never summed)."""
        if not self.usages:
            return None
        first = self.usages[0][1]
        assert all(u == first for _, u in self.usages), self.usages
        return first


def _usage_summary(usage: Any) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "queue_time": usage.queue_time,
        "prompt_time": usage.prompt_time,
        "completion_time": usage.completion_time,
        "total_time": usage.total_time,
        "reasoning_tokens": usage.reasoning_tokens,
    }


def fold(chunks: Sequence[ChatCompletionChunk]) -> Fold:
    """Fold chunks the way the fixtures README describes."""
    out = Fold()
    for chunk in chunks:
        out.chunks += 1
        out.completion_ids.add(chunk.id)
        if chunk.x_groq is not None:
            if chunk.x_groq.id is not None:
                out.request_ids.append(chunk.x_groq.id)
            if chunk.x_groq.seed is not None:
                out.seeds.append(chunk.x_groq.seed)
            if chunk.x_groq.usage is not None:
                out.usages.append(("x_groq", _usage_summary(chunk.x_groq.usage)))
        if chunk.usage is not None:
            place = "top" if chunk.choices else "trailer"
            out.usages.append((place, _usage_summary(chunk.usage)))
        if chunk.service_tier is not None:
            out.service_tiers.append(chunk.service_tier)
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            delta = choice.delta
            out.content += delta.content or ""
            out.reasoning += delta.reasoning or ""
            for call in delta.tool_calls or ():
                acc = out.tool_calls.setdefault(call.index, FoldedCall())
                if acc.id is None and call.id is not None:
                    acc.id = call.id
                if call.function is not None:
                    acc.name += call.function.name or ""
                    acc.arguments += call.function.arguments or ""
            if choice.finish_reason is not None:
                out.finish_reason = choice.finish_reason
    return out


def assert_fold_matches(result: Fold, expected: Expected) -> None:
    """Compare a fold with the README's expected result, field by field."""
    assert result.content == expected.content
    assert result.reasoning == expected.reasoning
    assert result.finish_reason == expected.finish_reason
    assert sorted(result.tool_calls) == [c.index for c in expected.tool_calls]
    for call in expected.tool_calls:
        got = result.tool_calls[call.index]
        assert (got.id, got.name) == (call.id, call.name)
        assert json.loads(got.arguments) == call.arguments
        if call.raw_arguments is not None:
            assert got.arguments == call.raw_arguments
    assert result.usage == expected.usage
    assert {place for place, _ in result.usages} == expected.usage_places
    # Each place carries usage at most once: three places means three copies, not more.
    assert len(result.usages) == len(expected.usage_places)
    assert result.completion_ids == {expected.completion_id}
    assert expected.request_id in result.request_ids
    assert set(result.request_ids) == {expected.request_id}
    assert result.seeds == ([expected.seed] if expected.seed is not None else [])
    assert set(result.service_tiers) == ({expected.service_tier} - {None})
    assert result.chunks == expected.chunks


# ---------------------------------------------------------------------------------------
# httpx.MockTransport plumbing.
# ---------------------------------------------------------------------------------------


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body for sync and async clients that records how it was consumed.

    Args:
        pieces: The byte pieces, each delivered by one read.
        fail_with: Raised after the last piece (a transport failure mid-body).
        hang: (async only) after the last piece, wait forever instead of ending.
    """

    def __init__(
        self,
        pieces: Sequence[bytes],
        *,
        fail_with: Exception | None = None,
        hang: bool = False,
    ) -> None:
        self.pieces = list(pieces)
        self.fail_with = fail_with
        self.hang = hang
        self.reads = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for piece in self.pieces:
            self.reads += 1
            yield piece
        if self.fail_with is not None:
            raise self.fail_with

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            self.reads += 1
            yield piece
            await anyio.lowlevel.checkpoint()
        if self.hang:
            await anyio.sleep_forever()
        if self.fail_with is not None:
            raise self.fail_with

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def sse_response(
    body: Body | bytes,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A streaming SSE response (``content-type: text/event-stream``)."""
    stream = body if isinstance(body, Body) else Body([body])
    return httpx.Response(
        status,
        headers={"content-type": "text/event-stream", **(headers or {})},
        stream=stream,
    )


Responder = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler: records every request, answers from a list in order.

    The last answer is repeated when the list runs out. An answer may be a response, a
    function building one from the request, or an exception to raise (a transport error).
    """

    def __init__(self, *answers: httpx.Response | Responder | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        index = min(len(self.requests), len(self.answers)) - 1
        answer = self.answers[index]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    @property
    def hits(self) -> int:
        return len(self.requests)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


# ---------------------------------------------------------------------------------------
# One test body, run sync and async.
# ---------------------------------------------------------------------------------------

Mode = Literal["sync", "async"]
AnyClient = Groq | AsyncGroq
AnyStream = Stream[ChatCompletionChunk] | AsyncStream[ChatCompletionChunk]


class Flavor:
    """Drives either the sync or the async API from inside an ``async def`` test.

    Every method dispatches on the object it gets, so a test written once against
    ``flavor.*`` exercises ``Groq``/``Stream`` in one run and ``AsyncGroq``/``AsyncStream``
    in the other. Clients made here are closed at teardown.
    """

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self._sync_http: list[httpx.Client] = []
        self._async_http: list[httpx.AsyncClient] = []

    @property
    def is_async(self) -> bool:
        return self.mode == "async"

    def http(
        self,
        handler: Responder | None = None,
        *,
        limits: httpx.Limits | None = None,
        timeout: float | httpx.Timeout = 10.0,
    ) -> httpx.Client | httpx.AsyncClient:
        """An httpx client: over ``handler`` (MockTransport) or the real network stack."""
        transport = httpx.MockTransport(handler) if handler is not None else None
        kwargs: dict[str, Any] = {"timeout": timeout}
        if limits is not None:
            kwargs["limits"] = limits
        if self.is_async:
            aclient = httpx.AsyncClient(transport=transport, **kwargs)
            self._async_http.append(aclient)
            return aclient
        client = httpx.Client(transport=transport, **kwargs)
        self._sync_http.append(client)
        return client

    def client(
        self,
        handler: Responder | None = None,
        *,
        base_url: str = "http://groq.test",
        api_key: str | None = API_KEY,
        limits: httpx.Limits | None = None,
        **kwargs: Any,
    ) -> AnyClient:
        """A ``Groq`` or ``AsyncGroq`` over ``handler`` (or the network when ``None``)."""
        http = self.http(handler, limits=limits)
        if isinstance(http, httpx.AsyncClient):
            return AsyncGroq(api_key=api_key, base_url=base_url, http_client=http, **kwargs)
        return Groq(api_key=api_key, base_url=base_url, http_client=http, **kwargs)

    async def create(self, client: AnyClient, **params: Any) -> Any:
        """``client.chat.completions.create(**params)`` (awaited for ``AsyncGroq``)."""
        params.setdefault("messages", MESSAGES)
        params.setdefault("model", MODEL)
        if isinstance(client, AsyncGroq):
            return await client.chat.completions.create(**params)
        return client.chat.completions.create(**params)

    async def stream(self, client: AnyClient, **params: Any) -> AnyStream:
        result = await self.create(client, stream=True, **params)
        assert isinstance(result, (Stream, AsyncStream))
        return result

    async def completion(self, client: AnyClient, **params: Any) -> ChatCompletion:
        result = await self.create(client, **params)
        assert isinstance(result, ChatCompletion)
        return result

    async def next(self, stream: AnyStream) -> ChatCompletionChunk:
        if isinstance(stream, AsyncStream):
            return await stream.__anext__()
        return next(stream)

    async def collect(self, stream: AnyStream) -> list[ChatCompletionChunk]:
        """Iterate to the end with ``for`` / ``async for``."""
        if isinstance(stream, AsyncStream):
            return [chunk async for chunk in stream]
        return list(stream)

    async def collect_until_error(
        self, stream: AnyStream
    ) -> tuple[list[ChatCompletionChunk], BaseException | None]:
        """Iterate to the end; return the chunks delivered and the error that ended it."""
        chunks: list[ChatCompletionChunk] = []
        try:
            if isinstance(stream, AsyncStream):
                async for chunk in stream:
                    chunks.append(chunk)
            else:
                for chunk in stream:
                    chunks.append(chunk)
        except Exception as exc:
            return chunks, exc
        return chunks, None

    async def close(self, stream: AnyStream) -> None:
        if isinstance(stream, AsyncStream):
            await stream.close()
        else:
            stream.close()

    @asynccontextmanager
    async def entered(self, stream: AnyStream) -> AsyncIterator[AnyStream]:
        """``with stream:`` / ``async with stream:``."""
        if isinstance(stream, AsyncStream):
            async with stream as entered:
                yield entered
        else:
            with stream as sync_entered:
                yield sync_entered

    async def close_client(self, client: AnyClient) -> None:
        if isinstance(client, AsyncGroq):
            await client.close()
        else:
            client.close()

    async def aclose(self) -> None:
        for client in self._sync_http:
            client.close()
        for aclient in self._async_http:
            await aclient.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
async def flavor(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Flavor]:
    """Run the test body once against the sync API and once against the async API."""
    driver = Flavor(request.param)
    yield driver
    await driver.aclose()


@pytest.fixture
def server() -> Iterator[GroqServer]:
    """A started loopback ``GroqServer``; it must report no internal errors."""
    with GroqServer() as srv:
        yield srv
        assert srv.errors == []
