"""Recovery for one call: re-ask after a failed answer, fall back to other models.

A call with ``reask=N`` or ``fallback=[...]`` is a sequence of *attempts* (requests). What
ends an attempt and what happens next is decided in one place, :class:`CallAttempts`:

* **Fallback** (next model in ``[model, *fallback]``, same messages): HTTP 429, 498 or
  503, a connection failure before any response (:func:`falls_back`), or a stream
  cut before its first chunk. The low-level
  client's own retries (``max_retries``) run first, on each model.
* **Re-ask** (same model, the failed answer and its error added to the messages), at most
  ``reask`` times in all: Groq's ``tool_use_failed`` / ``json_validate_failed`` (a 400 or
  an in-stream error event), a tool call whose arguments fail validation
  (:class:`~mirastream.errors.ToolCallError`), or an answer that fails the
  ``response_model`` (:class:`~mirastream.errors.StructuredOutputError`).

Every attempt is kept as an :class:`Attempt`; the call's response
(:class:`RecoveredCallResponse`) adds usage and cost up over all of them. The sync and
async shells (:mod:`mirastream.recovery._recovering`) only do the sending.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from mirastream._costs import CostMetadata
from mirastream._results import GroqCallResponse, cost_metadata
from mirastream.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APIStreamError,
    BadRequestError,
    StructuredOutputError,
    ToolCallError,
)
from mirastream.groq.types import CompletionUsage, reported_usage

__all__ = [
    "Attempt",
    "CallAttempts",
    "RecoveredCallResponse",
    "Recovery",
    "falls_back",
    "reask_messages",
    "reaskable",
]

T = TypeVar("T")

# Groq's error codes for an answer the model botched (the body carries failed_generation).
REASK_CODES = frozenset({"tool_use_failed", "json_validate_failed"})
# Capacity errors: 429 rate limit, 498 flex-tier capacity, 503 overloaded.
FALLBACK_STATUSES = frozenset({429, 498, 503})


@dataclass(frozen=True)
class Recovery:
    """A call's recovery settings (``groq_call(reask=..., fallback=...)``)."""

    reask: int = 0
    fallback: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.reask, bool) or not isinstance(self.reask, int) or self.reask < 0:
            raise ValueError(f"reask must be an int >= 0, got {self.reask!r}")
        for model in self.fallback:
            if not isinstance(model, str) or not model:
                raise ValueError(f"fallback models must be model ids, got {model!r}")

    @property
    def active(self) -> bool:
        """Whether there is anything to recover with."""
        return bool(self.reask or self.fallback)


def falls_back(exc: BaseException) -> bool:
    """Whether ``exc`` sends the call to the next model (429, 498, 503, no connection)."""
    if isinstance(exc, APIStatusError):
        return exc.status_code in FALLBACK_STATUSES
    return isinstance(exc, APIConnectionError)


def reaskable(exc: BaseException) -> bool:
    """Whether ``exc`` is a failed answer worth asking again."""
    if isinstance(exc, (ToolCallError, StructuredOutputError)):
        return True
    if isinstance(exc, (BadRequestError, APIStreamError)):
        return exc.code in REASK_CODES
    return False


def _own_usage(response: GroqCallResponse) -> CompletionUsage | None:
    usage = reported_usage(response.response._data)
    return None if usage is None else CompletionUsage(usage)


class Attempt:
    """One request of a call, kept for inspection.

    Attributes:
        model: The model asked.
        messages: The messages sent.
        error: Why the attempt did not give the answer (``None`` for the one that did).
        response: What came back (for a stream: rebuilt from its chunks), or ``None`` when
            the request failed before any answer (an HTTP error, no connection).
    """

    __slots__ = ("error", "messages", "model", "response")

    def __init__(
        self,
        model: str,
        messages: list[dict[str, Any]],
        error: BaseException | None = None,
        response: GroqCallResponse | None = None,
    ) -> None:
        self.model = model
        self.messages = messages
        self.error = error
        self.response = response

    @property
    def content(self) -> str:
        """The attempt's answer text (``""`` without a response)."""
        return self.response.content if self.response is not None else ""

    @property
    def usage(self) -> CompletionUsage | None:
        """This attempt's own usage, if it got that far."""
        return _own_usage(self.response) if self.response is not None else None

    @property
    def cost_metadata(self) -> CostMetadata:
        """This attempt's cost, priced for its own model."""
        return cost_metadata(self.model, self.usage)

    @property
    def cost(self) -> float | None:
        """This attempt's cost in USD (``0.0`` when it failed before any usage)."""
        if self.response is None:
            return 0.0
        return self.cost_metadata.cost

    def __repr__(self) -> str:
        error = type(self.error).__name__ if self.error is not None else None
        return f"Attempt(model={self.model!r}, error={error}, cost={self.cost!r})"


def total_usage(usages: Sequence[CompletionUsage | None]) -> CompletionUsage | None:
    """Token counts and timings summed over attempts (``None`` if none reported any)."""
    present = [u._data for u in usages if u is not None]
    if not present:
        return None
    total: dict[str, Any] = {}
    for data in present:
        for key, value in data.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
            elif isinstance(value, dict):
                inner = total.setdefault(key, {})
                for k, v in value.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        inner[k] = inner.get(k, 0) + v
    for key, value in total.items():  # timings: keep Groq's nanosecond precision
        if isinstance(value, float):
            total[key] = round(value, 9)
    return CompletionUsage(total)


def total_cost_metadata(
    parts: Sequence[tuple[str, CompletionUsage | None]], model: str
) -> CostMetadata:
    """The cost of several answers (``(model, usage)`` each), each priced for its model."""
    metas = [cost_metadata(m, u) for m, u in parts]
    one = cost_metadata(model, total_usage([u for _, u in parts]))
    if len({m for m, _ in parts}) > 1:  # no single price applies
        one = one.model_copy(
            update={"input_price": None, "output_price": None, "cached_input_price": None}
        )
    unknown = [m for m in metas if m.cost is None]
    if unknown:
        reason = f"attempt with model {unknown[0].model!r}: {unknown[0].reason}"
        return one.model_copy(update={"cost": None, "reason": reason})
    cost = sum((m.cost or 0.0) for m in metas)
    return one.model_copy(update={"cost": cost, "reason": None})


def answered(attempts: Sequence[Attempt]) -> list[tuple[str, CompletionUsage | None]]:
    """``(model, usage)`` of the attempts that got an answer (the ones that can cost)."""
    return [(a.model, a.usage) for a in attempts if a.response is not None]


class RecoveredCallResponse(GroqCallResponse):
    """The response of a call with recovery: the answer, plus every attempt behind it.

    ``usage``, the token counts, ``cost`` and ``cost_metadata`` add up over all attempts
    (each priced for its own model); ``model`` and everything else are the answering
    attempt's. ``attempts[-1]`` is the answering attempt itself.

    Attributes:
        attempts: Every attempt, in order, the answering one last.
    """

    attempts: list[Attempt]

    @property
    def usage(self) -> CompletionUsage | None:
        """Usage summed over all attempts."""
        return total_usage([a.usage for a in self.attempts])

    @property
    def cost_metadata(self) -> CostMetadata:
        """Cost over all attempts, each priced for its own model."""
        if self._cost is None:
            self._cost = total_cost_metadata(answered(self.attempts), self.model or "")
        return self._cost


def recovered(response: RecoveredCallResponse, earlier: Sequence[Attempt]) -> RecoveredCallResponse:
    """``response`` as the answering attempt after ``earlier`` ones."""
    model = response.model or ""
    response.attempts = [*earlier, Attempt(model, response.messages, None, response)]
    return response


# -- re-ask messages -------------------------------------------------------------------


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, APIError):
        return exc.message
    return str(exc)


def reask_messages(
    messages: list[dict[str, Any]],
    exc: BaseException,
    failed: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The messages for asking again: ``messages``, the failed answer, and what was wrong.

    Args:
        messages: What the failed attempt sent.
        exc: Why its answer failed.
        failed: The failed answer as an assistant message (``message_param``), or ``None``
            when Groq refused it (then its ``failed_generation`` is used, when given).

    Returns:
        A new list; ``messages`` is not modified.
    """
    error = _error_text(exc)
    if failed is not None and not failed.get("content") and not failed.get("tool_calls"):
        failed = None  # e.g. a stream that died of tool_use_failed before any text
    if failed is None:
        generation = getattr(exc, "failed_generation", None)
        if generation is None and isinstance(exc, APIStatusError):
            inner = exc.body.get("error") if isinstance(exc.body, dict) else None
            generation = inner.get("failed_generation") if isinstance(inner, dict) else None
        failed = {"role": "assistant", "content": generation or ""}
    out = [*messages, failed]
    calls = failed.get("tool_calls") or []
    if calls:
        bad_id = exc.tool_call_id if isinstance(exc, ToolCallError) else None
        for call in calls:
            if bad_id is None or call.get("id") == bad_id:
                content = (
                    f"Error: {error}\nCall {call['function']['name']} again with arguments "
                    "that fix this."
                )
            else:
                content = "Not run: another call in this answer was invalid; call again."
            out.append({"role": "tool", "tool_call_id": call.get("id", ""), "content": content})
        return out
    out.append(
        {
            "role": "user",
            "content": f"Your previous answer failed: {error}\nAnswer again, fixing this.",
        }
    )
    return out


# -- the decisions ----------------------------------------------------------------------


class CallAttempts:
    """The attempts of one call so far, and what to do after a failure (sans-IO).

    Args:
        recovery: The call's settings.
        model: The model asked first.
    """

    def __init__(self, recovery: Recovery, model: str) -> None:
        self._models = [model, *recovery.fallback]
        self._index = 0
        self.reasks_left = recovery.reask
        self.attempts: list[Attempt] = []

    @property
    def model(self) -> str:
        """The model the next request goes to."""
        return self._models[self._index]

    def after_request_error(
        self, exc: BaseException, messages: list[dict[str, Any]], *, fall_back: bool = False
    ) -> list[dict[str, Any]] | None:
        """A request failed before any answer; the messages to send next, or ``None``.

        ``fall_back``: treat ``exc`` as a capacity or connection failure (a stream cut
        before its first chunk).
        """
        if (fall_back or falls_back(exc)) and self._index + 1 < len(self._models):
            self.attempts.append(Attempt(self.model, messages, exc))
            self._index += 1
            return messages
        if reaskable(exc) and self.reasks_left:
            self.attempts.append(Attempt(self.model, messages, exc))
            self.reasks_left -= 1
            return reask_messages(messages, exc, None)
        return None

    def after_bad_answer(
        self, exc: BaseException, response: GroqCallResponse
    ) -> list[dict[str, Any]] | None:
        """An answer arrived and failed; the messages for asking again, or ``None``."""
        if not (reaskable(exc) and self.reasks_left):
            return None
        self.reasks_left -= 1
        self.attempts.append(Attempt(self.model, response.messages, exc, response))
        return reask_messages(response.messages, exc, response.message_param)


def send(
    attempts: CallAttempts,
    messages: list[dict[str, Any]],
    create: Callable[[str, list[dict[str, Any]]], T],
) -> tuple[T, list[dict[str, Any]]]:
    """Send until a request is answered; returns the answer and the messages it was for."""
    while True:
        try:
            return create(attempts.model, messages), messages
        except APIError as exc:
            following = attempts.after_request_error(exc, messages)
            if following is None:
                raise
            messages = following


async def asend(
    attempts: CallAttempts,
    messages: list[dict[str, Any]],
    create: Callable[[str, list[dict[str, Any]]], Awaitable[T]],
) -> tuple[T, list[dict[str, Any]]]:
    """The async twin of :func:`send`."""
    while True:
        try:
            return await create(attempts.model, messages), messages
        except APIError as exc:
            following = attempts.after_request_error(exc, messages)
            if following is None:
                raise
            messages = following
