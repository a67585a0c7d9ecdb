"""The relay's public functions: a stream in, the body of a streaming HTTP response out.

Two formats (mirastream's named events for ``EventSource``; the Vercel AI SDK's UI
message stream for ``useChat``), each sync and async. Pass what the call returns, or a
function making it, and the call's own errors become events too.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

from mirastream.relay._events import EventFormat
from mirastream.relay._ui_message import UIMessageFormat
from mirastream.relay._walk import AsyncSource, ErrorMessage, Relay, Source, async_walk, walk

__all__ = ["async_sse_body", "async_ui_message_body", "sse_body", "ui_message_body"]


def async_sse_body(
    source: AsyncSource, *, on_error: ErrorMessage | None = None, call_tools: bool = False
) -> AsyncGenerator[bytes, None]:
    """Server-Sent Events in mirastream's event format, for an ASGI streaming response.

    Example::

        @groq_call("llama-3.3-70b-versatile", stream=True)
        async def answer(question: str) -> str: ...

        async def chat(request):
            body = async_sse_body(answer(request.query_params["q"]))
            return StreamingResponse(body, headers=SSE_HEADERS)

    Args:
        source: An :class:`~mirastream.AsyncGroqStream`, the awaitable an async streamed
            call returns (not yet awaited, so the relay sees the call's own errors), or a
            function returning either.
        on_error: The message the page is shown for an exception (default: mirastream's
            message for its own errors, ``"An error occurred."`` for any other).
        call_tools: Run each tool the model calls (``tool.call()``, awaited if async) as
            soon as its arguments are complete, and send its output.

    Returns:
        The body: one ``bytes`` per upstream chunk, then the ``done`` event. An error
        before or during the stream ends it with an ``error`` event (the response
        status stays 200, so the page can read it); an exception that is not
        mirastream's is re-raised after its event, for the server to log. Closing the
        body (the client went away) closes the Groq stream at once.
    """
    return async_walk(source, Relay(EventFormat(), on_error), call_tools=call_tools)


def sse_body(
    source: Source, *, on_error: ErrorMessage | None = None, call_tools: bool = False
) -> Generator[bytes, None, None]:
    """The sync twin of :func:`async_sse_body`, for a :class:`~mirastream.GroqStream`.

    Args:
        source: A :class:`~mirastream.GroqStream`, or a function making one (then the
            call's own errors become events too), e.g. ``lambda: answer(question)``.
        on_error: As for :func:`async_sse_body`.
        call_tools: As for :func:`async_sse_body` (sync tools only).

    Returns:
        The body, as for :func:`async_sse_body`.
    """
    return walk(source, Relay(EventFormat(), on_error), call_tools=call_tools)


def async_ui_message_body(
    source: AsyncSource,
    *,
    message_id: str | None = None,
    on_error: ErrorMessage | None = None,
    call_tools: bool = False,
) -> AsyncGenerator[bytes, None]:
    """The Vercel AI SDK's UI message stream (v1), for ``useChat`` and friends.

    Send it with :data:`UI_MESSAGE_STREAM_HEADERS` (they carry
    ``x-vercel-ai-ui-message-stream: v1``).

    Args:
        source: As for :func:`async_sse_body`.
        message_id: The ``messageId`` of the ``start`` part; ``None`` lets the client
            choose.
        on_error: The ``errorText`` of the ``error`` part, from the exception.
        call_tools: Run the tools and send ``tool-output-available`` (or
            ``tool-output-error``) parts.

    Returns:
        The body: ``start``, ``start-step``, the reasoning, text and tool parts,
        ``finish-step``, ``finish`` (with ``finishReason``, and usage and cost as
        ``messageMetadata``), then ``data: [DONE]``; or ``error`` then ``[DONE]``.
        Closing it closes the Groq stream at once.
    """
    relay = Relay(UIMessageFormat(message_id), on_error)
    return async_walk(source, relay, call_tools=call_tools)


def ui_message_body(
    source: Source,
    *,
    message_id: str | None = None,
    on_error: ErrorMessage | None = None,
    call_tools: bool = False,
) -> Generator[bytes, None, None]:
    """The sync twin of :func:`async_ui_message_body`, for a :class:`~mirastream.GroqStream`.

    Args:
        source: As for :func:`sse_body`.
        message_id: As for :func:`async_ui_message_body`.
        on_error: As for :func:`async_ui_message_body`.
        call_tools: As for :func:`async_ui_message_body` (sync tools only).

    Returns:
        The body, as for :func:`async_ui_message_body`.
    """
    relay = Relay(UIMessageFormat(message_id), on_error)
    return walk(source, relay, call_tools=call_tools)
