"""Relay a streamed Groq answer to the browser as Server-Sent Events, with Starlette.

Serve it with any ASGI server, from the examples directory, e.g.
``uvicorn starlette_relay:app``, and open http://127.0.0.1:8000/. Run directly
(``.venv/bin/python examples/starlette_relay.py``) it needs no server: it calls its own
endpoints in-process through httpx and prints what a browser receives. Offline unless
GROQ_API_KEY is set.
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

from mirastream import MirastreamError, StreamError, groq_call

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>mirastream relay</title>
<form id="ask"><input id="q" size="60" value="Why is the sky blue?"> <button>Ask</button></form>
<p id="answer"></p>
<p id="meta"></p>
<script>
document.getElementById("ask").onsubmit = (event) => {
  event.preventDefault();
  const answer = document.getElementById("answer"), meta = document.getElementById("meta");
  answer.textContent = meta.textContent = "";
  const q = encodeURIComponent(document.getElementById("q").value);
  const source = new EventSource("/chat?q=" + q);
  source.onmessage = (e) => { answer.textContent += JSON.parse(e.data); };
  source.addEventListener("done", (e) => {
    const done = JSON.parse(e.data);
    meta.textContent = `${done.output_tokens} tokens, $${done.cost}`;
    source.close();  // or EventSource reconnects and asks again
  });
  source.addEventListener("upstream-error", (e) => {
    meta.textContent = "error: " + JSON.parse(e.data);
    source.close();
  });
  source.onerror = () => source.close();
};
</script>
"""


@groq_call("llama-3.3-70b-versatile", stream=True)
async def answer(question: str) -> str:
    return f"Answer in a short paragraph: {question}"


def sse(data: object, event: str | None = None) -> str:
    """One Server-Sent Event; the data is JSON, so newlines in the text are safe."""
    return (f"event: {event}\n" if event else "") + f"data: {json.dumps(data)}\n\n"


async def page(request: Request) -> Response:
    return HTMLResponse(PAGE)


async def chat(request: Request) -> Response:
    question = request.query_params.get("q", "").strip()
    if not question:
        return PlainTextResponse("ask something: /chat?q=...", status_code=400)
    try:
        stream = await answer(question)
    except MirastreamError as exc:  # failed before streaming (401, 429 ...): a plain HTTP error
        return PlainTextResponse(f"upstream error: {exc}", status_code=502)

    async def events() -> AsyncIterator[str]:
        async with stream:  # closes the upstream stream if the browser goes away
            try:
                async for chunk, _ in stream:
                    if chunk.content:
                        yield sse(chunk.content)
            except StreamError as exc:  # failed mid-stream: tell the page, keep what it has
                yield sse(str(exc), event="upstream-error")
                return
        yield sse({"output_tokens": stream.output_tokens, "cost": stream.cost}, event="done")

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"cache-control": "no-cache"}
    )


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    with groq_or_local(OFFLINE):
        yield


app = Starlette(routes=[Route("/", page), Route("/chat", chat)], lifespan=lifespan)


async def main() -> None:
    """Play the browser: fetch the page, then the event stream (no ASGI server needed)."""
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
        text = "".join(json.loads(e[len("data: ") :]) for e in events if e.startswith("data: "))
        print(f"\n{len(events)} events; the page shows:\n{text}")


# Offline only: what the local server answers in place of the model.
OFFLINE = ScriptedModel(
    answer="Sunlight is a mix of colours, and air molecules scatter short blue wavelengths "
    "far more than long red ones (Rayleigh scattering). That scattered blue light reaches "
    "your eyes from every direction, so the whole sky looks blue."
)

if __name__ == "__main__":
    asyncio.run(main())
