"""Issue #11: Groq's strict JSON schema mode, the structured modes, and the loopback's checks.

Request bodies are read back from the loopback server field by field; every call runs
sync and async (``flavor``), streamed and not where it matters.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from enum import Enum
from typing import Any, Literal

import httpx
import pytest
from conftest import Flavor
from pydantic import BaseModel, ConfigDict, Field

from mirastream import BadRequestError, groq_call
from mirastream.groq import AsyncGroq, Groq
from mirastream.structured._strict_schema import (
    StrictSchemaError,
    strict_schema,
    strict_schema_problems,
)
from mirastream.testing import GroqServer, script
from mirastream.testing._checks import check_request

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-oss-20b"


class Genre(str, Enum):
    SF = "science fiction"
    FANTASY = "fantasy"


class Author(BaseModel):
    name: str
    born: int | None = None


class Book(BaseModel):
    """A book recommendation."""

    model_config = ConfigDict(strict=True)

    title: str = Field(description="The full title", min_length=1)
    author: Author
    genre: Genre
    format: Literal["paper", "ebook"] = "paper"
    tags: list[str] = []
    rating: float = Field(ge=0, le=5)


BOOK = {
    "title": "Dune",
    "author": {"name": "Frank Herbert", "born": 1920},
    "genre": "science fiction",
    "format": "paper",
    "tags": ["desert"],
    "rating": 4.5,
}
BOOK_JSON = json.dumps(BOOK, separators=(",", ":"))

AUTHOR_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "born": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    },
    "required": ["name", "born"],
    "additionalProperties": False,
}
BOOK_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "The full title"},
        "author": {"$ref": "#/$defs/Author"},
        "genre": {"$ref": "#/$defs/Genre"},
        "format": {"type": "string", "enum": ["paper", "ebook"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "rating": {"type": "number"},
    },
    "required": ["title", "author", "genre", "format", "tags", "rating"],
    "additionalProperties": False,
    "$defs": {
        "Author": AUTHOR_SCHEMA,
        "Genre": {"type": "string", "enum": ["science fiction", "fantasy"]},
    },
}


@pytest.fixture
async def server() -> AsyncIterator[GroqServer]:
    with GroqServer() as running:
        yield running
        assert running.errors == []


async def call(flavor: Flavor, server: GroqServer, **settings: Any) -> Any:
    """Run a prompt function decorated with ``settings`` (sync or async)."""
    model = settings.pop("model", MODEL)
    if flavor.is_async:
        async with httpx.AsyncClient(verify=False) as http:
            client = AsyncGroq(api_key="t", base_url=server.base_url, http_client=http)

            @groq_call(model, client=client, **settings)  # type: ignore[untyped-decorator]
            async def recommend_async(genre: str) -> str:
                return f"Recommend a {genre} book."

            result = await recommend_async("science fiction")
            if settings.get("stream"):
                return [item async for item in result], result
            return result
    with httpx.Client(verify=False) as sync_http:
        sync_client = Groq(api_key="t", base_url=server.base_url, http_client=sync_http)

        @groq_call(model, client=sync_client, **settings)  # type: ignore[untyped-decorator]
        def recommend(genre: str) -> str:
            return f"Recommend a {genre} book."

        result = recommend("science fiction")
        if settings.get("stream"):
            return list(result), result
        return result


def last_body(server: GroqServer) -> dict[str, Any]:
    body = server.requests[-1].body
    assert isinstance(body, dict)
    return body


# --- the schema ------------------------------------------------------------------------


def test_strict_schema_of_a_model() -> None:
    assert strict_schema(Book) == BOOK_SCHEMA
    assert strict_schema_problems(BOOK_SCHEMA) == []


def test_free_form_objects_cannot_be_strict() -> None:
    class Loose(BaseModel):
        scores: dict[str, int]

    with pytest.raises(StrictSchemaError, match="free-form object"):
        strict_schema(Loose)


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "array", "items": {"type": "string"}}, "root schema must be an object"),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            "additionalProperties must be false",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                "required": ["a"],
                "additionalProperties": False,
            },
            "every property must be required (missing: ['b'])",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string", "minLength": 2}},
                "required": ["a"],
                "additionalProperties": False,
            },
            "keyword 'minLength' is not supported",
        ),
    ],
)
def test_strict_schema_problems(schema: dict[str, Any], problem: str) -> None:
    assert any(problem in p for p in strict_schema_problems(schema))


# --- strict mode through groq_call -------------------------------------------------------


@pytest.mark.parametrize("settings", [{"json_mode": True}, {"structured": "strict"}])
async def test_strict_request_body_field_by_field(
    flavor: Flavor, server: GroqServer, settings: dict[str, Any]
) -> None:
    server.enqueue(script(BOOK_JSON, model=MODEL))
    book = await call(flavor, server, response_model=Book, **settings)
    assert book == Book.model_validate_json(BOOK_JSON)
    body = last_body(server)
    assert set(body) == {"messages", "model", "response_format"}
    assert body["model"] == MODEL
    # No schema in the prompt: constrained decoding follows response_format.
    assert body["messages"] == [{"role": "user", "content": "Recommend a science fiction book."}]
    fmt = body["response_format"]
    assert list(fmt) == ["type", "json_schema"]
    assert fmt["type"] == "json_schema"
    spec = fmt["json_schema"]
    assert list(spec) == ["name", "description", "schema", "strict"]
    assert spec["name"] == "Book"
    assert spec["description"] == "A book recommendation."
    assert spec["schema"] == BOOK_SCHEMA
    assert spec["strict"] is True


async def test_strict_mode_streams_partials(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script([BOOK_JSON[i : i + 7] for i in range(0, len(BOOK_JSON), 7)], model=MODEL))
    items, stream = await call(flavor, server, response_model=Book, json_mode=True, stream=True)
    *partials, final = items
    assert final == Book.model_validate_json(BOOK_JSON)
    assert len(partials) > 5
    assert any(p.title == "Dune" and p.author is None for p in partials)  # token by token
    assert last_body(server)["response_format"]["json_schema"]["strict"] is True
    assert last_body(server)["stream"] is True
    assert stream.usage is not None and stream.cost is not None


async def test_json_mode_without_strict_config_stays_json_object(
    flavor: Flavor, server: GroqServer
) -> None:
    server.enqueue(script(json.dumps({"name": "Ursula K. Le Guin", "born": 1929})))
    author = await call(flavor, server, response_model=Author, json_mode=True)
    assert author.born == 1929
    body = last_body(server)
    assert body["response_format"] == {"type": "json_object"}
    assert "adheres to this schema:" in body["messages"][-1]["content"]


async def test_text_mode_is_the_stream_default(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script(json.dumps({"name": "Ursula K. Le Guin", "born": 1929})))
    items, _ = await call(flavor, server, response_model=Author, stream=True)
    assert [a.name for a in items][-1] == "Ursula K. Le Guin"
    body = last_body(server)
    assert "response_format" not in body and "tools" not in body
    assert body["messages"][-1]["role"] == "user"  # Mirascope's JSON instruction, appended
    assert "adheres to this schema:" in body["messages"][-1]["content"]


async def test_explicit_tool_mode_for_a_stream(flavor: Flavor, server: GroqServer) -> None:
    from mirastream.testing import ToolCall

    server.enqueue(script(tool_calls=[ToolCall("Author", {"name": "N. K. Jemisin", "born": 1972})]))
    items, _ = await call(flavor, server, response_model=Author, stream=True, structured="tool")
    assert items[-1].born == 1972
    assert last_body(server)["tool_choice"] == {"type": "function", "function": {"name": "Author"}}


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="structured must be one of"):
        groq_call(MODEL, response_model=Author, structured="yaml")  # type: ignore[call-overload]


# --- the loopback server refuses what Groq refuses ----------------------------------------


def bad_bodies() -> list[tuple[str, Any, str]]:
    tool = {"type": "function", "function": {"name": "ok", "parameters": {"type": "object"}}}
    loose = {"type": "object", "properties": {"a": {"type": "string"}}}
    return [
        ("n", {"n": 2}, "'n' : number must be at most 1"),
        ("json", {"response_format": {"type": "json_object"}}, "must contain the word 'json'"),
        ("many-tools", {"tools": [tool] * 129}, "maximum number of items is 128"),
        (
            "tool-name",
            {"tools": [{"type": "function", "function": {"name": "get weather"}}]},
            "'tools.0.function.name' : string does not match pattern",
        ),
        (
            "strict",
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": loose, "strict": True},
                }
            },
            "additionalProperties must be false",
        ),
    ]


@pytest.mark.parametrize(("name", "extra", "message"), bad_bodies(), ids=lambda v: str(v)[:10])
@pytest.mark.parametrize("stream", [False, True])
async def test_loopback_refuses_like_groq(
    flavor: Flavor, server: GroqServer, name: str, extra: dict[str, Any], message: str, stream: bool
) -> None:
    server.enqueue(script("never served"))
    kwargs: dict[str, Any] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": stream,
        **extra,
    }
    with pytest.raises(BadRequestError) as caught:
        if flavor.is_async:
            async with AsyncGroq(api_key="t", base_url=server.base_url, max_retries=0) as client:
                await client.chat.completions.create(**kwargs)
        else:
            with Groq(api_key="t", base_url=server.base_url, max_retries=0) as sync_client:
                sync_client.chat.completions.create(**kwargs)
    error = caught.value
    assert error.status_code == 400
    assert error.type == "invalid_request_error"
    assert message in error.message
    assert isinstance(error.body, dict) and set(error.body) == {"error"}
    assert server.pending == 1  # Groq would not have answered it: the reply stays queued
    server.clear()


async def test_checks_switch_off(flavor: Flavor) -> None:
    with GroqServer(check_requests=False) as server:
        server.enqueue(script("served"))
        async with AsyncGroq(api_key="t", base_url=server.base_url) as client:
            completion = await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "hi"}], n=3
            )
        assert completion.choices[0].message.content == "served"


def test_json_word_in_content_parts_counts() -> None:
    parts = [{"type": "text", "text": "Answer in JSON."}]
    body = {
        "messages": [{"role": "user", "content": parts}],
        "response_format": {"type": "json_object"},
    }
    assert check_request(body) is None
