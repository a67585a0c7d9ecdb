"""``mirascope.core.groq``'s names, as mirastream's objects (``groq.call is groq_call``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias, TypedDict

from mirastream._call import StreamConfig
from mirastream._decorator import groq_call
from mirastream._results import GroqCallResponse, GroqCallResponseChunk
from mirastream._stream import AsyncGroqStream, GroqStream
from mirastream.prompts._messages import BaseMessageParam
from mirastream.prompts._prompts import DynamicConfig
from mirastream.tools._tool import GroqTool

call = groq_call

GroqDynamicConfig: TypeAlias = DynamicConfig
"""What a prompt function may return to configure its call (``client``: a ``Groq``)."""

AsyncGroqDynamicConfig: TypeAlias = DynamicConfig
"""The same, for ``async def`` prompt functions (``client``: an ``AsyncGroq``)."""

GroqMessageParam: TypeAlias = Mapping[str, Any] | BaseMessageParam
"""A message: a wire dict (``{"role": ..., "content": ...}``) or a ``BaseMessageParam``."""


class GroqCallParams(TypedDict, total=False):
    """Request parameters for ``call_params=`` (any other Groq parameter is accepted too)."""

    frequency_penalty: float | None
    logit_bias: dict[str, int] | None
    logprobs: bool | None
    max_completion_tokens: int | None
    max_tokens: int | None
    n: int | None
    parallel_tool_calls: bool
    presence_penalty: float | None
    reasoning_effort: str | None
    reasoning_format: str | None
    response_format: dict[str, Any]
    seed: int | None
    service_tier: str | None
    stop: str | list[str] | None
    temperature: float | None
    tool_choice: str | dict[str, Any]
    top_logprobs: int | None
    top_p: float | None
    user: str | None


__all__ = [
    "AsyncGroqDynamicConfig",
    "AsyncGroqStream",
    "GroqCallParams",
    "GroqCallResponse",
    "GroqCallResponseChunk",
    "GroqDynamicConfig",
    "GroqMessageParam",
    "GroqStream",
    "GroqTool",
    "StreamConfig",
    "call",
    "groq_call",
]
