"""``mirascope.core.base``'s names (content parts and base classes), as mirastream's objects."""

from __future__ import annotations

from mirastream._base_prompt import BasePrompt
from mirastream._base_toolkit import BaseToolKit, toolkit_tool
from mirastream._context import metadata
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
from mirastream._tools import GroqTool as BaseTool

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
