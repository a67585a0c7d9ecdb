"""Cassettes: record through a real client, replay through another server, compare bytes.

Everything runs against loopback ``GroqServer``s: one plays Groq while recording, a
second one replays the cassette.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from conftest import FIXTURE_NAMES, FIXTURES_DIR

from mirastream._fold import StreamFold
from mirastream.errors import (
    APIStreamError,
    NotFoundError,
    RateLimitError,
    StreamError,
)
from mirastream.groq import AsyncGroq, ChunkDecoder, Groq
from mirastream.testing import (
    ErrorReply,
    GroqServer,
    RecordingTransport,
    SSEReply,
    forward,
    load_cassette,
    record,
    replay,
    script,
)

KEY = "gsk_live_cassette_SECRET_0123456789abcdef"
MODEL = "llama-3.3-70b-versatile"
CHAT = "/openai/v1/chat/completions"


def ask(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


def fold_bytes(body: bytes) -> dict[str, Any]:
    """What a body folds to, through the library's own sans-IO pieces."""
    decoder, fold = ChunkDecoder(), StreamFold()
    for chunk in decoder.feed(body):
        fold.add(chunk)
    decoder.end()
    fold.end()
    usage = fold.usage
    return {
        "content": fold.content,
        "reasoning": fold.reasoning,
        "tool_calls": [call.to_dict() for call in fold.tool_calls],
        "finish_reasons": fold.finish_reasons,
        "usage": None if usage is None else usage.to_dict(),
        "error": None if decoder.error is None else repr(decoder.error.body),
    }


def fold_stream(client: Groq, text: str = "hi") -> dict[str, Any]:
    """Stream one call through the low-level client and fold what it yields."""
    fold = StreamFold()
    error = None
    try:
        for chunk in client.chat.completions.create(messages=ask(text), model=MODEL, stream=True):
            fold.add(chunk)
    except StreamError as exc:
        error = repr(exc.body)
    usage = fold.usage
    return {
        "content": fold.content,
        "reasoning": fold.reasoning,
        "tool_calls": [call.to_dict() for call in fold.tool_calls],
        "finish_reasons": fold.finish_reasons,
        "usage": None if usage is None else usage.to_dict(),
        "error": error,
    }


def files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def assert_no_key(directory: Path, key: str = KEY) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert key.encode() not in data, path
            assert b"authorization" not in data.lower(), path


@pytest.fixture
def upstream() -> Iterator[GroqServer]:
    with GroqServer() as server:
        yield server


# -- record, then replay: the same bytes, the same fold ----------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_record_then_replay_is_byte_identical(
    name: str, upstream: GroqServer, tmp_path: Path
) -> None:
    original = (FIXTURES_DIR / name).read_bytes()
    # Odd-sized writes cut events, lines and UTF-8 sequences on the way to the recorder.
    upstream.enqueue(SSEReply(original, chunking=7))
    client = Groq(api_key=KEY, base_url=upstream.base_url, max_retries=0)
    with record(client, tmp_path) as recording:
        recorded_fold = fold_stream(client)
    assert files(tmp_path) == ["001.request.json", "001.sse"]
    assert recording.written == [tmp_path / "001.sse"]
    assert (tmp_path / "001.sse").read_bytes() == original
    assert_no_key(tmp_path)

    # match="request" serves a repeated request its answer again: two reads of one take.
    with GroqServer(responder=replay(tmp_path, match="request")) as second:
        raw = httpx.post(
            second.chat_url, json={"model": MODEL, "messages": ask("hi"), "stream": True}
        )
        assert raw.content == original
        assert raw.headers["content-type"] == "text/event-stream"
        second_client = Groq(api_key="other", base_url=second.base_url, max_retries=0)
        replayed_fold = fold_stream(second_client)
    assert replayed_fold == recorded_fold == fold_bytes(original)


def test_error_fixture_keeps_its_error_through_a_round_trip(
    upstream: GroqServer, tmp_path: Path
) -> None:
    upstream.enqueue(SSEReply(FIXTURES_DIR / "07_error_event_midstream.sse"))
    client = Groq(api_key=KEY, base_url=upstream.base_url)
    with record(client, tmp_path):
        folded = fold_stream(client)
    assert folded["content"] == "Let me check the weather for you."
    assert "tool_use_failed" in folded["error"]
    with GroqServer(responder=replay(tmp_path)) as second:
        client = Groq(api_key="other", base_url=second.base_url)
        stream = client.chat.completions.create(messages=ask("hi"), model=MODEL, stream=True)
        with pytest.raises(APIStreamError) as caught:
            list(stream)
    assert caught.value.code == "tool_use_failed"


def test_scripted_stream_recorded_bytes_equal_what_the_client_received(
    upstream: GroqServer, tmp_path: Path
) -> None:
    upstream.enqueue(script("Hello there, général!", reasoning="Be polite."))
    with httpx.Client() as http, record(http, tmp_path):
        received = http.post(
            upstream.chat_url, json={"model": MODEL, "messages": ask("hi"), "stream": True}
        ).content
    assert (tmp_path / "001.sse").read_bytes() == received
    assert fold_bytes(received)["content"] == "Hello there, général!"


def test_sidecar_holds_the_request_and_response_head(upstream: GroqServer, tmp_path: Path) -> None:
    client = Groq(
        api_key=KEY,
        base_url=upstream.base_url,
        default_headers={"x-api-key": KEY, "x-trace": f"trace-with-{KEY}"},
    )
    with record(client, tmp_path):
        list(client.chat.completions.create(messages=ask("hi"), model=MODEL, stream=True))
    sidecar = json.loads((tmp_path / "001.request.json").read_text())
    assert sidecar["method"] == "POST"
    assert sidecar["path"] == CHAT
    assert sidecar["body"] == {"messages": ask("hi"), "model": MODEL, "stream": True}
    assert "authorization" not in sidecar["headers"] and "x-api-key" not in sidecar["headers"]
    assert sidecar["headers"]["x-trace"] == "trace-with-[redacted]"
    assert sidecar["headers"]["user-agent"].startswith("mirastream/")
    response = sidecar["response"]
    assert response["status"] == 200 and response["complete"] is True
    assert response["body_file"] == "001.sse"
    assert response["headers"]["content-type"] == "text/event-stream"
    assert response["headers"]["x-request-id"].startswith("req_")
    assert "x-ratelimit-remaining-tokens" in response["headers"]  # a count, not a secret
    assert "date" not in response["headers"] and "transfer-encoding" not in response["headers"]
    assert_no_key(tmp_path)


def test_plain_calls_and_error_statuses_replay_the_same(
    upstream: GroqServer, tmp_path: Path
) -> None:
    upstream.enqueue(
        script("Plain answer."),
        ErrorReply(429, "Rate limit reached", type="tokens", headers={"retry-after": "0"}),
    )
    client = Groq(api_key=KEY, base_url=upstream.base_url, max_retries=0)
    with record(client, tmp_path):
        plain = client.chat.completions.create(messages=ask("one"), model=MODEL)
        with pytest.raises(RateLimitError) as first:
            client.chat.completions.create(messages=ask("two"), model=MODEL)
    assert files(tmp_path) == ["001.json", "001.request.json", "002.json", "002.request.json"]
    assert json.loads((tmp_path / "002.request.json").read_text())["response"]["status"] == 429

    with GroqServer(responder=replay(tmp_path)) as second:
        client = Groq(api_key="other", base_url=second.base_url, max_retries=0)
        again = client.chat.completions.create(messages=ask("one"), model=MODEL)
        with pytest.raises(RateLimitError) as replayed:
            client.chat.completions.create(messages=ask("two"), model=MODEL)
    assert again.to_dict() == plain.to_dict()
    assert replayed.value.message == first.value.message == "Rate limit reached"
    assert replayed.value.retry_after == 0


def test_async_client_is_recorded(upstream: GroqServer, tmp_path: Path) -> None:
    upstream.enqueue(script("Async hello."))

    async def main() -> str:
        client = AsyncGroq(api_key=KEY, base_url=upstream.base_url)
        with record(client, tmp_path):
            stream = await client.chat.completions.create(
                messages=ask("hi"), model=MODEL, stream=True
            )
            text = "".join([c.choices[0].delta.content or "" async for c in stream])
        await client.close()
        return text

    assert anyio.run(main) == "Async hello."
    assert fold_bytes((tmp_path / "001.sse").read_bytes())["content"] == "Async hello."
    assert_no_key(tmp_path)


def test_the_groq_sdk_can_be_recorded_and_replayed_to_mirastream(
    upstream: GroqServer, tmp_path: Path
) -> None:
    groq = pytest.importorskip("groq")
    original = (FIXTURES_DIR / "04_tool_calls_parallel.sse").read_bytes()
    upstream.enqueue(SSEReply(original, chunking=5))
    sdk = groq.Groq(api_key=KEY, base_url=upstream.base_url, max_retries=0)
    with record(sdk, tmp_path):
        chunks = list(sdk.chat.completions.create(messages=ask("hi"), model=MODEL, stream=True))
    assert len(chunks) == 5
    assert (tmp_path / "001.sse").read_bytes() == original
    assert_no_key(tmp_path)
    sidecar = json.loads((tmp_path / "001.request.json").read_text())
    assert sidecar["headers"]["user-agent"].startswith("Groq/Python")
    with GroqServer(responder=replay(tmp_path)) as server:
        client = Groq(api_key="other", base_url=server.base_url)
        assert fold_stream(client) == fold_bytes(original)


def test_transport_can_be_built_directly(upstream: GroqServer, tmp_path: Path) -> None:
    transport = RecordingTransport(directory=tmp_path)
    with httpx.Client(transport=transport) as http:
        client = Groq(api_key=KEY, base_url=upstream.base_url, http_client=http)
        client.chat.completions.create(messages=ask("hi"), model=MODEL)
    assert files(tmp_path) == ["001.json", "001.request.json"]
    with pytest.raises(TypeError, match="directory"):
        RecordingTransport()


def test_numbering_continues_and_overwrite_starts_over(
    upstream: GroqServer, tmp_path: Path
) -> None:
    (tmp_path / "README.md").write_text("my notes")
    client = Groq(api_key=KEY, base_url=upstream.base_url)
    for _ in range(2):
        with record(client, tmp_path):
            client.chat.completions.create(messages=ask("hi"), model=MODEL)
    assert files(tmp_path) == [
        "001.json", "001.request.json", "002.json", "002.request.json", "README.md"
    ]  # fmt: skip
    with record(client, tmp_path, overwrite=True):
        client.chat.completions.create(messages=ask("hi"), model=MODEL)
    assert files(tmp_path) == ["001.json", "001.request.json", "README.md"]


def test_stop_restores_the_client_and_other_paths_pass_through(
    upstream: GroqServer, tmp_path: Path
) -> None:
    with httpx.Client() as http:
        recording = record(http, tmp_path)
        assert http.get(upstream.base_url + "/openai/v1/models").status_code == 200
        http.post(upstream.chat_url, json={"model": MODEL, "messages": ask("a")})
        recording.stop()
        recording.stop()
        http.post(upstream.chat_url, json={"model": MODEL, "messages": ask("b")})
    assert files(tmp_path) == ["001.json", "001.request.json"]
    with pytest.raises(
        TypeError, match="a groq SDK client or an httpx Client/AsyncClient, not str"
    ):
        record("client", tmp_path)  # type: ignore[arg-type]


def test_a_stream_closed_early_is_marked_incomplete(upstream: GroqServer, tmp_path: Path) -> None:
    upstream.enqueue(SSEReply(FIXTURES_DIR / "02_text_include_usage.sse"))
    client = Groq(api_key=KEY, base_url=upstream.base_url)
    with record(client, tmp_path):
        stream = client.chat.completions.create(messages=ask("hi"), model=MODEL, stream=True)
        next(iter(stream))
        stream.close()
    sidecar = json.loads((tmp_path / "001.request.json").read_text())
    assert sidecar["response"]["complete"] is False
    body = (tmp_path / "001.sse").read_bytes()
    assert FIXTURES_DIR.joinpath("02_text_include_usage.sse").read_bytes().startswith(body)
    assert body  # what was read is kept
    assert load_cassette(tmp_path)[0].complete is False


def _mock(body: bytes, encoding: str) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": encoding}
        return httpx.Response(200, headers=headers, content=body)

    return httpx.MockTransport(handler)


def test_gzip_is_stored_decoded_and_unknown_encodings_raw(tmp_path: Path) -> None:
    original = (FIXTURES_DIR / "01_text_xgroq_usage.sse").read_bytes()
    with (
        httpx.Client(transport=_mock(gzip.compress(original), "gzip")) as http,
        record(http, tmp_path / "gz"),
    ):
        assert http.post("http://groq.test" + CHAT, json={}).content == original
    assert (tmp_path / "gz" / "001.sse").read_bytes() == original
    headers = load_cassette(tmp_path / "gz")[0].headers
    assert "content-encoding" not in headers

    with (
        httpx.Client(transport=_mock(b"\x00opaque", "br")) as http,
        record(http, tmp_path / "br"),
    ):
        http.post("http://groq.test" + CHAT, json={}).read()
    assert (tmp_path / "br" / "001.sse").read_bytes() == b"\x00opaque"
    assert load_cassette(tmp_path / "br")[0].headers["content-encoding"] == "br"


# -- replay: by order, by request, and when nothing fits ------------------------------------


@pytest.fixture
def three(upstream: GroqServer, tmp_path: Path) -> Path:
    """A cassette of three calls: two streamed, one plain."""
    upstream.enqueue(script("Paris."), script("Four."), script("Blue."))
    client = Groq(api_key=KEY, base_url=upstream.base_url)
    with record(client, tmp_path):
        list(client.chat.completions.create(messages=ask("capital?"), model=MODEL, stream=True))
        client.chat.completions.create(messages=ask("2+2?"), model=MODEL)
        list(client.chat.completions.create(messages=ask("sky?"), model=MODEL, stream=True))
    return tmp_path


def text_of(client: Groq, question: str, *, stream: bool) -> str:
    if not stream:
        return (
            client.chat.completions.create(messages=ask(question), model=MODEL)
            .choices[0]
            .message.content
            or ""
        )
    chunks = client.chat.completions.create(messages=ask(question), model=MODEL, stream=True)
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_order_mode_serves_each_in_turn_then_fails(three: Path) -> None:
    responder = replay(three)
    with GroqServer(responder=responder) as server:
        client = Groq(api_key="x", base_url=server.base_url)
        # Order mode ignores what is asked (beyond stream or not).
        assert text_of(client, "anything", stream=True) == "Paris."
        assert text_of(client, "else", stream=False) == "Four."
        assert text_of(client, "at all", stream=True) == "Blue."
        with pytest.raises(NotFoundError, match=r"holds 3 exchanges, all served; request #4"):
            text_of(client, "more", stream=True)
    assert [e.name for e in responder.served] == ["001", "002", "003"]
    assert responder.unused == []
    assert len(responder.failures) == 1


def test_order_mode_refuses_a_stream_body_for_a_plain_call(three: Path) -> None:
    responder = replay(three)
    with GroqServer(responder=responder) as server:
        client = Groq(api_key="x", base_url=server.base_url)
        with pytest.raises(NotFoundError, match="asks for a plain call, but the next exchange"):
            text_of(client, "capital?", stream=False)
    assert [e.name for e in responder.unused] == ["001", "002", "003"]


def test_request_mode_matches_by_body_in_any_order(three: Path) -> None:
    responder = replay(three, match="request")
    with GroqServer(responder=responder) as server:
        client = Groq(api_key="x", base_url=server.base_url)
        assert text_of(client, "sky?", stream=True) == "Blue."
        assert text_of(client, "2+2?", stream=False) == "Four."
        assert text_of(client, "capital?", stream=True) == "Paris."
        # A repeated call gets its answer again.
        assert text_of(client, "sky?", stream=True) == "Blue."
    assert [e.name for e in responder.served] == ["003", "002", "001", "003"]
    assert responder.failures == []


def test_request_mode_mismatch_lists_what_was_recorded(three: Path) -> None:
    responder = replay(three, match="request")
    with GroqServer(responder=responder) as server:
        client = Groq(api_key="x", base_url=server.base_url, max_retries=2)
        with pytest.raises(NotFoundError) as caught:
            text_of(client, "capital?", stream=False)  # recorded, but streamed
    message = caught.value.message
    assert message.splitlines() == [
        f"mirastream replay: no exchange recorded in {three} matches request #1 "
        f"(model='{MODEL}', last message user: 'capital?', 1 message); "
        "compared on model, messages, stream. Recorded:",
        f"  001: model='{MODEL}', last message user: 'capital?', 1 message, stream"
        " - differs in stream",
        f"  002: model='{MODEL}', last message user: '2+2?', 1 message - differs in messages",
        f"  003: model='{MODEL}', last message user: 'sky?', 1 message, stream"
        " - differs in messages, stream",
    ]
    assert caught.value.code == "cassette_mismatch"
    assert responder.failures == [message]
    assert len(server.requests) == 1  # a 404 is not retried


def test_request_mode_custom_keys_and_function(three: Path) -> None:
    with GroqServer(responder=replay(three, match="request", match_on=("model",))) as server:
        client = Groq(api_key="x", base_url=server.base_url)
        assert text_of(client, "whatever", stream=True) == "Paris."

    def same_last_word(recorded: Any, asked: Any) -> bool:
        return bool(recorded["messages"][-1]["content"] == asked["messages"][-1]["content"])

    responder = replay(three, match="request", match_on=same_last_word)
    with GroqServer(responder=responder) as server:
        client = Groq(api_key="x", base_url=server.base_url)
        assert text_of(client, "2+2?", stream=False) == "Four."
        with pytest.raises(NotFoundError, match="compared on the custom match_on function"):
            text_of(client, "nope", stream=True)


def test_fixed_size_chunking_keeps_the_bytes(three: Path) -> None:
    with GroqServer(responder=replay(three, chunking=3)) as server:
        body = httpx.post(server.chat_url, json={"stream": True}).content
    assert body == (three / "001.sse").read_bytes()


def test_a_directory_of_bare_streams_replays_in_name_order() -> None:
    responder = replay(FIXTURES_DIR)
    assert [e.body_path.name for e in responder.exchanges] == FIXTURE_NAMES
    with GroqServer(responder=responder) as server:
        client = Groq(api_key="x", base_url=server.base_url)
        for name in FIXTURE_NAMES[:3]:
            assert fold_stream(client) == fold_bytes((FIXTURES_DIR / name).read_bytes())
    with pytest.raises(ValueError, match="needs recorded requests"):
        replay(FIXTURES_DIR, match="request")


def test_single_file_and_load_errors(tmp_path: Path) -> None:
    single = replay(FIXTURES_DIR / "03_tool_call_single.sse")
    assert [e.name for e in single.exchanges] == ["03_tool_call_single"]
    assert single.exchanges[0].describe().endswith("(no .request.json: matches no request)")
    with pytest.raises(FileNotFoundError, match="no cassette at"):
        replay(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"holds no \.sse or \.json exchange"):
        replay(tmp_path)
    with pytest.raises(ValueError, match="match must be"):
        replay(FIXTURES_DIR, match="random")  # type: ignore[arg-type]
    (tmp_path / "001.sse").write_bytes(b"data: [DONE]\n\n")
    (tmp_path / "001.request.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot read"):
        load_cassette(tmp_path)


def test_numbered_stems_sort_numerically(tmp_path: Path) -> None:
    for name in ("1000.sse", "999.sse", "alpha.sse", "002.sse"):
        (tmp_path / name).write_bytes(b"data: [DONE]\n\n")
    assert [e.name for e in load_cassette(tmp_path)] == ["002", "999", "1000", "alpha"]


# -- forward: record through the loopback server ---------------------------------------------


def test_forward_records_what_upstream_said(upstream: GroqServer, tmp_path: Path) -> None:
    upstream.enqueue(script("From upstream."))
    with (
        forward(tmp_path, upstream=upstream.base_url, api_key=KEY) as responder,
        GroqServer(responder=responder) as front,
    ):
        client = Groq(api_key="fake", base_url=front.base_url)
        assert text_of(client, "hi", stream=True) == "From upstream."
        assert KEY not in repr(responder)
    assert upstream.requests[0].headers["authorization"] == "Bearer [redacted]"
    assert files(tmp_path) == ["001.request.json", "001.sse"]
    assert fold_bytes((tmp_path / "001.sse").read_bytes())["content"] == "From upstream."
    assert_no_key(tmp_path)


def test_forward_needs_a_key_and_reports_a_dead_upstream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    with pytest.raises(ValueError, match="GROQ_API_KEY"):
        forward(tmp_path)
    dead = GroqServer().start()
    dead.stop()
    with (
        forward(tmp_path, upstream=dead.base_url, api_key=KEY) as responder,
        GroqServer(responder=responder) as front,
    ):
        response = httpx.post(front.chat_url, json={"model": MODEL, "messages": ask("hi")})
    assert response.status_code == 502
    assert responder.failures and "cannot reach" in responder.failures[0]
    assert KEY not in response.text
