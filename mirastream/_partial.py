"""Partial pydantic models from JSON that arrives in fragments (sans-IO).

:class:`PartialStream` is the core of structured streaming: feed it the fragments of a
model's JSON answer (content deltas, or tool-call argument fragments) and it returns a
partial instance of the ``response_model`` each time the answer so far says more than
before; :meth:`PartialStream.finish` validates the complete answer.

What a partial instance is:

* An instance of the model class itself (``isinstance(p, Book)`` holds), built without
  validation, like ``Book.model_construct``. Nested models, lists and dicts of models,
  ``Optional[...]`` and unions of models (chosen by the keys present and by ``Literal``
  tag fields) are partial instances too.
* A field that has not started yet is ``None`` -- *not* its default -- so a UI can tell
  "not started" from "the model said the default". ``p.model_fields_set`` lists the fields
  that have started (including one whose value is an explicit ``null``).
* Values follow :mod:`mirastream._partial_json`: strings grow, numbers and literals appear
  only once complete (never a truncated ``196`` for ``1965``), lists and objects fill in.
* Values are the JSON values as parsed, not validated: ``int`` JSON numbers become
  ``float`` for ``float`` fields (so they equal the final values), but enums, datetimes and
  the like stay strings, and extra keys are dropped. :meth:`PartialStream.finish` is the
  validated result.
* Partials share the sub-objects that did not change between them (a finished chapter
  is the same object in every later partial), so treat partials as read-only.

Leading text before the JSON is skipped: everything before the first ``{`` (prose, a
```` ```json ```` code fence), and a leading ``<think>...</think>`` block of a reasoning
model (which may itself contain braces). Text after the top-level object closes (a
closing code fence) is ignored. Prose that itself contains a ``{`` before the JSON is
not recognised as prose: the answer then fails with :class:`StructuredOutputError`.

Cost per fragment: parsing is linear in the fragment; a new partial rebuilds only the
open containers (root to the value being written), copying their member dicts, the
open lists and the string being written -- not the whole answer. About 4 us per
fragment for a 2000-fragment answer, flat as answers grow
(``benchmarks/bench_partial.py``).
"""

from __future__ import annotations

import collections.abc as abc
import threading
import types
import weakref
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, cast, get_args, get_origin

from pydantic import BaseModel, RootModel, ValidationError

from mirastream._partial_json import MISSING, RAW, PartialJSONParser, Shape, convert
from mirastream.errors import StructuredOutputError

__all__ = ["PartialStream", "partial_of"]

ModelT = TypeVar("ModelT", bound=BaseModel)

_object_setattr = object.__setattr__


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
        values = self.template.copy()
        values.update(items)
        fields_set = set(items)
        if child is not MISSING and key is not None:
            values[key] = child
            fields_set.add(key)
        model = self.model
        if not self._fast:
            return model.model_construct(fields_set, **values)
        # What model_construct does for a model without post-init or private attributes,
        # minus its per-field alias and default handling (every field is in `values`).
        instance = model.__new__(model)
        _object_setattr(instance, "__dict__", values)
        _object_setattr(instance, "__pydantic_fields_set__", fields_set)
        _object_setattr(instance, "__pydantic_extra__", {} if self._extra_allowed else None)
        _object_setattr(instance, "__pydantic_private__", None)
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


_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"


class PartialStream(Generic[ModelT]):
    """Turn the fragments of a JSON answer into partial ``model`` instances (sans-IO).

    Args:
        model: The pydantic model the answer must validate against.

    Example::

        stream = PartialStream(Book)
        for fragment in fragments:
            partial = stream.feed(fragment)
            if partial is not None:
                show(partial)
        book = stream.finish()
    """

    def __init__(self, model: type[ModelT]) -> None:
        if issubclass(model, RootModel):
            raise TypeError(f"{model.__name__} is a RootModel; partial streaming needs fields")
        self._model = model
        self._parser = PartialJSONParser(model_shape(model))
        self._skipped: list[str] = []  # text before the JSON
        self._in_think: bool | None = None  # inside a leading <think> block; None: unknown
        self._window = ""  # the end of the text so far, for a "</think>" cut in two
        self._started = False
        self._json: list[str] = []
        self._after: list[str] = []
        self._latest: ModelT | None = None

    @property
    def raw(self) -> str:
        """The JSON text so far: from the first ``{`` to the end of the top-level object."""
        return "".join(self._json)

    @property
    def text(self) -> str:
        """Everything fed so far, verbatim (skipped leading and trailing text included)."""
        return "".join(self._skipped) + self.raw + "".join(self._after)

    @property
    def latest(self) -> ModelT | None:
        """The last partial :meth:`feed` returned, or None."""
        return self._latest

    @property
    def complete(self) -> bool:
        """True once the top-level JSON object has closed."""
        return self._parser.done

    @property
    def error(self) -> str | None:
        """The JSON syntax error that stopped partial parsing, if any."""
        return self._parser.error

    def feed(self, fragment: str) -> ModelT | None:
        """Consume one fragment of the answer.

        Returns:
            A new partial instance when the answer so far says more than the last one
            returned, else None (whitespace, punctuation, a key, a number still
            arriving, a ``null`` for a field that was ``None`` anyway, or a fragment
            after the object closed or after a syntax error).
        """
        if not self._started:
            fragment = self._skip_leading(fragment)
            if not fragment:
                return None
        used, changed = self._parser.feed(fragment)
        if used == len(fragment):
            self._json.append(fragment)
        else:
            self._json.append(fragment[:used])
            self._after.append(fragment[used:])
        if not changed:
            return None
        partial = cast("ModelT", self._parser.snapshot())
        self._latest = partial
        return partial

    def _skip_leading(self, fragment: str) -> str:
        """Skip text until the JSON starts; return the part of ``fragment`` that is JSON.

        Each fragment is searched once (plus a few characters of the one before), so a
        long leading ``<think>`` block costs O(its length) in all.
        """
        skipped = self._skipped
        if self._in_think is None:
            # Only whitespace or a beginning of "<think>" has been held back: short.
            fragment = "".join(skipped) + fragment
            skipped.clear()
            head = fragment.lstrip()
            if _THINK_OPEN.startswith(head):
                skipped.append(fragment)  # nothing yet, or maybe "<thi": wait for more
                return ""
            self._in_think = head.startswith(_THINK_OPEN)
        start = 0
        if self._in_think:
            window = self._window + fragment
            close = window.find(_THINK_CLOSE)
            if close < 0:
                self._window = window[-(len(_THINK_CLOSE) - 1) :]
                skipped.append(fragment)
                return ""
            self._in_think = False
            start = close + len(_THINK_CLOSE) - len(self._window)
        brace = fragment.find("{", start)
        if brace < 0:
            skipped.append(fragment)
            return ""
        self._started = True
        skipped.append(fragment[:brace])
        return fragment[brace:]

    def finish(self) -> ModelT:
        """Validate the whole answer against the model.

        Returns:
            The validated model instance.

        Raises:
            StructuredOutputError: The answer holds no JSON object, is not valid JSON
                (``errors`` is ``[]``), or does not validate (``errors`` is pydantic's
                list). ``raw`` is the JSON text, or everything fed if no ``{`` came.
        """
        name = self._model.__name__
        raw = self.raw if self._started else self.text
        try:
            return self._model.model_validate_json(raw)
        except ValidationError as exc:
            errors = exc.errors()
            if not self._started:
                message = f"The answer for {name} contains no JSON object"
            elif any(e["type"] == "json_invalid" for e in errors):
                detail = self._parser.error or errors[0]["msg"]
                message = f"The answer for {name} is not valid JSON: {detail}"
            else:
                message = f"The answer does not validate as {name}: {exc}"
                raise StructuredOutputError(message, raw=raw, errors=errors) from exc
            raise StructuredOutputError(message, raw=raw, errors=[]) from exc
