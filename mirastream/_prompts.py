"""Prompts: ``prompt_template``, ``Messages``, and turning a prompt function's result into messages.

A prompt function returns one of:

* a ``str``: one user message;
* a list of messages (dicts, or ``Messages.System/User/Assistant(...)``);
* under ``@prompt_template(...)``: ``None`` or a dynamic config dict, whose
  ``computed_fields``, ``tools``, ``call_params``, ``messages`` and ``client`` apply to
  that call only.

Templates split into messages at the role keywords ``SYSTEM:``, ``USER:``,
``ASSISTANT:`` and ``MESSAGES:`` (anywhere, also on one line), are dedented, and format
``{var}`` from the function's arguments and computed fields. Splitting happens *before*
formatting, so a value that contains ``USER:`` cannot inject a message.
"""

from __future__ import annotations

import functools
import inspect
import re
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict, TypeVar

__all__ = ["DynamicConfig", "Messages", "PromptError", "build_messages", "prompt_template"]

F = TypeVar("F", bound=Callable[..., Any])

TEMPLATE_ATTRIBUTE = "__mirastream_prompt_template__"
_ROLES = ("SYSTEM", "USER", "ASSISTANT", "MESSAGES")
_ROLE_PATTERN = re.compile(r"(?<![A-Za-z0-9_])(SYSTEM|USER|ASSISTANT|MESSAGES)\s*:")


class PromptError(TypeError):
    """A prompt function or template is used in a way that cannot make messages."""


class DynamicConfig(TypedDict, total=False):
    """What a ``prompt_template`` function may return to configure its own call."""

    computed_fields: dict[str, Any]
    tools: Sequence[Any]
    call_params: dict[str, Any]
    messages: list[dict[str, Any]]
    client: Any


class Messages:
    """Message constructors: ``Messages.User("hi")`` is ``{"role": "user", "content": "hi"}``."""

    @staticmethod
    def System(content: str) -> dict[str, Any]:
        """A system message."""
        return {"role": "system", "content": content}

    @staticmethod
    def User(content: str | list[dict[str, Any]]) -> dict[str, Any]:
        """A user message (text, or a list of content parts)."""
        return {"role": "user", "content": content}

    @staticmethod
    def Assistant(content: str) -> dict[str, Any]:
        """An assistant message."""
        return {"role": "assistant", "content": content}


def prompt_template(template: str) -> Callable[[F], F]:
    """Attach a message template to a prompt function.

    Args:
        template: Text with role keywords (``SYSTEM:``, ``USER:``, ``ASSISTANT:``,
            ``MESSAGES: {history}``) and ``{var}`` fields. Without any role keyword the
            whole template is one user message. Format specs ``:list`` (items one per
            line) and ``:lists`` (groups separated by blank lines) are supported.

    Returns:
        A decorator that records the template on the function, unchanged otherwise.
    """
    parts = _split(inspect.cleandoc(template))

    def decorator(fn: F) -> F:
        setattr(fn, TEMPLATE_ATTRIBUTE, parts)
        return fn

    return decorator


def _split(template: str) -> list[tuple[str, str]]:
    pieces = _ROLE_PATTERN.split(template)
    head = pieces[0].strip()
    parts: list[tuple[str, str]] = [("USER", head)] if head else []
    for role, text in zip(pieces[1::2], pieces[2::2], strict=True):
        parts.append((role, text.strip()))
    return parts


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "list":
            return "\n".join(str(item) for item in value)
        if format_spec == "lists":
            return "\n\n".join("\n".join(str(item) for item in group) for group in value)
        return str(super().format_field(value, format_spec))


_FORMATTER = _Formatter()


def _render(parts: list[tuple[str, str]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for role, text in parts:
        if role == "MESSAGES":
            try:
                history = _FORMATTER.get_field(text.strip("{} "), (), values)[0] if text else []
            except (KeyError, AttributeError, IndexError) as exc:
                raise PromptError(
                    f"MESSAGES: {text} names no argument or computed field ({exc!r})"
                ) from exc
            if not isinstance(history, list):
                raise PromptError(f"MESSAGES: {text} must be a list of messages")
            messages.extend(_message(m) for m in history)
        elif text:
            try:
                content = _FORMATTER.vformat(text, (), values)
            except KeyError as exc:
                raise PromptError(
                    f"template field {exc} is not an argument or computed field"
                ) from exc
            messages.append({"role": role.lower(), "content": content})
    return messages


def _message(message: Any) -> dict[str, Any]:
    # A dict, a response (its ``message_param``), or a message object (wire view or
    # pydantic model): history never carries ``None``-valued keys.
    if isinstance(message, Mapping):
        return dict(message)
    param = getattr(message, "message_param", None)
    if isinstance(param, dict):
        return dict(param)
    dump = getattr(message, "model_dump", None)
    if callable(dump):
        return dict(dump(exclude_none=True))
    raise PromptError(f"not a message: {message!r}")


@functools.lru_cache(maxsize=1024)
def _signature(fn: Callable[..., Any]) -> inspect.Signature:
    # Computed once per prompt function, not on every call.
    return inspect.signature(fn)


def build_messages(
    fn: Callable[..., Any], result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[list[dict[str, Any]], DynamicConfig]:
    """Turn what a prompt function returned into messages and its dynamic config.

    Args:
        fn: The prompt function (possibly carrying a template).
        result: What the call returned.
        args: The call's positional arguments.
        kwargs: The call's keyword arguments.

    Returns:
        ``(messages, config)``; ``config`` is empty unless the function returned one.

    Raises:
        PromptError: The result is neither a prompt nor, under a template, a config.
    """
    if isinstance(result, str):
        return [{"role": "user", "content": result}], {}
    if isinstance(result, list):
        return [_message(m) for m in result], {}
    if result is not None and not isinstance(result, Mapping):
        raise PromptError(
            f"{fn.__name__} returned {type(result).__name__}; a prompt function returns a "
            "str, a list of messages, or (with @prompt_template) None or a dynamic config"
        )
    config: DynamicConfig = dict(result or {})  # type: ignore[assignment]
    if "messages" in config:
        return [_message(m) for m in config["messages"]], config
    parts: list[tuple[str, str]] | None = getattr(fn, TEMPLATE_ATTRIBUTE, None)
    if parts is None:
        raise PromptError(
            f"{fn.__name__} returned {'None' if result is None else 'a config'} but has no "
            "@prompt_template: return a str or a list of messages, or add a template"
        )
    bound = _signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    values = {**bound.arguments, **config.get("computed_fields", {})}
    return _render(parts, values), config
