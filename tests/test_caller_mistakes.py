"""Caller mistakes rejected before anything is sent; the API key never shown, anywhere.

The groq SDK is the oracle for what drop-in code may pass: whatever it accepts that can
work (``extra_body``, ``extra_headers``, ``extra_query``, ``timeout``, ``math.inf``
retries) still works here, and its timeout rule for a custom ``http_client`` is matched.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import groq
import httpx
import pytest
from conftest import MESSAGES, MODEL, Flavor, Recorder

from mirastream.cli import main
from mirastream.groq import AsyncGroq, Groq
from mirastream.testing import ErrorReply, GroqServer, record, script

pytestmark = pytest.mark.anyio

KEY = "gsk_live_0123456789abcdefSECRET"
BAD_KEYS = {
    "newline": KEY + "\n",
    "crlf": KEY + "\r\n",
    "space": "Bearer " + KEY,
    "nul": KEY[:10] + "\x00" + KEY[10:],
    "non-ascii": KEY + "é",
}


def _forms(key: str) -> list[str]:
    return [key, key.strip(), repr(key)[1:-1], json.dumps(key)[1:-1]]


@pytest.mark.parametrize("key", BAD_KEYS.values(), ids=BAD_KEYS.keys())
@pytest.mark.parametrize("cls", [Groq, AsyncGroq])
def test_a_malformed_key_is_refused_at_construction_without_echoing_it(
    cls: type, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match="cannot be sent in an HTTP header") as caught:
        cls(api_key=key, base_url="http://127.0.0.1:9")
    text = str(caught.value) + repr(caught.value)
    assert not any(form in text for form in _forms(key))
    if "\x00" in key:
        return  # no environment variable can hold a NUL
    monkeypatch.setenv("GROQ_API_KEY", key)  # a key file / .env read without strip()
    with pytest.raises(ValueError, match="Strip the key"):
        cls(base_url="http://127.0.0.1:9")


def test_the_cli_says_what_is_wrong_with_the_key_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with GroqServer() as server:
        monkeypatch.setenv("GROQ_BASE_URL", server.base_url)
        monkeypatch.setenv("GROQ_API_KEY", KEY + "\r\n")
        status = main(["chat", "hi"])
        assert server.requests == []
    captured = capsys.readouterr()
    assert status == 2
    assert "carriage return" in captured.err and len(captured.err.splitlines()) == 1
    assert not any(form in captured.err + captured.out for form in _forms(KEY + "\r\n"))


async def test_header_values_are_checked_before_sending(flavor: Flavor) -> None:
    recorder = Recorder(httpx.Response(200, json={}))
    with pytest.raises(ValueError, match="'x-api-key' contains a line feed") as caught:
        flavor.client(recorder, default_headers={"x-api-key": KEY + "\n"})
    assert KEY not in str(caught.value)
    client = flavor.client(recorder)
    with pytest.raises(ValueError, match="extra_headers"):
        await flavor.create(client, extra_headers={"x-trace": "a\r\nInjected: yes"})
    assert recorder.hits == 0


@pytest.mark.parametrize(
    ("arguments", "error", "advice"),
    [
        ({"messages": "hello"}, TypeError, "messages must be a list of message dicts"),
        ({"messages": {"role": "user", "content": "hi"}}, TypeError, "a single message dict"),
        ({"messages": ["hello"]}, TypeError, r"messages\[0\] is a str"),
        ({"model": ""}, ValueError, "model must name a model"),
        ({"model": None}, TypeError, "model must be a str"),
        ({"temprature": 0.2}, TypeError, "extra_body"),
        ({"temperature": math.nan}, ValueError, "'temperature' argument cannot be sent as JSON"),
        ({"metadata": {"when": object()}}, TypeError, "'metadata' argument"),
        ({"extra_body": {"tags": {1, 2}}}, TypeError, "'tags' argument"),
    ],
    ids=lambda v: str(v)[:30],
)
async def test_create_rejects_mistakes_before_sending(
    flavor: Flavor, arguments: dict[str, Any], error: type[Exception], advice: str
) -> None:
    recorder = Recorder(httpx.Response(200, json={}))
    client = flavor.client(recorder)
    with pytest.raises(error, match=advice):
        await flavor.create(client, **arguments)
    assert recorder.hits == 0


def test_the_groq_sdk_also_refuses_an_unknown_keyword_before_sending() -> None:
    recorder = Recorder(httpx.Response(200, json={}))
    sdk = groq.Groq(
        api_key=KEY,
        base_url="http://groq.test",
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
    )
    with pytest.raises(TypeError):
        sdk.chat.completions.create(messages=MESSAGES, model=MODEL, temprature=0.2)  # type: ignore[call-overload]
    assert recorder.hits == 0


async def test_the_sdks_extra_arguments_keep_working(flavor: Flavor) -> None:
    completion = {"id": "c", "object": "chat.completion", "created": 1, "model": MODEL}
    recorder = Recorder(httpx.Response(200, json={**completion, "choices": []}))
    client = flavor.client(recorder)
    await flavor.create(
        client,
        messages=iter(MESSAGES),  # any iterable of messages, as the SDK types it
        extra_body={"custom": [1, 2]},
        extra_headers={"x-trace": "t1"},
        extra_query={"q": "1"},
        timeout=3.0,
        temperature=0.5,
    )
    sent = recorder.requests[0]
    assert recorder.body() == {
        "messages": MESSAGES,
        "model": MODEL,
        "temperature": 0.5,
        "custom": [1, 2],
    }
    assert sent.headers["x-trace"] == "t1" and sent.url.params["q"] == "1"
    assert sent.extensions["timeout"]["read"] == 3.0


@pytest.mark.parametrize(
    ("value", "error", "advice"),
    [
        (None, TypeError, "pass 0 to never retry"),
        (-1, ValueError, "0 or more"),
        ("2", TypeError, "int"),
    ],
)
@pytest.mark.parametrize("cls", [Groq, AsyncGroq])
def test_max_retries_must_be_a_count(cls: type, value: Any, error: type, advice: str) -> None:
    with pytest.raises(error, match=advice):
        cls(api_key=KEY, max_retries=value)
    with pytest.raises(TypeError):
        groq.Groq(api_key=KEY, max_retries=None)  # type: ignore[arg-type]  # the SDK agrees on None
    assert cls(api_key=KEY, max_retries=math.inf).max_retries == math.inf  # as the SDK allows


def test_a_bad_base_url_is_refused_at_construction() -> None:
    for url in ("ftp://api.groq.com", "api.groq.com", "http://[::1"):
        with pytest.raises(ValueError, match="base_url"):
            Groq(api_key=KEY, base_url=url)


async def test_an_http_client_without_a_timeout_gets_the_sdks_60_seconds(flavor: Flavor) -> None:
    completion = {"id": "c", "object": "chat.completion", "created": 1, "model": MODEL}
    recorder = Recorder(httpx.Response(200, json={**completion, "choices": []}))
    transport = httpx.MockTransport(recorder)
    for http_timeout in (None, 7.0):
        kwargs: dict[str, Any] = {} if http_timeout is None else {"timeout": http_timeout}
        sdk = groq.Groq(api_key=KEY, http_client=httpx.Client(transport=transport, **kwargs))
        http: Any = (
            httpx.AsyncClient(transport=transport, **kwargs)
            if flavor.is_async
            else httpx.Client(transport=transport, **kwargs)
        )
        cls = AsyncGroq if flavor.is_async else Groq
        await flavor.create(cls(api_key=KEY, base_url="http://groq.test", http_client=http))
        assert recorder.requests[-1].extensions["timeout"] == httpx.Timeout(sdk.timeout).as_dict()
        assert recorder.requests[-1].extensions["timeout"]["read"] == (http_timeout or 60.0)


# -- the key in logs and recordings ----------------------------------------------------------


def test_no_log_record_holds_the_key(caplog: pytest.LogCaptureFixture) -> None:
    with GroqServer() as server, caplog.at_level(logging.DEBUG):
        server.enqueue(script("Hello"))
        server.enqueue(ErrorReply(401, "Invalid API Key"))
        client = Groq(api_key=KEY, base_url=server.base_url, max_retries=0)
        list(client.chat.completions.create(messages=MESSAGES, model=MODEL, stream=True))
        with pytest.raises(Exception, match="Invalid API Key") as caught:
            client.chat.completions.create(messages=MESSAGES, model=MODEL)
    assert caplog.records, "httpx/httpcore debug logging was captured"
    for entry in caplog.records:
        assert KEY not in entry.getMessage() and KEY not in repr(entry.args)
    assert KEY not in str(caught.value) + repr(caught.value)


def test_recordings_hold_no_form_of_a_custom_credential(tmp_path: Path) -> None:
    secret = 'tok_"quoted"\\slash_0123456789'  # legal in a header; escaped in JSON and repr
    with GroqServer() as server:
        server.enqueue(ErrorReply(400, f"bad credential {json.dumps(secret)} / {secret!r}"))
        client = Groq(
            api_key=KEY,
            base_url=server.base_url,
            max_retries=0,
            default_headers={"x-api-key": secret},
        )
        with record(client, tmp_path), pytest.raises(Exception, match="bad credential"):
            client.chat.completions.create(messages=MESSAGES, model=MODEL)
    stored = "".join(p.read_text() for p in tmp_path.iterdir())
    assert "bad credential" in stored
    for form in [*_forms(secret), json.dumps(repr(secret)[1:-1])[1:-1], KEY]:
        assert form not in stored
