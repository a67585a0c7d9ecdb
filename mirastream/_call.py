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
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    ParamSpec,
    Protocol,
    TypedDict,
    TypeVar,
    overload,
)

from pydantic import BaseModel

from mirastream._attempts import Recovery
from mirastream._context import METADATA_ATTRIBUTE, CallContext
from mirastream._json_mode import with_json_instruction
from mirastream._prompts import (
    TEMPLATE_TEXT_ATTRIBUTE,
    DynamicConfig,
    build_messages,
    call_arguments,
    prompt_function,
)
from mirastream._response_models import ResponseShape, response_shape
from mirastream._results import GroqCallResponse
from mirastream._stream import AsyncGroqStream, GroqStream, _now_ms
from mirastream._toolkit import Toolkit
from mirastream.groq import AsyncGroq, Groq

if TYPE_CHECKING:
    from mirastream._structured import AsyncStructuredStream, StructuredStream
    from mirastream._structured_modes import StructuredMode

__all__ = ["groq_call"]

P = ParamSpec("P")
T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
ResponseT = TypeVar("ResponseT", bound=GroqCallResponse)

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


class StreamConfig(TypedDict, total=False):
    """``stream=`` as a dict: ``{"partial_tools": True}`` also yields partial tools."""

    partial_tools: bool


def _stream_mode(stream: bool | StreamConfig) -> tuple[bool, bool]:
    """``(stream, partial_tools)`` from ``stream=``; anything else is a ``TypeError``."""
    if isinstance(stream, bool):
        return stream, False
    if isinstance(stream, dict):
        unknown = set(stream) - {"partial_tools"}
        partial = stream.get("partial_tools", False)
        if unknown or not isinstance(partial, bool):
            raise TypeError(
                f"stream={stream!r}: a stream config takes only 'partial_tools' (a bool)"
            )
        return True, partial
    raise TypeError(
        f"stream= takes a bool or a stream config such as {{'partial_tools': True}}, "
        f"got {type(stream).__name__}"
    )


class _Request:
    """One call's resolved request: what to send, with which client and tools."""

    __slots__ = ("client", "context", "messages", "mode", "params", "toolkit")

    def __init__(
        self,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        toolkit: Toolkit | None,
        client: Any,
        context: CallContext,
        mode: StructuredMode = "tool",
    ) -> None:
        self.messages = messages
        self.params = params
        self.toolkit = toolkit
        self.client = client
        self.context = context
        self.mode = mode  # how a response_model is asked for

    def with_messages(self, messages: list[dict[str, Any]]) -> _Request:
        """The same request with other messages (a re-ask)."""
        return _Request(messages, self.params, self.toolkit, self.client, self.context, self.mode)


class _Call:
    """The settings of one decorated prompt function."""

    def __init__(
        self,
        model: str,
        *,
        stream: bool | StreamConfig,
        tools: Sequence[Any] | None,
        response_model: Any,
        json_mode: bool,
        output_parser: Callable[[Any], Any] | None,
        client: Groq | AsyncGroq | None,
        call_params: dict[str, Any] | None,
        structured: StructuredMode | None = None,
        recovery: Recovery | None = None,
    ) -> None:
        self.model = model
        self.stream, self.partial_tools = _stream_mode(stream)
        self.tools = list(tools or ())
        self.shape: ResponseShape | None = (
            None if response_model is None else response_shape(response_model)
        )
        # The model the request asks for and partial parsing builds (see _response_models).
        self.response_model = None if self.shape is None else self.shape.model
        self.json_mode = json_mode
        self.output_parser = output_parser
        self.client = client
        self.call_params = dict(call_params or {})
        self.structured = structured
        self.recovery = recovery or Recovery()
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
        mode: StructuredMode = "tool"
        if self.response_model is not None:
            from mirastream._structured import prepare_structured
            from mirastream._structured_modes import resolve_mode

            mode = resolve_mode(
                self.structured, self.response_model, self.json_mode, self.stream, toolkit
            )
            messages, params = prepare_structured(self.response_model, mode, messages, params)
        elif self.json_mode:  # Groq refuses json_object unless the messages mention JSON
            messages = with_json_instruction(messages, None)
        context = CallContext(
            metadata=config.get("metadata", getattr(fn, METADATA_ATTRIBUTE, None)),
            prompt_template=getattr(fn, TEMPLATE_TEXT_ATTRIBUTE, None),
            fn_args=call_arguments(fn, args, kwargs),
            dynamic_config=config,
        )
        client = config.get("client") or self.client
        return _Request(messages, params, toolkit, client, context, mode)

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
        if self.recovery.active:
            from mirastream import _recovering

            return _recovering.run(self, request, client, start)
        if self.stream:
            raw = client.chat.completions.create(
                messages=messages, model=self.model, stream=True, **request.params
            )
            stream = self._stream_class(GroqStream)(raw, **self._stream_state(request, start))
            return self._wrap(stream, request)
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
        if self.recovery.active:
            from mirastream import _recovering

            return await _recovering.arun(self, request, client, start)
        if self.stream:
            raw = await client.chat.completions.create(
                messages=messages, model=self.model, stream=True, **request.params
            )
            stream = self._stream_class(AsyncGroqStream)(raw, **self._stream_state(request, start))
            return self._wrap(stream, request)
        completion = await client.chat.completions.create(
            messages=messages, model=self.model, **request.params
        )
        return self._finish(request, completion, start)

    def _stream_class(self, base: type[Any]) -> type[Any]:
        if not self.partial_tools:
            return base
        from mirastream._partial_tools import AsyncPartialToolStream, PartialToolStream

        return PartialToolStream if base is GroqStream else AsyncPartialToolStream

    def _stream_state(
        self, request: _Request, start: float, model: str | None = None
    ) -> dict[str, Any]:
        return {
            "context": request.context,
            "messages": request.messages,
            "model": model or self.model,
            # A structured stream yields models, not tools: its calls (the forced one
            # included) stay raw in ``tool_calls``.
            "toolkit": None if self.response_model is not None else request.toolkit,
            "call_params": request.params,
            "start_time": start,
        }

    def _finish(self, request: _Request, completion: Any, start: float) -> Any:
        return self._result(self._response(request, completion, start, self.model), request)

    def _response(
        self,
        request: _Request,
        completion: Any,
        start: float,
        model: str,
        cls: type[ResponseT] = GroqCallResponse,  # type: ignore[assignment]
    ) -> ResponseT:
        return cls(
            completion,
            messages=request.messages,
            toolkit=request.toolkit,
            start_time=start,
            end_time=_now_ms(),
            model=model,
            call_params=request.params,
            context=request.context,
        )

    def _result(self, response: GroqCallResponse, request: _Request) -> Any:
        """What a non-stream call returns for ``response``."""
        if self.shape is not None:
            from mirastream._response_models import structured_value

            value = structured_value(self.shape, response, request.mode != "tool")
            return self.output_parser(value) if self.output_parser is not None else value
        if self.output_parser is not None:
            return self.output_parser(response)
        return response

    def _wrap(self, stream: GroqStream | AsyncGroqStream, request: _Request) -> Any:
        """The stream to return: as it is, or yielding partial models."""
        if self.shape is None:
            return stream
        from mirastream._structured import AsyncStructuredStream, StructuredStream

        unwrap = self.shape.partial_value if self.shape.wrapped else None
        as_content = request.mode != "tool"  # the JSON arrives as content, not a tool call
        if isinstance(stream, GroqStream):
            return StructuredStream(stream, self.shape.model, as_content, unwrap=unwrap)
        return AsyncStructuredStream(stream, self.shape.model, as_content, unwrap=unwrap)

    def decorate(self, decorated: Callable[..., Any]) -> Callable[..., Any]:
        # Under @prompt_template, the function it wraps (which @metadata marks too).
        fn = prompt_function(decorated)
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(decorated)
            async def async_call(*args: Any, **kwargs: Any) -> Any:
                result = await fn(*args, **kwargs)
                return await self.arun(self.request(fn, result, args, kwargs))

            return async_call

        @functools.wraps(decorated)
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


class _AnyDecorator(Protocol):
    def __call__(self, fn: Callable[P, Any]) -> Callable[P, Any]: ...


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
    structured: StructuredMode | None = None,
    reask: int = 0,
    fallback: Sequence[str] | None = None,
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
    structured: StructuredMode | None = None,
    reask: int = 0,
    fallback: Sequence[str] | None = None,
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
    structured: StructuredMode | None = None,
    reask: int = 0,
    fallback: Sequence[str] | None = None,
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
    structured: StructuredMode | None = None,
    reask: int = 0,
    fallback: Sequence[str] | None = None,
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
    structured: StructuredMode | None = None,
    reask: int = 0,
    fallback: Sequence[str] | None = None,
) -> _ResponseDecorator: ...
@overload
def groq_call(
    model: str,
    *,
    stream: bool | StreamConfig = False,
    tools: Sequence[Any] | None = None,
    response_model: Any = None,
    json_mode: bool = False,
    output_parser: None = None,
    client: Groq | AsyncGroq | None = None,
    call_params: dict[str, Any] | None = None,
    structured: StructuredMode | None = None,
    reask: int = 0,
    fallback: Sequence[str] | None = None,
) -> _AnyDecorator: ...
def groq_call(
    model: str,
    *,
    stream: bool | StreamConfig = False,
    tools: Sequence[Any] | None = None,
    response_model: Any = None,
    json_mode: bool = False,
    output_parser: Callable[[Any], Any] | None = None,
    client: Groq | AsyncGroq | None = None,
    call_params: dict[str, Any] | None = None,
    structured: StructuredMode | None = None,
    reask: int = 0,
    fallback: Sequence[str] | None = None,
) -> Any:
    """Turn a prompt function into a call to a Groq model.

    Args:
        model: The model id, e.g. ``"llama-3.1-8b-instant"``.
        stream: ``True`` to get a :class:`GroqStream` (``AsyncGroqStream`` for ``async def``);
            ``{"partial_tools": True}`` also yields partial tools (``tool.delta``) while
            a tool call's arguments arrive. Anything else is a ``TypeError``.
        tools: Tools the model may call: ``GroqTool`` subclasses, plain functions
            (documented by their docstrings), or pydantic models.
        response_model: A pydantic model for structured output, or a type pydantic
            validates (``str``, ``int``, ``list[...]``, ``Literal``, ``Enum``,
            ``Annotated`` ...), whose value is returned; with ``stream=True``, iteration
            yields partial values as the JSON arrives. A returned model carries its
            ``GroqCallResponse`` as ``._response``.
        json_mode: Ask Groq for a JSON object (``response_format``); with a
            ``response_model``, use JSON mode instead of a forced tool call.
        output_parser: Applied to the ``GroqCallResponse`` of a non-stream call (to the
            structured value, with a ``response_model``).
        client: A ``mirastream.groq.Groq`` / ``AsyncGroq``; default: one from the environment.
        call_params: Request parameters (``temperature``, ``tool_choice``,
            ``parallel_tool_calls``, ``reasoning_format`` ...).
        structured: How a ``response_model`` is asked for: ``"tool"`` (a forced tool
            call), ``"json"`` (JSON object mode), ``"strict"`` (Groq's strict JSON schema,
            constrained decoding) or ``"text"`` (the schema in the prompt, the JSON in the
            content: token by token on every model). Default: ``"strict"`` with
            ``json_mode=True`` and a model whose ``model_config`` sets ``strict=True``,
            ``"json"`` with ``json_mode=True``, ``"text"`` for streams, else ``"tool"``.
        reask: Ask again, at most this many times, after a failed answer
            (``tool_use_failed``, a tool call or ``response_model`` that fails
            validation), with the answer and its error added to the messages.
        fallback: Models to try next, in order, on 429, 498, 503 or a connection failure.

    Returns:
        A decorator for a prompt function returning a ``str``, a list of messages, or
        (with ``@prompt_template``) ``None`` or a dynamic config.
    """
    if output_parser is not None and stream is not False:
        raise TypeError("output_parser applies to stream=False calls only")
    if structured is not None:
        from mirastream._structured_modes import MODES

        if structured not in MODES:
            raise ValueError(f"structured must be one of {MODES}, got {structured!r}")
    call = _Call(
        model,
        stream=stream,
        tools=tools,
        response_model=response_model,
        json_mode=json_mode,
        output_parser=output_parser,
        client=client,
        call_params=call_params,
        structured=structured,
        recovery=Recovery(reask, tuple(fallback or ())),
    )
    return call.decorate
