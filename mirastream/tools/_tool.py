"""Tools: user-defined ``GroqTool`` classes, functions and models, and tool calls to tools.

A tool can be given three ways, all converted by :func:`tool_from` into a
:class:`GroqTool` subclass (a pydantic model whose fields are the parameters):

* a :class:`GroqTool` subclass: the docstring describes it, fields are its parameters,
  and its ``call()`` runs it;
* a plain or ``async def`` function (or bound method): the name and docstring describe
  it, parameters become fields, ``call()`` calls the function;
* a pydantic ``BaseModel`` class: ``call()`` returns the validated model instance.

:class:`~mirastream.tools._toolkit.Toolkit` holds the tools offered in one call.
"""

from __future__ import annotations

import copy
import functools
import re
import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, ClassVar, cast

import jiter
import pydantic
from pydantic import BaseModel, PrivateAttr, create_model

from mirastream.errors import ToolCallError
from mirastream.groq.types import ChatCompletionMessageToolCall
from mirastream.structured._validation import ToolValidationError
from mirastream.tools._schema import (
    ParamField,
    docstring_description,
    parameters_schema,
    signature_fields,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    from typing_extensions import Self

__all__ = ["GroqTool", "ToolLike", "tool_from"]

ToolLike: TypeAlias = type[BaseModel] | Callable[..., Any]
"""Anything :func:`tool_from` accepts: a GroqTool subclass, a BaseModel class, a function."""

# Groq's rule for function names (groq-wire.md §1).
_NAME_RE = re.compile(r"[a-zA-Z0-9_-]{1,64}")
# Built once per class: pydantic regenerates JSON Schema on every call, and a
# Toolkit is built per request. Weak keys let function tools dropped from the
# tool_from cache go away.
_SCHEMAS: weakref.WeakKeyDictionary[type[GroqTool], dict[str, Any]] = weakref.WeakKeyDictionary()


class GroqTool(BaseModel):
    """Base class for tools the model can call.

    Subclass it: the class docstring is the description the model sees, each field
    (with ``Field(description=...)``) is a parameter, and :meth:`call` runs the tool.
    The class name is the tool's name on the wire (override :meth:`_name` to change it).

    Example::

        class GetWeather(GroqTool):
            \"\"\"Get the current weather in a city.\"\"\"

            city: str = Field(description="City and country, e.g. Paris, France")

            def call(self) -> str:
                return f"It is sunny in {self.city}"
    """

    # A private attribute rather than a field: the raw call never appears in the
    # schema, in `args` or in `model_dump()`, and user models need no
    # `arbitrary_types_allowed` for a non-pydantic type.
    _tool_call: ChatCompletionMessageToolCall | None = PrivateAttr(default=None)
    # The arguments fragment of a partial tool (stream={"partial_tools": True}).
    _delta: str | None = PrivateAttr(default=None)

    @property
    def tool_call(self) -> ChatCompletionMessageToolCall | None:
        """The raw tool call this instance was built from (``None`` if built directly)."""
        return self._tool_call

    @property
    def delta(self) -> str | None:
        """For a partial tool, the arguments fragment just received; ``None`` when complete."""
        return self._delta

    @property
    def args(self) -> dict[str, Any]:
        """The tool's arguments: field name to validated value (nested models stay models)."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    def call(self) -> Any:
        """Run the tool. Subclasses override this; function tools call their function.

        Raises:
            NotImplementedError: A GroqTool subclass that does not define ``call``.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define call()")

    @classmethod
    def _name(cls) -> str:
        """The tool's name on the wire: the class (or function) name."""
        return cls.__name__

    @classmethod
    def _description(cls) -> str | None:
        """The tool's description: the class's own docstring, never an inherited one."""
        return docstring_description(cls.__dict__.get("__doc__"))

    @classmethod
    def tool_schema(cls) -> dict[str, Any]:
        """The tool as one entry of the request's ``tools`` list.

        Returns:
            ``{"type": "function", "function": {"name", "description", "parameters"}}``
            (``description`` left out when there is none); a fresh copy on each call.
        """
        schema = _SCHEMAS.get(cls)
        if schema is None:
            function: dict[str, Any] = {"name": cls._name()}
            description = cls._description()
            if description:
                function["description"] = description
            function["parameters"] = parameters_schema(cls)
            schema = _SCHEMAS[cls] = {"type": "function", "function": function}
        return copy.deepcopy(schema)

    @classmethod
    def from_tool_call(cls, tool_call: ChatCompletionMessageToolCall) -> Self:
        """Validate a tool call's arguments into an instance of this tool.

        Empty arguments (``""``, ``null`` or ``"{}"``) mean no arguments.

        Args:
            tool_call: The complete tool call from the model.

        Returns:
            The tool, with :attr:`tool_call` set to ``tool_call``.

        Raises:
            ToolCallError: The arguments are not JSON, not a JSON object, or fail
                validation (``__cause__`` is the JSON or validation error).
        """
        name = tool_call.function.name or cls._name()
        raw: str | None = tool_call.function.arguments
        data = _parse_arguments(raw, name, tool_call.id)
        try:
            tool = cls.model_validate(data)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, error['loc'])) or '(arguments)'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ToolValidationError(  # a ToolCallError and a pydantic ValidationError
                f"arguments of tool {name!r} failed validation: {problems}",
                tool_name=name,
                tool_call_id=tool_call.id,
                arguments=raw or "",
                errors=exc.errors(),
            ) from exc
        tool._tool_call = tool_call
        return tool


def _parse_arguments(raw: str | None, name: str, call_id: str | None) -> dict[str, Any]:
    if raw is None or not raw.strip():
        return {}
    try:
        data = jiter.from_json(raw.encode())
    except ValueError as exc:
        raise ToolCallError(
            f"arguments of tool {name!r} are not valid JSON ({exc}): {_shorten(raw)}",
            tool_name=name,
            tool_call_id=call_id,
            arguments=raw,
        ) from exc
    if data is None:  # some models send `null` for a tool without parameters
        return {}
    if not isinstance(data, dict):
        raise ToolCallError(
            f"arguments of tool {name!r} must be a JSON object, got {_json_kind(data)}: "
            f"{_shorten(raw)}",
            tool_name=name,
            tool_call_id=call_id,
            arguments=raw,
        )
    return data


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _shorten(text: str, limit: int = 200) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


class _FunctionTool(GroqTool):
    """A tool made from a function; ``call()`` calls it with the arguments by name."""

    _tool_fn: ClassVar[Callable[..., Any]]
    _tool_params: ClassVar[tuple[ParamField, ...]] = ()

    @property
    def args(self) -> dict[str, Any]:
        """The arguments by parameter name (as the function and the model name them)."""
        return {p.name: getattr(self, p.field) for p in type(self)._tool_params}

    def call(self) -> Any:
        """Call the function; for an ``async def`` function this returns the coroutine."""
        params = type(self)._tool_params
        positional = [getattr(self, p.field) for p in params if p.positional_only]
        keywords = {p.name: getattr(self, p.field) for p in params if not p.positional_only}
        return type(self)._tool_fn(*positional, **keywords)


class _ModelTool(GroqTool):
    """A tool made from a BaseModel class; ``call()`` returns an instance of that class."""

    _tool_model: ClassVar[type[BaseModel]]

    def call(self) -> Any:
        """Return the arguments as an instance of the original model class.

        The values were validated by the model's own validators when this tool was
        built (it subclasses the model), so they are copied, not validated again.
        """
        model = type(self)._tool_model
        values = {name: getattr(self, name) for name in model.model_fields}
        values.update(self.__pydantic_extra__ or {})
        return model.model_construct(set(self.model_fields_set), **values)


def _reserved(name: str) -> bool:
    # Names a function parameter cannot use as a field name as is (see signature_fields).
    return hasattr(_FunctionTool, name) or name.startswith(("model_validate", "model_dump"))


def _tool_from_function(fn: Callable[..., Any]) -> type[GroqTool]:
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        raise TypeError(f"cannot make a tool from {fn!r}: it has no __name__ to use as its name")
    description, fields, params = signature_fields(fn, reserved=_reserved)
    tool = create_model(
        name,
        __base__=_FunctionTool,
        __doc__=description,
        __module__=getattr(fn, "__module__", None) or __name__,
        **fields,
    )
    # staticmethod: stored on the class, a plain function would bind as a method.
    setattr(tool, "_tool_fn", staticmethod(fn))  # noqa: B010  # mypy: ClassVar of a Callable
    tool._tool_params = params
    return tool


def _tool_from_model(model: type[BaseModel]) -> type[GroqTool]:
    clashes = sorted(set(model.model_fields) & (set(vars(GroqTool)) | set(vars(_ModelTool))))
    if clashes:
        raise TypeError(
            f"cannot make a tool from {model.__name__}: its field(s) {clashes} clash with "
            "GroqTool attributes; rename them (an alias keeps the wire name)"
        )
    # Subclassing the model keeps its validators, config and aliases for validation.
    tool = cast(
        "type[_ModelTool]",
        create_model(
            model.__name__,
            __base__=(model, _ModelTool),
            __doc__=model.__dict__.get("__doc__"),
            __module__=model.__module__,
        ),
    )
    tool._tool_model = model
    return tool


def _convert(obj: ToolLike) -> type[GroqTool]:
    if isinstance(obj, type):
        if issubclass(obj, BaseModel):
            return _tool_from_model(obj)
        raise TypeError(
            f"cannot make a tool from class {obj.__name__}: give a GroqTool subclass, "
            "a pydantic BaseModel class, or a function"
        )
    if callable(obj):
        return _tool_from_function(obj)
    raise TypeError(
        f"cannot make a tool from {obj!r}: give a GroqTool subclass, "
        "a pydantic BaseModel class, or a function"
    )


# Bounded: each entry keeps its function (and a bound method's instance) alive.
_convert_cached = functools.lru_cache(maxsize=1024)(_convert)


def tool_from(obj: ToolLike) -> type[GroqTool]:
    """Convert a tool definition into a :class:`GroqTool` subclass.

    Function tools: name = ``fn.__name__``; description and parameter descriptions
    from the docstring (Google, NumPy or reST), matched by parameter name; defaults
    kept (those parameters are optional); ``Annotated[T, Field(description=...)]``
    wins over the docstring; ``self``/``cls`` skipped; unannotated parameters are
    ``Any``; the return annotation is ignored. BaseModel classes: class name and
    docstring; ``call()`` returns the validated model. The class is built once per
    function or model and cached.

    Args:
        obj: A GroqTool subclass (returned as is), a pydantic BaseModel class, or a
            plain or ``async def`` function or bound method.

    Returns:
        The tool class.

    Raises:
        TypeError: ``obj`` is none of the above, or a function takes
            ``*args``/``**kwargs`` or has an annotation that cannot be resolved.
        ValueError: The tool's name is not 1-64 characters of ``[a-zA-Z0-9_-]``.
    """
    if isinstance(obj, type) and issubclass(obj, GroqTool):
        tool = obj
    else:
        try:
            hash(obj)
        except TypeError:
            tool = _convert(obj)  # unhashable callable: built each time
        else:
            tool = _convert_cached(cast("Hashable", obj))
    name = tool._name()
    if not _NAME_RE.fullmatch(name):
        raise ValueError(
            f"tool name {name!r} is not allowed: Groq wants 1-64 characters of a-z, A-Z, "
            "0-9, '_' or '-'"
        )
    return tool
