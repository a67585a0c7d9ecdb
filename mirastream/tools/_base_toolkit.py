"""``BaseToolKit``: tools made from an object's methods, described with its state.

A toolkit is a pydantic model whose ``@toolkit_tool`` methods become tools bound to the
instance. The method's docstring is the tool's description, with ``{self.field}``
filled from the instance (so one toolkit class describes its tools per user, per
level ...). With ``__namespace__`` set, tool names are ``<namespace>_<method>``.
``create_tools()`` returns the tool classes, ready for ``tools=`` or a dynamic config.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, create_model

from mirastream.tools._tool import GroqTool, tool_from

__all__ = ["BaseToolKit", "toolkit_tool"]

F = TypeVar("F", bound=Callable[..., Any])
_TOOLKIT_TOOL = "__mirastream_toolkit_tool__"
_SELF_FIELD = re.compile(r"\{self\.([A-Za-z_][\w.]*)\}")


def toolkit_tool(method: F) -> F:
    """Mark a :class:`BaseToolKit` method as a tool (its docstring describes it).

    Returns:
        The method, unchanged apart from the mark.
    """
    setattr(method, _TOOLKIT_TOOL, True)
    return method


class BaseToolKit(BaseModel):
    """A set of tools made from one object's ``@toolkit_tool`` methods.

    Example::

        class BookTools(BaseToolKit):
            __namespace__ = "book_tools"
            reading_level: str

            @toolkit_tool
            def suggest_author(self, author: str) -> str:
                \"\"\"Suggests an author for a {self.reading_level} reader.\"\"\"
                return f"Read {author}"
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    __namespace__: ClassVar[str | None] = None

    @classmethod
    def _tool_methods(cls) -> list[str]:
        seen: dict[str, None] = {}
        for klass in reversed(cls.__mro__):  # definition order, subclasses last
            for name, value in vars(klass).items():
                if getattr(value, _TOOLKIT_TOOL, False):
                    seen[name] = None
        return list(seen)

    def _describe(self, doc: str) -> str:
        return _SELF_FIELD.sub(lambda m: str(operator.attrgetter(m[1])(self)), doc)

    def create_tools(self) -> list[type[GroqTool]]:
        """The toolkit's tools, bound to this instance.

        Returns:
            One tool class per ``@toolkit_tool`` method, in definition order.

        Raises:
            ValueError: A method has no docstring.
        """
        tools: list[type[GroqTool]] = []
        for name in self._tool_methods():
            method = getattr(type(self), name)
            if not method.__doc__:
                raise ValueError(f"toolkit tool {type(self).__name__}.{name} needs a docstring")
            base = tool_from(getattr(self, name))  # the bound method: `self` is not a parameter
            tool_name = f"{self.__namespace__}_{name}" if self.__namespace__ else name
            tool = create_model(
                tool_name,
                __base__=base,
                # The description the function tool parsed (no Args section), filled in.
                __doc__=self._describe(base.__doc__ or ""),
                __module__=type(self).__module__,
            )
            tools.append(tool_from(tool))  # checks the name Groq allows
        return tools
