"""What ``response_model=`` may be, and how its answer becomes the value a call returns.

A ``response_model`` is a pydantic model, or a type pydantic can validate: ``str``,
``int``, ``float``, ``bool``, ``list[...]``, ``dict[...]``, ``Literal[...]``, an ``Enum``,
``Annotated[...]`` (validators included), unions. A type that is not a model is wrapped
in a one-field model ``{"value": ...}`` named after the type (as Mirascope does), so the
request (forced tool or JSON mode) and the partial parsing are the same for every kind;
the call returns the ``value``.

Model fields marked ``Annotated[..., FromCallArgs()]`` are not asked of the model: they
are left out of the schema and filled from the call's arguments of the same name.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from mirastream.errors import StructuredOutputError
from mirastream.structured._validation import StructuredValidationError

if TYPE_CHECKING:
    from mirastream._results import GroqCallResponse

__all__ = [
    "FromCallArgs",
    "ResponseModelConfigDict",
    "ResponseShape",
    "response_shape",
    "structured_value",
]


class FromCallArgs:
    """Marks a response-model field that is filled from the call's argument of that name.

    Example::

        class Books(BaseModel):
            texts: Annotated[list[str], FromCallArgs()]
            books: list[Book]
    """


class ResponseModelConfigDict(ConfigDict, total=False):
    """A response model's ``model_config``; ``strict=True`` asks for Groq's strict schema."""

    strict: bool


def _is_from_call_args(field: Any) -> bool:
    return any(isinstance(m, FromCallArgs) for m in field.metadata)


def _type_name(tp: Any) -> str:
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    name = getattr(tp, "__name__", None) or getattr(get_origin(tp), "__name__", None)
    return name if isinstance(name, str) else "value"


_WRAPPED_DOC = "Correctly formatted and typed parameters extracted from the completion."


class ResponseShape:
    """One ``response_model`` as the core uses it.

    Attributes:
        declared: The ``response_model`` as given.
        model: The pydantic model the request asks for and partial parsing builds
            (a wrapper for non-model types; without ``FromCallArgs`` fields).
        wrapped: Whether ``model`` wraps a non-model type in its ``value`` field.
        call_arg_fields: The names of ``FromCallArgs`` fields.
    """

    __slots__ = ("call_arg_fields", "declared", "model", "wrapped")

    def __init__(self, declared: Any) -> None:
        self.declared = declared
        self.call_arg_fields: tuple[str, ...] = ()
        if inspect.isclass(declared) and issubclass(declared, BaseModel):
            self.wrapped = False
            self.call_arg_fields = tuple(
                name for name, f in declared.model_fields.items() if _is_from_call_args(f)
            )
            self.model: type[BaseModel] = (
                self._without_call_args(declared) if self.call_arg_fields else declared
            )
        else:
            self.wrapped = True
            try:
                self.model = create_model(
                    _type_name(declared), __doc__=_WRAPPED_DOC, value=(declared, ...)
                )
            except TypeError as exc:  # pydantic's schema errors are TypeErrors
                raise TypeError(
                    f"response_model={declared!r} is neither a pydantic model nor a type "
                    f"pydantic can validate: {exc}"
                ) from exc

    def _without_call_args(self, declared: type[BaseModel]) -> type[BaseModel]:
        fields: dict[str, Any] = {
            name: (f.annotation, f)
            for name, f in declared.model_fields.items()
            if name not in self.call_arg_fields
        }
        return create_model(declared.__name__, __doc__=declared.__doc__, **fields)

    def value(self, parsed: BaseModel, call_args: dict[str, Any] | None) -> Any:
        """The value a call returns for the validated ``model`` instance.

        Raises:
            ValueError: A ``FromCallArgs`` field has no call argument of its name.
            pydantic.ValidationError: The declared model rejects the values with the
                call's arguments added (its own validators run here).
        """
        if self.wrapped:
            return parsed.value  # type: ignore[attr-defined]
        if not self.call_arg_fields:
            return parsed
        args = call_args or {}
        missing = [name for name in self.call_arg_fields if name not in args]
        if missing:
            raise ValueError(
                f"FromCallArgs field(s) {missing} of {self.declared.__name__} have no "
                "argument of that name in the call"
            )
        values = {name: getattr(parsed, name) for name in type(parsed).model_fields}
        values.update({name: args[name] for name in self.call_arg_fields})
        return self.declared.model_validate(values)

    def partial_value(self, partial: BaseModel) -> Any:
        """What a stream yields for a partial ``model``: the value for wrapped types."""
        return partial.value if self.wrapped else partial  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=256)
def _shape_cached(declared: Any) -> ResponseShape:
    return ResponseShape(declared)


def response_shape(declared: Any) -> ResponseShape:
    """The (cached) shape of a ``response_model``.

    Raises:
        TypeError: ``declared`` is not a type pydantic can validate.
    """
    try:
        hash(declared)
    except TypeError:
        return ResponseShape(declared)
    return _shape_cached(declared)


def structured_value(shape: ResponseShape, response: GroqCallResponse, json_mode: bool) -> Any:
    """The value of a non-stream structured call; models carry ``._response``.

    Raises:
        StructuredOutputError: The answer holds no valid JSON; a failed validation is a
            ``StructuredValidationError`` (also a pydantic ``ValidationError``). Either
            carries the call's response as ``._response``.
    """
    from mirastream.structured._stream import parse_structured

    try:
        try:
            value = shape.value(
                parse_structured(shape.model, response, json_mode), response.fn_args
            )
        except ValidationError as exc:  # the declared model, with FromCallArgs values added
            if isinstance(exc, StructuredOutputError):
                raise
            raise StructuredValidationError(
                f"The answer does not validate as {shape.model.__name__}: {exc}",
                raw=response.content,
                errors=exc.errors(),
                title=exc.title,
            ) from exc
    except StructuredOutputError as exc:
        exc._response = response  # type: ignore[attr-defined]
        raise
    if isinstance(value, BaseModel):
        value._response = response  # type: ignore[attr-defined]
    return value
