r"""Byte-level details of how Groq writes things: Go-style JSON, Go durations, id formats.

Groq's API is served by Go, so its JSON follows ``encoding/json`` rather than Python's
``json`` module: compact, ``<``/``>``/``&`` escaped as ``\u003c``/``\u003e``/``\u0026``,
other non-ASCII as raw UTF-8, and floats in plain decimal notation (``0.00005``, never
``5e-05``). Clients get tested against those bytes, so the server must produce them exactly.
"""

from __future__ import annotations

import math
import re
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

__all__ = [
    "go_duration",
    "go_json",
    "new_completion_id",
    "new_fingerprint",
    "new_request_id",
    "new_seed",
    "new_tool_call_id",
]

# Go escapes these even with HTML escaping off for U+2028/9; Groq leaves it on for <>&.
_GO_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_GO_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")
_EXPONENT_RE = re.compile(r"e([+-])0(\d)$")
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def _go_str(value: str) -> str:
    # encode_basestring is the C fast path of json.dumps(ensure_ascii=False) for one str.
    encoded = encode_basestring(value)
    if _GO_ESCAPE_RE.search(encoded) is None:
        return encoded
    return _GO_ESCAPE_RE.sub(lambda m: _GO_ESCAPES[m.group()], encoded)


def _go_float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"JSON cannot represent {value!r}")
    if value == 0:
        return "0"
    text = repr(value)
    magnitude = abs(value)
    if 1e-6 <= magnitude < 1e21:
        # Go uses the shortest round-trip digits in positional notation in this range.
        text = format(Decimal(text), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    # Outside it Go uses exponent form, with the exponent's leading zero dropped.
    return _EXPONENT_RE.sub(r"e\1\2", text)


def go_json(value: Any) -> str:
    """Encode ``value`` as compact JSON the way Go's ``encoding/json`` (and so Groq) does.

    Mapping keys keep their insertion order, which is how the exact Groq key order is kept.

    Args:
        value: ``None``, ``bool``, ``int``, ``float``, ``str``, mappings with string keys,
            lists or tuples of those.

    Returns:
        The JSON text (not yet encoded to bytes; non-ASCII characters stay raw).

    Raises:
        TypeError: For a value JSON cannot hold.
        ValueError: For NaN or infinity.
    """
    # Exact-type checks first: this runs for every chunk of every stream served.
    kind = type(value)
    if kind is str:
        return _go_str(value)
    if kind is dict:
        return "{" + ",".join([f"{_go_str(str(k))}:{go_json(v)}" for k, v in value.items()]) + "}"
    if kind is list or kind is tuple:
        return "[" + ",".join([go_json(v) for v in value]) + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _go_float(float(value))
    if isinstance(value, str):
        return _go_str(str(value))
    if isinstance(value, Mapping):
        return "{" + ",".join([f"{_go_str(str(k))}:{go_json(v)}" for k, v in value.items()]) + "}"
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return "[" + ",".join([go_json(v) for v in value]) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def go_duration(seconds: float) -> str:
    """Format a duration as Go's ``time.Duration.String`` does, to the millisecond.

    Groq's ``x-ratelimit-reset-*`` headers use this form: ``"6s"``, ``"1.57s"``,
    ``"2m59.56s"``, ``"400ms"``.

    Args:
        seconds: A non-negative duration in seconds.

    Returns:
        The Go duration string.
    """
    millis = max(0, round(seconds * 1000))
    if millis == 0:
        return "0s"
    if millis < 1000:
        return f"{millis}ms"
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, frac = divmod(rest, 1000)
    secs = f"{whole}.{frac:03d}".rstrip("0").rstrip(".")
    text = f"{secs}s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    if minutes:
        return f"{minutes}m{text}"
    return text


def new_request_id() -> str:
    """Return an id shaped like Groq's ``x_groq.id``: ``req_`` + a 26-char lowercase ULID."""
    # ULID = 48-bit millisecond timestamp + 80 random bits, Crockford base32.
    number = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        number, digit = divmod(number, 32)
        chars.append(_CROCKFORD[digit])
    return "req_" + "".join(reversed(chars))


def new_completion_id() -> str:
    """Return a completion id shaped like Groq's: ``chatcmpl-`` + a UUID4."""
    return f"chatcmpl-{uuid.uuid4()}"


def new_fingerprint() -> str:
    """Return a ``system_fingerprint`` shaped like Groq's: ``fp_`` + 10 hex digits."""
    return "fp_" + secrets.token_hex(5)


def new_tool_call_id() -> str:
    """Return a tool-call id shaped like Groq's (9 lowercase alphanumerics)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(9))


def new_seed() -> int:
    """Return a seed in the range Groq reports (a non-negative 31-bit integer)."""
    return secrets.randbits(31)
