"""Validation failures that are also pydantic ``ValidationError`` s.

Mirascope v1 code catches a failed structured answer or tool call as pydantic's
``ValidationError`` (``except ValidationError as e: ... e._response``). mirastream's own
errors keep their place in its tree (``StructuredOutputError``, ``ToolCallError``);
when the cause is a failed validation, the error raised is one of the subclasses here,
which are *also* ``pydantic.ValidationError`` s carrying the same line errors. So
``except StructuredOutputError``, ``except ToolCallError`` and ``except ValidationError``
all catch it. (They live here, not in
``mirastream.errors``, so that importing the error tree does not import pydantic.)

``str(e)`` is mirastream's message (for a structured answer it contains pydantic's
report); ``errors`` stays the list mirastream documents and is also callable, as
pydantic's ``errors()`` method is.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from mirastream.errors import StructuredOutputError, ToolCallError

__all__ = ["StructuredValidationError", "ToolValidationError", "ValidationErrorList"]


class ValidationErrorList(list[Any]):
    """pydantic's error dicts: a list, and callable like ``ValidationError.errors()``."""

    def __call__(self, **_: Any) -> list[Any]:
        return list(self)


def _line_errors(errors: list[Any]) -> list[InitErrorDetails]:
    return [
        {
            # Any error type, pydantic's own or a validator's custom one, as its message.
            "type": PydanticCustomError(
                str(e.get("type", "value_error")),
                str(e.get("msg", "")).replace("{", "{{").replace("}", "}}"),
            ),
            "loc": tuple(e.get("loc", ())),
            "input": e.get("input"),
        }
        for e in errors
    ]


def _validation_error(cls: type[Any], title: str, errors: list[Any]) -> Any:
    try:
        return cls.from_exception_data(title, errors)  # pydantic's own types, verbatim
    except (KeyError, TypeError, ValueError):
        return cls.from_exception_data(title, _line_errors(errors))


class StructuredValidationError(StructuredOutputError, ValidationError):  # type: ignore[misc]
    """The answer is JSON but fails the ``response_model``: also a pydantic ``ValidationError``.

    Args:
        message: mirastream's description (what ``str()`` gives).
        raw: The JSON text the model produced.
        errors: pydantic's error dicts.
        title: The model's name, as pydantic's report names it.

    Attributes:
        raw: The JSON text the model produced.
        errors: pydantic's error dicts (also callable, as ``errors()``).
        _response: The ``GroqCallResponse`` of the call (non-stream calls), so usage and
            cost are not lost; ``None`` when raised by a stream.
    """

    # pydantic builds the instance through ``cls(title, line_errors, ...)`` positionally;
    # mirastream's keywords come only from the call below.
    def __new__(cls, *args: Any, **kwargs: Any) -> StructuredValidationError:
        if not kwargs:
            return ValidationError.__new__(cls, *args)
        return _validation_error(  # type: ignore[no-any-return]
            cls, kwargs.get("title", "response_model"), kwargs["errors"]
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not kwargs:
            return
        super().__init__(args[0], raw=kwargs["raw"], errors=kwargs["errors"])
        self.errors = ValidationErrorList(kwargs["errors"])
        self._response: Any = None

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ValidationError.__str__(self)


class ToolValidationError(ToolCallError, ValidationError):
    """A tool call's arguments fail the tool's validation: also a pydantic ``ValidationError``.

    Args:
        message: mirastream's description (what ``str()`` gives).
        tool_name: The name the model called.
        tool_call_id: The call's id.
        arguments: The raw arguments string.
        errors: pydantic's error dicts.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> ToolValidationError:
        if not kwargs:
            return ValidationError.__new__(cls, *args)
        return _validation_error(cls, kwargs["tool_name"], kwargs["errors"])  # type: ignore[no-any-return]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not kwargs:
            return
        super().__init__(
            args[0],
            tool_name=kwargs["tool_name"],
            tool_call_id=kwargs["tool_call_id"],
            arguments=kwargs["arguments"],
        )

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ValidationError.__str__(self)
