"""``json_mode=True``: the JSON instruction Mirascope puts into the messages.

Groq, like OpenAI, answers 400 to a ``json_object`` request whose messages never mention
JSON, so JSON mode always says so in the prompt. The text and its place are Mirascope
v1's: appended to the last message when it is a user message (as a text part when its
content is a list of parts), else sent as a new user message. With a response model the
instruction carries the schema the model must follow.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from mirastream.tools._schema import parameters_schema

__all__ = ["json_instruction", "with_json_instruction"]


def json_instruction(model: type[BaseModel] | None) -> str:
    """The instruction text, with ``model``'s schema when there is one."""
    if model is None:
        return (
            "\n\nFor your final response, output ONLY a valid JSON dict that adheres to the schema"
        )
    schema = json.dumps(parameters_schema(model), indent=2)
    return (
        "\n\nFor your final response, output ONLY a valid JSON dict (NOT THE SCHEMA) from the "
        f"content that adheres to this schema:\n{schema}"
    )


def with_json_instruction(
    messages: list[dict[str, Any]], model: type[BaseModel] | None
) -> list[dict[str, Any]]:
    """The messages with the instruction added (the input list is not modified)."""
    text = json_instruction(model)
    if messages and messages[-1].get("role") == "user":
        last = dict(messages[-1])
        content = last.get("content")
        if isinstance(content, str):
            last["content"] = content + text
        else:
            last["content"] = [*(content or ()), {"type": "text", "text": text.strip()}]
        return [*messages[:-1], last]
    return [*messages, {"role": "user", "content": text.strip()}]
