"""Caller mistakes, caught before any request is sent, with messages that say what to do.

Client settings are checked once, at construction (the API key, header values, the base
URL, ``max_retries``); the arguments of ``create()`` on each call (``messages``, ``model``,
unknown keywords, values JSON cannot carry). Nothing here does IO. No message ever shows
the API key or a header value, even a malformed one: they only say where the fault is.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from mirastream.groq._params import CompletionCreateParams

__all__ = [
    "check_api_key",
    "check_base_url",
    "check_headers",
    "check_max_retries",
    "check_request",
    "encode_body",
]

# RFC 9110 field-value: visible characters, spaces and tabs inside; anything else (CR, LF,
# NUL, other controls) makes h11 refuse the request, and it can never succeed.
_BAD_HEADER_CHAR = re.compile(r"[^\t\x20-\x7e\x80-\xff]")
# A key is a token of visible ASCII: also no spaces, nor non-ASCII characters (httpx
# encodes header values as ASCII).
_BAD_KEY_CHAR = re.compile(r"[^\x21-\x7e]")
_CHAR_NAMES = {"\n": "a line feed (\\n)", "\r": "a carriage return (\\r)", "\t": "a tab"}

_CREATE_OPTIONS = frozenset(CompletionCreateParams.__optional_keys__) | frozenset(
    CompletionCreateParams.__required_keys__
)


def _describe(char: str) -> str:
    if char in _CHAR_NAMES:
        return _CHAR_NAMES[char]
    if char == " ":
        return "a space"
    return f"the character U+{ord(char):04X}"


def check_api_key(api_key: object) -> str:
    """Return the key if it can be sent as a header; else raise without echoing it.

    Args:
        api_key: The key as given (or read from ``GROQ_API_KEY``).

    Returns:
        The key, unchanged.

    Raises:
        TypeError: The key is not a string.
        ValueError: The key holds a character no HTTP header may carry (a trailing newline
            from a key file read without ``strip()``, a CR from a CRLF ``.env``, a space).
    """
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a str, not {type(api_key).__name__}.")
    bad = _BAD_KEY_CHAR.search(api_key)
    if bad is not None:
        raise ValueError(
            f"The API key contains {_describe(bad.group())} at position {bad.start() + 1} "
            f"of {len(api_key)}, which cannot be sent in an HTTP header. Strip the key "
            "(e.g. open(path).read().strip()) or fix the file it comes from. "
            "(The key itself is not shown.)"
        )
    return api_key


def check_headers(headers: Mapping[str, str] | None, where: str) -> dict[str, str]:
    """Return ``headers`` as a dict if every name and value can be sent, else raise.

    Args:
        headers: The headers to check (``None``: none).
        where: The argument they came from, for the message (``"default_headers"``).

    Returns:
        A new dict of the headers.

    Raises:
        TypeError: A name or value is not a string.
        ValueError: A value holds a character no header may carry (the value is not shown:
            it may be a credential).
    """
    if headers is None:
        return {}
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"{where} must map str to str; {name!r} does not.")
        if not name or _BAD_KEY_CHAR.search(name) or ":" in name:
            raise ValueError(f"{where}: {name!r} is not a valid header name.")
        bad = _BAD_HEADER_CHAR.search(value)
        if bad is not None:
            raise ValueError(
                f"{where}: the value of header {name!r} contains {_describe(bad.group())} at "
                f"position {bad.start() + 1}, which cannot be sent in an HTTP header; strip "
                "it. (The value is not shown.)"
            )
        checked[name] = value
    return checked


def check_base_url(base_url: str) -> str:
    """Return ``base_url`` if it is an absolute http(s) URL, else raise ``ValueError``."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"base_url {base_url!r} is not a valid URL ({exc}).") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"base_url {base_url!r} must be an absolute http:// or https:// URL, "
            "like 'https://api.groq.com'."
        )
    return base_url


def check_max_retries(max_retries: object) -> int:
    """Return ``max_retries`` if it is a count of retries, else raise.

    As in the groq SDK, ``math.inf`` means "retry without limit".

    Raises:
        TypeError: Not an int (``None`` included: pass ``0`` to never retry).
        ValueError: A negative count.
    """
    if isinstance(max_retries, float) and max_retries == math.inf:
        return max_retries  # type: ignore[return-value]
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(
            f"max_retries must be an int, not {type(max_retries).__name__}: pass 0 to never "
            "retry, math.inf to retry without limit, or leave it out for the default (2)."
        )
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, not {max_retries}.")
    return max_retries


def check_request(messages: object, model: object, options: Mapping[str, Any]) -> list[Any]:
    """Check the arguments of ``create()``; return ``messages`` as a list.

    Args:
        messages: The ``messages`` argument.
        model: The ``model`` argument.
        options: The other keyword arguments (the typed body fields).

    Returns:
        The messages as a list.

    Raises:
        TypeError: ``messages`` is not a list of message dicts, ``model`` is not a str, or
            a keyword is not a field ``create()`` knows.
        ValueError: ``model`` is empty.
    """
    unknown = [name for name in options if name not in _CREATE_OPTIONS]
    if unknown:
        fields = ", ".join(f"{name}=..." for name in unknown)
        raise TypeError(
            f"create() got an unexpected keyword argument {unknown[0]!r}. To send a body "
            f"field the client does not know, pass extra_body={{...}} instead of {fields}."
        )
    if not isinstance(model, str):
        raise TypeError(f"model must be a str, not {type(model).__name__}.")
    if not model.strip():
        raise ValueError("model must name a model, e.g. model='llama-3.3-70b-versatile'.")
    example = "[{'role': 'user', 'content': 'hello'}]"
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Iterable):
        kind = (
            "a single message dict"
            if isinstance(messages, Mapping)
            else "a " + (type(messages).__name__)
        )
        raise TypeError(f"messages must be a list of message dicts like {example}, not {kind}.")
    listed = list(messages)
    for index, message in enumerate(listed):
        if not isinstance(message, Mapping):
            raise TypeError(
                f"messages[{index}] is a {type(message).__name__}; each message must be a dict "
                f"with a role and content, like {example[1:-1]}."
            )
    return listed


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The request body as compact UTF-8 JSON, as httpx would write it.

    Raises:
        TypeError: A field holds a value JSON cannot carry (an object, a set, bytes).
        ValueError: A field holds NaN or infinity.
    """
    try:
        return _dumps(body)
    except (TypeError, ValueError) as exc:
        field = next((key for key, value in body.items() if not _encodes(value)), None)
        where = f"the {field!r} argument" if field is not None else "the request body"
        raise type(exc)(
            f"{where} cannot be sent as JSON ({exc}); pass plain dicts, lists, str, int, "
            "finite float, bool or None."
        ) from None


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _encodes(value: object) -> bool:
    try:
        _dumps(value)
    except (TypeError, ValueError):
        return False
    return True
