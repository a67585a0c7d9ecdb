"""Call observers: how integrations (OpenTelemetry, ...) see decorated calls.

The core never imports an integration. An integration registers an
:data:`ObserverFactory`, for every call (:func:`install`) or for the calls made inside
one ``with`` block (:func:`scoped`, which ``with_otel`` uses). When a call starts, each
factory may return an :class:`Observer`; the call layer then tells it, once each:

* ``response(response)``: a non-stream call got its answer (``end()`` follows, or
  ``failed()`` if turning it into the caller's value fails);
* ``watch(stream)`` when a stream is created, then ``stream_ended(stream)`` when the
  stream ends, fails, is closed or is dropped unread (an observer that wants the last
  case uses ``weakref.finalize`` on the stream, holding no reference to it);
* ``failed(error)``: the call raised before it had a result.

Nothing is looked at per chunk. With no factory registered, a call pays one context
variable read and one dict test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mirastream._results import GroqCallResponse
    from mirastream._stream_state import _StreamState

__all__ = [
    "CallStart",
    "Observer",
    "ObserverFactory",
    "begin",
    "install",
    "scoped",
    "uninstall",
]


class CallStart:
    """What is known when a call starts.

    Attributes:
        model: The model requested.
        messages: The messages to send.
        params: The request parameters (``temperature``, ``tools`` ...).
        stream: Whether the call streams.
        client: The ``Groq`` / ``AsyncGroq`` that sends it.
    """

    __slots__ = ("client", "messages", "model", "params", "stream")

    def __init__(
        self,
        model: str,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        stream: bool,
        client: Any,
    ) -> None:
        self.model = model
        self.messages = messages
        self.params = params
        self.stream = stream
        self.client = client


class Observer(Protocol):
    """Told what becomes of one call (see the module docs for the order)."""

    def response(self, response: GroqCallResponse) -> None:
        """A non-stream call got its answer."""

    def end(self) -> None:
        """The non-stream call returned its value."""

    def watch(self, stream: _StreamState) -> None:
        """A stream was created for the call."""

    def stream_ended(self, stream: _StreamState) -> None:
        """The stream ended, failed or was closed (read its properties)."""

    def failed(self, error: BaseException) -> None:
        """The call raised."""


ObserverFactory = Callable[[CallStart], "Observer | None"]
"""Called when a call starts; returns the call's observer, or ``None`` to skip it."""

_installed: dict[str, ObserverFactory] = {}
_scoped: ContextVar[dict[str, ObserverFactory] | None] = ContextVar(
    "mirastream_observers", default=None
)


def install(name: str, factory: ObserverFactory) -> None:
    """Observe every call with ``factory`` (replacing one installed under ``name``)."""
    _installed[name] = factory


def uninstall(name: str) -> None:
    """Stop observing every call with the factory installed under ``name``."""
    _installed.pop(name, None)


@contextmanager
def scoped(name: str, factory: ObserverFactory) -> Iterator[None]:
    """Observe the calls started inside the ``with`` block (this task or thread only).

    Under the same ``name`` it takes the place of an installed factory, so a call is
    not observed twice by one integration.
    """
    outer = _scoped.get()
    token = _scoped.set({**(outer or {}), name: factory})
    try:
        yield
    finally:
        _scoped.reset(token)


class _Observers:
    """Several observers of one call, told in turn."""

    __slots__ = ("_observers",)

    def __init__(self, observers: list[Observer]) -> None:
        self._observers = observers

    def response(self, response: GroqCallResponse) -> None:
        for observer in self._observers:
            observer.response(response)

    def end(self) -> None:
        for observer in self._observers:
            observer.end()

    def watch(self, stream: _StreamState) -> None:
        for observer in self._observers:
            observer.watch(stream)

    def stream_ended(self, stream: _StreamState) -> None:
        for observer in self._observers:
            observer.stream_ended(stream)

    def failed(self, error: BaseException) -> None:
        for observer in self._observers:
            observer.failed(error)


def begin(
    model: str, messages: list[dict[str, Any]], params: dict[str, Any], stream: bool, client: Any
) -> Observer | None:
    """The observer of a call that starts now, or ``None`` when nothing observes calls."""
    scoped_factories = _scoped.get()
    if not _installed and not scoped_factories:
        return None
    factories = {**_installed, **(scoped_factories or {})}
    start = CallStart(model, messages, params, stream, client)
    observers = [o for o in (factory(start) for factory in factories.values()) if o is not None]
    if not observers:
        return None
    return observers[0] if len(observers) == 1 else _Observers(observers)
