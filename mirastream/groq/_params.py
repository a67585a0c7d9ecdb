"""Request parameter types for ``chat.completions.create`` (shapes only, no logic)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, TypedDict

if TYPE_CHECKING:
    from typing_extensions import Required

__all__ = [
    "ChatCompletionAssistantMessageParam",
    "ChatCompletionMessageParam",
    "ChatCompletionMessageToolCallParam",
    "ChatCompletionSystemMessageParam",
    "ChatCompletionToolMessageParam",
    "ChatCompletionToolParam",
    "ChatCompletionUserMessageParam",
    "CompletionCreateParams",
    "FunctionDefinition",
]


class ChatCompletionSystemMessageParam(TypedDict, total=False):
    """A system message."""

    role: Required[Literal["system"]]
    content: Required[str | Iterable[dict[str, Any]]]
    name: str


class ChatCompletionUserMessageParam(TypedDict, total=False):
    """A user message; ``content`` may be text or a list of content parts."""

    role: Required[Literal["user"]]
    content: Required[str | Iterable[dict[str, Any]]]
    name: str


class _FunctionCallParam(TypedDict):
    name: str
    arguments: str


class ChatCompletionMessageToolCallParam(TypedDict):
    """A tool call the assistant made, as sent back in history."""

    id: str
    type: Literal["function"]
    function: _FunctionCallParam


class ChatCompletionAssistantMessageParam(TypedDict, total=False):
    """An assistant message, e.g. a previous answer sent back as history."""

    role: Required[Literal["assistant"]]
    content: str | None
    name: str
    reasoning: str | None
    tool_calls: Iterable[ChatCompletionMessageToolCallParam]


class ChatCompletionToolMessageParam(TypedDict):
    """The output of a tool call, answering the call with ``tool_call_id``."""

    role: Literal["tool"]
    content: str
    tool_call_id: str


ChatCompletionMessageParam = (
    ChatCompletionSystemMessageParam
    | ChatCompletionUserMessageParam
    | ChatCompletionAssistantMessageParam
    | ChatCompletionToolMessageParam
)


class FunctionDefinition(TypedDict, total=False):
    """A function the model may call: name, description and JSON Schema parameters."""

    name: Required[str]
    description: str
    parameters: dict[str, Any]
    strict: bool


class ChatCompletionToolParam(TypedDict):
    """An entry of the request's ``tools`` list."""

    type: Literal["function"]
    function: FunctionDefinition


class CompletionCreateParams(TypedDict, total=False):
    """Optional body fields of ``chat.completions.create``; ``None`` means "omit".

    Fields not listed here can be sent with ``extra_body``.
    """

    citation_options: Literal["enabled", "disabled"] | None
    compound_custom: dict[str, Any] | None
    disable_tool_validation: bool | None
    documents: Iterable[dict[str, Any]] | None
    exclude_domains: list[str] | None
    frequency_penalty: float | None
    function_call: str | dict[str, Any] | None
    functions: Iterable[dict[str, Any]] | None
    include_domains: list[str] | None
    include_reasoning: bool | None
    logit_bias: dict[str, int] | None
    logprobs: bool | None
    max_completion_tokens: int | None
    max_tokens: int | None
    metadata: dict[str, str] | None
    n: int | None
    parallel_tool_calls: bool | None
    presence_penalty: float | None
    reasoning_effort: Literal["none", "default", "low", "medium", "high"] | None
    reasoning_format: Literal["hidden", "raw", "parsed"] | None
    response_format: dict[str, Any] | None
    search_settings: dict[str, Any] | None
    seed: int | None
    service_tier: Literal["auto", "on_demand", "flex", "performance"] | None
    stop: str | list[str] | None
    store: bool | None
    stream_options: dict[str, Any] | None
    temperature: float | None
    tool_choice: str | dict[str, Any] | None
    tools: Iterable[ChatCompletionToolParam | dict[str, Any]] | None
    top_logprobs: int | None
    top_p: float | None
    user: str | None
