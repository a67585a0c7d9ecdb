"""Typed attribute views over decoded JSON: the representation of every wire type.

Why not pydantic models: validating one chunk costs ~3.5 µs with pydantic-core and
~100 µs through the groq SDK's Python construction, while ``jiter.from_json`` decodes
it in ~1 µs. So a wire object *is* the decoded dict, kept whole (unknown keys included,
never rejected), with typed read access declared by small descriptors. The few fields
read on every chunk (``choices[i].delta.content`` ...) are copied into ``__slots__`` when
the chunk is built; everything else is read from the dict on access.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "ListField",
    "merge_fields",
    "ObjectField",
    "RequiredListField",
    "RequiredObjectField",
    "ScalarField",
    "WireObject",
]

T = TypeVar("T")
W = TypeVar("W", bound="WireObject")


class WireObject:
    """A typed, read-only view of one JSON object from the API.

    Unknown keys stay reachable as attributes (``delta.channel``), through
    :meth:`to_dict`, and in equality, so new fields Groq adds are never lost.
    """

    __slots__ = ("_data",)
    _data: dict[str, Any]

    def __init__(self, data: dict[str, Any] | None = None, /, **fields: Any) -> None:
        if fields:
            self._data = merge_fields(data, fields)
        else:  # the common case (views built by field reads): no call
            self._data = {} if data is None else data

    @classmethod
    def model_validate(cls, data: dict[str, Any]) -> Self:
        """Build a view over ``data`` (kept as is, not copied, not validated)."""
        return cls(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Alias of :meth:`model_validate`."""
        return cls(data)

    @classmethod
    def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Self:
        """Build from keyword fields, as pydantic's ``model_construct`` (never validates)."""
        return cls(**values)

    @classmethod
    def construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Self:
        """Alias of :meth:`model_construct` (pydantic v1's name, used by the groq SDK)."""
        return cls(**values)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the class does not declare: unknown wire fields.
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__!r} has no field {name!r} in this object"
            ) from None

    def to_dict(self, *, exclude_none: bool = False) -> dict[str, Any]:
        """Return the object as plain JSON data (a deep copy), as the server sent it."""
        data = copy.deepcopy(self._data)
        return _drop_none(data) if exclude_none else data

    def model_dump(self, *, exclude_none: bool = False, **_: Any) -> dict[str, Any]:
        """Alias of :meth:`to_dict` for code written against pydantic models."""
        return self.to_dict(exclude_none=exclude_none)

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return the object as JSON text."""
        return json.dumps(self._data, indent=indent, ensure_ascii=False)

    def model_dump_json(self, *, indent: int | None = None, **_: Any) -> str:
        """Alias of :meth:`to_json` (compact by default, as in pydantic)."""
        return json.dumps(self._data, indent=indent, ensure_ascii=False, separators=(",", ":"))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, WireObject)
        return self._data == other._data

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._data.items())
        return f"{type(self).__name__}({fields})"

    def __getstate__(self) -> dict[str, Any]:
        return self._data

    def __setstate__(self, state: dict[str, Any]) -> None:
        _init_from_dict(self, state)


def merge_fields(data: dict[str, Any] | None, fields: dict[str, Any]) -> dict[str, Any]:
    """The dict a view is built over: ``data`` (kept as is) updated with keyword ``fields``.

    Keyword construction is SDK style, so fields may hold views
    (``Choice(delta=ChoiceDelta(content="x"))``): they are stored as their plain JSON,
    making the result the very object that parsing the same JSON gives. Parsing itself
    never comes here with keywords, so it pays nothing for this.
    """
    if not fields:
        return {} if data is None else data
    plain = {key: _plain(value) for key, value in fields.items()}
    return plain if data is None else {**data, **plain}


def _plain(value: Any) -> Any:
    # Views nested in lists or dicts (`choices=[Choice(...)]`) become their dicts.
    if isinstance(value, WireObject):
        return value._data
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _init_from_dict(obj: WireObject, data: dict[str, Any]) -> None:
    type(obj).__init__(obj, data)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


class ScalarField(Generic[T]):
    """A JSON scalar (or untyped JSON) read from the view's dict; ``None`` if absent."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: WireObject, owner: type[Any]) -> T: ...
    def __get__(self, obj: WireObject | None, owner: type[Any]) -> Self | T:
        if obj is None:
            return self
        return obj._data.get(self.key)  # type: ignore[return-value]  # T covers None


class ObjectField(Generic[W]):
    """A nested JSON object, viewed as ``cls``; ``None`` if absent or null."""

    __slots__ = ("cls", "key")

    def __init__(self, key: str, cls: type[W]) -> None:
        self.key = key
        self.cls = cls

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: WireObject, owner: type[Any]) -> W | None: ...
    def __get__(self, obj: WireObject | None, owner: type[Any]) -> Self | W | None:
        if obj is None:
            return self
        value = obj._data.get(self.key)
        return None if value is None else self.cls(value)


class ListField(Generic[W]):
    """A JSON array of objects, each viewed as ``cls``; ``None`` if absent or null."""

    __slots__ = ("cls", "key")

    def __init__(self, key: str, cls: type[W]) -> None:
        self.key = key
        self.cls = cls

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: WireObject, owner: type[Any]) -> list[W] | None: ...
    def __get__(self, obj: WireObject | None, owner: type[Any]) -> Self | list[W] | None:
        if obj is None:
            return self
        value = obj._data.get(self.key)
        if value is None:
            return None
        cls = self.cls
        return [cls(item) for item in value]


class RequiredObjectField(ObjectField[W]):
    """A nested object the API always sends; an empty view if it is missing."""

    __slots__ = ()

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: WireObject, owner: type[Any]) -> W: ...
    def __get__(self, obj: WireObject | None, owner: type[Any]) -> Self | W:
        if obj is None:
            return self
        return self.cls(obj._data.get(self.key) or {})


class RequiredListField(ListField[W]):
    """An array the API always sends; empty if it is missing."""

    __slots__ = ()

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: WireObject, owner: type[Any]) -> list[W]: ...
    def __get__(self, obj: WireObject | None, owner: type[Any]) -> Self | list[W]:
        if obj is None:
            return self
        cls = self.cls
        return [cls(item) for item in obj._data.get(self.key) or ()]
