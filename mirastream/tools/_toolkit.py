"""The tools of one call: ``Toolkit`` (schemas, tool calls to tools) and the answers back.

:class:`Toolkit` holds the tools offered in one call: their wire schemas, and the lookup
that turns a model's tool call into a validated tool instance. Tools given as dicts
(Groq's built-in tools such as ``{"type": "browser_search"}``, or a raw function schema)
go to the wire unchanged and never become tool instances: Groq runs built-in tools itself
and reports them in ``executed_tools``; a call naming a raw schema stays a raw call.
:func:`tool_message_params` turns ``(tool, output)`` pairs into the tool messages that
answer the model.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeAlias

import pydantic_core
from pydantic import BaseModel

from mirastream.errors import ToolCallError
from mirastream.groq.types import ChatCompletionMessageToolCall
from mirastream.tools._tool import GroqTool, ToolLike, tool_from

__all__ = ["ToolEntry", "Toolkit", "tool_message_params", "tool_schemas"]

ToolEntry: TypeAlias = ToolLike | Mapping[str, Any]
"""One entry of ``tools=``: a tool definition, or a tool dict sent as it is."""


def tool_schemas(tools: Iterable[ToolEntry]) -> list[dict[str, Any]]:
    """The request's ``tools`` list for the given tool definitions.

    Args:
        tools: Tool definitions, as accepted by :func:`tool_from`, and tool dicts.

    Returns:
        One entry per tool, in order: ``{"type": "function", "function": {...}}`` for a
        definition, a copy of each dict.

    Raises:
        ValueError: Two tools have the same name.
    """
    return Toolkit(tools).schemas


class Toolkit:
    """The tools offered in one call: their schemas, and tool calls turned into tools.

    Args:
        tools: Tool definitions, as accepted by :func:`tool_from`, and tool dicts
            (``{"type": "browser_search"}``, ``{"type": "function", "function": {...}}``)
            sent unchanged, in the order given.

    Raises:
        ValueError: Two tools have the same name (Groq could not tell them apart), or
            a tool dict has no ``type`` (or a function dict no ``function.name``).
    """

    __slots__ = ("_by_name", "_entries", "_raw_names")

    def __init__(self, tools: Iterable[ToolEntry] = ()) -> None:
        by_name: dict[str, type[GroqTool]] = {}
        raw_names: set[str] = set()
        entries: list[type[GroqTool] | dict[str, Any]] = []
        for obj in tools:
            entry: type[GroqTool] | dict[str, Any]
            if isinstance(obj, Mapping):
                entry = dict(obj)
                name = _dict_tool_name(entry)
            else:
                entry = tool_from(obj)
                name = entry._name()
            if name in by_name or name in raw_names:
                raise ValueError(
                    f"two tools are named {name!r}; tool names must be unique within a call"
                )
            if isinstance(entry, dict):
                raw_names.add(name)
            else:
                by_name[name] = entry
            entries.append(entry)
        self._by_name = by_name
        self._raw_names = frozenset(raw_names)
        self._entries = tuple(entries)

    @property
    def tools(self) -> tuple[type[GroqTool], ...]:
        """The tool classes, in the order given."""
        return tuple(self._by_name.values())

    @property
    def names(self) -> tuple[str, ...]:
        """The tools' wire names, in the order given."""
        return tuple(self._by_name)

    @property
    def dict_tools(self) -> tuple[dict[str, Any], ...]:
        """The tools given as dicts (built-in tools, raw schemas), in the order given."""
        return tuple(e for e in self._entries if isinstance(e, dict))

    @property
    def schemas(self) -> list[dict[str, Any]]:
        """The request's ``tools`` list, in the order given (fresh dicts on each access)."""
        return [copy.deepcopy(e) if isinstance(e, dict) else e.tool_schema() for e in self._entries]

    def leaves_raw(self, tool_call: ChatCompletionMessageToolCall) -> bool:
        """Whether a call names a tool given as a dict: it stays a raw call, never a tool."""
        # Checked per completed call: nothing to look up unless dicts were given.
        return bool(self._raw_names) and (tool_call.function.name or "") in self._raw_names

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


def _dict_tool_name(tool: dict[str, Any]) -> str:
    """The name a tool dict is known by: its function's name, else its ``type``."""
    kind = tool.get("type")
    if not isinstance(kind, str) or not kind:
        raise ValueError(
            f"a tool given as a dict needs a 'type', e.g. {{'type': 'browser_search'}}; "
            f"got {tool!r}"
        )
    if kind != "function":
        return kind
    function = tool.get("function")
    name = function.get("name") if isinstance(function, Mapping) else None
    if not isinstance(name, str) or not name:
        raise ValueError(
            "a function tool given as a dict needs 'function': {'name': ...}; "
            "or pass the function (or a GroqTool class) itself"
        )
    return name


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
