"""The UI message stream, read by the Vercel AI SDK's own client code (Node).

The bodies come from the relay (through a real client and the loopback server); a small
Node script (``tests/ai_sdk/read_ui_stream.mjs``) parses them with the SDK's strict part
schema and builds the message with ``readUIMessageStream``, as ``useChat`` does. It
needs Node and the ``ai`` package in ``build/ai-sdk`` (``make test-ai-sdk`` installs it
from the npm registry); without them the test is skipped, saying why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_relay import Forecast, broken_tool, get_weather, relay

from mirastream.testing import ErrorReply, GroqServer, ToolCall, Usage, script

ROOT = Path(__file__).resolve().parents[1]
SDK = ROOT / "build" / "ai-sdk"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (SDK / "node_modules" / "ai").is_dir(),
    reason="needs node and the `ai` npm package in build/ai-sdk (run `make test-ai-sdk`)",
)


def read_with_the_sdk(bodies: dict[str, bytes], tmp_path: Path) -> dict[str, dict[str, Any]]:
    files = []
    for name, body in bodies.items():
        (tmp_path / f"{name}.sse").write_bytes(body)
        files.append(str(tmp_path / f"{name}.sse"))
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(ROOT / "tests" / "ai_sdk" / "read_ui_stream.mjs"), *files],
        env={"AI_SDK_DIR": str(SDK), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        encoding="utf-8",
        timeout=60,
        check=True,
    )
    results = [json.loads(line) for line in done.stdout.splitlines()]
    return {Path(r["file"]).stem: r for r in results}


def test_the_sdk_reads_every_part(server: GroqServer, tmp_path: Path) -> None:
    server.enqueue(
        script(["Hello", ",\nworld\r"], reasoning=["Greet", " back"], usage=Usage(cached_tokens=8)),
        script(
            tool_calls=[
                ToolCall("get_weather", {"city": "Lisbon"}, id="call_a"),
                ToolCall("broken_tool", {"city": "Oslo"}, id="call_b"),
                ToolCall("get_weather", {"town": "Rome"}, id="call_c"),
                ToolCall("Forecast", {"city": "Porto", "days": 2}, id="call_d"),
            ],
            fragment_arguments=8,
        ),
        ErrorReply(401, "Invalid API Key"),
        script("One two three", error="Service overloaded", error_after=2),
    )
    options: dict[str, Any] = {
        "tools": [get_weather, broken_tool, Forecast],
        "call_tools": True,
        "on_error": str,
    }
    bodies = {
        name: relay(server, "async", "ui", message_id="msg-1", **options)
        for name in ("text", "tools", "before", "mid")
    }
    read = read_with_the_sdk(bodies, tmp_path)

    text = read["text"]
    assert text["error"] is None
    assert text["message"]["id"] == "msg-1"
    assert text["message"]["metadata"]["cachedInputTokens"] == 8
    assert [(p["type"], p.get("text"), p.get("state")) for p in text["message"]["parts"]] == [
        ("step-start", None, None),
        ("reasoning", "Greet back", "done"),
        ("text", "Hello,\nworld\r", "done"),
    ]

    tools = read["tools"]
    assert tools["error"] is None
    states = [(p["type"], p.get("state")) for p in tools["message"]["parts"][1:]]
    assert states == [
        ("tool-get_weather", "output-available"),
        ("tool-broken_tool", "output-error"),
        ("tool-get_weather", "output-error"),  # the invalid input
        ("tool-Forecast", "output-available"),
    ]
    assert tools["message"]["parts"][4]["output"] == {"city": "Porto", "days": ["day 1", "day 2"]}

    assert read["before"]["error"] == "Error code: 401 - Invalid API Key"
    assert read["before"]["message"]["parts"] == []
    assert read["mid"]["error"] == "Service overloaded"
    assert read["mid"]["message"]["parts"][1] == {
        "type": "text", "text": "One two", "state": "streaming"
    }  # fmt: skip
