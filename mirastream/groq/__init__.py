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
    StructuredOutputError,
    ToolCallError,
    UnprocessableEntityError,
)
from mirastream.groq._async_client import AsyncGroq
from mirastream.groq._client import Groq
from mirastream.groq._pool import AsyncShardedTransport, ShardedTransport
from mirastream.groq._streaming import AsyncStream, ChunkDecoder, Stream

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncGroq",
    "AsyncShardedTransport",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ChunkDecoder",
    "ConflictError",
    "Groq",
    "InternalServerError",
    "MirastreamError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ShardedTransport",
    "Stream",
    "StreamConsumedError",
    "StreamDecodeError",
    "StreamError",
    "StreamInterruptedError",
    "StreamNotConsumedError",
    "StructuredOutputError",
    "ToolCallError",
    "UnprocessableEntityError",
]
