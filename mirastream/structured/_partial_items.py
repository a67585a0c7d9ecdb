"""Finished list items from partial models: each one once, as soon as it is complete (sans-IO).

For a *list-shaped* response model -- one whose fields include exactly one list (``class
Books(BaseModel): books: list[Book]``) -- :class:`ItemTracker` reads the partials a
:class:`~mirastream.structured._partial.PartialStream` produces and hands out each element of that
list once it is complete, validated as the element type:

* an element is complete once the next one has started, or a field after the list has
  started (the list closed), or the whole answer is done;
* it is validated on its own (its JSON round-trips through the element type), so an
  item arrives as a real, validated instance, not a partial;
* an element that fails validation stops the hand-out: the final validation of the
  whole answer reports it (or ``reask=`` asks again); nothing is skipped silently.

Only new elements are touched on each update (partials share finished elements), so
the work over a stream is linear in the number of items.
"""

from __future__ import annotations

import json
import typing
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

__all__ = ["ItemTracker", "list_field"]


def list_field(model: type[BaseModel]) -> tuple[str, Any]:
    """The name and element type of ``model``'s one list field.

    Raises:
        TypeError: ``model`` has no list field, or more than one.
    """
    found = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if typing.get_origin(annotation) is list:
            (element,) = typing.get_args(annotation) or (Any,)
            found.append((name, element))
    if len(found) != 1:
        raise TypeError(
            f"{model.__name__} is not list-shaped: items() needs exactly one list field, "
            f"found {len(found)}"
        )
    return found[0]


class ItemTracker:
    """Hands out the finished elements of a list-shaped model's list (see module docs).

    Args:
        model: The list-shaped response model.
    """

    def __init__(self, model: type[BaseModel]) -> None:
        self._name, element = list_field(model)
        self._adapter: TypeAdapter[Any] = TypeAdapter(element)
        names = list(model.model_fields)
        self._later = frozenset(names[names.index(self._name) + 1 :])
        self._done = 0  # elements handed out
        self._stuck = False  # an element failed validation
        self.items: list[Any] = []

    def update(self, partial: BaseModel | None) -> list[Any]:
        """The elements that became complete in ``partial``, validated; each once."""
        if partial is None or self._stuck:
            return []
        elements = getattr(partial, self._name, None) or []
        complete = len(elements) - 1
        if self._later & partial.model_fields_set:
            complete = len(elements)
        new: list[Any] = []
        while self._done < complete:
            element = elements[self._done]
            raw = element
            if isinstance(element, BaseModel):  # a partial: unvalidated values, no warnings
                raw = element.model_dump(exclude_unset=True, warnings=False)
            try:
                item = self._adapter.validate_json(json.dumps(raw))
            except ValidationError:
                self._stuck = True
                break
            new.append(item)
            self._done += 1
        self.items.extend(new)
        return new

    def finish(self, final: BaseModel) -> list[Any]:
        """The elements not handed out yet, from the validated ``final`` model."""
        rest = list(getattr(final, self._name))[self._done :]
        self._done += len(rest)
        self.items.extend(rest)
        return rest
