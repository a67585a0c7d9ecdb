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
    StructuredOutputError,
    ToolCallError,
    UnprocessableEntityError,
)

if TYPE_CHECKING:
    from mirastream._call import groq_call
    from mirastream._costs import CostMetadata
    from mirastream._prices import ModelPrice, prices, set_price
    from mirastream._prompts import DynamicConfig, Messages, prompt_template
    from mirastream._results import GroqCallResponse, GroqCallResponseChunk
    from mirastream._stream import AsyncGroqStream, GroqStream
    from mirastream._structured import AsyncStructuredStream, StructuredStream
    from mirastream._tools import GroqTool
    from mirastream.groq._ratelimits import RateLimits

__version__ = "0.1.0"

_LAZY = {
    "AsyncGroqStream": "mirastream._stream",
    "AsyncStructuredStream": "mirastream._structured",
    "CostMetadata": "mirastream._costs",
    "DynamicConfig": "mirastream._prompts",
    "GroqCallResponse": "mirastream._results",
    "GroqCallResponseChunk": "mirastream._results",
    "GroqStream": "mirastream._stream",
    "GroqTool": "mirastream._tools",
    "Messages": "mirastream._prompts",
    "ModelPrice": "mirastream._prices",
    "RateLimits": "mirastream.groq._ratelimits",
    "StructuredStream": "mirastream._structured",
    "groq_call": "mirastream._call",
    "prices": "mirastream._prices",
    "prompt_template": "mirastream._prompts",
    "set_price": "mirastream._prices",
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
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CostMetadata",
    "DynamicConfig",
    "GroqCallResponse",
    "GroqCallResponseChunk",
    "GroqStream",
    "GroqTool",
    "InternalServerError",
    "Messages",
    "MirastreamError",
    "ModelPrice",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimits",
    "StreamConsumedError",
    "StreamDecodeError",
    "StreamError",
    "StreamInterruptedError",
    "StreamNotConsumedError",
    "StructuredOutputError",
    "StructuredStream",
    "ToolCallError",
    "UnprocessableEntityError",
    "__version__",
    "groq_call",
    "prices",
    "prompt_template",
    "set_price",
]
