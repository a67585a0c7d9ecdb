"""Issue #5 "Structured streaming": ``response_model=`` with and without ``stream=True``.

Two ways to ask Groq for a model's JSON: a forced tool call (default; the JSON arrives as
the tool call's arguments) and JSON mode (``json_mode=True``; the JSON arrives as
content). Both must give the same partial models for the same JSON.

The every-offset tests run the real pipeline without sockets: an exact SSE body in an
``httpx.Response`` -> the low-level ``Stream``/``AsyncStream`` -> ``GroqStream`` ->
``StructuredStream``. Everything else goes through ``groq_call`` and a loopback
``GroqServer``. Async tests are the same bodies driving ``async def`` prompts,
``AsyncGroq`` and ``AsyncStructuredStream``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Literal

import httpx
import pytest
from pydantic import BaseModel, Field

from mirastream import (
    AsyncGroqStream,
    AsyncStructuredStream,
    GroqCallResponse,
    GroqStream,
    StreamNotConsumedError,
    StructuredOutputError,
    StructuredStream,
    ToolCallError,
    groq_call,
)
from mirastream.groq import AsyncGroq, AsyncStream, Groq, Stream
from mirastream.structured._modes import StructuredMode
from mirastream.structured._partial import PartialStream
from mirastream.testing import GroqServer, SSEReply, ToolCall, go_json, script
from mirastream.tools._tool import tool_from

MODEL = "llama-3.3-70b-versatile"
PROMPT = "Recommend a science fiction book."
Mode = Literal["tool", "json"]


# --- models (module level, so `from __future__ import annotations` resolves them) ------


class Author(BaseModel):
    name: str
    born: int


class Chapter(BaseModel):
    title: str
    pages: int


class Book(BaseModel):
    """A book recommendation."""

    title: str = Field(description="The full title")
    author: Author
    year: int
    rating: float
    in_print: bool
    isbn: str | None
    tags: list[str]
    chapters: list[Chapter]


def get_weather(location: str) -> str:
    """Get the weather in a city.

    Args:
        location: City and country.
    """
    return f"sunny in {location}"


# Escaped quotes, \u escapes (one for an ASCII apostrophe), raw non-ASCII, nested objects,
# a list of strings, a list of objects, every JSON scalar kind.
BOOK_JSON = (
    r'{"title":"Dune: \"Book One\" \u2014 caf\u00e9 ☕","author":{"name":"Frank Herbert",'
    r'"born":1920},"year":1965,"rating":4.25,"in_print":true,"isbn":null,'
    r'"tags":["sf","desert ecology"],"chapters":[{"title":"Arrakis","pages":92},'
    r'{"title":"Muad\u0027Dib","pages":104}]}'
)
# What JSON mode tends to produce: pretty-printed, keys in another order.
BOOK_PRETTY = """{
  "author": {"name": "Frank Herbert", "born": 1920},
  "title": "Dune",
  "year": 1965,
  "rating": 4.25,
  "tags": ["sf", "desert ecology"],
  "in_print": true,
  "isbn": null,
  "chapters": [
    {"title": "Arrakis", "pages": 92},
    {"pages": 104, "title": "Muad'Dib"}
  ]
}"""
BOOK = Book.model_validate_json(BOOK_JSON)
ANSWERS = {"compact": BOOK_JSON, "pretty": BOOK_PRETTY}

USAGE = {
    "queue_time": 0.020114571,
    "prompt_tokens": 187,
    "prompt_time": 0.009113082,
    "completion_tokens": 96,
    "completion_time": 0.174545455,
    "total_tokens": 283,
    "total_time": 0.183658537,
}
COMPLETION_ID = "chatcmpl-0d6b3f1e-4a7c-4e29-b8d5-9c2e1f7a3b60"
REQUEST_ID = "req_01kmz7b00k5tructur3d0000x"
CALL_ID = "b8k2m4q6s"


# --- Groq-framed bodies ----------------------------------------------------------------


def _envelope(choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": COMPLETION_ID,
        "object": "chat.completion.chunk",
        "created": 1771004000,
        "model": MODEL,
        "system_fingerprint": "fp_6e2b9d4a17",
        "choices": choices,
    }


def _choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
    return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]


def answer_body(
    fragments: Sequence[str],
    mode: Mode,
    *,
    text_before: Sequence[str] = (),
    finish: str | None = None,
    trailer: bool = False,
    name: str = "Book",
) -> bytes:
    """The stream Groq would send for a JSON answer cut into ``fragments``.

    Tool mode: one fragment is Groq's whole call in one delta; several are OpenAI-style
    (a header with empty arguments, then one delta per fragment). JSON mode: one content
    delta per fragment.
    """
    tool = mode == "tool"
    first = _envelope(
        _choice({"role": "assistant", "content": None if tool and not text_before else ""})
    )
    first["x_groq"] = {"id": REQUEST_ID, "seed": 553190827}
    payloads = [first, *(_envelope(_choice({"content": t})) for t in text_before)]
    if not tool:
        payloads += [_envelope(_choice({"content": f})) for f in fragments]
    elif len(fragments) == 1:
        function = {"name": name, "arguments": fragments[0]}
        call = {"id": CALL_ID, "type": "function", "function": function, "index": 0}
        payloads.append(_envelope(_choice({"tool_calls": [call]})))
    else:
        head = {
            "index": 0,
            "id": CALL_ID,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        payloads.append(_envelope(_choice({"tool_calls": [head]})))
        for piece in fragments:
            delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            payloads.append(_envelope(_choice(delta)))
    last = _envelope(_choice({}, finish or ("tool_calls" if tool else "stop")))
    last["x_groq"] = {"id": REQUEST_ID, "usage": USAGE}
    last["usage"] = USAGE
    payloads.append(last)
    if trailer:
        tail = _envelope([])
        tail["usage"] = USAGE
        tail["service_tier"] = "on_demand"
        payloads.append(tail)
    return ("".join(f"data: {go_json(p)}\n\n" for p in payloads) + "data: [DONE]\n\n").encode()


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def two_way(text: str, offset: int) -> list[str]:
    return [p for p in (text[:offset], text[offset:]) if p]


# --- running structured streams --------------------------------------------------------

AnyStructured = StructuredStream[Book] | AsyncStructuredStream[Book]


def offline(body: bytes, is_async: bool, json_mode: bool) -> AnyStructured:
    """The real pipeline over an in-memory body (no socket): Stream -> GroqStream -> ..."""
    request = httpx.Request("POST", "http://groq.test/openai/v1/chat/completions")
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=body, request=request
    )
    messages = [{"role": "user", "content": PROMPT}]
    if is_async:
        astream = AsyncGroqStream(AsyncStream(response), messages=messages, model=MODEL)
        return AsyncStructuredStream(astream, Book, json_mode)
    stream = GroqStream(Stream(response), messages=messages, model=MODEL)
    return StructuredStream(stream, Book, json_mode)


async def collect(structured: AnyStructured) -> list[Book]:
    if isinstance(structured, AsyncStructuredStream):
        return [book async for book in structured]
    return list(structured)


async def collect_until_error(structured: AnyStructured) -> tuple[list[Book], BaseException]:
    books: list[Book] = []
    try:
        if isinstance(structured, AsyncStructuredStream):
            async for book in structured:
                books.append(book)
        else:
            for book in structured:
                books.append(book)
    except Exception as exc:
        return books, exc
    pytest.fail(f"no error; yielded {books!r}")


def partials_from(fragments: Sequence[str]) -> list[Book]:
    """The oracle: the same fragments fed straight to PartialStream."""
    partial = PartialStream(Book)
    return [p for p in map(partial.feed, fragments) if p is not None]


# --- invariants ------------------------------------------------------------------------


def grows(before: Any, after: Any) -> bool:
    """Whether the partial value ``after`` extends ``before`` (strings grow, rest fixed)."""
    if before is None:
        return True
    if isinstance(before, str):
        return isinstance(after, str) and after.startswith(before)
    if isinstance(before, BaseModel):
        return type(after) is type(before) and all(
            grows(getattr(before, name), getattr(after, name)) for name in type(before).model_fields
        )
    if isinstance(before, list):
        if not isinstance(after, list) or len(after) < len(before):
            return False
        if not before:
            return True
        # Only the last element of `before` may still have been arriving.
        done = len(before) - 1
        return before[:done] == after[:done] and grows(before[-1], after[done])
    return bool(before == after and type(before) is type(after))


def check_partials(partials: Sequence[Book], final: Book) -> list[str]:
    """Every invariant of a partial sequence; returns what failed (empty if all hold)."""
    problems: list[str] = []
    for i, part in enumerate(partials):
        if not isinstance(part, Book):
            problems.append(f"#{i} is {type(part).__name__}, not Book")
            continue
        if part.author is not None and not isinstance(part.author, Author):
            problems.append(f"#{i} author is {type(part.author).__name__}")
        if part.chapters is not None and not all(isinstance(c, Chapter) for c in part.chapters):
            problems.append(f"#{i} chapters are not Chapter instances")
        if not grows(part, final):
            problems.append(f"#{i} is not a prefix of the final answer: {part!r}")
        # Numbers only once complete: never 196 for 1965, never 4.2 for 4.25.
        if part.year not in (None, 1965) or part.rating not in (None, 4.25):
            problems.append(f"#{i} truncated number: {part!r}")
        if part.author is not None and part.author.born not in (None, 1920):
            problems.append(f"#{i} truncated author.born: {part.author!r}")
        for chapter in part.chapters or ():
            if chapter.pages not in (None, 92, 104):
                problems.append(f"#{i} truncated pages: {chapter!r}")
        if part.in_print not in (None, True) or part.isbn is not None:
            problems.append(f"#{i} literal not complete: {part!r}")
        if i and partials[i - 1] == part:
            problems.append(f"#{i} repeats #{i - 1}: {part!r}")
        if i and not grows(partials[i - 1], part):
            problems.append(f"#{i} does not extend #{i - 1}: {partials[i - 1]!r} -> {part!r}")
    return problems


def _complete_in(prefix: str, member: str) -> bool:
    """Whether ``member`` (e.g. ``"year":1965``) is in ``prefix`` and delimited after it."""
    at = prefix.find(member)
    return at >= 0 and len(prefix) > at + len(member)


def check_first_partial(prefix: str, first: Book) -> list[str]:
    """The partial built from exactly ``prefix`` (compact BOOK_JSON) shows what it must."""
    problems = []
    expect_year = 1965 if _complete_in(prefix, '"year":1965') else None
    if first.year != expect_year:
        problems.append(f"year {first.year!r}, expected {expect_year!r}")
    expect_rating = 4.25 if _complete_in(prefix, '"rating":4.25') else None
    if first.rating != expect_rating:
        problems.append(f"rating {first.rating!r}, expected {expect_rating!r}")
    # A literal is complete with its last letter.
    expect_in_print = True if '"in_print":true' in prefix else None
    if first.in_print is not expect_in_print:
        problems.append(f"in_print {first.in_print!r}, expected {expect_in_print!r}")
    if ("isbn" in first.model_fields_set) != ('"isbn":null' in prefix):
        problems.append(f"isbn started={'isbn' in first.model_fields_set} at {prefix!r}")
    if (first.title is None) == ('"title":"' in prefix):
        problems.append(f"title {first.title!r} at {prefix!r}")
    if (first.chapters is None) == ('"chapters":[' in prefix):
        problems.append(f"chapters {first.chapters!r} at {prefix!r}")
    return problems


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
def flavor(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


class Caller:
    """``groq_call`` with ``response_model=Book`` through a loopback server, sync or async."""

    def __init__(self, flavor: str, server: GroqServer) -> None:
        self.is_async = flavor == "async"
        self.server = server
        # Loopback only: no TLS, so no certificate store to load.
        self._http = httpx.Client(verify=False)
        self._ahttp = httpx.AsyncClient(verify=False)
        self.client = Groq(api_key="test", base_url=server.base_url, http_client=self._http)
        self.aclient = AsyncGroq(api_key="test", base_url=server.base_url, http_client=self._ahttp)

    async def stream(
        self,
        *,
        json_mode: bool = False,
        tools: Sequence[Any] | None = None,
        structured: StructuredMode | None = "tool",
    ) -> AnyStructured:
        # Tool mode unless told otherwise: these tests predate text mode, the stream default.
        if json_mode and structured == "tool":
            structured = None
        if self.is_async:

            @groq_call(
                MODEL,
                stream=True,
                response_model=Book,
                json_mode=json_mode,
                tools=tools,
                client=self.aclient,
                structured=structured,
            )
            async def recommend_async(genre: str) -> str:
                return f"Recommend a {genre} book."

            return await recommend_async("science fiction")

        @groq_call(
            MODEL,
            stream=True,
            response_model=Book,
            json_mode=json_mode,
            tools=tools,
            client=self.client,
            structured=structured,
        )
        def recommend(genre: str) -> str:
            return f"Recommend a {genre} book."

        return recommend("science fiction")

    async def extract(self, *, json_mode: bool = False, tools: Sequence[Any] | None = None) -> Book:
        if self.is_async:

            @groq_call(
                MODEL, response_model=Book, json_mode=json_mode, tools=tools, client=self.aclient
            )
            async def recommend_async(genre: str) -> str:
                return f"Recommend a {genre} book."

            return await recommend_async("science fiction")

        @groq_call(MODEL, response_model=Book, json_mode=json_mode, tools=tools, client=self.client)
        def recommend(genre: str) -> str:
            return f"Recommend a {genre} book."

        return recommend("science fiction")

    async def close(self) -> None:
        self.client.close()
        await self.aclient.close()
        self._http.close()
        await self._ahttp.aclose()


@pytest.fixture
def book_server() -> Iterator[GroqServer]:
    with GroqServer() as server:
        yield server


@pytest.fixture
async def caller(flavor: str, book_server: GroqServer) -> AsyncIterator[Caller]:
    runner = Caller(flavor, book_server)
    yield runner
    await runner.close()
    assert book_server.errors == []
    assert book_server.pending == 0


pytestmark = pytest.mark.anyio


# --- every split offset, both modes (no sockets) ---------------------------------------


@pytest.mark.parametrize("answer", list(ANSWERS))
async def test_every_two_way_split_both_modes_identical(flavor: str, answer: str) -> None:
    text = ANSWERS[answer]
    expected = Book.model_validate_json(text)
    problems: list[str] = []
    for offset in range(len(text) + 1):
        fragments = two_way(text, offset)
        runs: dict[Mode, list[Book]] = {}
        for mode in ("tool", "json"):
            structured = offline(answer_body(fragments, mode), flavor == "async", mode == "json")
            books = await collect(structured)
            runs[mode] = books
            *partials, final = books
            where = f"offset {offset} ({mode})"
            if type(final) is not Book or final != expected:
                problems.append(f"{where}: final {final!r}")
            if structured.final is not final or structured.raw != text:
                problems.append(f"{where}: .final/.raw not kept")
            problems += [f"{where}: {p}" for p in check_partials(partials, expected)]
            if partials != partials_from(fragments):
                problems.append(f"{where}: partials differ from PartialStream's")
            if answer == "compact" and 0 < offset < len(text):
                problems += [f"{where}: {p}" for p in check_first_partial(text[:offset], books[0])]
        if runs["tool"] != runs["json"]:
            problems.append(f"offset {offset}: tool {runs['tool']!r} != json {runs['json']!r}")
    assert problems == []


async def test_one_character_per_fragment_both_modes_identical(flavor: str) -> None:
    fragments = list(BOOK_JSON)
    runs: dict[Mode, list[Book]] = {}
    for mode in ("tool", "json"):
        body = answer_body(fragments, mode)
        books = await collect(offline(body, flavor == "async", mode == "json"))
        runs[mode] = books
        *partials, final = books
        assert final == BOOK
        assert check_partials(partials, BOOK) == []
        assert partials == partials_from(fragments)
    assert runs["tool"] == runs["json"]

    partials = runs["tool"][:-1]
    # Each number appears once, whole; each string grows one character at a time.
    assert next(p.year for p in partials if p.year is not None) == 1965
    assert sorted({p.year for p in partials if p.year is not None}) == [1965]
    # The title grows one decoded character at a time, escapes (\", \u2014) included:
    # never a half escape, never a skipped character.
    titles = list(dict.fromkeys(p.title for p in partials if p.title is not None))
    assert titles == [BOOK.title[:n] for n in range(len(BOOK.title) + 1)]
    chapter_counts = [len(p.chapters) for p in partials if p.chapters is not None]
    assert chapter_counts[0] == 0
    assert chapter_counts[-1] == 2
    assert chapter_counts == sorted(chapter_counts)
    assert [p.tags for p in partials if p.tags][:2] == [[""], ["s"]]
    # The last partial already holds the whole answer (unvalidated), equal to the final.
    assert partials[-1] == BOOK


async def test_fields_fill_in_order_nested_and_lists(flavor: str) -> None:
    fragments = pieces(BOOK_JSON, 11)
    books = await collect(offline(answer_body(fragments, "json"), flavor == "async", True))
    *partials, final = books
    assert final == BOOK
    first = partials[0]
    # Nothing but the title has started: every other field is None, not its default.
    assert first.title is not None
    # (Partials are typed as Book, whose fields are not Optional: read them untyped.)
    started: dict[str, object] = dict(first)
    assert [started[k] for k in ("author", "year", "tags", "chapters")] == [None] * 4
    assert first.model_fields_set == {"title"}
    with_author = next(p for p in partials if p.author is not None)
    assert isinstance(with_author.author, Author)
    assert with_author.author.born is None
    with_chapter = next(p for p in partials if p.chapters)
    assert isinstance(with_chapter.chapters[0], Chapter)
    assert with_chapter.chapters[0].pages is None
    # Nested values grow in place across partials and end at the final values.
    assert [c.title for c in partials[-1].chapters] == ["Arrakis", "Muad'Dib"]
    assert check_partials(partials, BOOK) == []


# --- through groq_call and the server --------------------------------------------------


@pytest.mark.parametrize("mode", ["tool", "json"])
async def test_structured_stream_over_the_server(caller: Caller, mode: Mode) -> None:
    fragments = pieces(BOOK_JSON, 9)
    caller.server.enqueue(SSEReply(answer_body(fragments, mode, trailer=True)))
    structured = await caller.stream(json_mode=mode == "json")
    if caller.is_async:
        assert isinstance(structured, AsyncStructuredStream)
    else:
        assert isinstance(structured, StructuredStream)
    with pytest.raises(StreamNotConsumedError):
        structured.construct_call_response()

    books = await collect(structured)
    *partials, final = books
    assert final == BOOK
    assert partials == partials_from(fragments)
    assert check_partials(partials, BOOK) == []
    assert structured.final is final
    assert structured.partial is partials[-1]
    assert structured.raw == BOOK_JSON
    assert structured.content == ("" if mode == "tool" else BOOK_JSON)

    # What a GroqStream exposes: usage (once, despite three copies), cost, timing, ids.
    assert structured.usage is not None
    assert structured.usage.total_tokens == 283
    assert (structured.input_tokens, structured.output_tokens) == (187, 96)
    assert structured.cost == pytest.approx((187 * 0.59 + 96 * 0.79) / 1e6)
    assert structured.cost_metadata.cost == structured.cost
    assert structured.model == MODEL
    assert structured.id == COMPLETION_ID
    assert structured.finish_reasons == ["tool_calls" if mode == "tool" else "stop"]
    assert structured.end_time is not None
    assert structured.start_time <= structured.end_time

    response = structured.construct_call_response()
    assert isinstance(response, GroqCallResponse)
    assert response.usage is not None
    assert response.usage.queue_time == pytest.approx(0.020114571)
    assert response.cost == structured.cost
    assert response.id == COMPLETION_ID
    if mode == "tool":
        assert response.content == ""
        (call,) = response.tool_calls
        assert (call.id, call.function.name, call.function.arguments) == (
            CALL_ID,
            "Book",
            BOOK_JSON,
        )
    else:
        assert response.content == BOOK_JSON
        assert response.tool_calls == []


@pytest.mark.parametrize("mode", ["tool", "json"])
async def test_script_builder_answers_give_the_same_partials(caller: Caller, mode: Mode) -> None:
    if mode == "tool":
        reply = script(tool_calls=[ToolCall("Book", BOOK_JSON, CALL_ID)], fragment_arguments=6)
    else:
        reply = script(pieces(BOOK_JSON, 6))
    caller.server.enqueue(reply)
    books = await collect(await caller.stream(json_mode=mode == "json"))
    assert books[:-1] == partials_from(pieces(BOOK_JSON, 6))
    assert books[-1] == BOOK


async def test_request_body_tool_mode(caller: Caller) -> None:
    caller.server.enqueue(SSEReply(answer_body([BOOK_JSON], "tool")))
    books = await collect(await caller.stream())
    assert books[-1] == BOOK
    (request,) = caller.server.requests
    body = request.body
    assert body["messages"] == [{"role": "user", "content": "Recommend a science fiction book."}]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Book"}}
    (tool,) = body["tools"]
    assert tool["type"] == "function"
    assert tool["function"]["name"] == "Book"
    assert tool["function"]["description"] == "A book recommendation."
    parameters = tool["function"]["parameters"]
    assert parameters["type"] == "object"
    assert parameters["required"] == [
        "title",
        "author",
        "year",
        "rating",
        "in_print",
        "isbn",
        "tags",
        "chapters",
    ]
    assert parameters["properties"]["title"] == {"description": "The full title", "type": "string"}
    assert parameters["properties"]["year"] == {"type": "integer"}
    assert "response_format" not in body
    assert body["stream"] is True


async def test_request_body_json_mode(caller: Caller) -> None:
    caller.server.enqueue(SSEReply(answer_body([BOOK_JSON], "json")))
    books = await collect(await caller.stream(json_mode=True))
    assert books[-1] == BOOK
    (request,) = caller.server.requests
    body = request.body
    assert body["response_format"] == {"type": "json_object"}
    assert "tools" not in body
    assert "tool_choice" not in body
    # Mirascope's JSON instruction, with the schema, ends the last user message.
    (user,) = [m for m in body["messages"] if m["role"] == "user"]
    question, instruction = user["content"].split("\n\n", 1)
    assert question == "Recommend a science fiction book."
    head = "For your final response, output ONLY a valid JSON dict (NOT THE SCHEMA) from the "
    assert instruction.startswith(head + "content that adheres to this schema:\n")
    schema = json.loads(instruction.split("schema:\n", 1)[1])
    # The same schema the forced tool carries in tool mode, so both modes ask alike.
    assert schema == tool_from(Book).tool_schema()["function"]["parameters"]
    assert set(schema["properties"]) == set(Book.model_fields)
    assert schema["properties"]["author"] == {"$ref": "#/$defs/Author"}
    assert body["stream"] is True


@pytest.mark.parametrize("mode", ["tool", "json"])
async def test_invalid_final_json_raises_structured_output_error(
    caller: Caller, mode: Mode
) -> None:
    bad = BOOK_JSON.replace('"year":1965', '"year":"MCMLXV"').replace(',"isbn":null', "")
    fragments = pieces(bad, 17)
    caller.server.enqueue(SSEReply(answer_body(fragments, mode)))
    structured = await caller.stream(json_mode=mode == "json")
    books, error = await collect_until_error(structured)

    assert isinstance(error, StructuredOutputError)
    assert error.raw == bad
    failed = {(e["loc"], e["type"]) for e in error.errors}
    assert failed == {(("year",), "int_parsing"), (("isbn",), "missing")}
    # The partials came first, as usual (the year string shows as it arrives).
    assert books
    assert all(isinstance(b, Book) for b in books)
    assert books == partials_from(fragments)
    assert structured.final is None
    # The stream itself ended normally: its response is available.
    assert structured.construct_call_response().usage is not None


@pytest.mark.parametrize("mode", ["tool", "json"])
async def test_truncated_json_raises_structured_output_error(caller: Caller, mode: Mode) -> None:
    cut = BOOK_JSON[:120]
    caller.server.enqueue(SSEReply(answer_body(pieces(cut, 10), mode, finish="length")))
    books, error = await collect_until_error(await caller.stream(json_mode=mode == "json"))
    assert isinstance(error, StructuredOutputError)
    assert error.raw == cut
    assert error.errors == []
    assert books == partials_from(pieces(cut, 10))


@pytest.mark.parametrize("mode", ["tool", "json"])
async def test_non_stream_response_model_returns_the_model(caller: Caller, mode: Mode) -> None:
    if mode == "tool":
        caller.server.enqueue(script(tool_calls=[ToolCall("Book", BOOK_JSON, CALL_ID)]))
    else:
        caller.server.enqueue(script(BOOK_PRETTY))
    book = await caller.extract(json_mode=mode == "json")
    assert type(book) is Book
    assert book == (BOOK if mode == "tool" else Book.model_validate_json(BOOK_PRETTY))
    (request,) = caller.server.requests
    assert "stream" not in request.body or request.body["stream"] is False
    if mode == "tool":
        assert request.body["tool_choice"] == {"type": "function", "function": {"name": "Book"}}
    else:
        assert request.body["response_format"] == {"type": "json_object"}


async def test_non_stream_invalid_json_raises(caller: Caller) -> None:
    caller.server.enqueue(script('{"title": "Dune", "year": 1965}'))
    with pytest.raises(StructuredOutputError) as info:
        await caller.extract(json_mode=True)
    assert info.value.raw == '{"title": "Dune", "year": 1965}'
    missing = {e["loc"][0] for e in info.value.errors if e["type"] == "missing"}
    assert missing == {"author", "rating", "in_print", "isbn", "tags", "chapters"}


async def test_output_parser_applies_to_non_stream_calls(caller: Caller) -> None:
    caller.server.enqueue(script("Dune, by Frank Herbert."))

    def shout(response: GroqCallResponse) -> str:
        return response.content.upper()

    if caller.is_async:

        @groq_call(MODEL, output_parser=shout, client=caller.aclient)
        async def recommend_async() -> str:
            return PROMPT

        result = await recommend_async()
    else:

        @groq_call(MODEL, output_parser=shout, client=caller.client)
        def recommend() -> str:
            return PROMPT

        result = recommend()
    assert result == "DUNE, BY FRANK HERBERT."
    (request,) = caller.server.requests
    assert request.body["messages"] == [{"role": "user", "content": PROMPT}]


async def test_closing_early(caller: Caller) -> None:
    caller.server.enqueue(SSEReply(answer_body(pieces(BOOK_JSON, 9), "json")))
    structured = await caller.stream(json_mode=True)
    if isinstance(structured, AsyncStructuredStream):
        async with structured:
            partials = structured.__aiter__()
            first = await partials.__anext__()
            await partials.aclose()  # type: ignore[attr-defined]
    else:
        with structured:
            first = next(iter(structured))
    assert isinstance(first, Book)
    assert structured.final is None
    with pytest.raises(StreamNotConsumedError):
        structured.construct_call_response()


async def test_async_structured_stream_has_aclose(book_server: GroqServer) -> None:
    caller = Caller("async", book_server)
    book_server.enqueue(SSEReply(answer_body([BOOK_JSON], "json")))
    structured = await caller.stream(json_mode=True)
    assert isinstance(structured, AsyncStructuredStream)
    try:
        await structured.aclose()
        with pytest.raises(StreamNotConsumedError):
            structured.construct_call_response()
    finally:
        await structured.close()
        await caller.close()


def test_output_parser_is_refused_for_streams() -> None:
    with pytest.raises(TypeError):
        groq_call(MODEL, stream=True, output_parser=str)  # type: ignore[call-overload]


async def test_leading_fence_in_json_mode(flavor: str) -> None:
    fragments = ["```json\n", *pieces(BOOK_JSON, 13), "\n```"]
    books = await collect(offline(answer_body(fragments, "json"), flavor == "async", True))
    assert books[-1] == BOOK
    assert check_partials(books[:-1], BOOK) == []


async def test_whole_call_in_one_delta_gives_one_partial_then_final(flavor: str) -> None:
    # Groq's real shape for a forced tool call: the JSON arrives whole.
    books = await collect(offline(answer_body([BOOK_JSON], "tool"), flavor == "async", False))
    assert books == [BOOK, BOOK]
    assert type(books[-1]) is Book


# --- regressions (bugs found by this file, fixed in c032b99) ---------------------------


async def test_response_model_together_with_tools(caller: Caller) -> None:
    caller.server.enqueue(SSEReply(answer_body(pieces(BOOK_JSON, 20), "tool")))
    structured = await caller.stream(tools=[get_weather])
    (request,) = caller.server.requests
    assert [t["function"]["name"] for t in request.body["tools"]] == ["get_weather", "Book"]
    try:
        books = await collect(structured)
    except ToolCallError as exc:  # the bug: the forced Book call was "not offered"
        pytest.fail(f"ToolCallError: {exc}")
    assert books[-1] == BOOK


async def test_tool_mode_ignores_text_before_the_call(flavor: str) -> None:
    text = ["I'll fill in the {Book} tool", " for you."]
    body = answer_body(pieces(BOOK_JSON, 20), "tool", text_before=text)
    structured = offline(body, flavor == "async", False)
    books = await collect(structured)
    assert books[-1] == BOOK
    assert structured.raw == BOOK_JSON


async def test_tool_mode_text_without_braces_before_the_call(flavor: str) -> None:
    # The same, with text that holds no brace: skipped, the JSON still parses.
    body = answer_body(pieces(BOOK_JSON, 20), "tool", text_before=["Sure, here it is."])
    structured = offline(body, flavor == "async", False)
    books = await collect(structured)
    assert books[-1] == BOOK
    assert structured.content == "Sure, here it is."


TWO_CALLS = [
    ToolCall("get_weather", {"location": "Paris"}, "w1"),
    ToolCall("Book", BOOK_JSON, "b1"),
]


async def test_non_stream_tool_mode_picks_the_response_model_call(caller: Caller) -> None:
    # Another offered tool called first: the answer is the call named after the model.
    caller.server.enqueue(script(tool_calls=TWO_CALLS))
    assert await caller.extract(tools=[get_weather]) == BOOK


async def test_stream_tool_mode_picks_the_response_model_call(caller: Caller) -> None:
    caller.server.enqueue(script(tool_calls=TWO_CALLS))
    books = await collect(await caller.stream(tools=[get_weather]))
    assert books[-1] == BOOK
