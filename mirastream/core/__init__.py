"""Mirascope v1's names for mirastream's objects: change ``mirascope`` to ``mirastream``.

A Mirascope v1 Groq program runs when its imports say ``mirastream.core`` instead of
``mirascope.core`` (and ``mirastream.groq`` instead of the groq SDK)::

    from mirastream.core import groq, prompt_template

    @groq.call("llama-3.1-8b-instant", stream=True)
    @prompt_template("Recommend a {genre} book")
    def recommend_book(genre: str): ...

Every name here *is* a mirastream object (``BaseTool is mirastream.GroqTool``,
``groq.call is mirastream.groq_call`` ...): a facade, not a second implementation.
What still differs from Mirascope is listed in the "Coming from Mirascope v1" guide.
"""

from __future__ import annotations

from mirastream._costs import CostMetadata
from mirastream._results import GroqCallResponse as BaseCallResponse
from mirastream._stream import GroqStream as BaseStream
from mirastream.core import base, groq
from mirastream.core.base import (
    AudioPart,
    AudioURLPart,
    BaseDynamicConfig,
    BaseMessageParam,
    BasePrompt,
    BaseTool,
    BaseToolKit,
    CacheControlPart,
    DocumentPart,
    DocumentURLPart,
    FromCallArgs,
    ImagePart,
    ImageURLPart,
    Messages,
    ResponseModelConfigDict,
    TextPart,
    metadata,
    prompt_template,
    toolkit_tool,
)

__all__ = [
    "AudioPart",
    "AudioURLPart",
    "BaseCallResponse",
    "BaseDynamicConfig",
    "BaseMessageParam",
    "BasePrompt",
    "BaseStream",
    "BaseTool",
    "BaseToolKit",
    "CacheControlPart",
    "CostMetadata",
    "DocumentPart",
    "DocumentURLPart",
    "FromCallArgs",
    "ImagePart",
    "ImageURLPart",
    "Messages",
    "ResponseModelConfigDict",
    "TextPart",
    "base",
    "groq",
    "metadata",
    "prompt_template",
    "toolkit_tool",
]
