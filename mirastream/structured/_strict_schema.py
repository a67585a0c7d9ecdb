"""Groq's strict JSON schema: the transform that makes a model's schema acceptable, and the rules.

With ``response_format={"type": "json_schema", "json_schema": {..., "strict": true}}`` Groq
decodes under constraints, so the schema must be one it can compile. Its documented rules
(console.groq.com/docs/structured-outputs, "Strict Mode"): every object sets
``additionalProperties: false`` and lists *all* its properties in ``required``. Beyond
that, this module keeps to the structural subset constrained decoders accept (``type``,
``properties``, ``required``, ``items``, ``enum``, ``const``, ``anyOf``, ``$ref`` into
``$defs``, ``description``) and drops value constraints (``minLength``, ``pattern``,
``minimum``, ``format``, ``default`` ...): pydantic still checks those when the answer
is validated, and a violation is re-asked like any other (``reask=``).

Pydantic's ``Optional``/defaulted fields become required-but-nullable in the schema (an
``anyOf`` with ``null`` stays as it is); the model itself still accepts the answer.
One rule table serves both :func:`strict_schema` (the transform) and
:func:`strict_schema_problems` (the check the loopback server applies, as Groq does).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mirastream.tools._schema import parameters_schema

__all__ = ["StrictSchemaError", "strict_response_format", "strict_schema", "strict_schema_problems"]

# Keywords a strict schema may use; the value kinds decide how they are walked.
_STRUCTURAL = frozenset(
    {"type", "properties", "required", "additionalProperties", "items", "enum", "const"}
)
_ANNOTATIONS = frozenset({"description", "title"})
_ALLOWED = _STRUCTURAL | _ANNOTATIONS | {"anyOf", "$ref", "$defs"}
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class StrictSchemaError(TypeError):
    """A model whose schema Groq's strict mode cannot express (e.g. a ``dict`` field)."""


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema, rewritten for Groq's strict mode.

    Raises:
        StrictSchemaError: The schema needs something strict mode has no form for:
            free-form objects (``dict[str, X]``), tuples, ``not``/``if`` logic.
    """
    schema: dict[str, Any] = _rewrite(parameters_schema(model), model.__name__, "#")
    problems = strict_schema_problems(schema)
    if problems:  # the transform and the rules must agree; say so plainly if not
        raise StrictSchemaError(f"{model.__name__}: " + "; ".join(problems))
    return schema


def strict_response_format(model: type[BaseModel]) -> dict[str, Any]:
    """The ``response_format`` of a strict-mode request for ``model``."""
    body: dict[str, Any] = {"name": _schema_name(model.__name__)}
    doc = model.model_json_schema().get("description")
    if isinstance(doc, str) and doc:
        body["description"] = doc
    body["schema"] = strict_schema(model)
    body["strict"] = True
    return {"type": "json_schema", "json_schema": body}


def _schema_name(name: str) -> str:
    cleaned = "".join(c if c in _NAME_CHARS else "_" for c in name)
    return cleaned[:64] or "response"


def _rewrite(node: Any, model: str, where: str) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    if "$ref" in node:  # siblings of a $ref are not allowed next to it
        return {"$ref": node["$ref"]}
    if "allOf" in node and len(node["allOf"]) == 1:  # pydantic's wrapper around one $ref
        inner = _rewrite(node["allOf"][0], model, where)
        if "description" in node and "$ref" not in inner:
            inner = {**inner, "description": node["description"]}
        return inner
    for key, value in node.items():
        if key in ("oneOf",):  # pydantic's discriminated unions: same meaning here
            out["anyOf"] = [_rewrite(v, model, f"{where}/{key}") for v in value]
        elif key == "anyOf":
            out[key] = [_rewrite(v, model, f"{where}/{key}") for v in value]
        elif key in ("properties", "$defs"):
            out[key] = {k: _rewrite(v, model, f"{where}/{key}/{k}") for k, v in value.items()}
        elif key == "items":
            if not isinstance(value, dict):
                raise StrictSchemaError(f"{model}: {where} is a tuple; strict mode has no form")
            out[key] = _rewrite(value, model, f"{where}/items")
        elif key == "additionalProperties":
            if value not in (False, True, {}):
                raise StrictSchemaError(
                    f"{model}: {where} is a free-form object (dict field); strict mode "
                    "needs every object's properties named"
                )
        elif key in ("prefixItems", "not", "if", "then", "else", "allOf", "patternProperties"):
            raise StrictSchemaError(f"{model}: {where} uses {key!r}, which strict mode lacks")
        elif key in _ALLOWED and key != "required":
            out[key] = value
        # everything else is a value constraint (or `default`): validated locally instead
    if out.get("type") == "object" or "properties" in out:
        properties = out.setdefault("properties", {})
        out["required"] = list(properties)
        out["additionalProperties"] = False
    return out


def strict_schema_problems(schema: Any) -> list[str]:
    """Why Groq's strict mode would refuse ``schema``; ``[]`` when it accepts it."""
    problems: list[str] = []
    if not isinstance(schema, dict):
        return ["the schema must be a JSON object"]
    if schema.get("type") != "object":
        problems.append("the root schema must be an object (type: object)")
    _check(schema, "#", problems)
    return problems


def _check(node: Any, where: str, problems: list[str]) -> None:
    if not isinstance(node, dict):
        problems.append(f"{where}: a schema must be an object")
        return
    for key in node:
        if key not in _ALLOWED:
            problems.append(f"{where}: keyword {key!r} is not supported in strict mode")
    if "$ref" in node and len(node) > 1:
        problems.append(f"{where}: $ref cannot have sibling keywords")
    if node.get("type") == "object" or "properties" in node:
        properties = node.get("properties")
        if not isinstance(properties, dict):
            problems.append(f"{where}: an object must list its properties")
            properties = {}
        if node.get("additionalProperties") is not False:
            problems.append(f"{where}: additionalProperties must be false")
        required = node.get("required")
        missing = [k for k in properties if not isinstance(required, list) or k not in required]
        if missing:
            problems.append(f"{where}: every property must be required (missing: {missing})")
        for name, sub in properties.items():
            _check(sub, f"{where}/properties/{name}", problems)
    if "items" in node:
        _check(node["items"], f"{where}/items", problems)
    for i, sub in enumerate(node.get("anyOf") or ()):
        _check(sub, f"{where}/anyOf/{i}", problems)
    defs = node.get("$defs")
    if isinstance(defs, dict):
        for name, sub in defs.items():
            _check(sub, f"{where}/$defs/{name}", problems)
