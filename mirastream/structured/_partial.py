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
* Values follow :mod:`mirastream.structured._partial_json`: strings grow, numbers and
  literals appear only once complete (never a truncated ``196`` for ``1965``), lists and
  objects fill in.
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

from typing import Generic, TypeVar

from pydantic import BaseModel, RootModel, ValidationError

from mirastream.errors import StructuredOutputError
from mirastream.structured._partial_json import PartialJSONParser
from mirastream.structured._partial_shapes import model_shape, partial_of
from mirastream.structured._validation import StructuredValidationError

__all__ = ["PartialStream", "partial_of"]

ModelT = TypeVar("ModelT", bound=BaseModel)

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
        partial: ModelT = self._parser.snapshot()  # no cast(): this runs per fragment
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
                # Also a pydantic ValidationError, as Mirascope code catches it.
                raise StructuredValidationError(
                    message, raw=raw, errors=errors, title=name
                ) from exc
            raise StructuredOutputError(message, raw=raw, errors=[]) from exc
