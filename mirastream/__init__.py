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
    from mirastream._call import StreamConfig
    from mirastream._context import metadata
    from mirastream._costs import CostMetadata
    from mirastream._decorator import groq_call
    from mirastream._prices import ModelPrice, prices, set_price
    from mirastream._results import GroqCallResponse, GroqCallResponseChunk
    from mirastream._stream import AsyncGroqStream, GroqStream
    from mirastream.groq._ratelimits import RateLimits
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
    from mirastream.prompts._prompts import DynamicConfig, Messages, PromptError, prompt_template
    from mirastream.recovery._attempts import Attempt, RecoveredCallResponse
    from mirastream.recovery._recovering import AttemptStart
    from mirastream.structured._response_models import FromCallArgs, ResponseModelConfigDict
    from mirastream.structured._stream import AsyncStructuredStream, StructuredStream
    from mirastream.structured._validation import StructuredValidationError, ToolValidationError
    from mirastream.tools._base_toolkit import BaseToolKit, toolkit_tool
    from mirastream.tools._tool import GroqTool

__version__ = "0.1.0"

_LAZY = {
    "AsyncGroqStream": "mirastream._stream",
    "AsyncStructuredStream": "mirastream.structured._stream",
    "Attempt": "mirastream.recovery._attempts",
    "AttemptStart": "mirastream.recovery._recovering",
    "AudioPart": "mirastream.prompts._messages",
    "AudioURLPart": "mirastream.prompts._messages",
    "BaseMessageParam": "mirastream.prompts._messages",
    "BasePrompt": "mirastream.prompts._base_prompt",
    "BaseToolKit": "mirastream.tools._base_toolkit",
    "CacheControlPart": "mirastream.prompts._messages",
    "CostMetadata": "mirastream._costs",
    "DocumentPart": "mirastream.prompts._messages",
    "DocumentURLPart": "mirastream.prompts._messages",
    "DynamicConfig": "mirastream.prompts._prompts",
    "FromCallArgs": "mirastream.structured._response_models",
    "GroqCallResponse": "mirastream._results",
    "GroqCallResponseChunk": "mirastream._results",
    "GroqStream": "mirastream._stream",
    "GroqTool": "mirastream.tools._tool",
    "ImagePart": "mirastream.prompts._messages",
    "ImageURLPart": "mirastream.prompts._messages",
    "Messages": "mirastream.prompts._prompts",
    "ModelPrice": "mirastream._prices",
    "PromptError": "mirastream.prompts._prompts",
    "RateLimits": "mirastream.groq._ratelimits",
    "RecoveredCallResponse": "mirastream.recovery._attempts",
    "ResponseModelConfigDict": "mirastream.structured._response_models",
    "StreamConfig": "mirastream._call",
    "StructuredStream": "mirastream.structured._stream",
    "StructuredValidationError": "mirastream.structured._validation",
    "TextPart": "mirastream.prompts._messages",
    "ToolValidationError": "mirastream.structured._validation",
    "groq_call": "mirastream._decorator",
    "metadata": "mirastream._context",
    "prices": "mirastream._prices",
    "prompt_template": "mirastream.prompts._prompts",
    "set_price": "mirastream._prices",
    "toolkit_tool": "mirastream.tools._base_toolkit",
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
    "RateLimits",
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
