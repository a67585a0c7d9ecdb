"""The exact cost of a call, from its usage and the price table (:mod:`._prices`).

Billing rules applied by :func:`compute_cost`:

* Cached prompt tokens are part of the input tokens. They are billed once, at the cached
  price when the model has one and at the normal input price otherwise.
* Reasoning tokens are part of the output tokens and are not billed again.
* A model without a price, or a call without usage, has cost ``None`` plus a reason;
  a cost is never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from mirastream._prices import ModelPrice, get_price

__all__ = ["CostMetadata", "compute_cost"]


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
