r"""Scrubbing a secret (the API key) from text, in every form it can be printed in.

A malformed key is where a leak is likeliest: an error message shows it ``repr``-escaped
(``'gsk_...\n'``), a JSON document escaped once more, a URL percent-encoded, and a key
with a stray newline may appear with or without it. :func:`secret_forms` lists them all;
the CLI and the cassette recorder scrub with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["REDACTED", "MIN_SECRET_LENGTH", "scrub", "secret_forms"]

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 8
"""Shorter values are not worth scrubbing (and would hit ordinary words)."""


def secret_forms(secret: str) -> list[str]:
    """The ways ``secret`` can appear in printed text, longest first.

    Args:
        secret: The secret as configured.

    Returns:
        The distinct forms at least :data:`MIN_SECRET_LENGTH` long: as is, stripped of
        surrounding blanks, ``repr``-escaped, JSON-escaped and percent-encoded.
    """
    forms: set[str] = set()
    for value in {secret, secret.strip()}:
        forms.update((value, repr(value)[1:-1], json.dumps(value)[1:-1], quote(value, safe="")))
        forms.add(json.dumps(repr(value)[1:-1])[1:-1])  # a repr inside a JSON document
    return sorted((f for f in forms if len(f) >= MIN_SECRET_LENGTH), key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every form of every secret replaced by ``[redacted]``."""
    for secret in secrets:
        for form in secret_forms(secret):
            if form in text:
                text = text.replace(form, REDACTED)
    return text
