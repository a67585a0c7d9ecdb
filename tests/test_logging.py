"""The ``mirastream`` logger: one DEBUG record per request, retry and stream end.

Records are read with pytest's ``caplog`` at DEBUG; ``GROQ_LOG`` is checked in a fresh
interpreter, since it acts at import.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from conftest import API_KEY, MESSAGES, MODEL, Flavor

from mirastream.testing import ErrorReply, GroqServer, Usage, script

pytestmark = pytest.mark.anyio


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="mirastream")
    yield caplog


def ours(records: pytest.LogCaptureFixture) -> list[str]:
    lines = [r.getMessage() for r in records.records if r.name.startswith("mirastream")]
    assert all(API_KEY not in line for line in lines)
    return lines


async def test_a_stream_logs_its_request_and_its_end(
    flavor: Flavor, server: GroqServer, records: pytest.LogCaptureFixture
) -> None:
    server.enqueue(script("Hi there", usage=Usage(prompt_tokens=11, completion_tokens=3)))
    stream = await flavor.stream(flavor.client(base_url=server.base_url))
    await flavor.collect(stream)
    request, end = ours(records)
    assert request.startswith(f"request model={MODEL} stream=True -> 200 OK")
    assert "request id req_" in request
    assert end.startswith(f"stream end model={MODEL}: complete, usage: in=11 out=3")


async def test_a_completion_logs_one_record_with_usage(
    flavor: Flavor, server: GroqServer, records: pytest.LogCaptureFixture
) -> None:
    server.enqueue(script("Hi", usage=Usage(prompt_tokens=5, completion_tokens=1)))
    await flavor.completion(flavor.client(base_url=server.base_url))
    (line,) = ours(records)
    assert line.startswith(f"request model={MODEL} stream=False -> 200 OK")
    assert "usage: in=5 out=1" in line


async def test_retries_and_errors_are_logged(
    flavor: Flavor, server: GroqServer, records: pytest.LogCaptureFixture
) -> None:
    fast = {"retry-after-ms": "1"}
    server.enqueue(ErrorReply(503, "busy", headers=fast), ErrorReply(429, "slow", headers=fast))
    client = flavor.client(base_url=server.base_url, max_retries=1)
    with pytest.raises(Exception, match="slow"):
        await flavor.completion(client)
    retry, failed = ours(records)
    assert retry.startswith(f"retry model={MODEL} after status 503")
    assert "attempt 1 in 0.00 s" in retry
    assert failed.startswith(f"request model={MODEL} stream=False -> 429")


async def test_a_stream_closed_early_says_so(
    flavor: Flavor, server: GroqServer, records: pytest.LogCaptureFixture
) -> None:
    server.enqueue(script("one two three four five"))
    stream = await flavor.stream(flavor.client(base_url=server.base_url))
    await flavor.next(stream)
    await flavor.close(stream)
    assert ours(records)[-1].startswith(f"stream end model={MODEL}: closed early")


async def test_a_connection_failure_is_logged(
    flavor: Flavor, records: pytest.LogCaptureFixture
) -> None:
    client = flavor.client(base_url="http://127.0.0.1:9", max_retries=0)  # nothing listens
    with pytest.raises(Exception, match="Connection error"):
        await flavor.completion(client)
    (line,) = ours(records)
    assert line == f"request model={MODEL} stream=False failed: ConnectError"


_CHILD = f"""
import sys
from mirastream.groq import Groq
client = Groq(api_key={API_KEY!r}, base_url=sys.argv[1])
client.chat.completions.create(messages={MESSAGES!r}, model={MODEL!r})
for _ in client.chat.completions.create(messages={MESSAGES!r}, model={MODEL!r}, stream=True):
    pass
"""


@pytest.mark.parametrize("level", [None, "debug"])
def test_groq_log_turns_it_on(server: GroqServer, level: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GROQ_LOG"}
    if level is not None:
        env["GROQ_LOG"] = level
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, server.base_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert API_KEY not in done.stderr
    lines = [line for line in done.stderr.splitlines() if " - mirastream:" in line]
    if level is None:
        assert done.stderr == ""  # silent by default
    else:
        assert len(lines) == 3  # two requests, one stream end
        assert all("- DEBUG]" in line for line in lines)
        assert "httpx" in done.stderr  # the SDK turns httpx's logger on too
