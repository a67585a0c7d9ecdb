"""What a call gives back: ``GroqCallResponseChunk`` per chunk, ``GroqCallResponse`` at the end.

A streamed call and a plain call end in the same :class:`GroqCallResponse`: the stream
rebuilds the ``ChatCompletion`` the server would have returned, and everything else
(content, usage, cost, tools, the history message) is read from that one object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mirastream._context import CallContext, CallContextView
from mirastream._costs import CostMetadata, compute_cost
from mirastream._timing import CallTimings
from mirastream.groq._ratelimits import RateLimits
from mirastream.groq.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageToolCall,
    CompletionUsage,
    ExecutedTool,
    reported_usage,
)

if TYPE_CHECKING:
    from mirastream.tools._tool import GroqTool
    from mirastream.tools._toolkit import Toolkit

__all__ = [
    "GroqCallResponse",
    "GroqCallResponseChunk",
    "UsageTokens",
    "assistant_message_param",
    "cost_metadata",
]


def cost_metadata(model: str | None, usage: CompletionUsage | None) -> CostMetadata:
    """Price a call from its usage; unknown models and missing usage give ``cost=None``."""
    return compute_cost(
        model or "",
        input_tokens=usage.prompt_tokens if usage else None,
        output_tokens=usage.completion_tokens if usage else None,
        cached_tokens=usage.cached_tokens if usage else None,
        reasoning_tokens=usage.reasoning_tokens if usage else None,
    )


def assistant_message_param(content: str, tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
    """A clean assistant message for history: no ``None`` values, ``tool_calls`` if any."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


class UsageTokens:
    """``input_tokens``, ``output_tokens`` and ``cached_tokens``, read from ``usage``."""

    __slots__ = ()

    @property
    def usage(self) -> CompletionUsage | None:
        """Token usage (``None`` until the server sends it)."""
        raise NotImplementedError

    @property
    def input_tokens(self) -> int | None:
        """Prompt tokens, cached ones included."""
        usage = self.usage
        return usage.prompt_tokens if usage else None

    @property
    def output_tokens(self) -> int | None:
        """Completion tokens, reasoning ones included."""
        usage = self.usage
        return usage.completion_tokens if usage else None

    @property
    def cached_tokens(self) -> int | None:
        """Prompt tokens served from Groq's prompt cache."""
        usage = self.usage
        return usage.cached_tokens if usage else None


class GroqCallResponseChunk(UsageTokens):
    """One streamed chunk, with the conveniences of the high-level API.

    Attributes:
        chunk: The raw :class:`~mirastream.groq.types.ChatCompletionChunk`.
    """

    __slots__ = ("chunk",)

    def __init__(self, chunk: ChatCompletionChunk) -> None:
        self.chunk = chunk

    @property
    def content(self) -> str:
        """The content this chunk adds (``""`` if none)."""
        choices = self.chunk.choices
        return (choices[0].delta.content or "") if choices else ""

    @property
    def reasoning(self) -> str:
        """The reasoning this chunk adds (``""`` if none)."""
        choices = self.chunk.choices
        return (choices[0].delta.reasoning or "") if choices else ""

    @property
    def finish_reasons(self) -> list[str]:
        """The finish reasons this chunk carries (the final chunk only)."""
        return [c.finish_reason for c in self.chunk.choices if c.finish_reason is not None]

    @property
    def usage(self) -> CompletionUsage | None:
        """Usage, on the final chunk: ``x_groq.usage``, else the top-level ``usage``."""
        usage = reported_usage(self.chunk._data)
        return None if usage is None else CompletionUsage(usage)

    @property
    def tool_calls(self) -> list[Any] | None:
        """The raw tool-call deltas in this chunk, if any."""
        choices = self.chunk.choices
        return choices[0].delta.tool_calls if choices else None

    @property
    def executed_tools(self) -> list[ExecutedTool] | None:
        """Tools Groq ran server-side that this chunk reports (compound models), if any."""
        choices = self.chunk.choices
        return choices[0].delta.executed_tools if choices else None

    def __repr__(self) -> str:
        return f"GroqCallResponseChunk(content={self.content!r})"


class GroqCallResponse(UsageTokens, CallContextView, CallTimings):
    """The complete result of a call.

    Args:
        response: The completion (for a stream, rebuilt from its chunks).
        messages: The messages that were sent.
        toolkit: The tools offered in the call, to turn tool calls into tools.
        tools: Tools already built while streaming (avoids building them twice).
        start_time: When the call started, in ms since the epoch.
        end_time: When the last byte arrived, in ms since the epoch.
        model: The model requested (used for pricing if the response names none).
        call_params: The request parameters used.
        context: What the call was made from (metadata, template, arguments ...).
        first_token_time: When the first content, reasoning or tool call arrived, in ms
            since the epoch (for a non-stream call: when the body arrived).
        rate_limits: Groq's ``x-ratelimit-*`` headers of the answer, parsed.
    """

    def __init__(
        self,
        response: ChatCompletion,
        *,
        messages: list[dict[str, Any]],
        toolkit: Toolkit | None = None,
        tools: list[GroqTool] | None = None,
        start_time: float = 0.0,
        end_time: float = 0.0,
        model: str | None = None,
        call_params: dict[str, Any] | None = None,
        context: CallContext | None = None,
        first_token_time: float | None = None,
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.response = response
        self._context = context
        self.messages = messages
        self.start_time = start_time
        self.end_time: float = end_time
        self.call_params = call_params or {}
        self._toolkit = toolkit
        self._tools = tools
        self._requested_model = model
        choices = response.choices
        self._message = choices[0].message if choices else None
        self._cost: CostMetadata | None = None
        self._rate_limits = rate_limits if rate_limits is not None else RateLimits()
        # An answer with no content, reasoning or tool call has no first token.
        has_output = self._message is not None and bool(
            self._message.content or self._message.reasoning or self._message.tool_calls
        )
        self.first_token_time = first_token_time if has_output else None

    @property
    def rate_limits(self) -> RateLimits:
        """Groq's ``x-ratelimit-*`` headers, parsed (all ``None`` when not known)."""
        return self._rate_limits

    @property
    def content(self) -> str:
        """The assistant's answer (``""`` when it only called tools)."""
        return (self._message.content or "") if self._message else ""

    @property
    def reasoning(self) -> str:
        """The reasoning, for reasoning models with ``reasoning_format="parsed"``."""
        return (self._message.reasoning or "") if self._message else ""

    @property
    def finish_reasons(self) -> list[str]:
        """The finish reason of each choice."""
        return [c.finish_reason for c in self.response.choices if c.finish_reason is not None]

    @property
    def model(self) -> str | None:
        """The model that answered."""
        return self.response.model or self._requested_model

    @property
    def id(self) -> str | None:
        """The completion id."""
        return self.response.id

    @property
    def usage(self) -> CompletionUsage | None:
        """Token usage with Groq's timings (``x_groq.usage``, else the top-level ``usage``).

        Timings: ``queue_time``, ``prompt_time``, ``completion_time``, ``total_time``.
        """
        usage = reported_usage(self.response._data)
        return None if usage is None else CompletionUsage(usage)

    @property
    def cost_metadata(self) -> CostMetadata:
        """The cost and the prices and tokens it was computed from."""
        if self._cost is None:
            self._cost = cost_metadata(self.model, self.usage)
        return self._cost

    @property
    def cost(self) -> float | None:
        """Cost in USD, or ``None`` when unknown (``cost_metadata.reason`` says why)."""
        return self.cost_metadata.cost

    @property
    def tool_calls(self) -> list[ChatCompletionMessageToolCall]:
        """The raw tool calls the model made."""
        return (self._message.tool_calls or []) if self._message else []

    @property
    def executed_tools(self) -> list[ExecutedTool]:
        """The tools Groq ran server-side (compound models, built-in tools), with results."""
        return (self._message.executed_tools or []) if self._message else []

    @property
    def tools(self) -> list[GroqTool]:
        """The tool calls as tool instances (``tool.call()`` runs one).

        Raises:
            ToolCallError: A call names a tool that was not offered or has bad arguments.
        """
        if self._tools is None:
            # As in the stream: calls become tools only when tools were offered; the raw
            # calls are always in ``tool_calls``.
            toolkit = self._toolkit
            calls = self.tool_calls if toolkit is not None else []
            self._tools = [
                toolkit.tool_for(call)  # type: ignore[union-attr]
                for call in calls
                if not toolkit.leaves_raw(call)  # type: ignore[union-attr]
            ]
        return self._tools

    @property
    def tool(self) -> GroqTool | None:
        """The first tool, or ``None``."""
        tools = self.tools
        return tools[0] if tools else None

    @property
    def message_param(self) -> dict[str, Any]:
        """The answer as a clean assistant message, ready to send back as history."""
        return assistant_message_param(self.content, [call.to_dict() for call in self.tool_calls])

    def tool_message_params(
        self, tools_and_outputs: list[tuple[GroqTool, Any]]
    ) -> list[dict[str, Any]]:
        """Tool messages answering the model's calls.

        Args:
            tools_and_outputs: ``(tool, output)`` pairs; ``str`` outputs are sent as they
                are, pydantic models and other values as JSON.

        Returns:
            One ``{"role": "tool", ...}`` message per pair.
        """
        from mirastream.tools._toolkit import tool_message_params

        return tool_message_params(tools_and_outputs)

    def model_dump(self) -> dict[str, Any]:
        """The response and its call as plain data (Mirascope's ``model_dump()`` keys)."""
        return {
            **self._dump_fields(),
            "response": self.response.to_dict(),
            "message_param": self.message_param,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "cost": self.cost,
        }

    def __str__(self) -> str:
        return self.content

    def __repr__(self) -> str:
        return (
            f"GroqCallResponse(model={self.model!r}, content={self.content!r}, "
            f"finish_reasons={self.finish_reasons!r}, cost={self.cost!r})"
        )
