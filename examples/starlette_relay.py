"""Relay a streamed Groq answer to the browser, with Starlette and ``mirastream.relay``.

Two endpoints over one call:

* ``GET /chat?q=...``: mirastream's Server-Sent Events, read by the page at ``/`` with
  ``EventSource``: text as it streams, then tokens and cost, or the error (also one
  raised before the stream, a 401 or a 429 after retries: it arrives as an event).
* ``POST /api/chat``: the Vercel AI SDK's UI message stream, so a ``useChat`` frontend
  talks to this backend directly.

Serve it with any ASGI server, from the examples directory, e.g.
``uvicorn starlette_relay:app``, and open http://127.0.0.1:8000/. Run directly
(``.venv/bin/python examples/starlette_relay.py``) it needs no server: it calls its own
endpoints in-process through httpx and prints what a browser receives. Offline unless
GROQ_API_KEY is set; offline, ask about a "rate limit" or say "fail midway" to see
the two kinds of error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from _offline import ScriptedModel, groq_or_local
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from mirastream import groq_call
from mirastream.relay import (
    SSE_HEADERS,
    UI_MESSAGE_STREAM_HEADERS,
    async_sse_body,
    async_ui_message_body,
    messages_from_ui,
)
from mirastream.testing import ErrorReply, RecordedRequest, Reply, Script, script

PAGE = """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>mirastream relay</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; }
  #reasoning { color: #777; font-style: italic; white-space: pre-wrap; }
  #answer { white-space: pre-wrap; min-height: 3em; }
  #meta { color: #555; font-size: 0.9em; }
  #meta.error { color: #b00020; }
</style>
<h1>Ask Groq</h1>
<form id="ask">
  <input id="q" size="50" value="Why is the sky blue?" aria-label="question">
  <button id="go">Ask</button>
</form>
<p id="reasoning"></p>
<p id="answer"></p>
<p id="meta"></p>
<script>
const $ = (id) => document.getElementById(id);
let source = null;
function finish(state, text, isError) {
  source.close();  // or EventSource reconnects and asks again
  document.body.dataset.state = state;
  $("meta").textContent = text;
  $("meta").className = isError ? "error" : "";
  $("go").disabled = false;
}
$("ask").onsubmit = (event) => {
  event.preventDefault();
  $("reasoning").textContent = $("answer").textContent = $("meta").textContent = "";
  $("go").disabled = true;
  document.body.dataset.state = "streaming";
  source = new EventSource("/chat?q=" + encodeURIComponent($("q").value));
  window.lastSource = source;
  const append = (id) => (e) => { $(id).textContent += JSON.parse(e.data); };
  source.addEventListener("reasoning", append("reasoning"));
  source.addEventListener("text", append("answer"));
  source.addEventListener("done", (e) => {
    const d = JSON.parse(e.data);
    const cost = d.cost == null ? "cost unknown" : "$" + d.cost.toFixed(6);
    finish("done", `${d.model}: ${d.input_tokens} in, ${d.output_tokens} out tokens, ${cost}`);
  });
  source.addEventListener("error", (e) => {
    if (!e.data) { finish("error", "connection lost", true); return; }  // not ours
    const err = JSON.parse(e.data);
    const when = err.during === "request" ? "before the stream" : "mid-stream";
    const status = err.status ? ` ${err.status}` : "";
    finish("error", `error${status} ${when}: ${err.message}`, true);
  });
};
</script>
</html>
"""

FAVICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#f55036"/>
<path d="M8 21c3-9 5-9 8 0s5 9 8 0" fill="none" stroke="#fff" stroke-width="3"
 stroke-linecap="round"/>
</svg>
"""


@groq_call("llama-3.3-70b-versatile", stream=True)
async def answer(question: str) -> str:
    return f"Answer in a short paragraph: {question}"


@groq_call("llama-3.3-70b-versatile", stream=True)
async def chat_turn(history: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{"role": "system", "content": "Answer in a short paragraph."}, *history]


async def page(request: Request) -> Response:
    return HTMLResponse(PAGE)


async def favicon(request: Request) -> Response:
    return Response(FAVICON, media_type="image/svg+xml")


async def chat(request: Request) -> Response:
    """mirastream's event stream, for ``EventSource``."""
    question = request.query_params.get("q", "").strip()
    if not question:
        return PlainTextResponse("ask something: /chat?q=...", status_code=400)
    # Not awaited here: the relay awaits it, so a failed call becomes an error event.
    return StreamingResponse(async_sse_body(answer(question)), headers=SSE_HEADERS)


async def ui_chat(request: Request) -> Response:
    """The UI message stream, for ``useChat`` (its default transport posts here)."""
    body = await request.json()
    history = messages_from_ui(body["messages"])
    stream = async_ui_message_body(chat_turn(history))
    return StreamingResponse(stream, headers=UI_MESSAGE_STREAM_HEADERS)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    with groq_or_local(offline):
        yield


app = Starlette(
    routes=[
        Route("/", page),
        Route("/favicon.svg", favicon),
        Route("/favicon.ico", favicon),
        Route("/chat", chat),
        Route("/api/chat", ui_chat, methods=["POST"]),
    ],
    lifespan=lifespan,
)


async def main() -> None:
    """Play the browser: fetch the page, then the event streams (no ASGI server needed)."""
    transport = httpx.ASGITransport(app=app)  # does not run the lifespan, so enter it here
    async with lifespan(app), httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        home = await http.get("/")
        print(f"GET / -> {home.status_code} {home.headers['content-type']}")
        # httpx's ASGI transport returns the body once the response is complete; a real
        # ASGI server sends each event as soon as it is yielded.
        response = await http.get("/chat", params={"q": "Why is the sky blue?"})
        print(f"GET /chat?q=... -> {response.status_code} {response.headers['content-type']}")
        events = response.text.strip().split("\n\n")
        print("\n\n".join(events[:3]), "...", events[-1], sep="\n\n")
        text = "".join(json.loads(e.split("data: ", 1)[1]) for e in events if "event: text" in e)
        print(f"\n{len(events)} events; the page shows:\n{text}")

        for question in ("Am I over the rate limit?", "Please fail midway"):
            response = await http.get("/chat", params={"q": question})
            error = response.text.strip().split("\n\n")[-1]
            print(f"\nGET /chat?q={question!r} -> {response.status_code}\n{error}")

        ui_question = {"id": "m1", "role": "user", "parts": [{"type": "text", "text": "Hi!"}]}
        response = await http.post("/api/chat", json={"messages": [ui_question]})
        stream_header = response.headers["x-vercel-ai-ui-message-stream"]
        print(f"\nPOST /api/chat -> {response.status_code}, ui message stream {stream_header}")
        lines = response.text.strip().split("\n\n")
        print("\n".join([*lines[:4], "...", *lines[-3:]]))


# Offline only: what the local server answers in place of the model.
OFFLINE = ScriptedModel(
    answer="Sunlight is a mix of colours, and air molecules scatter short blue wavelengths "
    "far more than long red ones (Rayleigh scattering). That scattered blue light reaches "
    "your eyes from every direction, so the whole sky looks blue."
)


def offline(request: RecordedRequest) -> Reply | Script:
    """The scripted model, and on request the two kinds of failure."""
    asked = request.raw_body.decode("utf-8", "replace").lower()
    if "rate limit" in asked:  # every retry is refused too: the call fails before streaming
        return ErrorReply(
            429,
            "Rate limit reached for model `llama-3.3-70b-versatile` (scripted)",
            type="tokens",
            code="rate_limit_exceeded",
            headers={"retry-after-ms": "5"},
        )
    if "fail midway" in asked:
        return script(str(OFFLINE.answer), error="Service unavailable (scripted)", error_after=12)
    return OFFLINE(request)


if __name__ == "__main__":
    asyncio.run(main())
