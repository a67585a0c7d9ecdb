"""Calls with ``reask=`` / ``fallback=``: the sync and async shells over :mod:`._attempts`.

A plain call loops: send (falling back as needed), build the response, turn it into the
call's result; a failed answer is re-asked (:func:`run_call`, :func:`arun_call`).

A recovering stream is a :class:`~mirastream.GroqStream` (or ``AsyncGroqStream``) that,
when an attempt fails in a way :class:`~mirastream.recovery._attempts.CallAttempts` can recover
from, sends the next request itself and goes on. The consumer sees the boundary: the
stream yields one :class:`AttemptStart` pair ``(AttemptStart, None)`` before the first
chunk of each new attempt, and from then on ``content``, ``tool_calls`` and the rest
describe the new attempt only (text never merges across attempts). ``attempts`` keeps every
attempt; ``usage`` and ``cost`` add up over all of them.

Within an attempt, a tool call that fails validation no longer raises while re-asks are
left: the attempt runs to its end (so its usage arrives), then is re-asked. A structured
stream registers its end-of-attempt check (the final validation) and a reset through
:meth:`_RecoveringState.set_attempt_hooks`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from mirastream._costs import CostMetadata
from mirastream._results import GroqCallResponseChunk
from mirastream._stream import AsyncGroqStream, GroqStream
from mirastream._stream_state import Pair, _StreamState
from mirastream.errors import (
    APIStreamError,
    StreamInterruptedError,
    StructuredOutputError,
    ToolCallError,
)
from mirastream.groq.types import ChatCompletionChunk, CompletionUsage
from mirastream.recovery._attempts import (
    Attempt,
    CallAttempts,
    RecoveredCallResponse,
    answered,
    asend,
    reaskable,
    recovered,
    send,
    total_cost_metadata,
    total_usage,
)

if TYPE_CHECKING:
    from mirastream._call import _Call, _Request
    from mirastream._observe import Observer

__all__ = ["AttemptStart", "AsyncRecoveringStream", "RecoveringStream", "arun", "run"]

Messages = list[dict[str, Any]]


class AttemptStart(GroqCallResponseChunk):
    """Yielded as ``(AttemptStart, None)`` when a stream begins a new attempt.

    Its ``content`` is ``""`` and its raw ``chunk`` has no choices, so code that only
    prints content goes on working; check ``isinstance(chunk, AttemptStart)`` to clear
    what the failed attempt showed.

    Attributes:
        attempt: The number of the attempt that begins (the first is 0, so this is >= 1).
        model: The model asked this time (a fallback model after a capacity error).
        error: Why the previous attempt failed.
    """

    __slots__ = ("attempt", "error", "model")

    def __init__(self, attempt: int, model: str, error: BaseException) -> None:
        super().__init__(
            ChatCompletionChunk({"object": "chat.completion.chunk", "model": model, "choices": []})
        )
        self.attempt = attempt
        self.model = model
        self.error = error

    def __repr__(self) -> str:
        return f"AttemptStart(attempt={self.attempt}, model={self.model!r})"


class _RecoveringState(_StreamState):
    """What the sync and async recovering streams share: the decisions, not the IO."""

    _response_class = RecoveredCallResponse
    _plan: CallAttempts

    def _setup(self, plan: CallAttempts) -> None:
        self._plan = plan
        self._attempt = 0
        self._tool_errors: list[ToolCallError] = []
        self._on_restart: Callable[[], None] | None = None
        self._end_check: Callable[[], BaseException | None] | None = None
        self._keep: dict[str, Any] = {"toolkit": self._toolkit, "call_params": self.call_params}

    def set_attempt_hooks(
        self, on_restart: Callable[[], None], end_check: Callable[[], BaseException | None]
    ) -> None:
        """Register a wrapper's reset (a new attempt began) and end check (``None``: fine)."""
        self._on_restart = on_restart
        self._end_check = end_check

    @property
    def attempt(self) -> int:
        """The number of the current attempt (0 for the first)."""
        return self._attempt

    @property
    def attempts(self) -> list[Attempt]:
        """Every attempt so far; the current one last (its ``response`` once it ended)."""
        response = _StreamState.construct_call_response(self) if self._ended else None
        return [*self._plan.attempts, Attempt(self.model, self.messages, self.error, response)]

    @property
    def usage(self) -> CompletionUsage | None:
        """Usage summed over all attempts so far."""
        return total_usage([*(u for _, u in answered(self._plan.attempts)), self._fold.usage])

    @property
    def cost_metadata(self) -> CostMetadata:
        """Cost over all attempts, each priced for its own model."""
        parts = [*answered(self._plan.attempts), (self.model, self._fold.usage)]
        return total_cost_metadata(parts, self.model)

    def construct_call_response(self) -> RecoveredCallResponse:
        """The answering attempt as a response that keeps every attempt behind it."""
        response = _StreamState.construct_call_response(self)
        assert isinstance(response, RecoveredCallResponse)
        return recovered(response, self._plan.attempts)

    def _failure_at_end(self) -> BaseException | None:
        if not self._plan.reasks_left:
            return None
        if self._tool_errors:
            return self._tool_errors[0]
        return self._end_check() if self._end_check is not None else None

    def _following(self, exc: BaseException) -> Messages | None:
        """The failed attempt is recorded; the messages to re-ask with, or ``None``."""
        return self._plan.after_bad_answer(exc, _StreamState.construct_call_response(self))

    def _after(self, exc: Exception) -> tuple[Messages, BaseException] | None:
        """What iteration does after ``exc``: re-raise it, go on (``None``), or re-ask.

        Returns:
            ``None`` to keep reading this attempt (a bad tool call was noted), or the
            messages to re-ask with and the error that ended the attempt.
        """
        error: BaseException | None = exc
        if isinstance(exc, StreamInterruptedError):
            # Cut before the first chunk: nothing was received, so like no connection.
            following = None
            if self._fold.chunk_count == 0:
                following = self._plan.after_request_error(exc, self.messages, fall_back=True)
            if following is None:
                raise exc
            return following, exc
        if isinstance(exc, (StopIteration, StopAsyncIteration)):
            error = self._failure_at_end()
        elif isinstance(exc, ToolCallError) and self._recoverable(exc):
            self._tool_errors.append(exc)  # re-asked when the attempt ends
            return None
        elif not self._recoverable(exc):
            error = None
        following = self._following(error) if error is not None else None
        if following is None or error is None:
            raise exc
        return following, error

    def _recoverable(self, exc: BaseException) -> bool:
        return reaskable(exc) and self._plan.reasks_left > 0

    def _restart(self, messages: Messages, error: BaseException) -> AttemptStart | None:
        """Start reading the next attempt; its marker, or ``None`` when nothing was shown."""
        shown = self._fold.chunk_count > 0
        _StreamState.__init__(
            self,
            messages=messages,
            model=self._plan.model,
            start_time=self.start_time,
            **self._keep,
        )
        self._tool_errors = []
        if not shown:  # a fallback before the first chunk: the consumer saw nothing
            return None
        self._attempt += 1
        if self._on_restart is not None:
            self._on_restart()
        return AttemptStart(self._attempt, self._plan.model, error)


class RecoveringStream(_RecoveringState, GroqStream):
    """A :class:`~mirastream.GroqStream` that re-asks and falls back (see the module docs)."""

    def __init__(
        self,
        stream: Any,
        *,
        plan: CallAttempts,
        create: Callable[[str, Messages], Any],
        **state: Any,
    ) -> None:
        GroqStream.__init__(self, stream, **state)
        self._setup(plan)
        self._create = create

    def __next__(self) -> Pair:
        while True:
            try:
                return GroqStream.__next__(self)
            except (StopIteration, ToolCallError, APIStreamError, StreamInterruptedError) as exc:
                following = self._after(exc)
            if following is not None:
                raw, messages = send(self._plan, following[0], self._create)
                self._stream = raw
                self._chunks = iter(raw)
                marker = self._restart(messages, following[1])
                if marker is not None:
                    return (marker, None)


class AsyncRecoveringStream(_RecoveringState, AsyncGroqStream):
    """The async twin of :class:`RecoveringStream`."""

    def __init__(
        self,
        stream: Any,
        *,
        plan: CallAttempts,
        create: Callable[[str, Messages], Awaitable[Any]],
        **state: Any,
    ) -> None:
        AsyncGroqStream.__init__(self, stream, **state)
        self._setup(plan)
        self._create = create

    async def __anext__(self) -> Pair:
        while True:
            try:
                return await AsyncGroqStream.__anext__(self)
            except (
                StopAsyncIteration,
                ToolCallError,
                APIStreamError,
                StreamInterruptedError,
            ) as exc:
                following = self._after(exc)
            if following is not None:
                raw, messages = await asend(self._plan, following[0], self._create)
                self._stream = raw
                self._chunks = raw.__aiter__()
                marker = self._restart(messages, following[1])
                if marker is not None:
                    return (marker, None)


# -- plain calls -------------------------------------------------------------------------


class _Answered:
    """A plain call's result, once an answer held up, and the response it came from."""

    __slots__ = ("response", "value")

    def __init__(self, value: Any, response: RecoveredCallResponse) -> None:
        self.value = value
        self.response = response


def _settle(
    call: _Call,
    attempts: CallAttempts,
    request: _Request,
    messages: Messages,
    completion: Any,
    start: float,
) -> _Answered | Messages:
    """The call's result from one answer, or the messages to re-ask with."""
    response = call._response(
        request.with_messages(messages), completion, start, attempts.model, RecoveredCallResponse
    )
    recovered(response, attempts.attempts)
    try:
        if call.response_model is None and request.toolkit is not None and attempts.reasks_left:
            response.tools  # noqa: B018 - validates the calls now, so a bad one is re-asked
        return _Answered(call._result(response, request), response)
    except (ToolCallError, StructuredOutputError) as exc:
        following = attempts.after_bad_answer(exc, response)
        if following is None:
            raise
        return following


def run_call(call: _Call, request: _Request, client: Any, start: float) -> _Answered:
    """A non-stream call with recovery (sync)."""
    attempts = CallAttempts(call.recovery, call.model)
    outcome: _Answered | Messages = request.messages

    def create(model: str, msgs: Messages) -> Any:
        return client.chat.completions.create(messages=msgs, model=model, **request.params)

    while not isinstance(outcome, _Answered):
        completion, messages = send(attempts, outcome, create)
        outcome = _settle(call, attempts, request, messages, completion, start)
    return outcome


async def arun_call(call: _Call, request: _Request, client: Any, start: float) -> _Answered:
    """A non-stream call with recovery (async)."""
    attempts = CallAttempts(call.recovery, call.model)
    outcome: _Answered | Messages = request.messages

    async def create(model: str, msgs: Messages) -> Any:
        return await client.chat.completions.create(messages=msgs, model=model, **request.params)

    while not isinstance(outcome, _Answered):
        completion, messages = await asend(attempts, outcome, create)
        outcome = _settle(call, attempts, request, messages, completion, start)
    return outcome


def _wrap(call: _Call, stream: RecoveringStream | AsyncRecoveringStream, request: _Request) -> Any:
    wrapped = call._wrap(stream, request)
    if wrapped is not stream:  # a structured stream: it checks and resets per attempt
        stream.set_attempt_hooks(wrapped._restart, wrapped._end_error)
    return wrapped


def run(
    call: _Call, request: _Request, client: Any, start: float, observer: Observer | None = None
) -> Any:
    """A call with recovery (sync): a stream, or the result of a plain call."""
    if not call.stream:
        answered = run_call(call, request, client, start)
        if observer is not None:
            observer.response(answered.response)
        return answered.value
    plan = CallAttempts(call.recovery, call.model)

    def create(model: str, messages: Messages) -> Any:
        return client.chat.completions.create(
            messages=messages, model=model, stream=True, **request.params
        )

    raw, messages = send(plan, request.messages, create)
    state = call._stream_state(request.with_messages(messages), start, plan.model)
    stream = RecoveringStream(raw, plan=plan, create=create, observer=observer, **state)
    return _wrap(call, stream, request)


async def arun(
    call: _Call, request: _Request, client: Any, start: float, observer: Observer | None = None
) -> Any:
    """A call with recovery (async)."""
    if not call.stream:
        answered = await arun_call(call, request, client, start)
        if observer is not None:
            observer.response(answered.response)
        return answered.value
    plan = CallAttempts(call.recovery, call.model)

    async def create(model: str, messages: Messages) -> Any:
        return await client.chat.completions.create(
            messages=messages, model=model, stream=True, **request.params
        )

    raw, messages = await asend(plan, request.messages, create)
    state = call._stream_state(request.with_messages(messages), start, plan.model)
    stream = AsyncRecoveringStream(raw, plan=plan, create=create, observer=observer, **state)
    return _wrap(call, stream, request)
