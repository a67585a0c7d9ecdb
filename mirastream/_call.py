"""``groq_call``: a prompt function becomes a call to Groq.

The decorator only records settings. Each call then runs, top to bottom:
prompt function → messages and dynamic config (``_prompts``) → request (``_Call.request``)
→ low-level client → ``GroqStream`` / ``GroqCallResponse`` / structured output.
A dynamic config (``tools``, ``call_params``, ``client`` ...) applies to its own call only:
nothing on the decorator is mutated.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import weakref
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, Protocol, TypeVar, overload

from pydantic import BaseModel

from mirastream._prompts import DynamicConfig, build_messages
from mirastream._results import GroqCallResponse
from mirastream._stream import AsyncGroqStream, GroqStream, _now_ms
from mirastream._toolkit import Toolkit
from mirastream.groq import AsyncGroq, Groq

if TYPE_CHECKING:
    from mirastream._structured import AsyncStructuredStream, StructuredStream

__all__ = ["groq_call"]

P = ParamSpec("P")
T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

_default_client: Groq | None = None
_default_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncGroq] = (
    weakref.WeakKeyDictionary()
)


def default_client() -> Groq:
    """The process-wide client built from the environment (created on first use)."""
    global _default_client
    if _default_client is None:
        _default_client = Groq()
    return _default_client


def default_async_client() -> AsyncGroq:
    """The async client for the running event loop (connections belong to one loop)."""
    loop = asyncio.get_running_loop()
    client = _default_async_clients.get(loop)
    if client is None:
        client = _default_async_clients[loop] = AsyncGroq()
    return client


class _Request:
    """One call's resolved request: what to send, with which client and tools."""

    __slots__ = ("client", "messages", "params", "toolkit")

    def __init__(
        self,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        toolkit: Toolkit | None,
        client: Any,
    ) -> None:
        self.messages = messages
        self.params = params
        self.toolkit = toolkit
        self.client = client


class _Call:
    """The settings of one decorated prompt function."""

    def __init__(
        self,
        model: str,
        *,
        stream: bool,
        tools: Sequence[Any] | None,
        response_model: type[BaseModel] | None,
        json_mode: bool,
        output_parser: Callable[[Any], Any] | None,
        client: Groq | AsyncGroq | None,
        call_params: dict[str, Any] | None,
    ) -> None:
        self.model = model
        self.stream = stream
        self.tools = list(tools or ())
        self.response_model = response_model
        self.json_mode = json_mode
        self.output_parser = output_parser
        self.client = client
        self.call_params = dict(call_params or {})
        # Tools fixed at decoration time are converted once; dynamic ones per call.
        self._toolkit = self._make_toolkit(self.tools, self.call_params.get("tools"))

    def request(
        self, fn: Callable[..., Any], result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> _Request:
        messages, config = build_messages(fn, result, args, kwargs)
        params = {**self.call_params, **config.get("call_params", {})}
        toolkit = self._toolkit_for(config)
        if toolkit is not None:
            params["tools"] = toolkit.schemas
        if self.json_mode:
            params.setdefault("response_format", {"type": "json_object"})
        if self.response_model is not None:
            from mirastream._structured import prepare_structured

            messages, params = prepare_structured(
                self.response_model, self.json_mode, messages, params
            )
        return _Request(messages, params, toolkit, config.get("client") or self.client)

    def _toolkit_for(self, config: DynamicConfig) -> Toolkit | None:
        dynamic = config.get("tools")
        raw = config.get("call_params", {}).get("tools")
        if not dynamic and raw is None:
            return self._toolkit
        if raw is None:
            raw = self.call_params.get("tools")
        return self._make_toolkit([*self.tools, *(dynamic or ())], raw)

    @staticmethod
    def _make_toolkit(tools: Sequence[Any], raw: Any) -> Toolkit | None:
        # tools= first, then call_params["tools"] (sent unchanged, like tool dicts):
        # merged, never one overwriting the other. Without tools=, call_params["tools"]
        # goes out as given and no call becomes a tool.
        if not tools:
            return None
        return Toolkit([*tools, *(raw or ())])

    def run(self, request: _Request) -> Any:
        client: Groq = request.client or default_client()
        if not isinstance(client, Groq):
            raise TypeError(
                f"a plain prompt function needs a mirastream.groq.Groq client, got {client!r}"
            )
        messages: Any = request.messages
        start = _now_ms()
        if self.stream:
            raw = client.chat.completions.create(
                messages=messages, model=self.model, stream=True, **request.params
            )
            return self._wrap(GroqStream(raw, **self._stream_state(request, start)))
        completion = client.chat.completions.create(
            messages=messages, model=self.model, **request.params
        )
        return self._finish(request, completion, start)

    async def arun(self, request: _Request) -> Any:
        client: AsyncGroq = request.client or default_async_client()
        if not isinstance(client, AsyncGroq):
            raise TypeError(
                f"an async prompt function needs a mirastream.groq.AsyncGroq client, got {client!r}"
            )
        messages: Any = request.messages
        start = _now_ms()
        if self.stream:
            raw = await client.chat.completions.create(
                messages=messages, model=self.model, stream=True, **request.params
            )
            return self._wrap(AsyncGroqStream(raw, **self._stream_state(request, start)))
        completion = await client.chat.completions.create(
            messages=messages, model=self.model, **request.params
        )
        return self._finish(request, completion, start)

    def _stream_state(self, request: _Request, start: float) -> dict[str, Any]:
        return {
            "messages": request.messages,
            "model": self.model,
            # A structured stream yields models, not tools: its calls (the forced one
            # included) stay raw in ``tool_calls``.
            "toolkit": None if self.response_model is not None else request.toolkit,
            "call_params": request.params,
            "start_time": start,
        }

    def _finish(self, request: _Request, completion: Any, start: float) -> Any:
        response = GroqCallResponse(
            completion,
            messages=request.messages,
            toolkit=request.toolkit,
            start_time=start,
            end_time=_now_ms(),
            model=self.model,
            call_params=request.params,
        )
        if self.response_model is not None:
            from mirastream._structured import parse_structured

            return parse_structured(self.response_model, response, self.json_mode)
        if self.output_parser is not None:
            return self.output_parser(response)
        return response

    def _wrap(self, stream: GroqStream | AsyncGroqStream) -> Any:
        """The stream to return: as it is, or yielding partial models."""
        if self.response_model is None:
            return stream
        from mirastream._structured import AsyncStructuredStream, StructuredStream

        if isinstance(stream, GroqStream):
            return StructuredStream(stream, self.response_model, self.json_mode)
        return AsyncStructuredStream(stream, self.response_model, self.json_mode)

    def decorate(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_call(*args: Any, **kwargs: Any) -> Any:
                result = await fn(*args, **kwargs)
                return await self.arun(self.request(fn, result, args, kwargs))

            return async_call

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self.run(self.request(fn, fn(*args, **kwargs), args, kwargs))

        return call


# What the decorator returns, by mode. An ``async def`` prompt function gives a
# coroutine function; a plain one, a plain function.


class _StreamDecorator(Protocol):
    @overload
    def __call__(
        self, fn: Callable[P, Coroutine[Any, Any, Any]]
    ) -> Callable[P, Coroutine[Any, Any, AsyncGroqStream]]: ...
    @overload
    def __call__(self, fn: Callable[P, Any]) -> Callable[P, GroqStream]: ...


class _StructuredStreamDecorator(Protocol, Generic[T]):
    @overload
    def __call__(
        self, fn: Callable[P, Coroutine[Any, Any, Any]]
    ) -> Callable[P, Coroutine[Any, Any, AsyncStructuredStream[T]]]: ...
    @overload
    def __call__(self, fn: Callable[P, Any]) -> Callable[P, StructuredStream[T]]: ...


class _ResponseDecorator(Protocol):
    @overload
    def __call__(
        self, fn: Callable[P, Coroutine[Any, Any, Any]]
    ) -> Callable[P, Coroutine[Any, Any, GroqCallResponse]]: ...
    @overload
    def __call__(self, fn: Callable[P, Any]) -> Callable[P, GroqCallResponse]: ...


class _ValueDecorator(Protocol, Generic[R_co]):
    @overload
    def __call__(
        self, fn: Callable[P, Coroutine[Any, Any, Any]]
    ) -> Callable[P, Coroutine[Any, Any, R_co]]: ...
    @overload
    def __call__(self, fn: Callable[P, Any]) -> Callable[P, R_co]: ...


@overload
def groq_call(
    model: str,
    *,
    stream: Literal[True],
    tools: Sequence[Any] | None = None,
    response_model: type[T],
    json_mode: bool = False,
    output_parser: None = None,
    client: Groq | AsyncGroq | None = None,
    call_params: dict[str, Any] | None = None,
) -> _StructuredStreamDecorator[T]: ...
@overload
def groq_call(
    model: str,
    *,
    stream: Literal[True],
    tools: Sequence[Any] | None = None,
    response_model: None = None,
    json_mode: bool = False,
    output_parser: None = None,
    client: Groq | AsyncGroq | None = None,
    call_params: dict[str, Any] | None = None,
) -> _StreamDecorator: ...
@overload
def groq_call(
    model: str,
    *,
    stream: Literal[False] = False,
    tools: Sequence[Any] | None = None,
    response_model: type[T],
    json_mode: bool = False,
    output_parser: None = None,
    client: Groq | AsyncGroq | None = None,
    call_params: dict[str, Any] | None = None,
) -> _ValueDecorator[T]: ...
@overload
def groq_call(
    model: str,
    *,
    stream: Literal[False] = False,
    tools: Sequence[Any] | None = None,
    response_model: None = None,
    json_mode: bool = False,
    output_parser: Callable[[GroqCallResponse], R],
    client: Groq | AsyncGroq | None = None,
    call_params: dict[str, Any] | None = None,
) -> _ValueDecorator[R]: ...
@overload
def groq_call(
    model: str,
    *,
    stream: Literal[False] = False,
    tools: Sequence[Any] | None = None,
    response_model: None = None,
    json_mode: bool = False,
    output_parser: None = None,
    client: Groq | AsyncGroq | None = None,
    call_params: dict[str, Any] | None = None,
) -> _ResponseDecorator: ...
def groq_call(
    model: str,
    *,
    stream: bool = False,
    tools: Sequence[Any] | None = None,
    response_model: type[BaseModel] | None = None,
    json_mode: bool = False,
    output_parser: Callable[[GroqCallResponse], Any] | None = None,
    client: Groq | AsyncGroq | None = None,
    call_params: dict[str, Any] | None = None,
) -> Any:
    """Turn a prompt function into a call to a Groq model.

    Args:
        model: The model id, e.g. ``"llama-3.1-8b-instant"``.
        stream: ``True`` to get a :class:`GroqStream` (``AsyncGroqStream`` for ``async def``).
        tools: Tools the model may call: ``GroqTool`` subclasses, plain functions
            (documented by their docstrings), or pydantic models.
        response_model: A pydantic model for structured output; with ``stream=True``,
            iteration yields partial models as the JSON arrives.
        json_mode: Ask Groq for a JSON object (``response_format``); with a
            ``response_model``, use JSON mode instead of a forced tool call.
        output_parser: Applied to the ``GroqCallResponse`` of a non-stream call.
        client: A ``mirastream.groq.Groq`` / ``AsyncGroq``; default: one from the environment.
        call_params: Request parameters (``temperature``, ``tool_choice``,
            ``parallel_tool_calls``, ``reasoning_format`` ...).

    Returns:
        A decorator for a prompt function returning a ``str``, a list of messages, or
        (with ``@prompt_template``) ``None`` or a dynamic config.
    """
    if output_parser is not None and stream:
        raise TypeError("output_parser applies to stream=False calls only")
    call = _Call(
        model,
        stream=stream,
        tools=tools,
        response_model=response_model,
        json_mode=json_mode,
        output_parser=output_parser,
        client=client,
        call_params=call_params,
    )
    return call.decorate
