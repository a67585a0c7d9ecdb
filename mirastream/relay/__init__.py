"""From a streamed call to a browser: Server-Sent Events bodies for any ASGI framework.

Each helper turns a :class:`~mirastream.GroqStream` / :class:`~mirastream.AsyncGroqStream`
(text, reasoning, tool calls, final usage and cost, errors before and during the stream)
into the bytes of a streaming response body, in one of two formats:

* mirastream's named events, for a page using ``EventSource``
  (:func:`async_sse_body`, :func:`sse_body`; headers :data:`SSE_HEADERS`);
* the Vercel AI SDK's UI message stream protocol, for ``useChat``
  (:func:`async_ui_message_body`, :func:`ui_message_body`; headers
  :data:`UI_MESSAGE_STREAM_HEADERS`), with :func:`messages_from_ui` to read what
  ``useChat`` posts.

With Starlette or FastAPI::

    from mirastream.relay import SSE_HEADERS, async_sse_body

    async def chat(request):
        body = async_sse_body(answer(request.query_params["q"]))
        return StreamingResponse(body, headers=SSE_HEADERS)

The helpers need only mirastream itself; the framework is yours. See ``docs/relay.md``.
"""

from __future__ import annotations

from mirastream.relay._bodies import (
    async_sse_body,
    async_ui_message_body,
    sse_body,
    ui_message_body,
)
from mirastream.relay._sse import SSE_HEADERS, format_sse
from mirastream.relay._ui_history import messages_from_ui
from mirastream.relay._ui_message import UI_MESSAGE_STREAM_HEADERS
from mirastream.relay._walk import AsyncSource, ErrorMessage, Source

__all__ = [
    "AsyncSource",
    "ErrorMessage",
    "SSE_HEADERS",
    "Source",
    "UI_MESSAGE_STREAM_HEADERS",
    "async_sse_body",
    "async_ui_message_body",
    "format_sse",
    "messages_from_ui",
    "sse_body",
    "ui_message_body",
]
