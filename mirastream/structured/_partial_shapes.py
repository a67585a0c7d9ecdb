"""Shapes: how a partial JSON value is built, from plain JSON up to partial pydantic models.

The parser (:mod:`mirastream.structured._partial_json`) decides *what* is known so far; a shape
decides what it is built *as*. :class:`Shape` keeps plain JSON values; the model shapes
here build partial instances of a pydantic model (see :mod:`mirastream.structured._partial` for what
a partial instance is). A model's shape is built once per class and cached.
"""

from __future__ import annotations

import collections.abc as abc
import threading
import types
import weakref
from typing import (
    Annotated,
    Any,
    Final,
    Literal,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
)

from pydantic import BaseModel, RootModel

__all__ = ["MISSING", "RAW", "Shape", "convert", "model_shape", "partial_of"]

ModelT = TypeVar("ModelT", bound=BaseModel)


class _Missing:
    """The type of :data:`MISSING`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""Marks "no value yet": nothing has started, or a member is being discarded."""


class Shape:
    """How parsed JSON becomes snapshot values; this base class keeps plain JSON.

    Subclasses override what they need. A shape is asked which shape a nested value
    gets (:meth:`member`, :meth:`element`, resolved by JSON type with
    :meth:`object_shape` / :meth:`array_shape`) and how to build a container from the
    values of its members (:meth:`build_object`, :meth:`build_array`).
    """

    #: True when a ``null`` member is indistinguishable from an absent one in the built
    #: value (model fields: missing fields are ``None``), so it is not a change.
    null_is_absent: bool = False

    def object_shape(self) -> Shape:
        """Return the shape that builds a JSON object found where this shape is expected."""
        return self

    def array_shape(self) -> Shape:
        """Return the shape that builds a JSON array found where this shape is expected."""
        return self

    def member(self, key: str) -> tuple[str, Shape] | None:
        """Map an object key to ``(name it is stored under, its shape)``, or None to drop it."""
        return key, RAW

    def element(self, index: int) -> Shape:
        """Return the shape of the array element at ``index``."""
        return RAW

    def scalar(self, value: Any) -> Any:
        """Convert a complete scalar (number, literal or string)."""
        return value

    def build_object(self, items: dict[str, Any], key: str | None, child: Any) -> Any:
        """Build an object from its complete members plus ``key: child`` still in progress.

        ``child`` is :data:`MISSING` when no member is in progress. Must not keep or
        mutate ``items``: the parser goes on filling it.
        """
        if child is MISSING or key is None:
            return dict(items)
        built = dict(items)
        built[key] = child
        return built

    def build_array(self, items: list[Any], child: Any) -> Any:
        """Build an array from its complete elements plus ``child`` still in progress."""
        if child is MISSING:
            return list(items)
        return [*items, child]


RAW: Final = Shape()
"""The shape that keeps plain JSON values (dicts, lists, str, int, float, bool, None)."""


def convert(shape: Shape, value: Any) -> Any:
    """Convert a complete plain JSON value with ``shape`` (the non-incremental path)."""
    if isinstance(value, dict):
        obj = shape.object_shape()
        items: dict[str, Any] = {}
        for key, member_value in value.items():
            target = obj.member(key)
            if target is not None:
                items[target[0]] = convert(target[1], member_value)
        return obj.build_object(items, None, MISSING)
    if isinstance(value, list):
        arr = shape.array_shape()
        return arr.build_array([convert(arr.element(i), v) for i, v in enumerate(value)], MISSING)
    return shape.scalar(value)


_new = object.__new__
# BaseModel's own slots, set through their descriptors (the hot path of every partial).
_set_dict = BaseModel.__dict__["__dict__"].__set__  # cheaper than object.__setattr__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


class _ModelShape(Shape):
    """Builds partial instances of one model class; made once per class (see model_shape)."""

    null_is_absent = True

    def __init__(self, model: type[BaseModel]) -> None:
        # A weak reference: the shape is cached in a WeakKeyDictionary keyed on the class,
        # and a strong one would keep dynamically created model classes alive forever.
        self._model_ref = weakref.ref(model)
        self.members: dict[str, tuple[str, Shape]] = {}
        self.template: dict[str, Any] = {}
        self.tags: dict[str, frozenset[Any]] = {}  # JSON key -> allowed values (Literal fields)
        # model_construct() also runs model_post_init and sets up private attributes;
        # skipping it (4x faster) is only right when there is neither.
        self._fast = not model.__pydantic_post_init__
        self._extra_allowed = model.model_config.get("extra") == "allow"
        self.ready = False

    def resolve(self, model: type[BaseModel]) -> None:
        fields = model.__pydantic_fields__
        names: dict[str, tuple[str, Shape]] = {}
        for name, field in fields.items():
            shape = _shape_for(field.annotation)
            keys = [name]
            alias = field.validation_alias
            choices = getattr(alias, "choices", [alias])
            keys += [k for k in choices if isinstance(k, str)]
            if field.alias is not None:
                keys.append(field.alias)
            for key in keys:
                if key == name:
                    names[key] = (name, shape)
                else:
                    self.members[key] = (name, shape)
            tags = _literal_values(field.annotation)
            if tags is not None:
                for key in keys:
                    self.tags[key] = tags
            self.template[name] = None
        # Aliases win over field names when they collide, as in pydantic validation.
        for key, target in names.items():
            self.members.setdefault(key, target)
        self.ready = True

    @property
    def model(self) -> type[BaseModel]:
        model = self._model_ref()
        assert model is not None  # alive: a stream or a parent model class refers to it
        return model

    def object_shape(self) -> Shape:
        return self

    def array_shape(self) -> Shape:
        return RAW

    def member(self, key: str) -> tuple[str, Shape] | None:
        return self.members.get(key)

    def build_object(self, items: dict[str, Any], key: str | None, child: Any) -> Any:
        if child is not MISSING and key is not None:  # one build each: this runs per partial
            if items:
                values = {**self.template, **items, key: child}
            else:  # the first member still arriving (a long first string): one copy
                values = self.template.copy()
                values[key] = child
            fields_set = {*items, key}
        else:
            values = {**self.template, **items}
            fields_set = set(items)
        model = self._model_ref()
        assert model is not None  # alive: a stream or a parent model class refers to it
        if not self._fast:
            return model.model_construct(fields_set, **values)
        # What model_construct does for a model without post-init or private attributes,
        # minus its per-field alias and default handling (every field is in `values`).
        # The slots are set through their descriptors: a third cheaper than setattr.
        instance = _new(model)
        _set_dict(instance, values)
        _set_fields_set(instance, fields_set)
        _set_extra(instance, {} if self._extra_allowed else None)
        _set_private(instance, None)
        return instance

    def accepts(self, raw: dict[str, Any]) -> bool:
        """Whether a (partial) object could be this model: known keys, matching tags."""
        members = self.members
        for key, value in raw.items():
            if key not in members:
                return False
            allowed = self.tags.get(key)
            # A tag string still arriving only has to be a prefix of an allowed one.
            if (
                allowed is not None
                and value not in allowed
                and not (isinstance(value, str) and _any_prefix(value, allowed))
            ):
                return False
        return True


def _any_prefix(value: str, allowed: frozenset[Any]) -> bool:
    return any(isinstance(a, str) and a.startswith(value) for a in allowed)


class _ArrayShape(Shape):
    """``list[X]``, ``set[X]``, ``Sequence[X]``: elements of one shape, built as a list.

    Sets stay lists: partial elements (dicts, models) are not hashable.
    """

    def __init__(self, elements: Shape) -> None:
        self._elements = elements

    def object_shape(self) -> Shape:
        return RAW

    def element(self, index: int) -> Shape:
        return self._elements


class _TupleShape(_ArrayShape):
    """``tuple[A, B]`` (a shape per position) or ``tuple[X, ...]``, built as a tuple."""

    def __init__(self, positions: list[Shape], rest: Shape) -> None:
        super().__init__(rest)
        self._positions = positions

    def element(self, index: int) -> Shape:
        return self._positions[index] if index < len(self._positions) else self._elements

    def build_array(self, items: list[Any], child: Any) -> Any:
        return tuple(items) if child is MISSING else (*items, child)


class _DictShape(Shape):
    """``dict[str, X]``: values of one shape, keys kept."""

    def __init__(self, values: Shape) -> None:
        self._values = values

    def array_shape(self) -> Shape:
        return RAW

    def member(self, key: str) -> tuple[str, Shape] | None:
        return key, self._values


class _FloatShape(Shape):
    """``float``: JSON ``4`` becomes ``4.0``, as validation would make it."""

    def object_shape(self) -> Shape:
        return RAW

    def array_shape(self) -> Shape:
        return RAW

    def scalar(self, value: Any) -> Any:
        return float(value) if type(value) is int else value


_FLOAT = _FloatShape()


class _UnionShape(Shape):
    """``A | B | ...`` (``None`` already removed): the option that fits the JSON type."""

    def __init__(self, options: list[Shape], int_to_float: bool) -> None:
        objects = [s for s in (o.object_shape() for o in options) if s is not RAW]
        if len(objects) > 1 and all(isinstance(s, _ModelShape) for s in objects):
            self._object: Shape = _ModelUnionShape(cast("list[_ModelShape]", objects))
        else:
            self._object = objects[0] if objects else RAW
        arrays = [s for s in (o.array_shape() for o in options) if s is not RAW]
        self._array = arrays[0] if arrays else RAW
        self._int_to_float = int_to_float

    def object_shape(self) -> Shape:
        return self._object

    def array_shape(self) -> Shape:
        return self._array

    def scalar(self, value: Any) -> Any:
        return float(value) if self._int_to_float and type(value) is int else value


class _ModelUnionShape(Shape):
    """An object where a union of models is expected.

    It is parsed as plain JSON, then built as the first model whose keys and ``Literal``
    tags fit (the one sharing most keys otherwise).

    Rebuilding from plain JSON costs O(size of the object) per change, unlike the
    incremental model shapes; fine for the small objects such unions usually hold.
    """

    null_is_absent = True

    def __init__(self, models: list[_ModelShape]) -> None:
        self._models = models

    def array_shape(self) -> Shape:
        return RAW

    def build_object(self, items: dict[str, Any], key: str | None, child: Any) -> Any:
        raw = super().build_object(items, key, child)
        for model in self._models:
            if model.accepts(raw):
                return convert(model, raw)
        best = max(self._models, key=lambda m: sum(k in m.members for k in raw))
        return convert(best, raw)


_ARRAY_ORIGINS: frozenset[Any] = frozenset(
    {list, set, frozenset, tuple, abc.Sequence, abc.MutableSequence, abc.Set, abc.MutableSet}
    | {abc.Iterable, abc.Collection}
)
_MAPPING_ORIGINS: frozenset[Any] = frozenset({dict, abc.Mapping, abc.MutableMapping})
_UNION_ORIGINS = frozenset({Union, types.UnionType})


def _shape_for(annotation: Any) -> Shape:
    """The shape for a field annotation; plain JSON for anything not model-bearing."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _shape_for(get_args(annotation)[0])
    if origin in _UNION_ORIGINS:
        options = [a for a in get_args(annotation) if a is not type(None)]
        if len(options) == 1:
            return _shape_for(options[0])
        int_to_float = float in options and int not in options
        return _UnionShape([_shape_for(o) for o in options], int_to_float)
    # ``origin is None`` first: on Python 3.10 ``isinstance(list[X], type)`` is True.
    if origin is None and isinstance(annotation, type):
        if issubclass(annotation, BaseModel) and not issubclass(annotation, RootModel):
            return model_shape(annotation)
        return _FLOAT if annotation is float else RAW
    args = get_args(annotation)
    if origin in _ARRAY_ORIGINS:
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return _TupleShape([], _shape_for(args[0]))
            return _TupleShape([_shape_for(a) for a in args], RAW)
        elements = _shape_for(args[0]) if args else RAW
        return RAW if elements is RAW else _ArrayShape(elements)
    if origin in _MAPPING_ORIGINS and len(args) == 2:
        values = _shape_for(args[1])
        return RAW if values is RAW else _DictShape(values)
    return RAW


def _literal_values(annotation: Any) -> frozenset[Any] | None:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _literal_values(get_args(annotation)[0])
    if origin is Literal:
        return frozenset(get_args(annotation))
    if origin in _UNION_ORIGINS:  # Optional[Literal[...]]
        found = [_literal_values(a) for a in get_args(annotation) if a is not type(None)]
        if found and all(f is not None for f in found):
            return frozenset().union(*cast("list[frozenset[Any]]", found))
    return None


_SHAPES: weakref.WeakKeyDictionary[type[BaseModel], _ModelShape] = weakref.WeakKeyDictionary()
_SHAPES_LOCK = threading.RLock()


def model_shape(model: type[BaseModel]) -> _ModelShape:
    """Return the (cached) shape that builds partial instances of ``model``."""
    shape = _SHAPES.get(model)
    if shape is not None and shape.ready:
        return shape
    with _SHAPES_LOCK:
        shape = _SHAPES.get(model)
        if shape is None:
            shape = _ModelShape(model)
            # Registered before its fields are resolved, so a recursive model (a Node
            # with children: list[Node]) finds itself. Other threads wait on the lock
            # instead of seeing it half-resolved (ready is still False).
            _SHAPES[model] = shape
            try:
                shape.resolve(model)
            except BaseException:
                del _SHAPES[model]
                raise
        return shape


def partial_of(model: type[ModelT], data: dict[str, Any]) -> ModelT:
    """Build a partial ``model`` instance from a (partial) plain JSON object.

    Same rules as the partials of :class:`PartialStream`: missing fields are ``None``,
    nothing is validated, nested objects become partial nested models.
    """
    return cast("ModelT", convert(model_shape(model), data))
