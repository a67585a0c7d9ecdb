"""Groq model prices and the exact cost of a call.

One built-in table, :data:`PRICES`, holds Groq's published on-demand prices in USD per
million tokens. It is read-only; users add or override rows with :func:`set_price`, and
:func:`prices` shows the merged view that :func:`compute_cost` consults.

Billing rules applied by :func:`compute_cost`:

* Cached prompt tokens are part of the input tokens. They are billed once, at the cached
  price when the model has one and at the normal input price otherwise.
* Reasoning tokens are part of the output tokens and are not billed again.
* A model without a price, or a call without usage, has cost ``None`` plus a reason;
  a cost is never guessed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict

__all__ = [
    "PRICES",
    "CostMetadata",
    "ModelPrice",
    "compute_cost",
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


class CostMetadata(BaseModel):
    """The cost of one call and everything it was computed from.

    Attributes:
        model: The model id the cost is for.
        input_tokens: Prompt tokens reported by the API, cached ones included.
        output_tokens: Completion tokens reported by the API, reasoning ones included.
        cached_tokens: Prompt tokens served from the prompt cache (part of
            ``input_tokens``).
        reasoning_tokens: Completion tokens spent on reasoning (part of
            ``output_tokens``).
        input_price: USD per 1M uncached prompt tokens that was applied.
        output_price: USD per 1M completion tokens that was applied.
        cached_input_price: USD per 1M cached prompt tokens that was applied (the input
            price when the model has no separate cached price).
        cost: Total cost in USD, or ``None`` when it cannot be known.
        reason: Why ``cost`` is ``None``; ``None`` when there is a cost.
        price_as_of: The date the applied price was checked.
    """

    model_config = ConfigDict(frozen=True)

    model: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    cached_input_price: float | None = None
    cost: float | None = None
    reason: str | None = None
    price_as_of: str | None = None


def _usage_problem(
    input_tokens: int | None, output_tokens: int | None, cached_tokens: int
) -> str | None:
    if input_tokens is None and output_tokens is None:
        return "no usage reported"
    if input_tokens is None:
        return "no usage reported: input tokens missing"
    if output_tokens is None:
        return "no usage reported: output tokens missing"
    if min(input_tokens, output_tokens, cached_tokens) < 0:
        return "invalid usage: negative token count"
    if cached_tokens > input_tokens:
        # Cached tokens are a subset of the prompt; more of them than prompt tokens means
        # the usage is inconsistent, and any cost derived from it would be a guess.
        return f"invalid usage: {cached_tokens} cached tokens exceed {input_tokens} input tokens"
    return None


def _dec(value: float | int) -> Decimal:
    # repr() is the shortest string that round-trips, so 0.075 becomes exactly 0.075
    # rather than the binary float's 0.07499999999999999722...
    return Decimal(repr(value))


def compute_cost(
    model: str,
    *,
    input_tokens: int | None,
    output_tokens: int | None,
    cached_tokens: int | None = None,
    reasoning_tokens: int | None = None,
    prices: Mapping[str, ModelPrice] | None = None,
) -> CostMetadata:
    """Compute the cost of a call from its token usage.

    ``cost = ((input - cached) * input_price + cached * cached_price
    + output * output_price) / 1e6``, where ``cached_price`` is the model's cached input
    price or, if it has none, its input price. Reasoning tokens are already counted in
    the output tokens. The sum is done in decimal, so the result is the correctly rounded
    float of the exact cost.

    Args:
        model: The model id (see :func:`get_price` for how it is matched).
        input_tokens: Prompt tokens, cached ones included (``prompt_tokens``).
        output_tokens: Completion tokens, reasoning ones included (``completion_tokens``).
        cached_tokens: Prompt tokens served from the cache; ``None`` means 0.
        reasoning_tokens: Reasoning tokens; recorded, not billed separately.
        prices: The price table to use; defaults to :func:`prices`.

    Returns:
        The cost and its inputs. When the cost cannot be known (no usage, unknown model,
        inconsistent usage) ``cost`` is ``None`` and ``reason`` says why.
    """
    price = get_price(model, prices)
    cached = cached_tokens or 0

    reasons: list[str] = []
    usage_problem = _usage_problem(input_tokens, output_tokens, cached)
    if usage_problem is not None:
        reasons.append(usage_problem)
    if price is None:
        reasons.append(f"no price for model {model!r}; add one with mirastream.set_price(...)")

    cost: float | None = None
    if not reasons and price is not None and input_tokens is not None and output_tokens is not None:
        cached_price = price.cached_input if price.cached_input is not None else price.input
        total = (
            (input_tokens - cached) * _dec(price.input)
            + cached * _dec(cached_price)
            + output_tokens * _dec(price.output)
        )
        cost = float(total / 1_000_000)

    return CostMetadata(
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached_tokens,
        reasoning_tokens=reasoning_tokens,
        input_price=None if price is None else price.input,
        output_price=None if price is None else price.output,
        cached_input_price=(
            None
            if price is None
            else (price.cached_input if price.cached_input is not None else price.input)
        ),
        cost=cost,
        reason="; ".join(reasons) if reasons else None,
        price_as_of=None if price is None else price.as_of,
    )


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
