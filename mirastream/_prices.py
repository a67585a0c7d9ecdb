"""Groq model prices: one table, written once, read by the cost function and the docs.

One built-in table, :data:`PRICES`, holds Groq's published on-demand prices in USD per
million tokens, each row with its date and source. It is read-only; users add or override
rows with :func:`set_price`, and :func:`prices` shows the merged view that
:func:`mirastream._costs.compute_cost` consults and :func:`price_table_markdown` renders
for the docs' cost page.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

__all__ = [
    "PRICES",
    "ModelPrice",
    "get_price",
    "price_table_markdown",
    "prices",
    "reset_prices",
    "set_price",
]

_PRICING_URL = "https://groq.com/pricing"
_MODELS_URL = "https://console.groq.com/docs/models"
_AS_OF = "2026-11-21"
_USER_SOURCE = "mirastream.set_price()"


@dataclass(frozen=True)
class ModelPrice:
    """The price of one model, in USD per million tokens.

    Attributes:
        input: Price of uncached prompt (input) tokens.
        output: Price of completion (output) tokens, reasoning tokens included.
        cached_input: Price of prompt tokens served from Groq's prompt cache, or ``None``
            when the model has no separate cached price (cached tokens then cost
            ``input``).
        context_window: The model's context window in tokens, or ``None`` when unknown
            (only possible for user-added prices).
        as_of: ISO date (``YYYY-MM-DD``) on which the price was checked.
        source: Where the price comes from, normally the URL of Groq's pricing page.
        note: Anything a reader of the price table should know about this row.

    Raises:
        ValueError: If a price is negative or not finite, the context window is not
            positive, or ``as_of`` is not an ISO date.
    """

    input: float
    output: float
    cached_input: float | None
    context_window: int | None
    as_of: str
    source: str
    note: str | None = None

    def __post_init__(self) -> None:
        for name in ("input", "output", "cached_input"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} price must be a finite number >= 0, got {value!r}")
        if self.context_window is not None and self.context_window <= 0:
            raise ValueError(f"context_window must be positive, got {self.context_window!r}")
        date.fromisoformat(self.as_of)  # raises ValueError for anything but YYYY-MM-DD


def _groq(
    input: float,
    output: float,
    *,
    cached_input: float | None = None,
    context_window: int = 131_072,
    note: str | None = None,
) -> ModelPrice:
    return ModelPrice(
        input=input,
        output=output,
        cached_input=cached_input,
        context_window=context_window,
        as_of=_AS_OF,
        source=_PRICING_URL,
        note=note,
    )


PRICES: Mapping[str, ModelPrice] = MappingProxyType(
    {
        "llama-3.1-8b-instant": _groq(0.05, 0.08),
        "llama-3.3-70b-versatile": _groq(0.59, 0.79),
        "meta-llama/llama-4-scout-17b-16e-instruct": _groq(0.11, 0.34),
        "meta-llama/llama-4-maverick-17b-128e-instruct": _groq(0.20, 0.60),
        "openai/gpt-oss-20b": _groq(0.075, 0.30, cached_input=0.0375),
        "openai/gpt-oss-120b": _groq(0.15, 0.60, cached_input=0.075),
        "openai/gpt-oss-safeguard-20b": _groq(
            0.075,
            0.30,
            cached_input=0.0375,
            note=(
                "cached price from https://console.groq.com/docs/model/openai/"
                "gpt-oss-safeguard-20b (shown rounded as $0.037; Groq's prompt caching "
                "halves the input price)"
            ),
        ),
        "qwen/qwen3-32b": _groq(0.29, 0.59),
        "moonshotai/kimi-k2-instruct-0905": _groq(
            1.00,
            3.00,
            cached_input=0.50,
            context_window=262_144,
            note=f"context window from {_MODELS_URL}",
        ),
    }
)
"""Groq's published prices (USD per 1M tokens), keyed by model id. Read-only.

Context windows are those on Groq's models page (https://console.groq.com/docs/models).
"""

# User prices, consulted before PRICES. Replaced wholesale under the lock (copy-on-write)
# so that readers, which do not lock, always see a complete table.
_lock = threading.Lock()
_overrides: Mapping[str, ModelPrice] = MappingProxyType({})
_merged: Mapping[str, ModelPrice] = PRICES


def _rebuild(overrides: dict[str, ModelPrice]) -> None:
    global _overrides, _merged
    _overrides = MappingProxyType(overrides)
    _merged = MappingProxyType({**PRICES, **overrides})


def prices() -> Mapping[str, ModelPrice]:
    """Return the price table in effect: the built-in :data:`PRICES` plus user prices.

    Returns:
        A read-only mapping from model id to :class:`ModelPrice`; a price set with
        :func:`set_price` replaces the built-in row for the same id.
    """
    return _merged


def set_price(
    model: str,
    *,
    input: float,
    output: float,
    cached_input: float | None = None,
    context_window: int | None = None,
    as_of: str | None = None,
    source: str = _USER_SOURCE,
) -> ModelPrice:
    """Add a price for a model, or replace the one in effect.

    The price applies to every later :func:`compute_cost` in this process, for this exact
    model id (and for ids that reduce to it, see :func:`get_price`).

    Args:
        model: The model id as Groq spells it, e.g. ``"openai/gpt-oss-20b"``.
        input: USD per 1M uncached prompt tokens.
        output: USD per 1M completion tokens.
        cached_input: USD per 1M cached prompt tokens; ``None`` bills cached tokens at
            ``input`` (a built-in cached price is not carried over).
        context_window: The context window in tokens; ``None`` keeps the one already
            known for this id, if any.
        as_of: ISO date the price was checked; defaults to today.
        source: Where the price comes from.

    Returns:
        The stored price.

    Raises:
        ValueError: If a price is negative or not finite, or ``as_of`` is not an ISO date.
    """
    with _lock:
        if context_window is None and model in _merged:
            context_window = _merged[model].context_window
        price = ModelPrice(
            input=input,
            output=output,
            cached_input=cached_input,
            context_window=context_window,
            as_of=as_of if as_of is not None else date.today().isoformat(),
            source=source,
        )
        _rebuild({**_overrides, model: price})
    return price


def reset_prices() -> None:
    """Forget every price set with :func:`set_price`; only :data:`PRICES` remains."""
    with _lock:
        _rebuild({})


def get_price(model: str, prices: Mapping[str, ModelPrice] | None = None) -> ModelPrice | None:
    """Find the price of a model.

    Matching is deliberately minimal: the exact id first; then, if the id has a provider
    prefix, the id with its leading ``"<provider>/"`` removed, one segment at a time
    (``"groq/openai/gpt-oss-20b"`` finds ``"openai/gpt-oss-20b"``, then would try
    ``"gpt-oss-20b"``). No case folding, no partial or fuzzy matches: an id that is not in
    the table has no price.

    Args:
        model: The model id, as requested or as the API reported it.
        prices: The table to search; defaults to :func:`prices`.

    Returns:
        The matching price, or ``None``.
    """
    table = _merged if prices is None else prices
    candidate = model
    while True:
        found = table.get(candidate)
        if found is not None:
            return found
        _, slash, rest = candidate.partition("/")
        if not slash or not rest:
            return None
        candidate = rest


def _usd(value: float | None) -> str:
    if value is None:
        return "n/a"
    # Up to six decimals, trailing zeros dropped but at least cents: $1.00, $0.0375.
    whole, _, fraction = f"{value:.6f}".rstrip("0").partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def price_table_markdown(prices: Mapping[str, ModelPrice] | None = None) -> str:
    """Render a price table as Markdown, one row per model.

    Args:
        prices: The table to render; defaults to :func:`prices` (the built-in table plus
            any user prices).

    Returns:
        A Markdown table with the columns model, input, cached input and output price
        (USD per 1M tokens), context window, as-of date and source, ending in a newline.
    """
    table = _merged if prices is None else prices
    lines = [
        "| model | input $/1M | cached input $/1M | output $/1M | context | as of | source |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for model, price in table.items():
        context = "n/a" if price.context_window is None else f"{price.context_window:,}"
        if price.source.startswith(("https://", "http://")):
            source = f"[{price.source.split('://', 1)[1]}]({price.source})"
        else:
            source = _cell(price.source)
        lines.append(
            f"| `{_cell(model)}` | {_usd(price.input)} | {_usd(price.cached_input)} "
            f"| {_usd(price.output)} | {context} | {price.as_of} | {source} |"
        )
    return "\n".join(lines) + "\n"
