"""Template fields that are content parts: ``{cover:image}``, ``{covers:images}``, ``{t:text}``.

A template message with such a field becomes a list of Groq content parts instead of a
string: the text around the fields (stripped, empty pieces dropped), each image as an
``image_url`` part (bytes become a base64 ``data:`` URL, a string is the URL), each
``:text``/``:texts`` value as text parts. Groq's chat completions take no audio or
documents: ``:audio``, ``:audios``, ``:document`` and ``:documents`` are refused with a
``PromptError`` naming the field.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

__all__ = ["has_part_fields", "render_parts"]

_PART_SPECS = frozenset({"image", "images", "text", "texts"})
_REFUSED = {"audio": "audio", "audios": "audio", "document": "documents", "documents": "documents"}
_PART_FIELD = re.compile(r"\{[^{}:]+:(?:images?|texts?|audios?|documents?)\}")


def has_part_fields(text: str) -> bool:
    """Whether a template message has a content-part field (cheap: one regex search)."""
    return _PART_FIELD.search(text) is not None


def render_parts(
    text: str, values: Mapping[str, Any], formatter: string.Formatter
) -> list[dict[str, Any]]:
    """Format one template message into Groq content parts.

    Raises:
        KeyError: A field names no argument or computed field.
        PromptError: An audio or document field, or a value that is not an image.
    """
    from mirastream.prompts._messages import TextPart, image_part, wire_content

    parts: list[Any] = []
    pending: list[str] = []

    def flush() -> None:
        piece = "".join(pending).strip()
        pending.clear()
        if piece:
            parts.append(piece)

    for literal, field, spec, conversion in formatter.parse(text):
        pending.append(literal)
        if field is None:
            continue
        if spec in _REFUSED:
            from mirastream.prompts._prompts import PromptError

            raise PromptError(
                f"template field {{{field}:{spec}}}: Groq's chat completions take no "
                f"{_REFUSED[spec]}; only text and images can be sent"
            )
        value = formatter.get_field(field, (), values)[0]
        if spec not in _PART_SPECS:
            value = formatter.convert_field(value, conversion)
            pending.append(formatter.format_field(value, spec or ""))
            continue
        flush()
        items = list(value) if spec.endswith("s") else [value]
        for item in items:
            if spec.startswith("image"):
                parts.append(image_part(item))
            else:
                parts.append(item.text if isinstance(item, TextPart) else str(item))
    flush()
    return list(wire_content(parts))
