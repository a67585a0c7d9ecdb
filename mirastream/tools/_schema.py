"""Tool schemas: JSON Schema cleanup for Groq, and pydantic fields from a function signature.

Two jobs, both pure and free of IO:

* :func:`parameters_schema` turns a pydantic model's JSON Schema into the
  ``parameters`` object of a Groq ``tools`` entry (no generated ``title`` keys,
  ``type`` first, nested models kept under ``$defs``).
* :func:`signature_fields` reads a function's signature, type hints and docstring
  (Google, NumPy or reST) into pydantic field definitions ready for
  :func:`pydantic.create_model`.

Docstring parameters are matched to the signature by name, never by position,
and every :class:`~pydantic.fields.FieldInfo` is built fresh: mutating one after
creation silently loses defaults and descriptions in pydantic 2.x.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Any

import docstring_parser
from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

__all__ = ["ParamField", "docstring_description", "parameters_schema", "signature_fields"]

# JSON Schema keywords whose value is a schema, a list of schemas, or a name -> schema
# map. Only these are walked when stripping titles: a `title` key inside `default`,
# `enum`, `const` or `examples` is user data, and a property may be named "title".
_SCHEMA_KEYS = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "contains",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
_SCHEMA_LIST_KEYS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_SCHEMA_MAP_KEYS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
# Root keys put first, in this order, so the wire JSON reads naturally.
_ROOT_ORDER = ("type", "properties", "required")


def _strip_titles(schema: Any) -> Any:
    # pydantic titles every model and field ("Location" for `location`); Groq needs none
    # of them and they cost prompt tokens on every request.
    if not isinstance(schema, dict):
        return schema  # boolean schemas
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
            out[key] = {name: _strip_titles(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LIST_KEYS and isinstance(value, list):
            out[key] = [_strip_titles(sub) for sub in value]
        elif key in _SCHEMA_KEYS:
            out[key] = _strip_titles(value)
        else:
            out[key] = value
    return out


def parameters_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Build the ``parameters`` JSON Schema of a tool from its pydantic model.

    Generated ``title`` keys are dropped everywhere in the schema (root, properties,
    ``$defs``), and so is the root ``description`` (the tool's description travels in
    ``function.description``). ``required`` lists only fields without defaults;
    defaults and field descriptions are kept; nested models stay in ``$defs`` with
    ``#/$defs/...`` references, which resolve because this object is the schema root.

    Args:
        model: The pydantic model whose fields are the tool's parameters.

    Returns:
        A JSON Schema object, at least ``{"type": "object", "properties": {}}``.
    """
    raw = _strip_titles(model.model_json_schema())
    ref = raw.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        # A recursive model's root is only a reference to its own definition; Groq
        # needs the object at the root, so inline it (the definition stays in $defs
        # for the recursive references).
        target = raw.get("$defs", {}).get(ref[len("#/$defs/") :])
        if isinstance(target, dict):
            del raw["$ref"]
            raw = {**target, **raw}
    raw.pop("description", None)
    schema: dict[str, Any] = {"type": raw.pop("type", "object"), "properties": {}}
    schema["properties"] = raw.pop("properties", {})
    if raw.get("required"):
        schema["required"] = raw.pop("required")
    raw.pop("required", None)
    schema.update(raw)
    return schema


def docstring_description(doc: str | None) -> str | None:
    """Return a class or function docstring cleaned of indentation, or ``None`` if empty."""
    if not doc:
        return None
    return inspect.cleandoc(doc) or None


@dataclass(frozen=True)
class ParamField:
    """How one function parameter maps onto a model field.

    Attributes:
        field: The pydantic field name (differs from ``name`` only when ``name``
            would clash with a model attribute such as ``json`` or ``args``).
        name: The parameter's name, also its name on the wire.
        positional_only: Whether the parameter must be passed by position.
    """

    field: str
    name: str
    positional_only: bool


def _param_docs(parsed: docstring_parser.Docstring) -> dict[str, str]:
    docs: dict[str, str] = {}
    for param in parsed.params:
        if not param.description:
            continue
        # NumPy allows "x, y : int"; reST and Google may write "*args".
        for name in param.arg_name.split(","):
            docs.setdefault(name.strip().lstrip("*"), param.description)
    return docs


def _resolve(annotation: Any, globalns: dict[str, Any], fn_name: str, param: str) -> Any:
    if annotation is inspect.Parameter.empty:
        return Any
    # get_type_hints on a stand-in holding only this parameter's annotation: resolving
    # the whole function would also evaluate its return annotation, which is irrelevant
    # to the schema and often a TYPE_CHECKING-only name. The stand-in also avoids
    # Python 3.10's implicit Optional for `= None` defaults, so every version agrees.
    holder = types.SimpleNamespace(__annotations__={param: annotation})
    try:
        return typing.get_type_hints(holder, globalns=globalns, include_extras=True)[param]
    except Exception as exc:  # NameError, SyntaxError, TypeError from eval
        raise TypeError(
            f"cannot resolve the annotation {annotation!r} of parameter {param!r} of tool "
            f"function {fn_name}(): {exc}. Tool parameter types must be importable from "
            "the function's module (not defined inside a function or under TYPE_CHECKING)."
        ) from exc


def _has_field_description(annotation: Any) -> bool:
    if typing.get_origin(annotation) is not Annotated:
        return False
    return any(isinstance(meta, FieldInfo) and meta.description for meta in annotation.__metadata__)


def _field_name(name: str, taken: Collection[str], reserved: Callable[[str], bool]) -> str:
    if not name.startswith("_") and not reserved(name):
        return name
    # pydantic treats `_x` as private, and a field named like a model attribute (`json`,
    # `args`, `call`) is shadowed by it; such parameters get an internal field name and
    # keep their own name on the wire as the alias.
    base = f"{name.strip('_') or 'arg'}_param"
    candidate = base
    while candidate in taken or reserved(candidate):
        candidate += "_"
    return candidate


def signature_fields(
    fn: Callable[..., Any], *, reserved: Callable[[str], bool]
) -> tuple[str | None, dict[str, Any], tuple[ParamField, ...]]:
    """Read a function's parameters into pydantic field definitions.

    Parameters are typed from their (resolved) annotations, ``Any`` when missing;
    Python defaults become field defaults (so those fields are not required).
    Descriptions come from the docstring's parameter section, matched by name; a
    description given with ``Annotated[T, Field(description=...)]`` (or a
    ``Field(...)`` default) wins over the docstring. A plain function whose first
    parameter is ``self`` or ``cls`` has it skipped; bound methods have already lost it.

    Args:
        fn: A function or bound method.
        reserved: Tells whether a name clashes with an attribute of the model class.

    Returns:
        The description (docstring without its sections), the field definitions for
        :func:`pydantic.create_model`, and how each parameter maps to its field.

    Raises:
        TypeError: ``fn`` takes ``*args``/``**kwargs``, has no inspectable
            signature, or has an annotation that cannot be resolved.
    """
    fn_name = getattr(fn, "__name__", repr(fn))
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the signature of tool function {fn_name}(): {exc}") from exc
    target = inspect.unwrap(getattr(fn, "__func__", fn))
    globalns: dict[str, Any] = getattr(target, "__globals__", {})
    parsed = docstring_parser.parse(inspect.getdoc(fn) or "")
    param_docs = _param_docs(parsed)

    params = list(signature.parameters.values())
    if (
        params
        and not inspect.ismethod(fn)
        and params[0].name in ("self", "cls")
        and params[0].kind is not inspect.Parameter.KEYWORD_ONLY
    ):
        params = params[1:]

    fields: dict[str, Any] = {}
    specs: list[ParamField] = []
    names = {p.name for p in params}
    for param in params:
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            star = "*" if param.kind is inspect.Parameter.VAR_POSITIONAL else "**"
            raise TypeError(
                f"tool function {fn_name}() takes {star}{param.name}: a tool's parameters "
                "must be named, so the model can fill them in; list them explicitly"
            )
        annotation = _resolve(param.annotation, globalns, fn_name, param.name)
        kwargs: dict[str, Any] = {}
        if isinstance(param.default, FieldInfo):
            # FastAPI style `x: int = Field(3, description=...)`: as Annotated metadata
            # pydantic merges it into a new FieldInfo itself, nothing is mutated.
            annotation = Annotated[annotation, param.default]
        elif param.default is not inspect.Parameter.empty:
            kwargs["default"] = param.default
        description = param_docs.get(param.name)
        if description and not _has_field_description(annotation):
            kwargs["description"] = description
        field = _field_name(param.name, names | set(fields), reserved)
        if field != param.name:
            kwargs["alias"] = param.name
        fields[field] = (annotation, Field(**kwargs))
        specs.append(ParamField(field, param.name, param.kind is inspect.Parameter.POSITIONAL_ONLY))
    return parsed.description or None, fields, tuple(specs)
