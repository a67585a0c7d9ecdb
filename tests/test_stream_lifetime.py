"""Who closes a stream's response, and when: no reference cycles, no early closes.

A ``Stream`` and its generator share a guard that closes the response once neither is
left; these tests pin the patterns that broke while getting that right.
"""

from __future__ import annotations

import gc
from pathlib import Path

import httpx
import pytest

from mirastream.groq import AsyncGroq, Groq

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "fixtures"
    / "groq_sse"
    / "01_text_xgroq_usage.sse"
)
CONTENT = 'Olá! In French, it\'s "Bonjour".'
MODEL = "llama-3.1-8b-instant"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _responses() -> tuple[list[httpx.Response], httpx.MockTransport]:
    made: list[httpx.Response] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(
            200, content=FIXTURE.read_bytes(), headers={"content-type": "text/event-stream"}
        )
        made.append(response)
        return response

    return made, httpx.MockTransport(handler)


def test_a_temporary_stream_iterates_to_the_end() -> None:
    # The Stream object is dropped right after iter(): its generator must still read.
    _, transport = _responses()
    client = Groq(api_key="k", http_client=httpx.Client(transport=transport))
    parts = [
        chunk.choices[0].delta.content or ""
        for chunk in client.chat.completions.create(
            messages=[{"role": "user", "content": "hi"}], model=MODEL, stream=True
        )
        if chunk.choices
    ]
    assert "".join(parts) == CONTENT


@pytest.mark.anyio
async def test_a_temporary_async_stream_iterates_to_the_end() -> None:
    _, transport = _responses()
    client = AsyncGroq(api_key="k", http_client=httpx.AsyncClient(transport=transport))
    parts = [
        chunk.choices[0].delta.content or ""
        async for chunk in await client.chat.completions.create(
            messages=[{"role": "user", "content": "hi"}], model=MODEL, stream=True
        )
        if chunk.choices
    ]
    assert "".join(parts) == CONTENT


def test_streams_are_freed_without_the_garbage_collector() -> None:
    # No reference cycle: dropping a stream (started or not, or just its iterator)
    # closes its response at once, with the cyclic collector switched off.
    made, transport = _responses()
    client = Groq(api_key="k", http_client=httpx.Client(transport=transport))
    gc.disable()
    try:
        stream = client.chat.completions.create(
            messages=[{"role": "user", "content": "hi"}], model=MODEL, stream=True
        )
        del stream
        stream = client.chat.completions.create(
            messages=[{"role": "user", "content": "hi"}], model=MODEL, stream=True
        )
        next(iter(stream))
        del stream
        iterator = iter(
            client.chat.completions.create(
                messages=[{"role": "user", "content": "hi"}], model=MODEL, stream=True
            )
        )
        del iterator
    finally:
        gc.enable()
    assert len(made) == 3
    assert all(response.is_closed for response in made)
