"""mirastream: stream Groq LLM calls, correct to the byte and fast.

High level (Mirascope v1 style)::

    from mirastream import groq_call

    @groq_call("llama-3.1-8b-instant", stream=True)
    def recommend_book(genre: str) -> str:
        return f"Recommend a {genre} book"

Low level: :mod:`mirastream.groq`, a drop-in client for the groq SDK's chat completions.

The high-level names are imported on first use (PEP 562), so ``import mirastream``
costs little more than importing httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mirastream.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    MirastreamError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamConsumedError,
    StreamDecodeError,
    StreamError,
    StreamInterruptedError,
    StreamNotConsumedError,
    StreamTimeoutError,
    StructuredOutputError,
    ToolCallError,
    UnprocessableEntityError,
)

if TYPE_CHECKING:
    from mirastream._attempts import Attempt, RecoveredCallResponse
    from mirastream._base_prompt import BasePrompt
    from mirastream._base_toolkit import BaseToolKit, toolkit_tool
    from mirastream._call import StreamConfig, groq_call
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
    from mirastream._prices import ModelPrice, prices, set_price
    from mirastream._prompts import DynamicConfig, Messages, PromptError, prompt_template
    from mirastream._recovering import AttemptStart
    from mirastream._response_models import FromCallArgs, ResponseModelConfigDict
    from mirastream._results import GroqCallResponse, GroqCallResponseChunk
    from mirastream._stream import AsyncGroqStream, GroqStream
    from mirastream._structured import AsyncStructuredStream, StructuredStream
    from mirastream._tools import GroqTool
    from mirastream._validation import StructuredValidationError, ToolValidationError

__version__ = "0.1.0"

_LAZY = {
    "AsyncGroqStream": "mirastream._stream",
    "AsyncStructuredStream": "mirastream._structured",
    "Attempt": "mirastream._attempts",
    "AttemptStart": "mirastream._recovering",
    "AudioPart": "mirastream._messages",
    "AudioURLPart": "mirastream._messages",
    "BaseMessageParam": "mirastream._messages",
    "BasePrompt": "mirastream._base_prompt",
    "BaseToolKit": "mirastream._base_toolkit",
    "CacheControlPart": "mirastream._messages",
    "CostMetadata": "mirastream._costs",
    "DocumentPart": "mirastream._messages",
    "DocumentURLPart": "mirastream._messages",
    "DynamicConfig": "mirastream._prompts",
    "FromCallArgs": "mirastream._response_models",
    "GroqCallResponse": "mirastream._results",
    "GroqCallResponseChunk": "mirastream._results",
    "GroqStream": "mirastream._stream",
    "GroqTool": "mirastream._tools",
    "ImagePart": "mirastream._messages",
    "ImageURLPart": "mirastream._messages",
    "Messages": "mirastream._prompts",
    "ModelPrice": "mirastream._prices",
    "PromptError": "mirastream._prompts",
    "RecoveredCallResponse": "mirastream._attempts",
    "ResponseModelConfigDict": "mirastream._response_models",
    "StreamConfig": "mirastream._call",
    "StructuredStream": "mirastream._structured",
    "StructuredValidationError": "mirastream._validation",
    "TextPart": "mirastream._messages",
    "ToolValidationError": "mirastream._validation",
    "groq_call": "mirastream._call",
    "metadata": "mirastream._context",
    "prices": "mirastream._prices",
    "prompt_template": "mirastream._prompts",
    "set_price": "mirastream._prices",
    "toolkit_tool": "mirastream._base_toolkit",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mirastream' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncGroqStream",
    "AsyncStructuredStream",
    "Attempt",
    "AttemptStart",
    "AudioPart",
    "AudioURLPart",
    "AuthenticationError",
    "BadRequestError",
    "BaseMessageParam",
    "BasePrompt",
    "BaseToolKit",
    "CacheControlPart",
    "ConflictError",
    "CostMetadata",
    "DocumentPart",
    "DocumentURLPart",
    "DynamicConfig",
    "FromCallArgs",
    "GroqCallResponse",
    "GroqCallResponseChunk",
    "GroqStream",
    "GroqTool",
    "ImagePart",
    "ImageURLPart",
    "InternalServerError",
    "Messages",
    "MirastreamError",
    "ModelPrice",
    "NotFoundError",
    "PermissionDeniedError",
    "PromptError",
    "RateLimitError",
    "RecoveredCallResponse",
    "ResponseModelConfigDict",
    "StreamConfig",
    "StreamConsumedError",
    "StreamDecodeError",
    "StreamError",
    "StreamInterruptedError",
    "StreamNotConsumedError",
    "StreamTimeoutError",
    "StructuredOutputError",
    "StructuredStream",
    "StructuredValidationError",
    "TextPart",
    "ToolCallError",
    "ToolValidationError",
    "UnprocessableEntityError",
    "__version__",
    "groq_call",
    "metadata",
    "prices",
    "prompt_template",
    "set_price",
    "toolkit_tool",
]
