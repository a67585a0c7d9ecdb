"""The other direction: what ``useChat`` posts (UI messages) as chat-completions messages.

``useChat`` sends the whole conversation as ``UIMessage`` objects: ``{"id", "role",
"parts": [...]}``. A user or system message's text parts become its content. An
assistant message is split at its ``step-start`` parts (one step is one model call);
each step becomes an assistant message (its text, and its tool parts as ``tool_calls``)
followed by one ``tool`` message per tool part that has an output or an error.
Reasoning, sources, files and data parts are not sent back to the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mirastream.relay._sse import json_text

__all__ = ["messages_from_ui"]


def messages_from_ui(ui_messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Turn ``useChat``'s messages into messages for a call (see the module docs).

    Args:
        ui_messages: The ``messages`` of the request body ``useChat`` posts.

    Returns:
        Chat-completions messages, ready to return from a prompt function.

    Raises:
        ValueError: A message is not a UI message (no ``parts`` list, unknown role).
    """
    messages: list[dict[str, Any]] = []
    for ui_message in ui_messages:
        role = ui_message.get("role")
        parts = ui_message.get("parts")
        if not isinstance(parts, list):
            raise ValueError(f"not a UI message (no parts list): {dict(ui_message)!r:.200}")
        if role in ("user", "system"):
            messages.append({"role": role, "content": _text(parts)})
        elif role == "assistant":
            for step in _steps(parts):
                messages.extend(_assistant_step(step))
        else:
            raise ValueError(f"unknown UI message role: {role!r}")
    return messages


def _text(parts: Sequence[Mapping[str, Any]]) -> str:
    return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


def _steps(parts: list[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    steps: list[list[Mapping[str, Any]]] = [[]]
    for part in parts:
        if part.get("type") == "step-start":
            if steps[-1]:
                steps.append([])
        else:
            steps[-1].append(part)
    return [step for step in steps if step]


def _is_tool(part: Mapping[str, Any]) -> bool:
    kind = str(part.get("type", ""))
    return (kind.startswith("tool-") or kind == "dynamic-tool") and "toolCallId" in part


def _tool_name(part: Mapping[str, Any]) -> str:
    kind = str(part["type"])
    return str(part.get("toolName", "")) if kind == "dynamic-tool" else kind[len("tool-") :]


def _assistant_step(step: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    tools = [part for part in step if _is_tool(part)]
    assistant: dict[str, Any] = {"role": "assistant", "content": _text(step)}
    if tools:
        assistant["tool_calls"] = [
            {
                "id": str(part["toolCallId"]),
                "type": "function",
                "function": {"name": _tool_name(part), "arguments": json_text(part.get("input"))},
            }
            for part in tools
        ]
    answers = []
    for part in tools:
        if "output" in part:
            output = part["output"]
            content = output if isinstance(output, str) else json_text(output)
        elif "errorText" in part:
            content = f"Error: {part['errorText']}"
        else:
            continue  # no answer yet: the model gets the call without one
        call_id = str(part["toolCallId"])
        answers.append({"role": "tool", "tool_call_id": call_id, "content": content})
    return [assistant, *answers]
