"""Prompts: ``prompt_template``, ``Messages``, and turning a prompt function's result into messages.

A prompt function returns one of:

* a ``str``: one user message;
* one message, or a list of messages (dicts, ``BaseMessageParam`` objects, or
  ``Messages.System/User/Assistant(...)``);
* under ``@prompt_template(...)``: ``None`` or a dynamic config dict, whose
  ``computed_fields``, ``tools``, ``call_params``, ``messages``, ``client`` and
  ``metadata`` apply to that call only (any other key is an error).

Templates split into messages at the role keywords ``SYSTEM:``, ``USER:``,
``ASSISTANT:`` and ``MESSAGES:`` (anywhere, also on one line), are dedented, and format
``{var}`` from the function's arguments and computed fields. Splitting happens *before*
formatting, so a value that contains ``USER:`` cannot inject a message. Content-part
fields (``{cover:image}``, ``{covers:images}``, ``{notes:text}`` ...) make a message of
parts (``_template_parts``).

Called directly, a ``prompt_template`` function returns its messages as
``BaseMessageParam`` objects (as Mirascope's does); ``groq_call`` calls the function
underneath and renders the same messages for the request.
"""

from __future__ import annotations

import functools
import inspect
import re
import string
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Union

from mirastream.prompts._template_parts import has_part_fields, render_parts

if TYPE_CHECKING:
    from mirastream.prompts._messages import BaseMessageParam

__all__ = [
    "DYNAMIC_CONFIG_KEYS",
    "DynamicConfig",
    "Messages",
    "PromptError",
    "build_messages",
    "prompt_function",
    "prompt_template",
]

F = TypeVar("F", bound=Callable[..., Any])

TEMPLATE_ATTRIBUTE = "__mirastream_prompt_template__"
# The template text as written (``response.prompt_template``), and the function a
# ``prompt_template`` wrapper stands for (what ``groq_call`` calls).
TEMPLATE_TEXT_ATTRIBUTE = "__mirastream_prompt_template_text__"
PROMPT_FN_ATTRIBUTE = "__mirastream_prompt_fn__"
_ROLES = ("SYSTEM", "USER", "ASSISTANT", "MESSAGES")
_ROLE_PATTERN = re.compile(r"(?<![A-Za-z0-9_])(SYSTEM|USER|ASSISTANT|MESSAGES)\s*:")


class PromptError(TypeError):
    """A prompt function or template is used in a way that cannot make messages."""


class DynamicConfig(TypedDict, total=False):
    """What a ``prompt_template`` function may return to configure its own call."""

    computed_fields: dict[str, Any]
    tools: Sequence[Any]
    call_params: dict[str, Any]
    messages: Sequence[Any]
    client: Any
    metadata: Mapping[str, Any]


DYNAMIC_CONFIG_KEYS = frozenset(DynamicConfig.__annotations__)


class Messages:
    """Message constructors: ``Messages.User("hi")`` is ``{"role": "user", "content": "hi"}``.

    Content is text, or a list of parts: strings, ``TextPart``/``ImagePart``/
    ``ImageURLPart`` objects, wire dicts, or image bytes.
    """

    Type = Union[str, Sequence[Any], Mapping[str, Any], "BaseMessageParam"]
    """What a prompt function may return as its messages (Mirascope's ``Messages.Type``)."""

    @staticmethod
    def System(content: str | Sequence[Any]) -> dict[str, Any]:
        """A system message."""
        return {"role": "system", "content": _content(content)}

    @staticmethod
    def User(content: str | Sequence[Any]) -> dict[str, Any]:
        """A user message (text, or a list of content parts)."""
        return {"role": "user", "content": _content(content)}

    @staticmethod
    def Assistant(content: str | Sequence[Any]) -> dict[str, Any]:
        """An assistant message."""
        return {"role": "assistant", "content": _content(content)}


def _content(content: str | Sequence[Any]) -> Any:
    return content if isinstance(content, str) else list(content)


def prompt_template(template: str | None = None) -> Callable[[F], F]:
    """Attach a message template to a prompt function (or a ``BasePrompt`` class).

    Args:
        template: Text with role keywords (``SYSTEM:``, ``USER:``, ``ASSISTANT:``,
            ``MESSAGES: {history}``) and ``{var}`` fields. Without any role keyword the
            whole template is one user message. Format specs ``:list`` (items one per
            line), ``:lists`` (groups separated by blank lines), and the content parts
            ``:image``, ``:images``, ``:text``, ``:texts`` are supported. ``None``
            (``@prompt_template()``): the function returns its messages itself.

    Returns:
        A decorator. A function becomes one that, called directly, returns its messages
        as ``BaseMessageParam`` objects; ``groq_call`` on top of it calls the function
        itself. A class gets ``prompt_template`` set and is returned as is.
    """
    text = None if template is None else inspect.cleandoc(template)
    parts = None if text is None else _split(text)

    def decorator(fn: F) -> F:
        if isinstance(fn, type):
            setattr(fn, TEMPLATE_ATTRIBUTE, parts)
            setattr(fn, TEMPLATE_TEXT_ATTRIBUTE, text)
            fn.prompt_template = text  # type: ignore[attr-defined]  # BasePrompt's ClassVar
            return fn
        original = prompt_function(fn)
        wrapper = _messages_function(original)
        for target in (original, wrapper):
            if parts is not None:
                setattr(target, TEMPLATE_ATTRIBUTE, parts)
            setattr(target, TEMPLATE_TEXT_ATTRIBUTE, text)
        setattr(wrapper, PROMPT_FN_ATTRIBUTE, (wrapper, original))
        return wrapper  # type: ignore[return-value]

    return decorator


def prompt_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The prompt function a ``prompt_template`` wrapper stands for (``fn`` if none).

    Only the wrapper itself is unwrapped: another decorator's ``functools.wraps`` copies
    the attribute, but that function must be called as it is.
    """
    found = getattr(fn, PROMPT_FN_ATTRIBUTE, None)
    if found is not None and found[0] is fn:
        return found[1]  # type: ignore[no-any-return]
    return fn


def _messages_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    def as_objects(result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
        messages, _ = build_messages(fn, result, args, kwargs)
        from mirastream.prompts._messages import message_object

        return [message_object(m) for m in messages]

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def messages_async(*args: Any, **kwargs: Any) -> list[Any]:
            return as_objects(await fn(*args, **kwargs), args, kwargs)

        return messages_async

    @functools.wraps(fn)
    def messages(*args: Any, **kwargs: Any) -> list[Any]:
        return as_objects(fn(*args, **kwargs), args, kwargs)

    return messages


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
                content: Any = (
                    render_parts(text, values, _FORMATTER)
                    if has_part_fields(text)
                    else _FORMATTER.vformat(text, (), values)
                )
            except KeyError as exc:
                raise PromptError(
                    f"template field {exc} is not an argument or computed field"
                ) from exc
            if content:
                messages.append({"role": role.lower(), "content": content})
    return messages


def _message(message: Any) -> dict[str, Any]:
    # A dict or BaseMessageParam, a response (its ``message_param``), or a message
    # object (wire view or pydantic model): history never carries ``None``-valued keys.
    if isinstance(message, Mapping):
        content = message.get("content")
        if content is None or isinstance(content, str):
            return dict(message)
        return _wire(message)
    if _is_message_object(message):
        return _wire(message)
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
        if result and all(_is_part(item) for item in result):  # Messages.Type shorthand
            return [{"role": "user", "content": _wire({"content": result})["content"]}], {}
        return [_message(m) for m in result], {}
    if _is_message_object(result) or (isinstance(result, Mapping) and "role" in result):
        return [_message(result)], {}  # one message
    if result is not None and not isinstance(result, Mapping):
        raise PromptError(
            f"{fn.__name__} returned {type(result).__name__}; a prompt function returns a "
            "str, a message or a list of messages, or (with @prompt_template) None or a "
            "dynamic config"
        )
    config: DynamicConfig = dict(result or {})  # type: ignore[assignment]
    unknown = set(config) - DYNAMIC_CONFIG_KEYS
    if unknown:
        raise PromptError(
            f"{fn.__name__} returned a dynamic config with unknown key(s) "
            f"{sorted(unknown)}; the keys are {sorted(DYNAMIC_CONFIG_KEYS)}"
        )
    if "messages" in config:
        return [_message(m) for m in config["messages"]], config
    parts: list[tuple[str, str]] | None = getattr(fn, TEMPLATE_ATTRIBUTE, None)
    if parts is None:
        raise PromptError(
            f"{fn.__name__} returned {'None' if result is None else 'a config'} but has no "
            "@prompt_template: return a str or a list of messages, or add a template"
        )
    values = {**call_arguments(fn, args, kwargs), **config.get("computed_fields", {})}
    return _render(parts, values), config


def call_arguments(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The call's arguments by parameter name, defaults included (``fn_args``)."""
    bound = _signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _is_part(item: Any) -> bool:
    # A content part of a user message, rather than a message.
    if isinstance(item, (str, bytes, bytearray)):
        return True
    if isinstance(item, Mapping):
        return "role" not in item and "type" in item
    return not _is_message_object(item) and getattr(item, "type", None) is not None


# BaseMessageParam and the content parts are pydantic models: their module is imported
# only when content parts need converting, so a plain prompt costs no model building at
# import. Until it is imported, no BaseMessageParam can exist.
def _is_message_object(value: Any) -> bool:
    module = sys.modules.get("mirastream.prompts._messages")
    return module is not None and isinstance(value, module.BaseMessageParam)


def _wire(message: Any) -> dict[str, Any]:
    from mirastream.prompts._messages import wire_message

    return wire_message(message)
