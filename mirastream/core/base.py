"""``mirascope.core.base``'s names (content parts and base classes), as mirastream's objects."""

from __future__ import annotations

from mirastream._context import metadata
from mirastream.prompts._base_prompt import BasePrompt
from mirastream.prompts._messages import (
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
from mirastream.prompts._prompts import DynamicConfig as BaseDynamicConfig
from mirastream.prompts._prompts import Messages, prompt_template
from mirastream.structured._response_models import FromCallArgs, ResponseModelConfigDict
from mirastream.tools._base_toolkit import BaseToolKit, toolkit_tool
from mirastream.tools._tool import GroqTool as BaseTool

__all__ = [
    "AudioPart",
    "AudioURLPart",
    "BaseDynamicConfig",
    "BaseMessageParam",
    "BasePrompt",
    "BaseTool",
    "BaseToolKit",
    "CacheControlPart",
    "DocumentPart",
    "DocumentURLPart",
    "FromCallArgs",
    "ImagePart",
    "ImageURLPart",
    "Messages",
    "ResponseModelConfigDict",
    "TextPart",
    "metadata",
    "prompt_template",
    "toolkit_tool",
]
