"""Cassettes: recorded Groq exchanges on disk, one directory each.

Each recorded chat-completions exchange is two files that share a stem::

    001.sse             the response body exactly as the server sent it (".json" when
                        the answer was not streamed); gzip/deflate already undone
    001.request.json    the request (method, path, query, headers, JSON body) and the
                        response's status and headers; never any credentials

A body file without its ``.request.json`` is a valid exchange too: a 200 answer to any
request. A directory of hand-written streams (or ``shared/fixtures/groq_sse``) therefore
replays in name order as it is.

This module holds only the format: names, redaction, reading and writing. Recording
(``_record``) and replay (``_replay``) are built on it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirastream._secrets import MIN_SECRET_LENGTH, REDACTED, scrub, secret_forms

__all__ = [
    "REDACTED",
    "REQUEST_SUFFIX",
    "Exchange",
    "is_chat_path",
    "load_cassette",
    "next_number",
    "redact",
    "remove_exchanges",
    "scrub_bytes",
    "scrub_text",
    "secrets_in",
    "summarize_request",
    "write_exchange",
]

REQUEST_SUFFIX = ".request.json"
_BODY_SUFFIXES = (".sse", ".json", ".body")

# Header names that carry credentials. They are dropped, not masked: a cassette must not
# even reveal the shape of a key.
# ("x-ratelimit-remaining-tokens" counts tokens; it is not one.)
_SECRET_HEADER_RE = re.compile(
    r"authorization|cookie|(?:^|[-_])(?:api[-_]?key|token|secret|password)(?:$|[-_])", re.I
)
# Headers about one connection or about the bytes on the wire (the stored body is
# decoded); a replaying server sets its own.
_TRANSPORT_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "date"}
)
_LEADING_NUMBER_RE = re.compile(r"^(\d+)")


def is_chat_path(path: str) -> bool:
    """Whether ``path`` is a chat-completions endpoint (Groq's or any OpenAI-style one)."""
    return path.rstrip("/").endswith("/chat/completions")


def secrets_in(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Return the credential values found in ``headers`` (the token of ``Bearer <token>``).

    Args:
        headers: ``(name, value)`` pairs.

    Returns:
        Values to scrub from everything else that gets stored.
    """
    found = []
    for name, value in headers:
        if not _SECRET_HEADER_RE.search(name):
            continue
        scheme, _, credentials = value.strip().partition(" ")
        for secret in (value.strip(), credentials.strip() if credentials else scheme):
            if len(secret) >= MIN_SECRET_LENGTH:
                found.append(secret)
    return found


def redact(
    headers: Iterable[tuple[str, str]], secrets: Iterable[str], *, keep_encoding: bool = True
) -> dict[str, str]:
    """Return the headers worth storing: no credentials, no per-connection headers.

    Args:
        headers: ``(name, value)`` pairs; names are stored in lower case.
        secrets: Values to mask wherever they appear in a kept header.
        keep_encoding: Keep ``content-encoding`` (``False`` when the body was decoded).

    Returns:
        The headers to write; repeated names are joined with ``", "``.
    """
    secrets = list(secrets)
    kept: dict[str, str] = {}
    for raw_name, value in headers:
        name = raw_name.lower()
        if _SECRET_HEADER_RE.search(name) or name in _TRANSPORT_HEADERS:
            continue
        if name == "content-encoding" and not keep_encoding:
            continue
        value = scrub_text(value, secrets)
        kept[name] = f"{kept[name]}, {value}" if name in kept else value
    return kept


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in ``text``, in any printed form, with ``[redacted]``."""
    return scrub(text, secrets)


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """Replace every secret in ``data``, in any printed form, with ``[redacted]``.

    A body never carries the key in practice; this only guarantees that a cassette
    cannot leak one, at the price of byte-exactness in that (broken) case.
    """
    for secret in secrets:
        for form in secret_forms(secret):
            raw = form.encode("utf-8")
            if raw in data:
                data = data.replace(raw, REDACTED.encode())
    return data


def _exchange_files(directory: Path) -> list[Path]:
    files = [
        p
        for p in directory.iterdir()
        if p.is_file() and p.suffix in _BODY_SUFFIXES and not p.name.endswith(REQUEST_SUFFIX)
    ]
    return sorted(files, key=_order_key)


def _order_key(path: Path) -> tuple[int, str]:
    # Numbered stems sort numerically (999 before 1000); others after them, by name.
    found = _LEADING_NUMBER_RE.match(path.name)
    return (int(found.group(1)) if found else 1 << 62, path.name)


def next_number(directory: Path) -> int:
    """Return the number after the highest numbered exchange in ``directory`` (1 if none)."""
    if not directory.is_dir():
        return 1
    numbers = [
        int(found.group(1))
        for p in directory.iterdir()
        if (found := _LEADING_NUMBER_RE.match(p.name)) is not None
    ]
    return max(numbers, default=0) + 1


def remove_exchanges(directory: Path) -> None:
    """Delete the recorded exchanges (body files and their ``.request.json``) in a directory.

    Other files (a README, say) are left alone.
    """
    if not directory.is_dir():
        return
    for body in _exchange_files(directory):
        body.with_name(body.stem + REQUEST_SUFFIX).unlink(missing_ok=True)
        body.unlink()


def write_exchange(
    directory: Path,
    number: int,
    *,
    request: Mapping[str, Any],
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    complete: bool,
) -> Path:
    """Write one exchange: the body file first, then the ``.request.json`` beside it.

    Args:
        directory: The cassette directory (created if missing).
        number: The exchange number; the stem is zero-padded to three digits.
        request: ``method``, ``path``, ``query``, ``headers`` and ``body`` (already redacted).
        status: The response status.
        headers: The response headers (already redacted).
        body: The response body.
        complete: Whether the whole body was read (``False`` if the client stopped early).

    Returns:
        The path of the body file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    content_type = headers.get("content-type", "")
    if "event-stream" in content_type:
        suffix = ".sse"
    elif "json" in content_type:
        suffix = ".json"
    else:
        suffix = ".body"
    stem = f"{number:03d}"
    body_path = directory / (stem + suffix)
    body_path.write_bytes(body)
    sidecar = {
        **request,
        "response": {
            "status": status,
            "headers": dict(headers),
            "body_file": body_path.name,
            "complete": complete,
        },
    }
    text = json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n"
    (directory / (stem + REQUEST_SUFFIX)).write_text(text, encoding="utf-8")
    return body_path


@dataclass(frozen=True)
class Exchange:
    """One recorded exchange, as read back from a cassette.

    Attributes:
        name: The body file's stem, e.g. ``"001"``.
        body_path: The response body file.
        status: The response status (200 when there is no ``.request.json``).
        headers: The response headers to replay.
        request: The recorded request (``method``, ``path``, ``query``, ``headers``,
            ``body``), or ``None`` for a bare body file.
        complete: ``False`` when the client stopped reading before the body ended.
    """

    name: str
    body_path: Path
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    request: Mapping[str, Any] | None = None
    complete: bool = True

    @property
    def request_body(self) -> Any:
        """The recorded request's JSON body, or ``None``."""
        return None if self.request is None else self.request.get("body")

    @property
    def streamed(self) -> bool:
        """Whether the recorded request asked for a stream (for a bare file: ``.sse``)."""
        body = self.request_body
        if isinstance(body, dict):
            return body.get("stream") is True
        return self.body_path.suffix == ".sse"

    def describe(self) -> str:
        """A one-line summary for error messages: name, model and last message."""
        if self.request is None:
            return f"{self.body_path.name} (no {REQUEST_SUFFIX}: matches no request)"
        return f"{self.name}: {summarize_request(self.request_body)}"


def summarize_request(body: Any, width: int = 60) -> str:
    """Describe a chat request in one short line: its model and its last message."""
    if not isinstance(body, dict):
        return "a request without a JSON object body"
    parts = [f"model={body.get('model')!r}"]
    messages = body.get("messages")
    if isinstance(messages, list) and messages:
        last = messages[-1]
        if isinstance(last, dict):
            content = last.get("content")
            text = content if isinstance(content, str) else json.dumps(content)
            if len(text) > width:
                text = text[: width - 3] + "..."
            parts.append(f"last message {last.get('role', '?')}: {text!r}")
        parts.append(f"{len(messages)} message{'s' if len(messages) != 1 else ''}")
    if body.get("stream"):
        parts.append("stream")
    return ", ".join(parts)


def _read_sidecar(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return data


def _exchange(body_path: Path) -> Exchange:
    sidecar_path = body_path.with_name(body_path.stem + REQUEST_SUFFIX)
    default_type = "text/event-stream" if body_path.suffix == ".sse" else "application/json"
    if not sidecar_path.is_file():
        return Exchange(body_path.stem, body_path, headers={"content-type": default_type})
    sidecar = _read_sidecar(sidecar_path)
    response = sidecar.pop("response", None)
    response = response if isinstance(response, dict) else {}
    headers = response.get("headers")
    headers = dict(headers) if isinstance(headers, dict) else {}
    headers.setdefault("content-type", default_type)
    status = response.get("status", 200)
    return Exchange(
        body_path.stem,
        body_path,
        status=status if isinstance(status, int) else 200,
        headers={str(k).lower(): str(v) for k, v in headers.items()},
        request=sidecar,
        complete=response.get("complete", True) is not False,
    )


def load_cassette(path: str | os.PathLike[str]) -> list[Exchange]:
    """Read the exchanges of a cassette, in order.

    Args:
        path: A cassette directory, or a single body file (``.sse`` / ``.json``).

    Returns:
        The exchanges: numbered stems in numeric order, then other names alphabetically.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If it holds no exchange, or a ``.request.json`` is not valid JSON.
    """
    path = Path(path)
    if path.is_file():
        return [_exchange(path)]
    if not path.is_dir():
        raise FileNotFoundError(f"no cassette at {path} (no such file or directory)")
    exchanges = [_exchange(p) for p in _exchange_files(path)]
    if not exchanges:
        raise ValueError(f"the cassette directory {path} holds no .sse or .json exchange")
    return exchanges
