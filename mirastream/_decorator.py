"""``groq_call``: the decorator, typed by mode.

It records its settings in a :class:`~mirastream._call._Call` and returns that call's
``decorate``; everything a call does at run time lives in :mod:`mirastream._call`. The
overloads tell a type checker what a decorated function returns: a ``GroqStream`` with
``stream=True``, partial models with a ``response_model``, a coroutine for ``async def``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, Protocol, TypeVar, overload

from pydantic import BaseModel

from mirastream._call import StreamConfig, _Call
from mirastream._results import GroqCallResponse
from mirastream._stream import AsyncGroqStream, GroqStream
from mirastream.groq import AsyncGroq, Groq
from mirastream.recovery._attempts import Recovery

if TYPE_CHECKING:
    from mirastream.structured._modes import StructuredMode
    from mirastream.structured._stream import AsyncStructuredStream, StructuredStream

__all__ = ["groq_call"]

P = ParamSpec("P")
T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


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
        from mirastream.structured._modes import MODES

        if structured not in MODES:
            raise ValueError(f"structured must be one of {MODES}, got {structured!r}")
    recovery = Recovery(reask, tuple(fallback or ()))
    if recovery.active and isinstance(stream, dict) and stream.get("partial_tools"):
        # A recovering stream yields complete tools only: say so rather than drop it.
        raise TypeError(
            "stream={'partial_tools': True} cannot be combined with reask= or fallback="
        )
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
        recovery=recovery,
    )
    return call.decorate
