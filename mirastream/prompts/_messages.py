"""Messages as objects: ``BaseMessageParam`` and its content parts, and their wire form.

A prompt may give messages as wire dicts (``{"role": "user", "content": ...}``) or as
:class:`BaseMessageParam` objects whose content is a string or a list of parts
(:class:`TextPart`, :class:`ImagePart`, :class:`ImageURLPart` ...). :func:`wire_message`
turns either into the dict Groq takes; it is the one place that knows Groq's content
parts. Groq's chat completions take text and images only: audio and document parts are
refused with a :class:`~mirastream.prompts._prompts.PromptError` before any request is sent.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel

__all__ = [
    "AudioPart",
    "AudioURLPart",
    "BaseMessageParam",
    "CacheControlPart",
    "ContentPart",
    "DocumentPart",
    "DocumentURLPart",
    "ImagePart",
    "ImageURLPart",
    "TextPart",
    "image_part",
    "wire_content",
    "wire_message",
]


class TextPart(BaseModel):
    """A text content part."""

    type: Literal["text"]
    text: str


class ImagePart(BaseModel):
    """An image given as bytes; sent to Groq as a base64 ``data:`` URL."""

    type: Literal["image"]
    media_type: str
    image: bytes
    detail: str | None


class ImageURLPart(BaseModel):
    """An image given by URL (``https://...`` or a ``data:`` URL)."""

    type: Literal["image_url"]
    url: str
    detail: str | None


class AudioPart(BaseModel):
    """Audio as bytes (Groq's chat completions take no audio: sending it is an error)."""

    type: Literal["audio"]
    media_type: str
    audio: bytes | str


class AudioURLPart(BaseModel):
    """Audio by URL (Groq's chat completions take no audio: sending it is an error)."""

    type: Literal["audio_url"]
    url: str


class DocumentPart(BaseModel):
    """A document as bytes (Groq's chat completions take none: sending it is an error)."""

    type: Literal["document"]
    media_type: str
    document: bytes


class DocumentURLPart(BaseModel):
    """A document by URL (Groq's chat completions take none: sending it is an error)."""

    type: Literal["document_url"]
    url: str


class CacheControlPart(BaseModel):
    """A prompt-cache marker (Anthropic's); Groq caches prompts by itself, so it is dropped."""

    type: Literal["cache_control"]
    cache_type: str


ContentPart = (
    TextPart
    | ImagePart
    | ImageURLPart
    | AudioPart
    | AudioURLPart
    | DocumentPart
    | DocumentURLPart
    | CacheControlPart
)
"""Any content part of a :class:`BaseMessageParam`."""


class BaseMessageParam(BaseModel):
    """A message: a role and a content (a string or a list of content parts).

    Example::

        BaseMessageParam(role="user", content="Recommend a fantasy book")
    """

    role: str
    content: str | Sequence[ContentPart]


# Groq's vision models take these (groq-wire.md); magic bytes tell them apart.
_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def _refuse(what: str) -> Exception:
    from mirastream.prompts._prompts import PromptError

    return PromptError(f"Groq's chat completions take no {what}: only text and images can be sent")


def _media_type(data: bytes) -> str:
    for signature, media_type in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    from mirastream.prompts._prompts import PromptError

    raise PromptError(f"not an image Groq takes (JPEG, PNG, GIF or WebP): {bytes(data[:16])!r}...")


def image_part(value: Any) -> ImagePart | ImageURLPart:
    """An image part from bytes, a URL, or a part already made.

    Raises:
        PromptError: ``value`` is neither, or its bytes are not JPEG, PNG, GIF or WebP.
    """
    if isinstance(value, (ImagePart, ImageURLPart)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return ImagePart(type="image", media_type=_media_type(data), image=data, detail=None)
    if isinstance(value, str):
        return ImageURLPart(type="image_url", url=value, detail=None)
    from mirastream.prompts._prompts import PromptError

    raise PromptError(f"an image must be bytes or a URL, got {type(value).__name__}")


def _wire_part(part: Any) -> dict[str, Any] | None:
    if isinstance(part, Mapping):
        return dict(part)  # already a wire part
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, (ImagePart, ImageURLPart)):
        if isinstance(part, ImagePart):
            if part.media_type not in _IMAGE_TYPES:
                raise _refuse(f"{part.media_type} images")
            data = base64.b64encode(part.image).decode("ascii")
            url = f"data:{part.media_type};base64,{data}"
        else:
            url = part.url
        image: dict[str, Any] = {"url": url}
        if part.detail:
            image["detail"] = part.detail
        return {"type": "image_url", "image_url": image}
    if isinstance(part, (AudioPart, AudioURLPart)):
        raise _refuse("audio")
    if isinstance(part, (DocumentPart, DocumentURLPart)):
        raise _refuse("documents")
    if isinstance(part, CacheControlPart):
        return None
    if isinstance(part, (bytes, bytearray, memoryview)):
        return _wire_part(image_part(part))
    from mirastream.prompts._prompts import PromptError

    raise PromptError(f"not a content part: {part!r}")


def wire_content(content: Any) -> Any:
    """A message's content as Groq takes it: a string, or a list of wire parts."""
    if isinstance(content, str) or content is None:
        return content
    parts = [_wire_part(part) for part in content]
    return [part for part in parts if part is not None]


def wire_message(message: BaseMessageParam | Mapping[str, Any]) -> dict[str, Any]:
    """A message as Groq takes it; content parts become Groq's content parts."""
    if isinstance(message, BaseMessageParam):
        return {"role": message.role, "content": wire_content(message.content)}
    out = dict(message)
    content = out.get("content")
    if content is not None and not isinstance(content, str):
        out["content"] = wire_content(content)
    return out


def message_object(message: Mapping[str, Any]) -> BaseMessageParam | dict[str, Any]:
    """A wire message as a :class:`BaseMessageParam` (what a template renders to).

    A message with more than a role and a content (tool calls, a tool result) stays the
    wire dict, which a ``BaseMessageParam`` could not hold.
    """
    if set(message) - {"role", "content"}:
        return dict(message)
    content = message.get("content") or ""
    if not isinstance(content, str):
        content = [_part_object(part) for part in content]
    return BaseMessageParam(role=str(message.get("role")), content=content)


def _part_object(part: Any) -> Any:
    if isinstance(part, BaseModel):
        return part
    if isinstance(part, Mapping) and part.get("type") == "image_url":
        image = part.get("image_url") or {}
        return ImageURLPart(type="image_url", url=image.get("url", ""), detail=image.get("detail"))
    if isinstance(part, Mapping) and part.get("type") == "text":
        return TextPart(type="text", text=str(part.get("text", "")))
    return part
