"""What a call was made from: metadata, template, arguments, dynamic config.

:class:`CallContext` is built once per call by ``groq_call`` and carried by its stream
and its response; :class:`CallContextView` gives both the same read-only properties
(``metadata``, ``prompt_template``, ``fn_args``, ``dynamic_config``, ``tool_types``,
``user_message_param``) and ``model_dump()``. The ``metadata`` decorator lives here too:
it only records a mapping on the prompt function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from mirastream.tools._tool import GroqTool
    from mirastream.tools._toolkit import Toolkit

__all__ = ["METADATA_ATTRIBUTE", "CallContext", "CallContextView", "metadata"]

F = TypeVar("F")
METADATA_ATTRIBUTE = "__mirastream_metadata__"


def metadata(value: Mapping[str, Any]) -> Callable[[F], F]:
    """Attach metadata (e.g. ``{"tags": {"version:0001"}}``) to a prompt function.

    A ``metadata`` key in the function's dynamic config replaces it for that call.
    Both reach ``response.metadata`` and ``stream.metadata``.

    Args:
        value: Any mapping; mirastream sends none of it to Groq.

    Returns:
        A decorator that records the metadata and returns the function (or class) as is.
    """
    if not isinstance(value, Mapping):
        raise TypeError(f"metadata must be a mapping, got {type(value).__name__}")

    def decorator(fn: F) -> F:
        from mirastream.prompts._prompts import prompt_function

        setattr(fn, METADATA_ATTRIBUTE, dict(value))
        if callable(fn) and not isinstance(fn, type):  # and the function a template wraps
            setattr(prompt_function(fn), METADATA_ATTRIBUTE, dict(value))
        return fn

    return decorator


class CallContext:
    """One call's origin.

    Attributes:
        metadata: The call's metadata (decorator, or the dynamic config's ``metadata``).
        prompt_template: The template text, or ``None`` for a function without one.
        fn_args: The prompt function's arguments by name, defaults included.
        dynamic_config: What the prompt function returned as its config (``{}`` if none).
    """

    __slots__ = ("dynamic_config", "fn_args", "metadata", "prompt_template")

    def __init__(
        self,
        *,
        metadata: Mapping[str, Any] | None = None,
        prompt_template: str | None = None,
        fn_args: Mapping[str, Any] | None = None,
        dynamic_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.prompt_template = prompt_template
        self.fn_args: dict[str, Any] = dict(fn_args or {})
        self.dynamic_config: dict[str, Any] = dict(dynamic_config or {})


_EMPTY = CallContext()


def _dump(value: Any) -> Any:
    # Nested responses (computed fields holding a call's response) dump as themselves.
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump()
    if isinstance(value, Mapping):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_dump(v) for v in value]
    return value


class CallContextView:
    """The call-context properties of a stream or a response (see the module docs)."""

    __slots__ = ()
    _context: CallContext | None
    _toolkit: Toolkit | None
    messages: list[dict[str, Any]]
    call_params: dict[str, Any]

    @property
    def _ctx(self) -> CallContext:
        return self._context or _EMPTY

    @property
    def metadata(self) -> dict[str, Any]:
        """The call's metadata (``@metadata``, or the dynamic config's ``metadata``)."""
        return self._ctx.metadata

    @property
    def prompt_template(self) -> str | None:
        """The prompt template text, or ``None`` when the function had none."""
        return self._ctx.prompt_template

    @property
    def fn_args(self) -> dict[str, Any]:
        """The prompt function's arguments by name, defaults included."""
        return self._ctx.fn_args

    @property
    def dynamic_config(self) -> dict[str, Any]:
        """What the prompt function returned as its dynamic config (``{}`` if nothing)."""
        return self._ctx.dynamic_config

    @property
    def tool_types(self) -> list[type[GroqTool]]:
        """The tool classes offered in the call."""
        return list(self._toolkit.tools) if self._toolkit is not None else []

    @property
    def user_message_param(self) -> dict[str, Any] | None:
        """The last message sent, when it is a user message (else ``None``)."""
        messages = self.messages
        if messages and messages[-1].get("role") == "user":
            return messages[-1]
        return None

    def _dump_fields(self) -> dict[str, Any]:
        ctx = self._ctx
        return {
            "metadata": ctx.metadata,
            "prompt_template": ctx.prompt_template,
            "fn_args": _dump(ctx.fn_args),
            "dynamic_config": _dump(ctx.dynamic_config),
            "computed_fields": _dump(ctx.dynamic_config.get("computed_fields", {})),
            "messages": self.messages,
            "call_params": {k: v for k, v in self.call_params.items() if k != "tools"},
            "tool_types": [tool._name() for tool in self.tool_types],
            "user_message_param": self.user_message_param,
        }
