"""One OpenTelemetry span per call, ended when the call's answer is complete.

A span starts when a decorated call sends its request, as a ``CLIENT`` span named
``chat {model}`` under the current context. A non-stream call's span ends when the call
returns (or raises). A stream's span lives on after the call returns and ends when the
stream ends, fails or is closed, or when it is garbage-collected unread; its end time is
the stream's ``end_time``.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable, Sequence
from contextvars import Token
from typing import TYPE_CHECKING, Any, TypeVar

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from mirastream import __version__
from mirastream._observe import CallStart, install, scoped, uninstall
from mirastream.integrations.otel._attributes import (
    content_attributes,
    error_attributes,
    request_attributes,
    result_attributes,
    span_name,
)

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor

    from mirastream._results import GroqCallResponse
    from mirastream._stream_state import _StreamState

__all__ = ["configure", "instrument", "uninstrument", "with_otel"]

F = TypeVar("F", bound=Callable[..., Any])

_NAME = "otel"  # one observer per call from this integration, however it was turned on


class _SpanObserver:
    """Turns what becomes of one call into its span (see ``mirastream._observe``)."""

    __slots__ = ("__weakref__", "_finalizer", "_span", "_start", "_token")

    def __init__(self, tracer: trace.Tracer, start: CallStart, capture_content: bool) -> None:
        self._start = start if capture_content else None  # kept only to record the messages
        self._span = tracer.start_span(
            span_name(start.model), kind=SpanKind.CLIENT, attributes=request_attributes(start)
        )
        self._finalizer: weakref.finalize[Any, Any] | None = None
        # The span is current while the request is sent (an HTTP instrumentation's span
        # becomes its child), until the answer or the stream is there: the same task.
        self._token: Token[context.Context] | None = context.attach(
            trace.set_span_in_context(self._span)
        )

    def _sent(self) -> None:
        if self._token is not None:
            context.detach(self._token)
            self._token = None

    def response(self, response: GroqCallResponse) -> None:
        self._sent()
        self._span.set_attributes(result_attributes(response))
        if self._start is not None:
            self._span.set_attributes(content_attributes(self._start, response))

    def end(self) -> None:
        self._span.end()

    def watch(self, stream: _StreamState) -> None:
        self._sent()
        # Holds the observer, not the stream: the stream can still be freed.
        self._finalizer = weakref.finalize(stream, self._abandoned)

    def stream_ended(self, stream: _StreamState) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
        span = self._span
        if not span.is_recording():
            return
        span.set_attributes(result_attributes(stream))
        if self._start is not None:
            span.set_attributes(content_attributes(self._start, stream))
        if stream.closed_early:
            span.set_attribute("mirastream.stream.closed_early", True)
        end_time = None if stream.end_time is None else int(stream.end_time * 1_000_000)
        if stream.error is not None:
            self._record_error(stream.error)
        span.end(end_time=end_time)

    def failed(self, error: BaseException) -> None:
        self._sent()
        if self._span.is_recording():
            self._record_error(error)
            self._span.end()

    def _record_error(self, error: BaseException) -> None:
        span = self._span
        span.set_attributes(error_attributes(error))
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))

    def _abandoned(self) -> None:
        if self._span.is_recording():
            self._span.set_attribute("mirastream.stream.abandoned", True)
            self._span.end()


def _factory(
    tracer_provider: trace.TracerProvider | None, capture_content: bool
) -> Callable[[CallStart], Any]:
    # A tracer from the global provider is a proxy until one is set: fine to keep.
    tracer = trace.get_tracer("mirastream", __version__, tracer_provider=tracer_provider)
    return lambda start: _SpanObserver(tracer, start, capture_content)


def with_otel(
    *, tracer_provider: trace.TracerProvider | None = None, capture_content: bool = False
) -> Callable[[F], F]:
    """Trace the calls a function makes: one span per call (Mirascope's decorator).

    Put it above ``@groq_call`` (or any function that makes decorated calls)::

        @with_otel()
        @groq_call("llama-3.1-8b-instant", stream=True)
        def recommend_book(genre: str) -> str: ...

    Args:
        tracer_provider: Where spans go; default: the global provider (see
            :func:`configure`).
        capture_content: Also record the messages sent and the answer
            (``gen_ai.input.messages`` / ``gen_ai.output.messages``, JSON); off by
            default, as the conventions ask, since prompts may hold private data.

    Returns:
        A decorator for a plain or ``async def`` function.
    """
    factory = _factory(tracer_provider, capture_content)

    def decorate(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def traced_async(*args: Any, **kwargs: Any) -> Any:
                with scoped(_NAME, factory):
                    return await fn(*args, **kwargs)

            return traced_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def traced(*args: Any, **kwargs: Any) -> Any:
            with scoped(_NAME, factory):
                return fn(*args, **kwargs)

        return traced  # type: ignore[return-value]

    return decorate


def instrument(
    *, tracer_provider: trace.TracerProvider | None = None, capture_content: bool = False
) -> None:
    """Trace every decorated call in the process, until :func:`uninstrument`.

    Args:
        tracer_provider: Where spans go; default: the global provider.
        capture_content: Also record the messages and the answer (see :func:`with_otel`).
    """
    install(_NAME, _factory(tracer_provider, capture_content))


def uninstrument() -> None:
    """Stop tracing every call (``with_otel`` functions keep tracing theirs)."""
    uninstall(_NAME)


def configure(processors: Sequence[SpanProcessor] | None = None) -> trace.Tracer:
    """Set a global ``TracerProvider`` with these processors, as Mirascope's ``configure``.

    Needs ``opentelemetry-sdk``. Call it once; it does not turn tracing on by itself
    (use :func:`with_otel` or :func:`instrument`).

    Args:
        processors: Span processors; default: print spans to the console.

    Returns:
        A tracer of the new provider.
    """
    try:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
    except ImportError as exc:  # pragma: no cover - the SDK is a dev dependency
        raise ImportError(
            "configure() needs the OpenTelemetry SDK: pip install opentelemetry-sdk"
        ) from exc
    provider = TracerProvider()
    for processor in processors or [SimpleSpanProcessor(ConsoleSpanExporter())]:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return trace.get_tracer("mirastream", __version__)
