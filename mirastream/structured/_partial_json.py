r"""An incremental, sans-IO parser for JSON that arrives in fragments.

:class:`PartialJSONParser` consumes text as it arrives and can at any moment produce a
snapshot of the value so far. The rules a snapshot follows:

* A member or element is absent until its value has started.
* Strings grow as they arrive (``""`` as soon as the opening quote is seen). An escape
  cut by a fragment boundary (``\``, ``\u00``, a high surrogate still waiting for its
  low half) is held back until it is complete, never shown half-decoded.
* Numbers and literals (``true``, ``false``, ``null``, ``NaN``, ``Infinity``) appear only
  once complete. A number touching the end of the text may still grow (``196`` may
  become ``1965``, ``1.`` become ``1.5``), so it is held back until a delimiter follows.
  A literal is complete as soon as its last letter arrives.
* Objects and arrays fill in as their members arrive.

Why not re-parse the whole buffer with ``jiter.from_json(..., partial_mode=...)`` per
fragment? It is fast C, but (1) it reports truncated numbers (``{"y": 196`` gives
``196``) and cannot say whether the buffer ends inside a string, so a tail scan with
its own string/escape state is needed anyway; (2) the whole buffer is re-parsed on every
fragment, O(n) per fragment, and every snapshot is a fresh tree that must be converted
again, so nothing from the previous fragment can be reused. This parser keeps its state
between fragments, touches each character once, and knows exactly which part of the
tree changed, so a snapshot only rebuilds the open containers (the path from the root to
the value being written). ``benchmarks/bench_partial.py`` measures both.

The grammar is strict in the same places pydantic's JSON parser (jiter) is strict --
control characters in strings, lone surrogates, bad escapes, leading zeros, trailing
commas -- so a snapshot never shows something the final validation will reject without
the parser also stopping there. After a syntax error the parser stops (``error`` is set)
and produces no further changes.

What a snapshot is built from is decided by a shape (:mod:`mirastream.structured._partial_shapes`):
the base one keeps plain JSON values, the model shapes build partial pydantic models.
"""

from __future__ import annotations

import re
from typing import Any, Final

from mirastream.structured._partial_shapes import MISSING, RAW, Shape

__all__ = ["PartialJSONParser"]


class _Frame:
    """An open object or array: what is complete in it, and the member being written."""

    __slots__ = ("child", "is_object", "items", "key", "live", "shape")

    def __init__(self, shape: Shape, is_object: bool, live: bool) -> None:
        self.shape = shape
        self.is_object = is_object
        self.items: Any = {} if is_object else []
        # Objects: the name the current member is stored under (None: dropped) and its
        # shape. Arrays: key stays "" (elements are never dropped), child is unused: the
        # shape of each element comes from shape.element(index).
        self.key: str | None = ""
        self.child: Shape = RAW
        # False inside a dropped member: changes there cannot change the snapshot.
        self.live = live

    def build(self, child: Any) -> Any:
        if self.is_object:
            return self.shape.build_object(self.items, self.key, child)
        return self.shape.build_array(self.items, child)


class _Malformed(Exception):
    """Raised inside the parser; turned into ``PartialJSONParser.error``."""


# Parser states: what the next non-space character must be.
_VALUE = 0  # a value (top level, after ':' or after ',' in an array)
_FIRST_VALUE = 1  # a value or ']' (just after '[')
_FIRST_KEY = 2  # a key or '}' (just after '{')
_KEY = 3  # a key (after ',' in an object)
_COLON = 4
_AFTER = 5  # ',' or the closing bracket of the innermost container
_IN_KEY = 6  # inside a key string
_IN_STRING = 7  # inside a value string
_DONE = 8  # the top-level value is complete; the rest is not ours

_WHITESPACE = frozenset(" \t\r\n")
# Everything in a string that is not copied verbatim: its end, escapes, and the control
# characters JSON forbids raw (pydantic rejects them, so must we).
_STRING_STOP = re.compile(r'["\\\x00-\x1f]')
_NUMBER_RUN = re.compile(r"[-+0-9.eE]+")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORD_RUN = re.compile(r"-?[A-Za-z]+")
_WORD_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# pydantic's JSON parser accepts NaN and (-)Infinity, so they are values here too.
_LITERALS: Final[dict[str, Any]] = {
    "true": True,
    "false": False,
    "null": None,
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}
_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
# Prefixes of what may follow "\u": up to four hex digits; and of the "\uDC00".."\uDFFF"
# that must follow a high surrogate. Used to tell "incomplete" from "wrong" early.
_HEX_PREFIX = re.compile(r"[0-9a-fA-F]{0,4}")
_LOW_SURROGATE_PREFIX = re.compile(r"(?:\\(?:u(?:[dD](?:[c-fC-F][0-9a-fA-F]{0,2})?)?)?)?")


def _escape(text: str, j: int) -> tuple[str, int] | None:
    """Decode the escape starting at the backslash ``text[j]``: ``(chars, end)``, or None if cut."""
    c = text[j + 1 : j + 2]
    if not c:
        return None
    simple = _ESCAPES.get(c)
    if simple is not None:
        return simple, j + 2
    if c != "u":
        raise _Malformed(f"invalid escape {text[j : j + 2]!r}")
    digits = text[j + 2 : j + 6]
    if not _HEX_PREFIX.fullmatch(digits):
        raise _Malformed(f"invalid \\u escape {text[j : j + 6]!r}")
    if len(digits) < 4:
        return None
    code = int(digits, 16)
    if 0xDC00 <= code <= 0xDFFF:
        raise _Malformed(f"lone low surrogate \\u{digits}")
    if not 0xD800 <= code <= 0xDBFF:
        return chr(code), j + 6
    # A high surrogate is only half a character: wait for its low half, never show it.
    low = text[j + 6 : j + 12]
    if not _LOW_SURROGATE_PREFIX.fullmatch(low):
        raise _Malformed(f"high surrogate \\u{digits} not followed by a low surrogate")
    if len(low) < 6:
        return None
    return chr(0x10000 + ((code - 0xD800) << 10) + (int(low[2:], 16) - 0xDC00)), j + 12


class PartialJSONParser:
    """Parse one JSON value fed in fragments; snapshot it at any time.

    Args:
        shape: How snapshot values are built; :data:`RAW` for plain JSON.

    Attributes:
        error: A description of the first syntax error, or None. Once set, the parser
            ignores further input; :meth:`snapshot` keeps showing what came before it.
    """

    def __init__(self, shape: Shape = RAW) -> None:
        self._root_shape = shape
        self._stack: list[_Frame] = []
        self._state = _VALUE
        # Unconsumed input that cannot be decided yet: a cut escape, number or literal.
        self._tail = ""
        self._string = ""  # the decoded value string (or key) being read
        self._root: Any = MISSING
        self._changed = False
        self.error: str | None = None

    @property
    def done(self) -> bool:
        """True once the top-level value is complete."""
        return self._state == _DONE and self.error is None

    def feed(self, text: str) -> tuple[int, bool]:
        """Consume a fragment.

        Returns:
            ``(used, changed)``: how many characters of ``text`` belong to the value
            (``len(text)`` unless the value ended inside it) and whether the snapshot
            changed.
        """
        if self.error is not None:
            return len(text), False
        if self._state == _DONE:
            return 0, False
        self._changed = False
        held = len(self._tail)
        if held:
            text = self._tail + text
            self._tail = ""
        try:
            end = self._parse(text)
        except _Malformed as exc:
            # The state stays as it was at the error, so snapshot() still shows what
            # came before it, including earlier in this same fragment.
            self.error = str(exc)
            self._tail = ""
            return len(text) - held, self._changed
        return max(end - held, 0), self._changed

    def snapshot(self) -> Any:
        """Build the value so far (:data:`MISSING` before it starts); O(depth) builds."""
        stack = self._stack
        if not stack:
            return self._string if self._state == _IN_STRING else self._root
        child: Any = self._string if self._state == _IN_STRING else MISSING
        for frame in reversed(stack):  # frame.build inlined: this runs per partial
            if frame.is_object:
                child = frame.shape.build_object(frame.items, frame.key, child)
            else:
                child = frame.shape.build_array(frame.items, child)
        return child

    def _parse(self, text: str) -> int:
        """Run the state machine over ``text``; return where the value ended (or len)."""
        i = 0
        n = len(text)
        while i < n:
            state = self._state
            if state >= _IN_KEY:
                if state == _DONE:
                    return i
                i = self._read_string(text, i, n)
                continue
            c = text[i]
            if c in _WHITESPACE:
                i += 1
            elif state == _AFTER:
                top = self._stack[-1]
                if c == ",":
                    self._state = _KEY if top.is_object else _VALUE
                elif c == ("}" if top.is_object else "]"):
                    self._close()
                else:
                    raise _Malformed(f"expected ',' or a closing bracket, got {c!r}")
                i += 1
            elif state <= _FIRST_VALUE:
                if c == "]" and state == _FIRST_VALUE:
                    self._close()
                    i += 1
                else:
                    i = self._start_value(text, i, n, c)
            elif state == _COLON:
                if c != ":":
                    raise _Malformed(f"expected ':', got {c!r}")
                self._state = _VALUE
                i += 1
            else:  # _FIRST_KEY or _KEY
                if c == '"':
                    self._string = ""
                    self._state = _IN_KEY
                elif c == "}" and state == _FIRST_KEY:
                    self._close()
                else:
                    raise _Malformed(f"expected a key string, got {c!r}")
                i += 1
        return n

    def _slot(self) -> tuple[Shape, bool]:
        """Return the shape of the value about to start, and whether it is kept."""
        stack = self._stack
        if not stack:
            return self._root_shape, True
        top = stack[-1]
        if top.is_object:
            return top.child, top.live and top.key is not None
        return top.shape.element(len(top.items)), top.live

    def _start_value(self, text: str, i: int, n: int, c: str) -> int:
        if c == '"':
            self._string = ""
            self._state = _IN_STRING
            if self._slot()[1]:
                self._changed = True  # the member appears as "" at once
            return i + 1
        if c == "{" or c == "[":
            shape, live = self._slot()
            is_object = c == "{"
            frame = _Frame(
                shape.object_shape() if is_object else shape.array_shape(), is_object, live
            )
            self._stack.append(frame)
            self._state = _FIRST_KEY if is_object else _FIRST_VALUE
            if live:
                self._changed = True
            return i + 1
        if c in _WORD_START or (c == "-" and text[i + 1 : i + 2] == "I"):
            match = _WORD_RUN.match(text, i)
            assert match is not None  # c is a letter, or "-" followed by one
            word = match.group()
            value = _LITERALS.get(word, MISSING)
            if value is MISSING:
                if match.end() == n and any(lit.startswith(word) for lit in _LITERALS):
                    self._tail = word  # "tru", "nul": wait for the rest
                    return n
                raise _Malformed(f"invalid literal {word!r}")
            self._store(value)
            return match.end()
        match = _NUMBER_RUN.match(text, i)
        if match is None:
            raise _Malformed(f"expected a value, got {c!r}")
        end = match.end()
        if end == n:
            # The number touches the end of the text and may still grow: hold it back.
            self._tail = text[i:]
            return n
        token = match.group()
        if not _NUMBER.fullmatch(token):
            raise _Malformed(f"invalid number {token!r}")
        number: int | float
        if "." in token or "e" in token or "E" in token:
            number = float(token)
        else:
            try:
                number = int(token)
            except ValueError:  # beyond sys.get_int_max_str_digits()
                number = float(token)
        self._store(number)
        return end

    def _read_string(self, text: str, i: int, n: int) -> int:
        """Read string content from ``i``; return where reading stopped."""
        parts: list[str] = []
        closed = False
        bad = None  # a syntax error, raised once the text before it is taken
        while True:
            match = _STRING_STOP.search(text, i)
            if match is None:
                parts.append(text[i:])
                i = n
                break
            j = match.start()
            if j > i:
                parts.append(text[i:j])
            c = text[j]
            if c == '"':
                i = j + 1
                closed = True
                break
            if c != "\\":
                bad = f"control character {c!r} in a string"
                break
            try:
                decoded = _escape(text, j)
            except _Malformed as exc:
                bad = str(exc)
                break
            if decoded is None:
                self._tail = text[j:]  # a cut escape: decode it when the rest arrives
                i = n
                break
            parts.append(decoded[0])
            i = decoded[1]
        piece = "".join(parts)
        if self._state == _IN_KEY:
            self._string += piece
            if closed:
                self._resolve_key(self._string)
        else:
            if piece:
                self._string += piece
                if self._slot_live():
                    self._changed = True
            if closed:
                value = self._string
                self._string = ""
                self._store(value, is_string=True)
        if bad is not None:
            raise _Malformed(bad)
        return i

    def _slot_live(self) -> bool:
        stack = self._stack
        if not stack:
            return True
        top = stack[-1]
        return top.live and top.key is not None

    def _resolve_key(self, key: str) -> None:
        top = self._stack[-1]
        target = top.shape.member(key)
        if target is None:
            top.key, top.child = None, RAW
        else:
            top.key, top.child = target
        self._string = ""
        self._state = _COLON

    def _store(self, value: Any, *, is_string: bool = False) -> None:
        """Record a complete scalar in the innermost container (or as the whole value)."""
        stack = self._stack
        if not stack:
            self._root = self._root_shape.scalar(value)
            self._state = _DONE
            self._changed = True
            return
        top = stack[-1]
        self._state = _AFTER
        if top.is_object:
            key = top.key
            if key is None:
                return
            value = top.child.scalar(value)
            items = top.items
            if (
                top.live
                and not is_string  # a string was shown while it grew; closing adds nothing
                and (
                    value is not None or not top.shape.null_is_absent or items.get(key) is not None
                )
            ):
                self._changed = True
            items[key] = value
        else:
            top.items.append(top.shape.element(len(top.items)).scalar(value))
            if top.live and not is_string:
                self._changed = True

    def _close(self) -> None:
        frame = self._stack.pop()
        value = frame.build(MISSING)
        if not self._stack:
            self._root = value
            self._state = _DONE
            return
        parent = self._stack[-1]
        self._state = _AFTER
        if parent.is_object:
            if parent.key is not None:
                parent.items[parent.key] = value
        else:
            parent.items.append(value)
