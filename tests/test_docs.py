"""The docs say what the code does.

* Every ``python`` block in ``docs/`` compiles, and its imports resolve.
* A block right after ``<!-- test: run -->`` is a complete program: it runs in a
  subprocess against a local ``GroqServer`` through ``GROQ_BASE_URL``, with no real key
  anywhere. The server plays a dull but schema-true model (:func:`docs_model`): it calls
  an offered tool with example arguments, fills a forced tool or a JSON-mode answer
  from the schema, and otherwise echoes.
* A block right after ``<!-- test: pytest -->`` is a test file: pytest runs it.
* Generated content (``docs/hooks.py``) renders from the code, and the numbers the
  errors and performance pages quote are the ones in the code.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mirastream import APIStatusError, StreamError
from mirastream.testing import (
    ErrorReply,
    GroqServer,
    RecordedRequest,
    Reply,
    Script,
    ToolCall,
    default_responder,
    script,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

_BLOCK_RE = re.compile(
    r"^(?:<!-- test: (?P<mode>[a-z]+) -->\n)?```python[^\n]*\n(?P<code>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    mode: str | None
    code: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _blocks() -> list[Block]:
    blocks = []
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        for found in _BLOCK_RE.finditer(text):
            line = text.count("\n", 0, found.start("code"))
            page = path.relative_to(DOCS).as_posix()
            blocks.append(Block(page, line, found.group("mode"), found.group("code")))
    return blocks


BLOCKS = _blocks()
CODE = [b for b in BLOCKS if not b.code.lstrip().startswith("--8<--")]
INCLUDES = [b for b in BLOCKS if b.code.lstrip().startswith("--8<--")]


def test_blocks_were_found() -> None:
    assert len(CODE) > 20
    assert {b.mode for b in BLOCKS} >= {None, "run", "pytest"}
    assert {b.mode for b in BLOCKS} <= {None, "run", "pytest"}


@pytest.mark.parametrize("block", CODE, ids=lambda b: b.id)
def test_block_compiles_and_its_imports_resolve(block: Block) -> None:
    tree = compile(block.code, block.id, "exec", ast.PyCF_ONLY_AST)
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    module = ast.Module(body=imports, type_ignores=[])  # type: ignore[arg-type]
    exec(compile(module, block.id, "exec"), {})


@pytest.mark.parametrize("block", INCLUDES, ids=lambda b: b.id)
def test_included_files_exist(block: Block) -> None:
    for name in re.findall(r'--8<-- "([^"]+)"', block.code):
        assert (ROOT / name.split(":")[0]).is_file(), name


def example_value(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A value that fits a JSON schema (the parts tool schemas use)."""
    if "$ref" in schema:
        return example_value(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example_value(options[0], defs)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: example_value(sub, defs) for name, sub in properties.items()}
    if kind == "array":
        return [example_value(schema.get("items", {}), defs) for _ in range(2)]
    return {"integer": 3, "number": 2.5, "boolean": True, "null": None}.get(str(kind), "Paris")


def _arguments(tool: dict[str, Any]) -> dict[str, Any]:
    parameters = tool["function"].get("parameters") or {}
    value = example_value(parameters, parameters.get("$defs", {}))
    return value if isinstance(value, dict) else {}


def docs_model(request: RecordedRequest) -> Reply | Script:
    """Answer like a model that always does the expected thing, however dully."""
    body: dict[str, Any] = request.body if isinstance(request.body, dict) else {}
    model = str(body.get("model", "llama-3.3-70b-versatile"))
    messages: list[dict[str, Any]] = body.get("messages") or []
    tools: list[dict[str, Any]] = body.get("tools") or []
    forced = body.get("tool_choice")
    if isinstance(forced, dict):
        name = forced["function"]["name"]
        tool = next(t for t in tools if t["function"]["name"] == name)
        call = ToolCall(name, _arguments(tool))
        return Script(tool_calls=[call], fragment_arguments=5, model=model)
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        schema = response_format["json_schema"]["schema"]
        text = json.dumps(example_value(schema, schema.get("$defs", {})))
        return Script(text=text, model=model)
    # JSON mode, or text mode (the schema only in the prompt): the JSON as content.
    prompt = next(
        (
            m["content"]
            for m in messages[::-1]
            if isinstance(m.get("content"), str) and "adheres to this schema:" in m["content"]
        ),
        None,
    )
    if prompt is not None:  # Mirascope's JSON instruction ends with the schema
        schema = json.loads(prompt.split("adheres to this schema:", 1)[1])
        text = json.dumps(example_value(schema, schema.get("$defs", {})))
        return Script(text=text, model=model)
    last = messages[-1] if messages else {}
    if tools and last.get("role") != "tool":
        calls = [ToolCall(t["function"]["name"], _arguments(t)) for t in tools[:1]]
        return Script(tool_calls=calls, model=model)
    if last.get("role") == "tool":
        return Script(text=f"The tool said: {last.get('content')}", model=model)
    return default_responder(request)


def _offline_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROQ_")}
    env.update(GROQ_BASE_URL=base_url, GROQ_API_KEY="gsk_docs_test", PYTHONIOENCODING="utf-8")
    return env


@pytest.mark.parametrize("block", [b for b in CODE if b.mode == "run"], ids=lambda b: b.id)
def test_runnable_block_runs(block: Block, tmp_path: Path) -> None:
    program = tmp_path / "snippet.py"
    program.write_text(block.code, encoding="utf-8")
    with GroqServer(responder=docs_model) as server:
        done = subprocess.run(
            [sys.executable, str(program)],
            cwd=tmp_path,
            env=_offline_env(server.base_url),
            capture_output=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, f"{block.id}\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{block.id} printed nothing"


@pytest.mark.parametrize("block", [b for b in CODE if b.mode == "pytest"], ids=lambda b: b.id)
def test_pytest_block_passes(block: Block, tmp_path: Path) -> None:
    (tmp_path / "test_snippet.py").write_text(block.code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROQ_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_snippet.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{block.id}\n{done.stdout}\n{done.stderr}"
    assert re.search(r"\d+ passed", done.stdout), done.stdout


def test_the_cassette_marker_replays_what_the_record_example_wrote(tmp_path: Path) -> None:
    """The testing page records a cassette in one block and replays it in another."""
    recorder = next(b for b in CODE if 'record(client, "cassettes/recommend"' in b.code)
    marked = next(b for b in CODE if "@pytest.mark.groq_cassette(" in b.code)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROQ_")}
    (tmp_path / "record_it.py").write_text(recorder.code, encoding="utf-8")
    (tmp_path / "test_marked.py").write_text(marked.code, encoding="utf-8")
    for command in (["record_it.py"], ["-m", "pytest", "-q", "-p", "no:cacheprovider"]):
        done = subprocess.run(
            [sys.executable, *command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    assert "1 passed" in done.stdout


# -- generated content ----------------------------------------------------------------


@pytest.fixture(scope="module")
def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Page:
    def __init__(self, src_uri: str) -> None:
        self.file = type("File", (), {"src_uri": src_uri})()


def _render(hooks: ModuleType, page: str) -> str:
    markdown = (DOCS / page).read_text(encoding="utf-8")
    rendered: str = hooks.on_page_markdown(markdown, page=_Page(page), config={}, files=[])
    return rendered


def test_costs_page_shows_the_price_table_from_the_code(hooks: ModuleType) -> None:
    from mirastream._prices import PRICES, price_table_markdown

    assert hooks.PRICE_TABLE in (DOCS / "costs.md").read_text(encoding="utf-8")
    rendered = _render(hooks, "costs.md")
    assert price_table_markdown(PRICES) in rendered
    for model in PRICES:
        assert f"`{model}`" in rendered


def test_errors_page_shows_every_error_class(hooks: ModuleType) -> None:
    from mirastream import errors

    rendered = _render(hooks, "errors.md")
    tree = rendered.split("```text\n", 1)[1].split("```", 1)[0]
    for name in errors.__all__:
        assert re.search(rf"(^|── ){name} ", tree, re.MULTILINE), name
    # Indentation follows the class hierarchy.
    assert re.search(r"^│   └── StreamError .*\n│       ├── APIStreamError", tree, re.MULTILINE)


def test_a_page_without_its_marker_fails_the_build(hooks: ModuleType) -> None:
    with pytest.raises(ValueError, match="price-table"):
        hooks.on_page_markdown("# Costs\n", page=_Page("costs.md"), config={}, files=[])


def test_retry_policy_page_quotes_the_code() -> None:
    from mirastream.groq import _retry

    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    assert (_retry.INITIAL_RETRY_DELAY, _retry.MAX_RETRY_DELAY) == (0.5, 8.0)
    assert _retry.MAX_SERVER_WAIT == 60.0
    for phrase in ("0.5 s", "8 s", "60 s", "25%", "408, 409, 429, 498"):
        assert phrase in text, phrase
    for status in (408, 409, 429, 498, 500, 502, 503, 504):
        assert _retry.should_retry(status)
    for status in (400, 401, 403, 404, 413, 422):
        assert not _retry.should_retry(status)
    # The jitter takes at most 25% off the backoff, and the backoff is capped at 8 s.
    assert _retry.retry_delay(0, 2, None, random=lambda: 0.0) == 0.5
    assert _retry.retry_delay(0, 2, None, random=lambda: 0.999999) > 0.375
    assert _retry.retry_delay(10, 20, None, random=lambda: 0.0) == 8.0
    assert _retry.retry_delay(0, 2, {"retry-after": "60"}) == 60.0
    assert _retry.retry_delay(0, 2, {"retry-after": "61"}, random=lambda: 0.0) == 0.5


@pytest.mark.parametrize(
    ("status", "attempts"), [(429, 2), (498, 2), (503, 2), (408, 2), (400, 1), (401, 1)]
)
def test_the_client_retries_as_the_errors_page_says(status: int, attempts: int) -> None:
    from mirastream.groq import Groq

    with GroqServer() as server:
        server.enqueue(ErrorReply(status, "try again", headers={"retry-after": "0.01"}))
        client = Groq(base_url=server.base_url, api_key="test")
        try:
            client.chat.completions.create(messages=[{"role": "user", "content": "hi"}], model="m")
        except APIStatusError as exc:
            assert exc.status_code == status
        assert len(server.requests) == attempts


def test_a_stream_that_failed_midway_is_not_sent_again() -> None:
    from mirastream.groq import Groq

    with GroqServer() as server:
        server.enqueue(script("Half an answer", error="Service Unavailable", error_after=2))
        client = Groq(base_url=server.base_url, api_key="test")
        stream = client.chat.completions.create(
            messages=[{"role": "user", "content": "hi"}], model="m", stream=True
        )
        with pytest.raises(StreamError):
            for _ in stream:
                pass
        assert len(server.requests) == 1


def _bench_targets() -> list[tuple[str, str]]:
    """``(name, limit)`` of every ``report.target(name, value, limit[, unit])`` call."""
    tree = ast.parse((ROOT / "benchmarks" / "run.py").read_text(encoding="utf-8"))
    targets = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "target":
            name = ast.literal_eval(node.args[0])
            limit = ast.literal_eval(node.args[2])
            unit = ast.literal_eval(node.args[3]).strip() if len(node.args) > 3 else "x"
            targets.append((str(name), f"{limit:g}" + (" " + unit if unit != "x" else "x")))
    return targets


def test_performance_page_lists_the_bench_targets() -> None:
    text = (DOCS / "performance.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| (.+?) \| ≤ (\S+(?: µs)?) \|$", text, re.MULTILINE)
    assert documented == _bench_targets()


def test_every_page_is_in_the_nav() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for path in DOCS.rglob("*.md"):
        assert f": {path.relative_to(DOCS).as_posix()}" in config, path


@pytest.mark.parametrize(
    "module",
    [
        "mirastream",
        "mirastream.groq",
        "mirastream.groq.types",
        "mirastream.errors",
        "mirastream.testing",
        "mirastream.core",
        "mirastream.core.groq",
        "mirastream.retries.tenacity",
        "mirastream.llm",
    ],
)
def test_every_public_module_has_a_reference_page(module: str) -> None:
    pages = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md"))
    assert re.search(rf"^::: {re.escape(module)}$", pages, re.MULTILINE), module
