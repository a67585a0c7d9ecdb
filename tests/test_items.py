"""Issue #11 (4): a list-shaped ``response_model`` gives each finished item once, promptly."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from conftest import Flavor
from pydantic import BaseModel

from mirastream import groq_call
from mirastream.groq import AsyncGroq, Groq
from mirastream.structured._partial import PartialStream
from mirastream.structured._partial_items import ItemTracker
from mirastream.testing import GroqServer, script

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"


class Book(BaseModel):
    title: str
    year: int


class Shelf(BaseModel):
    """Books on a shelf."""

    books: list[Book]


class Report(BaseModel):
    books: list[Book]
    summary: str


BOOKS: list[dict[str, Any]] = [{"title": f"Book {i}", "year": 1950 + i} for i in range(6)]
SHELF_JSON = json.dumps({"books": BOOKS})


def pieces(text: str, size: int = 5) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.fixture
async def server() -> AsyncIterator[GroqServer]:
    with GroqServer() as running:
        yield running
        assert running.errors == []
        assert running.pending == 0


async def stream_of(flavor: Flavor, server: GroqServer, model: type[BaseModel]) -> Any:
    if flavor.is_async:
        client = AsyncGroq(api_key="t", base_url=server.base_url, http_client=httpx.AsyncClient())

        @groq_call(MODEL, stream=True, response_model=model, client=client)
        async def shelve_async() -> str:
            return "List six books."

        return await shelve_async()
    sync_client = Groq(api_key="t", base_url=server.base_url, http_client=httpx.Client())

    @groq_call(MODEL, stream=True, response_model=model, client=sync_client)
    def shelve() -> str:
        return "List six books."

    return shelve()


async def test_items_arrive_once_as_they_complete(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script(pieces(SHELF_JSON)))
    stream = await stream_of(flavor, server, Shelf)
    # Record how much JSON had arrived when each item came out.
    seen: list[tuple[Book, str]] = []
    if flavor.is_async:
        async for item in stream.items():
            seen.append((item, stream.raw))
    else:
        for item in stream.items():
            seen.append((item, stream.raw))
    assert [item for item, _ in seen] == [Book(**b) for b in BOOKS]
    assert all(type(item) is Book for item, _ in seen)
    # Each of the first five came out as soon as the next one started, long before the end.
    for i, (_, raw) in enumerate(seen[:-1]):
        assert raw.count("{") == i + 3  # the shelf, items 0..i, and item i + 1 just begun
    assert stream.final == Shelf.model_validate_json(SHELF_JSON)
    assert stream.completed_items == [Book(**b) for b in BOOKS]


async def test_completed_items_next_to_partials(flavor: Flavor, server: GroqServer) -> None:
    server.enqueue(script(pieces(SHELF_JSON, 3)))
    stream = await stream_of(flavor, server, Shelf)
    counts: list[int] = []
    if flavor.is_async:
        async for _ in stream:
            counts.append(len(stream.completed_items))
    else:
        for _ in stream:
            counts.append(len(stream.completed_items))
    assert counts == sorted(counts)  # grows, never shrinks
    assert set(counts) == set(range(7))  # one at a time
    assert counts[-1] == 6


def test_a_later_field_closes_the_list() -> None:
    text = json.dumps({"books": BOOKS[:2], "summary": "Two books."})
    partial = PartialStream(Report)
    tracker = ItemTracker(Report)
    handed: list[list[Book]] = []
    for fragment in pieces(text, 4):
        value = partial.feed(fragment)
        if value is not None:
            handed.append(tracker.update(value))
            if value.summary is not None:
                break
    # The second book came out when "summary" started, before the object closed.
    assert [b for batch in handed for b in batch] == [Book(**b) for b in BOOKS[:2]]
    assert not partial.complete


def test_an_invalid_item_stops_the_hand_out() -> None:
    text = json.dumps({"books": [{"title": "A", "year": "soon"}, {"title": "B", "year": 1}]})
    partial = PartialStream(Shelf)
    tracker = ItemTracker(Shelf)
    for fragment in pieces(text, 4):
        value = partial.feed(fragment)
        assert tracker.update(value) == []


def test_items_need_a_list_shaped_model() -> None:
    with pytest.raises(TypeError, match="not list-shaped"):
        ItemTracker(Book)
