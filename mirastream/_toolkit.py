"""The tools of one call: ``Toolkit`` (schemas, tool calls to tools) and the answers back.

:class:`Toolkit` holds the tools offered in one call: their wire schemas, and the lookup
that turns a model's tool call into a validated tool instance.
:func:`tool_message_params` turns ``(tool, output)`` pairs into the tool messages that
answer the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pydantic_core
from pydantic import BaseModel

from mirastream._tools import GroqTool, ToolLike, tool_from
from mirastream.errors import ToolCallError
from mirastream.groq.types import ChatCompletionMessageToolCall

__all__ = ["Toolkit", "tool_message_params", "tool_schemas"]


def tool_schemas(tools: Iterable[ToolLike]) -> list[dict[str, Any]]:
    """The request's ``tools`` list for the given tool definitions.

    Args:
        tools: Tool definitions, as accepted by :func:`tool_from`.

    Returns:
        One ``{"type": "function", "function": {...}}`` entry per tool, in order.

    Raises:
        ValueError: Two tools have the same name.
    """
    return Toolkit(tools).schemas


class Toolkit:
    """The tools offered in one call: their schemas, and tool calls turned into tools.

    Args:
        tools: Tool definitions, as accepted by :func:`tool_from`.

    Raises:
        ValueError: Two tools have the same name (Groq could not tell them apart).
    """

    __slots__ = ("_by_name",)

    def __init__(self, tools: Iterable[ToolLike] = ()) -> None:
        by_name: dict[str, type[GroqTool]] = {}
        for obj in tools:
            tool = tool_from(obj)
            name = tool._name()
            if name in by_name:
                raise ValueError(
                    f"two tools are named {name!r} ({by_name[name]!r} and {tool!r}); "
                    "tool names must be unique within a call"
                )
            by_name[name] = tool
        self._by_name = by_name

    @property
    def tools(self) -> tuple[type[GroqTool], ...]:
        """The tool classes, in the order given."""
        return tuple(self._by_name.values())

    @property
    def names(self) -> tuple[str, ...]:
        """The tools' wire names, in the order given."""
        return tuple(self._by_name)

    @property
    def schemas(self) -> list[dict[str, Any]]:
        """The request's ``tools`` list (fresh dicts on each access)."""
        return [tool.tool_schema() for tool in self._by_name.values()]

    def tool_for(self, tool_call: ChatCompletionMessageToolCall) -> GroqTool:
        """Turn a complete tool call from the model into a validated tool instance.

        Args:
            tool_call: The tool call, with its complete arguments string.

        Returns:
            An instance of the offered tool the call names.

        Raises:
            ToolCallError: The call names a tool that was not offered, or its
                arguments cannot become that tool (see :meth:`GroqTool.from_tool_call`).
        """
        name = tool_call.function.name or ""
        tool = self._by_name.get(name)
        if tool is None:
            offered = ", ".join(map(repr, self._by_name)) or "none"
            raise ToolCallError(
                f"the model called tool {name!r}, which was not offered (offered: {offered})",
                tool_name=name,
                tool_call_id=tool_call.id,
                arguments=tool_call.function.arguments or "",
            )
        return tool.from_tool_call(tool_call)

    def __len__(self) -> int:
        return len(self._by_name)

    def __iter__(self) -> Iterator[type[GroqTool]]:
        return iter(self._by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __repr__(self) -> str:
        return f"Toolkit({list(self._by_name)!r})"


def _tool_output_content(output: Any) -> str:
    # Strings (str subclasses too) go verbatim; a pydantic model through its own
    # serializer; everything else as compact JSON via pydantic-core, which also handles
    # models nested in lists/dicts, dataclasses, datetimes, enums and UUIDs, with str()
    # as the last resort (so None -> "null", 3 -> "3", other objects -> their str()).
    if isinstance(output, str):
        return str.__str__(output)  # a plain str even for str subclasses such as StrEnum
    if isinstance(output, BaseModel):
        return output.model_dump_json()
    return pydantic_core.to_json(output, fallback=str).decode()


def tool_message_params(tools_and_outputs: Sequence[tuple[GroqTool, Any]]) -> list[dict[str, Any]]:
    """Tool-result messages answering the model's tool calls, one per (tool, output).

    ``name`` is included: Groq's docs put it on tool messages, and gpt-oss models on
    Groq reject tool messages without it ("Tools should have a name!").

    Args:
        tools_and_outputs: Each tool that was called, with what running it returned.
            A ``str`` output is sent as is, a pydantic model as its
            ``model_dump_json()``, anything else as JSON (``str()`` for values JSON
            cannot hold).

    Returns:
        ``[{"role": "tool", "content": ..., "tool_call_id": ..., "name": ...}, ...]``.

    Raises:
        ValueError: A tool has no ``tool_call`` (it was not built from a model's call).
    """
    messages: list[dict[str, Any]] = []
    for tool, output in tools_and_outputs:
        tool_call = tool.tool_call
        if tool_call is None:
            raise ValueError(
                f"{type(tool).__name__} has no tool_call to answer: only tools built from "
                "the model's tool calls (GroqTool.from_tool_call) can get a tool message"
            )
        messages.append(
            {
                "role": "tool",
                "content": _tool_output_content(output),
                "tool_call_id": tool_call.id,
                "name": tool._name(),
            }
        )
    return messages
