"""The ``mirastream`` command line, in process (``main([...])``) and as a subprocess.

``chat`` runs against loopback servers only: ``--offline`` (the built-in one), or a
``GroqServer`` given as ``GROQ_BASE_URL`` with a fake key.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXPECTED, FIXTURE_NAMES, FIXTURES_DIR

from mirastream._prices import price_table_markdown, prices
from mirastream.cli import main
from mirastream.errors import RateLimitError
from mirastream.groq import Groq
from mirastream.testing import ErrorReply, Faults, GroqServer, SSEReply, record, script

KEY = "gsk_cli_test_SECRET_0123456789abcdef"


class Run:
    """The result of one in-process run."""

    def __init__(self, status: int, out: str, err: str) -> None:
        self.status = status
        self.out = out
        self.err = err

    def rows(self) -> dict[str, str]:
        """The summary rows, label -> value (first line of the value)."""
        found: dict[str, str] = {}
        for line in self.out.splitlines():
            label, value = line[:10].strip(), line[10:]
            if label and line[:10] == f"{label:<10}":
                found.setdefault(label, value)
        return found


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*argv: str) -> Run:
        status = main(list(argv))
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


def assert_one_error_line(run: Run, status: int, text: str) -> None:
    assert run.status == status
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("mirastream: error: ")
    assert text in lines[0], lines[0]
    assert "Traceback" not in run.err + run.out


@pytest.fixture
def groq(monkeypatch: pytest.MonkeyPatch) -> Iterator[GroqServer]:
    """A loopback server standing in for api.groq.com, with a (fake) key in the env."""
    with GroqServer() as server:
        monkeypatch.setenv("GROQ_BASE_URL", server.base_url)
        monkeypatch.setenv("GROQ_API_KEY", KEY)
        yield server


# -- chat -----------------------------------------------------------------------------------


def test_chat_offline_streams_then_prints_the_footer(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    run = cli("chat", "Tell me a joke", "--offline")
    assert run.status == 0
    assert run.out.startswith("You said: Tell me a joke\n\n")
    assert "offline" in run.err and "built-in test server" in run.err
    rows = run.rows()
    assert rows["finish"] == "stop"
    assert rows["model"] == "llama-3.1-8b-instant  via built-in test server (offline)"
    assert re.fullmatch(r"\d+ prompt \+ \d+ completion = \d+ tokens", rows["usage"])
    assert rows["timings"].startswith("queue ") and " total " in rows["timings"]
    assert rows["cost"].startswith("$0.0000")
    assert rows["id"].startswith("chatcmpl-")
    assert re.fullmatch(r"first token [\d.]+ ms · [\d,]+ tokens/s \(at the client\)", rows["speed"])
    assert re.fullmatch(
        r"requests \d+/14400 left, resets in [\d.]+ s · tokens \d+/18000 left, resets in [\d.]+ s",
        rows["limits"],
    )


def test_chat_footer_shows_first_token_and_rate_limits(cli: Any, groq: GroqServer) -> None:
    headers = {
        "x-ratelimit-limit-requests": "1000",
        "x-ratelimit-remaining-requests": "997",
        "x-ratelimit-reset-requests": "2m59.56s",
        "x-ratelimit-limit-tokens": "6000",
        "x-ratelimit-remaining-tokens": "5900",
        "x-ratelimit-reset-tokens": "400ms",
    }
    # The first content arrives 60 ms after the role chunk.
    groq.enqueue(
        script("Hi there", headers=headers, faults=Faults(stall_after_events=1, stall_seconds=0.06))
    )
    run = cli("chat", "hi")
    rows = run.rows()
    found = re.fullmatch(
        r"first token ([\d.]+) ms · [\d,]+ tokens/s \(at the client\)", rows["speed"]
    )
    assert found is not None and float(found.group(1)) >= 55
    assert rows["limits"] == (
        "requests 997/1000 left, resets in 179.56 s · tokens 5900/6000 left, resets in 0.4 s"
    )
    groq.enqueue(script("Hi", headers=headers))
    data = json.loads(cli("chat", "hi", "--json").out)
    assert data["rate_limits"]["remaining_tokens"] == 5900
    assert data["time_to_first_token_ms"] > 0


def test_chat_offline_json(cli: Any) -> None:
    run = cli("chat", "hi", "--offline", "--json", "--model", "qwen/qwen3-32b")
    assert run.status == 0
    data = json.loads(run.out)
    assert data["content"] == "You said: hi"
    assert data["model"] == "qwen/qwen3-32b"
    assert data["source"] == "built-in test server (offline)"
    assert (
        data["usage"]["total_tokens"]
        == data["usage"]["prompt_tokens"] + data["usage"]["completion_tokens"]
    )
    assert data["cost"]["cost"] > 0 and data["error"] is None


def test_chat_online_sends_system_model_and_key(cli: Any, groq: GroqServer) -> None:
    groq.enqueue(script("Sure.", reasoning="They want a yes.", model="openai/gpt-oss-20b"))
    run = cli("chat", "Can you?", "-m", "openai/gpt-oss-20b", "--system", "Be brief.")
    assert run.status == 0 and run.err == ""
    assert run.out.startswith("thinking: They want a yes.\n\nSure.\n\n")
    rows = run.rows()
    assert rows["model"] == f"openai/gpt-oss-20b  via {groq.base_url.split('://')[1]}"
    assert "reasoning)" in rows["usage"]
    body = groq.requests[0].body
    assert body["model"] == "openai/gpt-oss-20b" and body["stream"] is True
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Can you?"},
    ]
    assert groq.requests[0].headers["authorization"] == "Bearer [redacted]"
    assert KEY not in run.out + run.err


def test_chat_without_a_key_says_how_to_go_on(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    run = cli("chat", "hi")
    assert_one_error_line(run, 2, "GROQ_API_KEY is not set")
    assert "--offline" in run.err and run.out == ""


def test_chat_api_errors_are_one_line_without_the_key(cli: Any, groq: GroqServer) -> None:
    groq.enqueue(ErrorReply(401, "Invalid API Key", code="invalid_api_key"))
    run = cli("chat", "hi")
    assert_one_error_line(
        run, 1, "Groq answered 401 (invalid_api_key): Invalid API Key - check GROQ_API_KEY"
    )
    groq.enqueue(ErrorReply(400, f"you sent {KEY}, which is odd"))
    run = cli("chat", "hi")
    assert_one_error_line(run, 1, "you sent [redacted], which is odd")
    assert KEY not in run.err


def test_chat_stream_error_keeps_the_partial_answer(cli: Any, groq: GroqServer) -> None:
    groq.enqueue(SSEReply(FIXTURES_DIR / "07_error_event_midstream.sse"))
    run = cli("chat", "weather?")
    assert run.out.startswith("Let me check the weather for you.\n")
    assert run.rows()["usage"] == "none reported"
    assert_one_error_line(run, 1, "the stream ended with an error: Failed to call a function.")
    assert "code tool_use_failed" in run.err


def test_chat_stream_error_in_json(cli: Any, groq: GroqServer) -> None:
    groq.enqueue(SSEReply(FIXTURES_DIR / "07_error_event_midstream.sse"))
    run = cli("chat", "weather?", "--json")
    data = json.loads(run.out)
    assert data["content"] == "Let me check the weather for you."
    assert data["error"]["code"] == "tool_use_failed"
    assert data["error"]["kind"] == "APIStreamError"
    assert_one_error_line(run, 1, "the stream ended with an error")


def test_chat_network_down(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = GroqServer().start()
    dead.stop()
    monkeypatch.setenv("GROQ_BASE_URL", dead.base_url)
    monkeypatch.setenv("GROQ_API_KEY", KEY)
    run = cli("chat", "hi", "--retries", "0")
    assert_one_error_line(run, 1, f"cannot reach {dead.base_url}: ")


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        ((), "the following arguments are required: COMMAND (see 'mirastream --help')"),
        (("chat",), "required: prompt (see 'mirastream chat --help')"),
        (("bogus",), "invalid choice: 'bogus'"),
        (("chat", "hi", "--bogus"), "unrecognized arguments: --bogus"),
        (("chat", "hi", "--retries", "x"), "argument --retries: invalid int value: 'x'"),
        (("chat", "hi", "--offline", "--retries", "-1"), "--retries must be 0 or more"),
        (("prices", "--json", "--markdown"), "not allowed with argument --json"),
        (("replay",), "required: file"),
    ],
)
def test_bad_arguments(cli: Any, argv: tuple[str, ...], text: str) -> None:
    run = cli(*argv)
    assert_one_error_line(run, 2, text)
    assert run.out == ""


def test_version_and_help_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("--version", "--help"):
        with pytest.raises(SystemExit) as exited:
            main([flag])
        assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "mirastream 0.1.0" in out and "exit status" in out


# -- replay ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_replay_each_fixture(cli: Any, name: str) -> None:
    expected = EXPECTED[name]
    run = cli("replay", str(FIXTURES_DIR / name))
    rows = run.rows()
    assert rows["content"] == (expected.content.split("\n")[0] or "(none)")
    if expected.reasoning:
        assert rows["reasoning"] == expected.reasoning.split("\n")[0]
    assert rows["finish"] == (expected.finish_reason or "none")
    assert rows["id"] == f"{expected.completion_id}  {expected.request_id}"
    assert rows["chunks"] == str(expected.chunks)
    for call in expected.tool_calls:
        assert f"[{call.index}] {call.name} (id {call.id})" in run.out
    if expected.error is None:
        assert run.status == 0 and run.err == ""
        usage = expected.usage
        assert usage is not None
        assert rows["usage"].startswith(
            f"{usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion"
        )
        assert rows["timings"].startswith(f"queue {usage['queue_time'] * 1000:.1f} ms")
        assert rows["cost"].startswith("$0.000")
    else:
        # The stream carries an error: shown like the rest, and the exit status says so.
        assert run.status == 1
        assert rows["usage"] == "none reported"
        assert rows["cost"] == "unknown (no usage reported)"
        assert rows["error"].startswith(f"the stream ended with an error: {expected.error.message}")
        assert f"failed_generation: {expected.error.failed_generation}" in run.out


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_replay_json_matches_the_readme(cli: Any, name: str) -> None:
    expected = EXPECTED[name]
    run = cli("replay", "--json", str(FIXTURES_DIR / name))
    data = json.loads(run.out)
    assert data["content"] == expected.content
    assert (data["reasoning"] or "") == expected.reasoning
    assert [c["function"]["name"] for c in data["tool_calls"]] == [
        c.name for c in expected.tool_calls
    ]
    assert data["finish_reason"] == expected.finish_reason
    if expected.usage is None:
        assert data["usage"] is None and data["cost"] is None
        assert expected.error is not None
        assert data["error"]["code"] == expected.error.code
        assert data["error"]["failed_generation"] == expected.error.failed_generation
    else:
        for key in ("prompt_tokens", "completion_tokens", "total_tokens", "total_time"):
            assert data["usage"][key] == expected.usage[key]
        assert data["cost"]["cost"] > 0


def test_replay_a_recorded_cassette_directory(cli: Any, tmp_path: Path) -> None:
    with GroqServer() as server:
        server.enqueue(script("Hi!"), ErrorReply(429, "Slow down", type="tokens"))
        client = Groq(api_key=KEY, base_url=server.base_url, max_retries=0)
        hello: Any = [{"role": "user", "content": "hello"}]
        again: Any = [{"role": "user", "content": "again"}]
        with record(client, tmp_path):
            list(client.chat.completions.create(messages=hello, model="m", stream=True))
            with pytest.raises(RateLimitError, match="Slow down"):
                client.chat.completions.create(messages=again, model="m")
    run = cli("replay", str(tmp_path))
    assert run.status == 1  # the second exchange is an error answer
    assert run.out.splitlines()[:4] == [
        "== 001.sse",
        "request   model='m', last message user: 'hello', 1 message, stream",
        "status    200",
        "content   Hi!",
    ]
    assert run.out.splitlines()[-4:] == [
        "== 002.json",
        "request   model='m', last message user: 'again', 1 message",
        "status    429",
        "error     Groq answered 429: Slow down (type tokens)",
    ]
    single = cli("replay", "--json", str(tmp_path / "001.sse"))
    data = json.loads(single.out)
    assert data["status"] == 200 and data["request"]["messages"][0]["content"] == "hello"
    assert single.status == 0
    many = json.loads(cli("replay", "--json", str(tmp_path)).out)
    assert [item["error"] is None for item in many] == [True, False]
    assert KEY not in run.out + single.out


def test_replay_a_truncated_stream(cli: Any, tmp_path: Path) -> None:
    body = (FIXTURES_DIR / "02_text_include_usage.sse").read_bytes()
    cut = tmp_path / "cut.sse"
    cut.write_bytes(body[: len(body) // 2])
    run = cli("replay", str(cut))
    assert run.status == 1
    assert run.rows()["error"].startswith("The stream ended before it was complete")


def test_replay_user_mistakes(cli: Any, tmp_path: Path) -> None:
    assert_one_error_line(
        cli("replay", str(tmp_path / "nope.sse")), 2, "no such file or directory: "
    )
    assert_one_error_line(cli("replay", str(tmp_path)), 2, "holds no .sse or .json exchange")
    assert_one_error_line(
        cli("replay", str(FIXTURES_DIR / "README.md")), 2, "holds no SSE events and no JSON"
    )
    (tmp_path / "bad.json").write_text("{oops")
    assert_one_error_line(cli("replay", str(tmp_path / "bad.json")), 2, "is not valid JSON")


# -- prices ---------------------------------------------------------------------------------


def test_prices(cli: Any) -> None:
    run = cli("prices")
    assert run.status == 0
    lines = run.out.splitlines()
    assert lines[0].split() == ["model", "input", "cached", "output", "context", "as", "of"]
    table = prices()
    for model, line in zip(table, lines[1:], strict=False):
        price = table[model]
        assert line.split()[0] == model
        assert f"${price.input:.2f}".rstrip("0") in line
    assert "llama-3.1-8b-instant" in run.out and "USD per 1M tokens" in run.out
    assert cli("prices", "--markdown").out == price_table_markdown()
    data = json.loads(cli("prices", "--json").out)
    assert data.keys() == table.keys()
    assert data["openai/gpt-oss-20b"]["cached_input"] == table["openai/gpt-oss-20b"].cached_input


# -- as a program ---------------------------------------------------------------------------


def _program(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GROQ_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "mirastream", *argv],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


def test_python_dash_m_chat_offline() -> None:
    done = _program("chat", "--offline", "Ping <me> & co")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("You said: Ping <me> & co\n")
    assert "\ncost      $" in done.stdout and "\ntimings   queue " in done.stdout
    assert done.stderr.startswith("mirastream: offline")


def test_python_dash_m_errors_are_one_line() -> None:
    missing = _program("replay", "missing.sse")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr == "mirastream: error: no such file or directory: missing.sse\n"
    no_key = _program("chat", "hi")
    assert no_key.returncode == 2 and len(no_key.stderr.splitlines()) == 1
    replayed = _program("replay", str(FIXTURES_DIR / "07_error_event_midstream.sse"))
    assert replayed.returncode == 1 and "tool_use_failed" in replayed.stdout


def test_console_script_is_installed() -> None:
    script_path = Path(sys.executable).with_name("mirastream")
    if not script_path.exists():
        pytest.skip("the mirastream console script is not installed in this environment")
    done = subprocess.run([str(script_path), "prices"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "llama-3.3-70b-versatile" in done.stdout
