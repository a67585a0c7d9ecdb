"""``BasePrompt``: a prompt as a pydantic model, its fields the template's values.

Decorate the class with ``@prompt_template(...)`` (and optionally ``@metadata(...)``);
an instance renders its messages (``message_params()``), prints as the filled template,
and runs with any call decorator: ``prompt.run(groq_call("llama-3.1-8b-instant"))``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from pydantic import BaseModel

from mirastream._context import METADATA_ATTRIBUTE
from mirastream.prompts._messages import BaseMessageParam, message_object
from mirastream.prompts._prompts import (
    _FORMATTER,
    TEMPLATE_ATTRIBUTE,
    TEMPLATE_TEXT_ATTRIBUTE,
    DynamicConfig,
    PromptError,
    _render,
)

__all__ = ["BasePrompt"]

_PART_SPEC = re.compile(r":(?:images?|texts?|audios?|documents?)\}")


class BasePrompt(BaseModel):
    """A prompt whose fields fill its ``@prompt_template``.

    Example::

        @prompt_template("Recommend a {genre} book")
        class BookPrompt(BasePrompt):
            genre: str

        response = BookPrompt(genre="fantasy").run(groq_call("llama-3.1-8b-instant"))
    """

    prompt_template: ClassVar[str]

    def _template(self) -> tuple[str, Any]:
        parts = getattr(type(self), TEMPLATE_ATTRIBUTE, None)
        text = getattr(type(self), TEMPLATE_TEXT_ATTRIBUTE, None)
        if parts is None or text is None:
            raise PromptError(f"{type(self).__name__} has no @prompt_template")
        return text, parts

    def _values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}

    def message_params(self) -> list[BaseMessageParam | dict[str, Any]]:
        """The rendered messages."""
        return [message_object(m) for m in _render(self._template()[1], self._values())]

    def dynamic_config(self) -> DynamicConfig | None:
        """The config of each call (override to add tools, call_params ...)."""
        return None

    def dump(self) -> dict[str, Any]:
        """The prompt as data: ``metadata``, ``prompt``, ``template``, ``inputs``."""
        return {
            "metadata": dict(getattr(type(self), METADATA_ATTRIBUTE, {})),
            "prompt": str(self),
            "template": self._template()[0],
            "inputs": self.model_dump(),
        }

    def __str__(self) -> str:
        text = _PART_SPEC.sub("}", self._template()[0])
        return _FORMATTER.vformat(text, (), self._values())

    def _config(self) -> DynamicConfig:
        config: DynamicConfig = dict(self.dynamic_config() or {})  # type: ignore[assignment]
        config["computed_fields"] = {**self._values(), **config.get("computed_fields", {})}
        return config

    def _prompt_fn(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        text, parts = self._template()
        setattr(fn, TEMPLATE_ATTRIBUTE, parts)
        setattr(fn, TEMPLATE_TEXT_ATTRIBUTE, text)
        if hasattr(type(self), METADATA_ATTRIBUTE):
            setattr(fn, METADATA_ATTRIBUTE, getattr(type(self), METADATA_ATTRIBUTE))
        fn.__name__ = type(self).__name__
        return fn

    def run(self, call_decorator: Callable[..., Any], *decorators: Callable[..., Any]) -> Any:
        """Run the prompt with a call decorator (``groq_call(...)``), then ``decorators``.

        Returns:
            What the decorated call returns (a response, a stream, a model ...).
        """

        def prompt() -> DynamicConfig:
            return self._config()

        call = call_decorator(self._prompt_fn(prompt))
        for decorator in decorators:
            call = decorator(call)
        return call()

    def run_async(
        self, call_decorator: Callable[..., Any], *decorators: Callable[..., Any]
    ) -> Coroutine[Any, Any, Any]:
        """The async twin of :meth:`run`: returns the awaitable of the async call."""

        async def prompt() -> DynamicConfig:
            return self._config()

        call = call_decorator(self._prompt_fn(prompt))
        for decorator in decorators:
            call = decorator(call)
        return call()  # type: ignore[no-any-return]
