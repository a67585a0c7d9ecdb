"""How a ``response_model`` is asked for: the four modes and the default choice.

===========  ========================================================  =====================
mode         request                                                   JSON arrives as
===========  ========================================================  =====================
``tool``     a forced tool call named after the model                  the call's arguments
``json``     ``response_format={"type": "json_object"}`` + schema      content
``strict``   ``response_format`` ``json_schema`` with ``strict: true``  content
``text``     the schema in a system message, no ``response_format``    content
===========  ========================================================  =====================

On Groq (docs and every real capture we know): a tool call's arguments arrive whole, in one
chunk; Groq documents ``json_schema`` (strict or not) as not supported together with
streaming, and has answered ``json_object`` + ``stream`` with a 400 ("``response_format``
does not support streaming"). Only ``text`` mode streams the JSON token by token on every
model, so it is the default for ``stream=True`` (see ``docs/structured.md``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

__all__ = ["MODES", "StructuredMode", "resolve_mode"]

StructuredMode = Literal["tool", "json", "strict", "text"]
MODES: tuple[StructuredMode, ...] = ("tool", "json", "strict", "text")


def resolve_mode(
    structured: StructuredMode | None,
    model: type[BaseModel],
    json_mode: bool,
    stream: bool,
    tools: Any = None,
) -> StructuredMode:
    """The mode a call uses: the explicit one, else the default for its settings.

    A stream with other tools offered stays in tool mode: the forced call is what makes
    the model answer with the response model rather than with one of its tools.
    """
    if structured is not None:
        if structured not in MODES:
            raise ValueError(f"structured must be one of {MODES}, got {structured!r}")
        return structured
    if json_mode:
        config = getattr(model, "model_config", {})
        return "strict" if config.get("strict") else "json"
    return "text" if stream and not tools else "tool"
