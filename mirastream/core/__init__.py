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

from mirastream._base_prompt import BasePrompt
from mirastream._base_toolkit import BaseToolKit, toolkit_tool
from mirastream._context import metadata
from mirastream._costs import CostMetadata
from mirastream._messages import (
    AudioPart,
    AudioURLPart,
    BaseMessageParam,
    CacheControlPart,
    DocumentPart,
    DocumentURLPart,
    ImagePart,
    ImageURLPart,
    TextPart,
)
from mirastream._prompts import DynamicConfig as BaseDynamicConfig
from mirastream._prompts import Messages, prompt_template
from mirastream._response_models import FromCallArgs, ResponseModelConfigDict
from mirastream._results import GroqCallResponse as BaseCallResponse
from mirastream._stream import GroqStream as BaseStream
from mirastream._tools import GroqTool as BaseTool
from mirastream.core import base, groq

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
