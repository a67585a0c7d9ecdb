"""Mirascope v1.18.2's own Groq examples, migrated by the import rule alone, run offline.

The examples are Mirascope's code and are not part of this repository: they are read at
test time from ``MIRASCOPE_EXAMPLES`` (a path to Mirascope's ``examples/learn``) or
``/work/ref/mirascope-v1.18.2/examples/learn``, and every test skips when neither exists.

The rule (issue 10): in the import lines only, ``mirascope`` becomes ``mirastream`` and
the groq SDK (``groq``, ``groq.types...``) becomes ``mirastream.groq``. Nothing else in
an example changes. Each migrated example then runs in this process, against the loopback
Groq server, whose responder plays a model that fits the request: it calls a forced tool
(``response_model``) or an offered one with arguments made from the tool's JSON schema,
answers JSON in JSON mode (from the schema the prompt carries), and text otherwise.
What each example needs beyond that (a validation that fails once, a conversation on
stdin) is in ``_TUNING``.

The behaviours themselves are tested, with no Mirascope code, in ``test_core.py``.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import os
import re
import sys
import types
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mirastream.testing import GroqServer, RecordedRequest, Script, ToolCall

_DEFAULT_ROOT = Path("/work/ref/mirascope-v1.18.2/examples/learn")
ROOT = Path(os.environ.get("MIRASCOPE_EXAMPLES", _DEFAULT_ROOT))

# The categories issue 10 names; examples elsewhere (evals, MCP, middleware, other
# providers' features) are not part of the acceptance set.
_CATEGORIES = (
    "agents",
    "async",
    "calls",
    "chaining",
    "json_mode",
    "output_parsers",
    "prompts",
    "response_models",
    "retries",
    "streams",
    "tools",
)

# Examples that cannot run under mirastream, each with the reason.
NOT_RUNNABLE: dict[str, str] = {
    "tools/pre_made_tools": "mirascope.tools (ready-made web tools) is out of scope",
    "tools/pre_made_toolkit": "mirascope.tools (ready-made toolkits) is out of scope",
    "prompts/multi_modal/audio": "needs pydub/wave audio; Groq's chat takes no audio input",
    "prompts/multi_modal/image/messages.py": "needs PIL and an image file on disk ('...')",
    "prompts/multi_modal/image/shorthand.py": "needs PIL and an image file on disk ('...')",
}

# Examples expected to end in a clear error, and the error they must raise. Each fails
# under Mirascope too, or asks for something Groq cannot do.
EXPECTED_ERRORS: dict[str, tuple[str, str]] = {
    # A PDF in a template; Groq's chat takes no documents.
    "prompts/multi_modal/document/string_template.py": ("PromptError", "take no documents"),
    # b"..." is not an image (Mirascope raises too: unsupported image type).
    "prompts/multi_modal/image/string_template.py": ("PromptError", "not an image"),
    # Overrides the call to provider="anthropic".
    "calls/provider_agnostic": ("ValueError", "mirastream speaks Groq only"),
    # The template names {book}, the function takes `books` (Mirascope: KeyError too).
    "tools/partial_tool_streams/groq/base_tool/string_template.py": ("PromptError", "'book'"),
    "tools/partial_tool_streams/groq/function/string_template.py": ("PromptError", "'book'"),
    "tools/streams/groq/base_tool/string_template.py": ("PromptError", "'book'"),
    "tools/streams/groq/function/string_template.py": ("PromptError", "'book'"),
}

# What a few examples need from the stand-in model or from stdin.
_TUNING: dict[str, dict[str, Any]] = {
    # The validator wants upper case; the first answer fails, the retry (whose prompt
    # carries the previous errors) passes.
    "retries/error_reinsertion": {"upper_when": "Previous Error"},
    # Interactive agents: one question (and an answer when the agent asks), then "exit".
    "agents/human_in_the_loop": {"stdin": "Recommend a fantasy book\nThe Hobbit\nexit\n"},
    "agents": {"stdin": "Recommend a fantasy book\nexit\n"},
    # Arguments in small pieces, so partial tools have deltas to show.
    "tools/partial_tool_streams": {"fragment_arguments": 5},
    # Two calls where the example iterates over several tools.
    "tools/parallel": {"calls": 2},
}

_IMPORT_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<kw>from|import)[ \t]+(?P<module>(?:mirascope|groq)(?:\.[\w.]+)?)\b",
    re.MULTILINE,
)


def migrate(source: str) -> str:
    """The issue's rule, applied to import lines only."""

    def rename(match: re.Match[str]) -> str:
        module = match["module"]
        if module == "mirascope" or module.startswith("mirascope."):
            module = "mirastream" + module[len("mirascope") :]
        else:  # the groq SDK
            module = "mirastream.groq" + module[len("groq") :]
        return f"{match['indent']}{match['kw']} {module}"

    return _IMPORT_LINE.sub(rename, source)


def _examples() -> list[str]:
    """Every Groq example of those categories, and the provider-free prompt examples."""
    if not ROOT.is_dir():
        return []
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        groq = "/groq/" in rel or rel.endswith("/groq_messages.py")
        if rel.startswith(_CATEGORIES) and (groq or rel.startswith("prompts/")):
            found.append(rel)
    return found


EXAMPLES = _examples()


def _lookup(table: dict[str, Any], rel: str) -> Any:
    for prefix, value in table.items():
        if rel.startswith(prefix):
            return value
    return None


# -- the stand-in model -------------------------------------------------------------------


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return dict(defs.get(ref.rsplit("/", 1)[-1], {}))
    return schema


def fake_value(schema: dict[str, Any], defs: dict[str, Any], upper: bool = False) -> Any:
    """A value that fits ``schema``: examples first, then a plausible value per type."""
    schema = _resolve(schema, defs)
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return fake_value(options[0], defs, upper)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: fake_value(sub, defs, upper) for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        item = schema.get("items", {"type": "string"})
        return [fake_value(item, defs, upper), fake_value(item, defs, upper)]
    if kind == "integer":
        return 3
    if kind == "number":
        return 4.5
    if kind == "boolean":
        return True
    text = "The Name of the Wind"
    return text.upper() if upper else text


def _schema_in(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The JSON schema Mirascope's JSON-mode instruction puts in the last message."""
    for message in reversed(messages):
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        if isinstance(content, str) and "adheres to this schema:" in content:
            return dict(json.loads(content.split("adheres to this schema:", 1)[1]))
    return None


def _answered(messages: list[dict[str, Any]]) -> bool:
    """Whether tool results came after the last question (an empty user turn is none)."""
    for message in reversed(messages):
        if message.get("role") == "tool":
            return True
        if message.get("role") == "user" and message.get("content"):
            return False
    return False


def _text_of(messages: list[dict[str, Any]]) -> str:
    return json.dumps(messages)


class StandIn:
    """Answers each request the way the example expects a model to."""

    def __init__(self, tuning: dict[str, Any]) -> None:
        self.tuning = tuning

    def __call__(self, request: RecordedRequest) -> Script:
        body: dict[str, Any] = request.body if isinstance(request.body, dict) else {}
        messages: list[dict[str, Any]] = body.get("messages") or []
        upper = self.tuning.get("upper_when", "\0") in _text_of(messages)
        tools = {t["function"]["name"]: t["function"] for t in body.get("tools") or []}
        forced = body.get("tool_choice")
        fragments = self.tuning.get("fragment_arguments")
        if isinstance(forced, dict):
            function = tools[forced["function"]["name"]]
            args = fake_value(
                function["parameters"], function["parameters"].get("$defs", {}), upper
            )
            call = ToolCall(function["name"], args)
            return Script(tool_calls=[call], fragment_arguments=fragments)
        answered = _answered(messages)
        if tools and not answered:
            function = next(iter(tools.values()))
            params = function.get("parameters", {})
            calls = [
                ToolCall(function["name"], fake_value(params, params.get("$defs", {}), upper))
                for _ in range(self.tuning.get("calls", 1))
            ]
            return Script(tool_calls=calls, fragment_arguments=fragments)
        schema = _schema_in(messages)  # JSON mode, or text mode (a stream's default)
        if schema is not None or isinstance(body.get("response_format"), dict):
            value = (
                fake_value(schema, schema.get("$defs", {}), upper)
                if schema is not None
                else {"author": "Patrick Rothfuss", "genre": "Fantasy"}
            )
            return Script(json.dumps(value))
        text = "The Name of the Wind by Patrick Rothfuss"
        return Script(text.upper() if upper else text)


# -- running one example ------------------------------------------------------------------


@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    from mirastream import _call

    monkeypatch.setenv("GROQ_API_KEY", "gsk_mirastream_fake_key_for_tests")
    monkeypatch.setattr(_call, "_default_client", None)
    monkeypatch.setattr(_call, "_default_async_clients", weakref.WeakKeyDictionary())
    yield monkeypatch
    client = _call._default_client
    if client is not None:
        client.close()


async def _no_wait(sleep: Any, delay: float, result: Any = None) -> Any:
    return await sleep(0, result)


@pytest.fixture(scope="module")
def stand_in() -> Iterator[tuple[GroqServer, StandIn]]:
    """One server for all the examples; each example sets the stand-in's tuning."""
    model = StandIn({})
    with GroqServer(responder=model) as server:
        yield server, model


def run_example(
    rel: str, monkeypatch: pytest.MonkeyPatch, server: GroqServer, model: StandIn
) -> tuple[str, BaseException | None]:
    """Run one migrated example against the stand-in; return its output and error."""
    tuning = _lookup(_TUNING, rel) or {}
    model.tuning = tuning
    source = migrate((ROOT / rel).read_text())
    out = io.StringIO()
    error: BaseException | None = None
    monkeypatch.setenv("GROQ_BASE_URL", server.base_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(tuning.get("stdin", "exit\n")))
    monkeypatch.setattr(sys, "stdout", out)
    # Some examples simulate a slow tool with asyncio.sleep(1): no need to wait here.
    monkeypatch.setattr(asyncio, "sleep", functools.partial(_no_wait, asyncio.sleep))
    # A real module, so pydantic resolves the example's annotations in it.
    module = types.ModuleType("__main__")
    module.__file__ = str(ROOT / rel)
    monkeypatch.setitem(sys.modules, "__main__", module)
    try:
        exec(compile(source, rel, "exec"), module.__dict__)
    except BaseException as exc:
        error = exc
    finally:
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    assert server.errors == []
    return out.getvalue(), error


@pytest.mark.skipif(not EXAMPLES, reason=f"Mirascope's examples are not at {ROOT}")
@pytest.mark.parametrize("rel", EXAMPLES or ["absent"])
def test_mirascope_example_runs_migrated(
    rel: str, example_env: pytest.MonkeyPatch, stand_in: tuple[GroqServer, StandIn]
) -> None:
    reason = _lookup(NOT_RUNNABLE, rel)
    if (ROOT / rel).read_text().startswith("# Not supported"):
        reason = "Mirascope's own example says 'Not supported' for Groq (audio or documents)"
    if reason:
        pytest.skip(reason)
    _, error = run_example(rel, example_env, *stand_in)
    expected = _lookup(EXPECTED_ERRORS, rel)
    if expected is not None:
        assert error is not None, f"{rel} should fail with {expected[0]}"
        assert type(error).__name__ == expected[0] and expected[1] in str(error)
        return
    if error is not None:
        raise error


def test_migration_touches_import_lines_only() -> None:
    source = (
        "from mirascope.core import groq\n"
        "from groq import GroqError\n"
        "import groq.types\n"
        "x = 'from mirascope.core import groq'\n"
        "    from mirascope import llm\n"
    )
    assert migrate(source) == (
        "from mirastream.core import groq\n"
        "from mirastream.groq import GroqError\n"
        "import mirastream.groq.types\n"
        "x = 'from mirascope.core import groq'\n"
        "    from mirastream import llm\n"
    )
