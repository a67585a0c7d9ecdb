"""Low level: a drop-in replacement for the groq SDK's chat completions.

Replace ``from groq import Groq`` with ``from mirastream.groq import Groq``; the rest of
the code stays as it is.
"""

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
from mirastream.groq._async_client import AsyncGroq
from mirastream.groq._client import Groq
from mirastream.groq._pool import AsyncShardedTransport, ShardedTransport
from mirastream.groq._ratelimits import RateLimits
from mirastream.groq._raw_response import APIResponse, AsyncAPIResponse
from mirastream.groq._streaming import AsyncStream, ChunkDecoder, Stream

GroqError = MirastreamError
"""The groq SDK's base error, for ``except GroqError:`` in drop-in code.

In the SDK, ``GroqError`` is the base of ``APIError`` (and is raised alone for a missing
API key). Here it is the same class as :class:`~mirastream.errors.MirastreamError`, the
base of every error mirastream raises, so such a clause catches what it caught before.
"""

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncAPIResponse",
    "AsyncGroq",
    "AsyncShardedTransport",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ChunkDecoder",
    "ConflictError",
    "Groq",
    "GroqError",
    "InternalServerError",
    "MirastreamError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimits",
    "ShardedTransport",
    "Stream",
    "StreamConsumedError",
    "StreamDecodeError",
    "StreamError",
    "StreamInterruptedError",
    "StreamNotConsumedError",
    "StreamTimeoutError",
    "StructuredOutputError",
    "ToolCallError",
    "UnprocessableEntityError",
]
