"""What a finished answer amounts to (:class:`Outcome`), and how it is shown.

Folding a recorded body uses the library's own sans-IO pieces (``ChunkDecoder``,
``StreamFold``), so ``mirastream replay`` shows exactly what a client would get.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mirastream._costs import CostMetadata
    from mirastream.groq._ratelimits import RateLimits
    from mirastream.groq.types import CompletionUsage

__all__ = [
    "ErrorBody",
    "Outcome",
    "UsageError",
    "describe",
    "fold_file",
    "print_json",
    "row",
    "summary",
    "usd",
]

_LABEL = 10  # width of the label column in summaries


class UsageError(Exception):
    """A mistake in how the command was called: exit status 2."""


class ErrorBody(Exception):
    """A recorded error answer (``{"error": {...}}``), as the API sent it.

    Attributes:
        message: Groq's message.
        type: Groq's error type, if given.
        code: Groq's error code, if given.
        status_code: The HTTP status, when the cassette recorded it.
    """

    def __init__(self, error: dict[str, Any], status_code: int | None) -> None:
        message = error.get("message")
        self.message = message if isinstance(message, str) else json.dumps(error)
        super().__init__(self.message)
        self.type = error.get("type") if isinstance(error.get("type"), str) else None
        self.code = error.get("code") if isinstance(error.get("code"), str) else None
        self.status_code = status_code


@dataclass
class Outcome:
    """Everything a summary shows about one answer (streamed or not)."""

    content: str = ""
    reasoning: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reasons: list[str] = field(default_factory=list)
    model: str | None = None
    id: str | None = None
    request_id: str | None = None
    usage: CompletionUsage | None = None
    chunks: int | None = None
    error: BaseException | None = None
    source: str | None = None
    time_to_first_token: float | None = None  # ms, measured by the client (chat only)
    tokens_per_second: float | None = None
    rate_limits: RateLimits | None = None

    @property
    def answered(self) -> bool:
        """Whether any answer arrived (an error body alone is no answer)."""
        return bool(self.id or self.chunks or self.content or self.tool_calls)

    @property
    def cost(self) -> CostMetadata:
        """The cost, from the model and usage."""
        from mirastream._results import cost_metadata

        return cost_metadata(self.model, self.usage)

    def to_json(self) -> dict[str, Any]:
        """The outcome as JSON data (``--json``)."""
        data: dict[str, Any] = {
            "model": self.model,
            "id": self.id,
            "request_id": self.request_id,
            "content": self.content,
            "reasoning": self.reasoning or None,
            "tool_calls": self.tool_calls,
            "finish_reason": self.finish_reasons[-1] if self.finish_reasons else None,
            "usage": None if self.usage is None else self.usage.to_dict(),
            "cost": None if self.usage is None else self.cost.model_dump(),
            "error": None if self.error is None else error_json(self.error),
        }
        if self.chunks is not None:
            data["chunks"] = self.chunks
        if self.source is not None:
            data["source"] = self.source
        if self.time_to_first_token is not None or self.tokens_per_second is not None:
            data["time_to_first_token_ms"] = self.time_to_first_token
            data["tokens_per_second"] = self.tokens_per_second
        if self.rate_limits:
            data["rate_limits"] = dataclasses.asdict(self.rate_limits)
        return data


def error_json(exc: BaseException) -> dict[str, Any]:
    """The error as JSON data: its kind, a message, and Groq's fields when present."""
    data: dict[str, Any] = {"kind": type(exc).__name__, "message": describe(exc)}
    for name in ("type", "code", "status_code", "failed_generation"):
        value = getattr(exc, name, None)
        if value is not None:
            data[name] = value
    return data


def describe(exc: BaseException) -> str:
    """One line saying what went wrong, in the user's terms."""
    from mirastream import errors

    if isinstance(exc, errors.APIStreamError):
        details = ", ".join(
            f"{name} {value}"
            for name, value in (("type", exc.type), ("code", exc.code), ("status", exc.status_code))
            if value is not None
        )
        return f"the stream ended with an error: {exc.message}" + (
            f" ({details})" if details else ""
        )
    if isinstance(exc, ErrorBody):
        details = ", ".join(
            f"{name} {value}" for name, value in (("type", exc.type), ("code", exc.code)) if value
        )
        head = f"Groq answered {exc.status_code}" if exc.status_code else "an error answer"
        return f"{head}: {exc.message}" + (f" ({details})" if details else "")
    if isinstance(exc, errors.APIStatusError):
        code = f" ({exc.code})" if exc.code else ""
        hint = " - check GROQ_API_KEY" if isinstance(exc, errors.AuthenticationError) else ""
        return f"Groq answered {exc.status_code}{code}: {exc.message}{hint}"
    if isinstance(exc, errors.APITimeoutError):
        return f"timed out waiting for {_host(exc)}"
    if isinstance(exc, errors.APIConnectionError):
        cause = exc.__cause__
        reason = str(cause) if cause is not None and str(cause) else type(cause).__name__
        return f"cannot reach {_host(exc)}: {reason}"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"cannot read {exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


def _host(exc: Any) -> str:
    request = getattr(exc, "request", None)
    if request is None:
        return "the server"
    url = request.url
    # A base URL without a scheme has no host to name: show it whole.
    return f"{url.scheme}://{url.netloc.decode()}" if url.scheme else str(url)


def _tokens(usage: CompletionUsage) -> str:
    extra = [
        f"{value} {name}"
        for name, value in (("cached", usage.cached_tokens), ("reasoning", usage.reasoning_tokens))
        if value
    ]
    text = (
        f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion "
        f"= {usage.total_tokens} tokens"
    )
    return text + (f" ({', '.join(extra)})" if extra else "")


def _timings(usage: CompletionUsage) -> str | None:
    parts = [
        f"{name} {value * 1000:.1f} ms"
        for name, value in (
            ("queue", usage.queue_time),
            ("prompt", usage.prompt_time),
            ("completion", usage.completion_time),
            ("total", usage.total_time),
        )
        if isinstance(value, (int, float))
    ]
    if usage.completion_time and usage.completion_tokens:
        parts.append(f"{usage.completion_tokens / usage.completion_time:,.0f} tokens/s")
    return " · ".join(parts) or None


def usd(value: float) -> str:
    """Format dollars: up to 8 decimals, at least 2 (``$0.00000316``, ``$0.05``)."""
    # Single calls cost fractions of a cent: keep 8 decimals, drop trailing zeros.
    text = f"{value:.8f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}"


def _cost(meta: CostMetadata) -> str:
    if meta.cost is None:
        return f"unknown ({meta.reason})"
    prices = f"input {usd(meta.input_price or 0)}/1M, output {usd(meta.output_price or 0)}/1M"
    if meta.cached_tokens:
        prices += f", cached {usd(meta.cached_input_price or 0)}/1M"
    return f"{usd(meta.cost)} ({prices})"


def row(label: str, value: str) -> str:
    """One summary row: the label, then the value (continuation lines aligned)."""
    lines = value.split("\n")
    indent = "\n" + " " * _LABEL
    return f"{label:<{_LABEL}}{indent.join(lines)}"


def summary(outcome: Outcome, *, with_text: bool) -> list[str]:
    """The lines of a human-readable summary.

    Args:
        outcome: What to summarize.
        with_text: Include content, reasoning and tool calls (``chat`` streamed them
            already, ``replay`` shows them here).

    Returns:
        The lines, without newlines.
    """
    errors = [] if outcome.error is None else _error_rows(outcome.error)
    if not outcome.answered and errors:
        return errors  # an error answer: there is nothing else to show
    return _answer_rows(outcome, with_text=with_text) + errors


def _answer_rows(outcome: Outcome, *, with_text: bool) -> list[str]:
    rows: list[str] = []
    if with_text:
        if outcome.reasoning:
            rows.append(row("reasoning", outcome.reasoning))
        rows.append(row("content", outcome.content if outcome.content else "(none)"))
        for index, call in enumerate(outcome.tool_calls):
            function = call["function"]
            head = f"[{index}] {function['name']} (id {call['id'] or '?'})"
            rows.append(row("tool call", f"{head}\n{function['arguments']}"))
    finish = ", ".join(outcome.finish_reasons) if outcome.finish_reasons else "none"
    rows.append(row("finish", finish))
    model = outcome.model or "unknown"
    rows.append(row("model", model + (f"  via {outcome.source}" if outcome.source else "")))
    ids = [i for i in (outcome.id, outcome.request_id) if i]
    if ids:
        rows.append(row("id", "  ".join(ids)))
    if outcome.chunks is not None:
        rows.append(row("chunks", str(outcome.chunks)))
    usage = outcome.usage
    rows.append(row("usage", "none reported" if usage is None else _tokens(usage)))
    timings = None if usage is None else _timings(usage)
    if timings:
        rows.append(row("timings", timings))
    speed = _speed(outcome)
    if speed:
        rows.append(row("speed", speed))
    rows.append(
        row("cost", "unknown (no usage reported)" if usage is None else _cost(outcome.cost))
    )
    if outcome.rate_limits:
        rows.append(row("limits", _limits(outcome.rate_limits)))
    return rows


def _speed(outcome: Outcome) -> str | None:
    parts = []
    if outcome.time_to_first_token is not None:
        parts.append(f"first token {outcome.time_to_first_token:.1f} ms")
    if outcome.tokens_per_second is not None:
        parts.append(f"{outcome.tokens_per_second:,.0f} tokens/s")
    return " · ".join(parts) + " (at the client)" if parts else None


def _seconds(value: float | None) -> str:
    return "" if value is None else f", resets in {value:g} s"


def _limits(limits: RateLimits) -> str:
    parts = []
    for name, left, limit, reset in (
        ("requests", limits.remaining_requests, limits.limit_requests, limits.reset_requests),
        ("tokens", limits.remaining_tokens, limits.limit_tokens, limits.reset_tokens),
    ):
        if left is not None or limit is not None:
            of = "" if limit is None else f"/{limit}"
            parts.append(f"{name} {'?' if left is None else left}{of} left{_seconds(reset)}")
    return " · ".join(parts)


def _error_rows(error: BaseException) -> list[str]:
    rows = [row("error", describe(error))]
    failed = getattr(error, "failed_generation", None)
    if failed:
        rows.append(row("", f"failed_generation: {failed}"))
    return rows


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON, non-ASCII kept as is."""
    print(json.dumps(data, indent=2, ensure_ascii=False))


def fold_file(path: Path, status: int | None = None) -> Outcome:
    """Fold one recorded body: an SSE stream, or a JSON completion or error.

    Args:
        path: The ``.sse`` / ``.json`` file.
        status: The HTTP status it came with, when known.

    Returns:
        What it folds to.

    Raises:
        UsageError: If the file holds neither SSE events nor a JSON object.
        OSError: If it cannot be read.
    """
    data = path.read_bytes()
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        return _fold_json(path, data, status)
    from mirastream._fold import StreamFold
    from mirastream.groq import ChunkDecoder

    decoder, fold = ChunkDecoder(), StreamFold()
    for chunk in decoder.feed(data):
        fold.add(chunk)
    events_seen = fold.chunk_count > 0 or decoder.stopped
    decoder.end()
    fold.end()
    if not events_seen:
        raise UsageError(f"{path} holds no SSE events and no JSON object")
    return Outcome(
        content=fold.content,
        reasoning=fold.reasoning,
        tool_calls=[call.to_dict() for call in fold.tool_calls],
        finish_reasons=list(fold.finish_reasons),
        model=fold.model,
        id=fold.id,
        request_id=fold.x_groq.get("id"),
        usage=fold.usage,
        chunks=fold.chunk_count,
        error=decoder.error,
    )


def _fold_json(path: Path, data: bytes, status: int | None) -> Outcome:
    from mirastream.groq.types import ChatCompletion

    try:
        body = json.loads(data)
    except ValueError as exc:
        raise UsageError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise UsageError(f"{path} holds no JSON object")
    error = body.get("error")
    if error is not None:
        return Outcome(error=ErrorBody(error if isinstance(error, dict) else {}, status))
    completion = ChatCompletion(body)
    choices = completion.choices
    message = choices[0].message if choices else None
    xgroq = completion.x_groq
    usage = xgroq.usage if xgroq is not None and xgroq.usage is not None else completion.usage
    return Outcome(
        content=(message.content or "") if message else "",
        reasoning=(message.reasoning or "") if message else "",
        tool_calls=[call.to_dict() for call in (message.tool_calls or [])] if message else [],
        finish_reasons=[c.finish_reason for c in choices if c.finish_reason is not None],
        model=completion.model,
        id=completion.id,
        request_id=None if xgroq is None else xgroq.id,
        usage=usage,
    )
