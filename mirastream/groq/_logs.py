"""The ``mirastream`` logger: one DEBUG record per request, retry and stream end.

Silent by default (a ``NullHandler``, no level set), like any library. ``GROQ_LOG=debug``
(or ``info``) in the environment turns it on at import, as the groq SDK does for its own
``groq`` logger: a basic console format, and the ``httpx`` logger at the same level.

Each record says which model, what status, how long and which ``x-request-id``; stream
ends and non-stream answers add the usage. No record ever holds a header value other
than the request id, so the API key never reaches a log. Each function tests
``isEnabledFor`` first: with logging off a request pays one test, a stream one test at
its start (never one per chunk).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import httpx
from jiter import from_json

from mirastream.groq.types import ChatCompletionChunk, reported_usage

__all__ = [
    "debug_enabled",
    "log_failure",
    "log_response",
    "log_retry",
    "log_stream_end",
    "logger",
    "setup_logging",
]

logger = logging.getLogger("mirastream")
logger.addHandler(logging.NullHandler())

_DEBUG = logging.DEBUG


def setup_logging() -> None:
    """Apply ``GROQ_LOG`` (``debug`` or ``info``), as ``import groq`` does."""
    level = {"debug": logging.DEBUG, "info": logging.INFO}.get(os.environ.get("GROQ_LOG", ""))
    if level is None:
        return
    logging.basicConfig(
        format="[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    logger.setLevel(level)
    logging.getLogger("httpx").setLevel(level)


def debug_enabled() -> bool:
    """Whether DEBUG records of the ``mirastream`` logger go anywhere."""
    return logger.isEnabledFor(_DEBUG)


def _usage_text(usage: dict[str, Any] | None) -> str:
    if not isinstance(usage, dict):
        return "usage=none"
    parts = [
        f"usage: in={usage.get('prompt_tokens')} out={usage.get('completion_tokens')}",
    ]
    timings = [
        f"{name}={usage[key]}s"
        for name, key in (("queue", "queue_time"), ("total", "total_time"))
        if isinstance(usage.get(key), (int, float))
    ]
    return " ".join(parts + timings)


def _elapsed_ms(response: httpx.Response) -> str:
    try:
        return f"{response.elapsed.total_seconds() * 1000:.0f} ms"
    except RuntimeError:  # a streamed body: elapsed is known only once it is closed
        return "body streaming"


def log_response(model: str, stream: bool, response: httpx.Response) -> None:
    """One record for the final answer to a request (success or error status)."""
    if not logger.isEnabledFor(_DEBUG):
        return
    usage = ""
    if not stream and response.is_success:  # a non-stream body is read already
        try:
            data = from_json(response.content)
        except ValueError:
            data = None
        usage = " " + _usage_text(reported_usage(data) if isinstance(data, dict) else None)
    logger.debug(
        "request model=%s stream=%s -> %d %s (%s, request id %s)%s",
        model,
        stream,
        response.status_code,
        response.reason_phrase,
        _elapsed_ms(response),
        response.headers.get("x-request-id"),
        usage,
    )


def log_retry(
    model: str,
    attempt: int,
    delay: float,
    *,
    response: httpx.Response | None = None,
    error: BaseException | None = None,
) -> None:
    """One record per retry: why, which attempt comes next, after how long."""
    if not logger.isEnabledFor(_DEBUG):
        return
    if response is not None:
        reason = (
            f"status {response.status_code} (request id {response.headers.get('x-request-id')})"
        )
    else:
        reason = type(error).__name__
    logger.debug("retry model=%s after %s: attempt %d in %.2f s", model, reason, attempt, delay)


def log_failure(model: str, stream: bool, error: BaseException) -> None:
    """One record for a request that got no answer (after its retries)."""
    if not logger.isEnabledFor(_DEBUG):
        return
    logger.debug(
        "request model=%s stream=%s failed: %s",
        model,
        stream,
        type(error).__name__,
    )


def log_stream_end(
    response: httpx.Response, last: ChatCompletionChunk | None, stopped: bool, exc: Any
) -> None:
    """One record when a stream ends: how, with what usage (called from its ``finally``).

    Args:
        response: The stream's response.
        last: The last chunk decoded (its usage is the stream's), if any.
        stopped: Whether the decoder saw the end of the stream.
        exc: The exception ending the stream, if any (``GeneratorExit``: closed early).
    """
    if exc is None:
        outcome = "complete" if stopped else "ended"
    elif isinstance(exc, GeneratorExit):
        outcome = "closed early"
    else:
        outcome = f"failed ({type(exc).__name__})"
    data = last._data if last is not None else {}
    logger.debug(
        "stream end model=%s: %s, %s (request id %s)",
        data.get("model"),
        outcome,
        _usage_text(reported_usage(data)),
        response.headers.get("x-request-id"),
    )


setup_logging()
