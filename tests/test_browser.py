"""The relay example in a real browser: headless Chromium, driven by Playwright.

``examples/starlette_relay.py`` is served by uvicorn on 127.0.0.1; its Groq is the
loopback ``GroqServer``, whose replies the test scripts (a pause mid-answer lets it read
the page while tokens are still arriving). It checks what a user sees: the answer grows
token by token, the meta line shows tokens and cost, each question makes one request
and the page closes its ``EventSource``, and errors, before the stream and during it,
are shown. Screenshots go to ``build/browser/``.

Chromium comes from the system (Debian's ``chromium`` package; ``make test-browser``
installs it): Playwright is pointed at it, it never downloads a browser of its own.
Without one the test is skipped, saying why.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mirastream.testing import ErrorReply, Faults, GroqServer, script

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "browser"
CHROMIUM = os.environ.get("MIRASTREAM_CHROMIUM") or next(
    (path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no system Chromium (install it with `make test-browser`, which runs "
    "`apt-get install chromium`, or set MIRASTREAM_CHROMIUM to a Chromium binary)",
)

ANSWER = (
    "Sunlight is a mix of colours, and air molecules scatter short blue wavelengths far "
    "more than long red ones, so blue light reaches your eyes from every direction."
)


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def groq(monkeypatch: pytest.MonkeyPatch) -> Iterator[GroqServer]:
    """The example's Groq: a loopback server the test scripts."""
    with GroqServer() as server:
        monkeypatch.setenv("GROQ_BASE_URL", server.base_url)
        monkeypatch.setenv("GROQ_API_KEY", "gsk_browser_test")
        yield server
        assert server.errors == []


@pytest.fixture
def site(groq: GroqServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The example app, served by uvicorn on 127.0.0.1; yields its URL."""
    uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is in the dev extra")
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    app = load_example("starlette_relay").app
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_the_relay_page_in_chromium(site: str, groq: GroqServer) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 420})
            run_the_page(page, site, groq)
        finally:
            browser.close()


def run_the_page(page: Any, site: str, groq: GroqServer) -> None:
    chat_requests: list[str] = []
    page.on("request", lambda r: chat_requests.append(r.url) if "/chat?" in r.url else None)
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    def ask(question: str) -> None:
        page.fill("#q", question)
        page.click("#go")

    def wait_state(state: str) -> None:
        page.wait_for_function(f"document.body.dataset.state === '{state}'", timeout=5000)

    page.goto(site)
    assert page.title() == "mirastream relay"
    icon = page.evaluate(
        """async () => {
            const href = document.querySelector("link[rel=icon]").href;
            const response = await fetch(href);
            return [response.status, response.headers.get("content-type"), await response.text()];
        }"""
    )
    assert icon[0] == 200 and icon[1] == "image/svg+xml" and icon[2].startswith("<svg")

    # 1. Tokens appear progressively: the server pauses after a few pieces.
    pieces = re.findall(r"\s*(?:\w+|[^\w\s])|\s+", ANSWER)
    groq.enqueue(script(ANSWER, faults=Faults(stall_after_events=6, stall_seconds=0.8)))
    ask("Why is the sky blue?")
    page.wait_for_function("document.getElementById('answer').textContent.length > 0")
    page.wait_for_timeout(150)  # inside the pause: what arrived so far stays on screen
    partial = page.text_content("#answer")
    assert partial and ANSWER.startswith(partial) and len(partial) < len(ANSWER) / 2
    assert page.get_attribute("body", "data-state") == "streaming"
    assert page.is_disabled("#go")
    page.screenshot(path=str(SHOTS / "1-streaming.png"))
    wait_state("done")
    assert page.text_content("#answer") == ANSWER
    cost = (18 * 0.59 + len(pieces) * 0.79) / 1e6
    meta = f"llama-3.3-70b-versatile: 18 in, {len(pieces)} out tokens, ${cost:.6f}"
    assert page.text_content("#meta") == meta
    page.screenshot(path=str(SHOTS / "2-done.png"))

    # 2. A second question on the same page replaces the answer.
    groq.enqueue(script("Because of Rayleigh scattering."))
    ask("And in one line?")
    wait_state("done")
    assert page.text_content("#answer") == "Because of Rayleigh scattering."

    # 3. An error before the stream: 429 on every try, so the call fails after retries.
    limited = ErrorReply(
        429, "Rate limit reached (scripted)", type="tokens", code="rate_limit_exceeded",
        headers={"retry-after-ms": "5"},
    )  # fmt: skip
    groq.enqueue(limited, limited, limited)
    ask("Once more?")
    wait_state("error")
    assert page.text_content("#answer") == ""
    assert page.text_content("#meta") == (
        "error 429 before the stream: Rate limit reached (scripted)"
    )
    page.screenshot(path=str(SHOTS / "3-error-before-stream.png"))

    # 4. An error mid-stream: what arrived stays, the error is shown under it.
    groq.enqueue(script(ANSWER, error="Service overloaded", error_after=5))
    ask("Last one?")
    wait_state("error")
    assert page.text_content("#answer") == "".join(pieces[:5])
    assert page.text_content("#meta") == "error 500 mid-stream: Service overloaded"
    page.screenshot(path=str(SHOTS / "4-error-mid-stream.png"))

    # One request per question, and every EventSource closed (so none reconnects).
    page.wait_for_timeout(300)
    assert len(chat_requests) == 4, chat_requests
    assert page.evaluate("window.lastSource.readyState") == 2  # CLOSED
    assert len(groq.requests) == 1 + 1 + 3 + 1  # the 429 was retried twice
    assert console_errors == []
