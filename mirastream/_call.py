"""One decorated call: a prompt function's result becomes a request, then a stream or answer.

``groq_call`` (:mod:`mirastream._decorator`) only records settings in a :class:`_Call`.
Each call then runs, top to bottom:
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
from collections.abc import Callable, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    ParamSpec,
    TypedDict,
    TypeVar,
)

from pydantic import BaseModel

from mirastream._context import METADATA_ATTRIBUTE, CallContext
from mirastream._observe import Observer, begin
from mirastream._results import GroqCallResponse
from mirastream._stream import AsyncGroqStream, GroqStream
from mirastream._stream_state import _now_ms
from mirastream.groq import AsyncGroq, Groq
from mirastream.groq._ratelimits import RateLimits
from mirastream.prompts._prompts import (
    TEMPLATE_TEXT_ATTRIBUTE,
    DynamicConfig,
    build_messages,
    call_arguments,
    prompt_function,
)
from mirastream.recovery._attempts import Recovery
from mirastream.structured._json_mode import with_json_instruction
from mirastream.structured._response_models import ResponseShape, response_shape
from mirastream.tools._toolkit import Toolkit

if TYPE_CHECKING:
    from mirastream.structured._modes import StructuredMode

__all__ = ["StreamConfig", "default_async_client", "default_client"]

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
            from mirastream.structured._modes import resolve_mode
            from mirastream.structured._stream import prepare_structured

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
        observer = begin(self.model, request.messages, request.params, self.stream, client)
        try:
            if self.recovery.active:
                from mirastream.recovery import _recovering

                result = _recovering.run(self, request, client, start, observer)
            elif self.stream:
                raw = client.chat.completions.create(
                    messages=messages, model=self.model, stream=True, **request.params
                )
                state = self._stream_state(request, start)
                stream = self._stream_class(GroqStream)(raw, observer=observer, **state)
                result = self._wrap(stream, request)
            else:
                # The raw response keeps the headers (rate limits) a ChatCompletion loses.
                answer = client.chat.completions.with_raw_response.create(
                    messages=messages, model=self.model, **request.params
                )
                completion = answer.parse()
                result = self._finish(request, completion, start, answer.rate_limits, observer)
        except BaseException as exc:
            if observer is not None:
                observer.failed(exc)
            raise
        if observer is not None and not self.stream:  # a stream's is told when it ends
            observer.end()
        return result

    async def arun(self, request: _Request) -> Any:
        client: AsyncGroq = request.client or default_async_client()
        if not isinstance(client, AsyncGroq):
            raise TypeError(
                f"an async prompt function needs a mirastream.groq.AsyncGroq client, got {client!r}"
            )
        messages: Any = request.messages
        start = _now_ms()
        observer = begin(self.model, request.messages, request.params, self.stream, client)
        try:
            if self.recovery.active:
                from mirastream.recovery import _recovering

                result = await _recovering.arun(self, request, client, start, observer)
            elif self.stream:
                raw = await client.chat.completions.create(
                    messages=messages, model=self.model, stream=True, **request.params
                )
                state = self._stream_state(request, start)
                stream = self._stream_class(AsyncGroqStream)(raw, observer=observer, **state)
                result = self._wrap(stream, request)
            else:
                # The raw response keeps the headers (rate limits) a ChatCompletion loses.
                answer = await client.chat.completions.with_raw_response.create(
                    messages=messages, model=self.model, **request.params
                )
                completion = await answer.parse()
                result = self._finish(request, completion, start, answer.rate_limits, observer)
        except BaseException as exc:
            if observer is not None:
                observer.failed(exc)
            raise
        if observer is not None and not self.stream:  # a stream's is told when it ends
            observer.end()
        return result

    def _stream_class(self, base: type[Any]) -> type[Any]:
        if not self.partial_tools:
            return base
        from mirastream.tools._partial import AsyncPartialToolStream, PartialToolStream

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

    def _finish(
        self,
        request: _Request,
        completion: Any,
        start: float,
        rate_limits: RateLimits | None = None,
        observer: Observer | None = None,
    ) -> Any:
        response: GroqCallResponse = self._response(
            request, completion, start, self.model, rate_limits=rate_limits
        )
        if observer is not None:
            observer.response(response)
        return self._result(response, request)

    def _response(
        self,
        request: _Request,
        completion: Any,
        start: float,
        model: str,
        cls: type[ResponseT] = GroqCallResponse,  # type: ignore[assignment]
        rate_limits: RateLimits | None = None,
    ) -> ResponseT:
        end = _now_ms()
        return cls(
            completion,
            messages=request.messages,
            toolkit=request.toolkit,
            start_time=start,
            end_time=end,
            model=model,
            call_params=request.params,
            context=request.context,
            first_token_time=end,  # a non-stream answer arrives whole
            rate_limits=rate_limits,
        )

    def _result(self, response: GroqCallResponse, request: _Request) -> Any:
        """What a non-stream call returns for ``response``."""
        if self.shape is not None:
            from mirastream.structured._response_models import structured_value

            value = structured_value(self.shape, response, request.mode != "tool")
            return self.output_parser(value) if self.output_parser is not None else value
        if self.output_parser is not None:
            return self.output_parser(response)
        return response

    def _wrap(self, stream: GroqStream | AsyncGroqStream, request: _Request) -> Any:
        """The stream to return: as it is, or yielding partial models."""
        if self.shape is None:
            return stream
        from mirastream.structured._stream import AsyncStructuredStream, StructuredStream

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
