"""Tests for the price table (``mirastream._prices``) and cost computation (``._costs``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pydantic
import pytest

from mirastream._costs import CostMetadata, compute_cost
from mirastream._prices import (
    PRICES,
    ModelPrice,
    get_price,
    price_table_markdown,
    prices,
    reset_prices,
    set_price,
)


@pytest.fixture(autouse=True)
def _clean_prices() -> Iterator[None]:
    reset_prices()
    yield
    reset_prices()


# model, input, output, cached input, context window (USD per 1M tokens)
EXPECTED_ROWS: list[tuple[str, float, float, float | None, int]] = [
    ("llama-3.1-8b-instant", 0.05, 0.08, None, 131_072),
    ("llama-3.3-70b-versatile", 0.59, 0.79, None, 131_072),
    ("meta-llama/llama-4-scout-17b-16e-instruct", 0.11, 0.34, None, 131_072),
    ("meta-llama/llama-4-maverick-17b-128e-instruct", 0.20, 0.60, None, 131_072),
    ("openai/gpt-oss-20b", 0.075, 0.30, 0.0375, 131_072),
    ("openai/gpt-oss-120b", 0.15, 0.60, 0.075, 131_072),
    ("openai/gpt-oss-safeguard-20b", 0.075, 0.30, 0.0375, 131_072),
    ("qwen/qwen3-32b", 0.29, 0.59, None, 131_072),
    ("moonshotai/kimi-k2-instruct-0905", 1.00, 3.00, 0.50, 262_144),
]


@pytest.mark.parametrize(("model", "inp", "out", "cached", "context"), EXPECTED_ROWS)
def test_price_rows(model: str, inp: float, out: float, cached: float | None, context: int) -> None:
    price = PRICES[model]
    assert (price.input, price.output, price.cached_input) == (inp, out, cached)
    assert price.context_window == context
    assert price.as_of == "2026-11-21"
    assert price.source == "https://groq.com/pricing"


@pytest.mark.parametrize(("model", "inp", "out", "cached", "context"), EXPECTED_ROWS)
def test_cost_per_model_without_cache(
    model: str, inp: float, out: float, cached: float | None, context: int
) -> None:
    meta = compute_cost(model, input_tokens=1234, output_tokens=567)
    assert meta.cost == pytest.approx((1234 * inp + 567 * out) / 1e6)
    assert meta.reason is None
    assert (meta.input_price, meta.output_price) == (inp, out)
    assert meta.price_as_of == "2026-11-21"


def test_cached_tokens_billed_once_at_cached_price() -> None:
    meta = compute_cost(
        "openai/gpt-oss-20b", input_tokens=1000, output_tokens=200, cached_tokens=400
    )
    assert meta.cost == pytest.approx((600 * 0.075 + 400 * 0.0375 + 200 * 0.30) / 1e6)
    assert meta.cached_input_price == 0.0375
    assert meta.cached_tokens == 400


def test_all_tokens_cached() -> None:
    meta = compute_cost(
        "moonshotai/kimi-k2-instruct-0905", input_tokens=500, output_tokens=0, cached_tokens=500
    )
    assert meta.cost == pytest.approx(500 * 0.50 / 1e6)


def test_cached_tokens_without_cached_price_billed_at_input_price() -> None:
    with_cache = compute_cost(
        "llama-3.3-70b-versatile", input_tokens=1000, output_tokens=200, cached_tokens=400
    )
    without = compute_cost("llama-3.3-70b-versatile", input_tokens=1000, output_tokens=200)
    assert with_cache.cost == pytest.approx((1000 * 0.59 + 200 * 0.79) / 1e6)
    assert with_cache.cost == without.cost
    assert with_cache.cached_input_price == 0.59


def test_reasoning_tokens_are_part_of_output_not_added() -> None:
    meta = compute_cost("qwen/qwen3-32b", input_tokens=100, output_tokens=300, reasoning_tokens=250)
    assert meta.cost == pytest.approx((100 * 0.29 + 300 * 0.59) / 1e6)
    assert meta.reasoning_tokens == 250


def test_cost_is_exact_decimal_rounding() -> None:
    # 3 * 0.1 is 0.30000000000000004 in binary floats; the decimal sum is not fooled.
    set_price("m", input=0.1, output=0.0)
    assert compute_cost("m", input_tokens=3_000_000, output_tokens=0).cost == 0.3


def test_zero_usage_costs_zero() -> None:
    meta = compute_cost("llama-3.1-8b-instant", input_tokens=0, output_tokens=0)
    assert meta.cost == 0.0
    assert meta.reason is None


def test_unknown_model_has_no_cost_and_says_why() -> None:
    meta = compute_cost("no-such-model", input_tokens=10, output_tokens=10)
    assert meta.cost is None
    assert (
        meta.reason == "no price for model 'no-such-model'; add one with mirastream.set_price(...)"
    )
    assert meta.input_price is None and meta.output_price is None
    assert meta.cached_input_price is None and meta.price_as_of is None
    assert (meta.input_tokens, meta.output_tokens) == (10, 10)


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "reason"),
    [
        (None, None, "no usage reported"),
        (None, 5, "no usage reported: input tokens missing"),
        (5, None, "no usage reported: output tokens missing"),
    ],
)
def test_missing_usage_has_no_cost(
    input_tokens: int | None, output_tokens: int | None, reason: str
) -> None:
    meta = compute_cost(
        "llama-3.1-8b-instant", input_tokens=input_tokens, output_tokens=output_tokens
    )
    assert meta.cost is None
    assert meta.reason == reason
    # The price that would have applied is still shown.
    assert meta.input_price == 0.05


def test_missing_usage_and_unknown_model_gives_both_reasons() -> None:
    meta = compute_cost("nope", input_tokens=None, output_tokens=None)
    assert meta.cost is None
    assert meta.reason is not None
    assert meta.reason.startswith("no usage reported; no price for model 'nope'")


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "cached_tokens", "reason"),
    [
        (10, 5, 11, "invalid usage: 11 cached tokens exceed 10 input tokens"),
        (-1, 5, None, "invalid usage: negative token count"),
        (10, -5, None, "invalid usage: negative token count"),
        (10, 5, -1, "invalid usage: negative token count"),
    ],
)
def test_inconsistent_usage_has_no_cost(
    input_tokens: int, output_tokens: int, cached_tokens: int | None, reason: str
) -> None:
    meta = compute_cost(
        "openai/gpt-oss-20b",
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached_tokens,
    )
    assert meta.cost is None
    assert meta.reason == reason


@pytest.mark.parametrize(
    ("model", "expected_key"),
    [
        ("llama-3.1-8b-instant", "llama-3.1-8b-instant"),
        ("groq/llama-3.1-8b-instant", "llama-3.1-8b-instant"),
        ("openai/gpt-oss-20b", "openai/gpt-oss-20b"),
        ("groq/openai/gpt-oss-20b", "openai/gpt-oss-20b"),
        ("LLAMA-3.1-8B-INSTANT", None),  # no case folding
        ("llama-3.1-8b", None),  # no prefix / fuzzy matching
        ("llama-3.1-8b-instant-2026", None),
        ("gpt-oss-20b", None),  # a provider prefix is never added
        ("groq/", None),
        ("", None),
    ],
)
def test_model_matching(model: str, expected_key: str | None) -> None:
    expected = None if expected_key is None else PRICES[expected_key]
    assert get_price(model) is expected


def test_prefixed_model_is_priced_and_reported_as_given() -> None:
    meta = compute_cost("groq/llama-3.1-8b-instant", input_tokens=1000, output_tokens=1000)
    assert meta.model == "groq/llama-3.1-8b-instant"
    assert meta.cost == pytest.approx((1000 * 0.05 + 1000 * 0.08) / 1e6)


def test_set_price_adds_a_model() -> None:
    stored = set_price(
        "my/fine-tune", input=1.0, output=2.0, as_of="2026-01-02", source="https://x.test"
    )
    assert stored == ModelPrice(1.0, 2.0, None, None, "2026-01-02", "https://x.test")
    assert prices()["my/fine-tune"] is stored
    assert compute_cost("my/fine-tune", input_tokens=10, output_tokens=10).cost == pytest.approx(
        30 / 1e6
    )
    assert "my/fine-tune" not in PRICES


def test_set_price_overrides_builtin_then_reset_restores_it() -> None:
    builtin = PRICES["openai/gpt-oss-20b"]
    set_price("openai/gpt-oss-20b", input=1.0, output=1.0)
    override = prices()["openai/gpt-oss-20b"]
    assert override.cached_input is None  # not inherited: cached billed at the new input
    assert override.context_window == builtin.context_window  # inherited when not given
    assert override.source == "mirastream.set_price()"
    meta = compute_cost("openai/gpt-oss-20b", input_tokens=100, output_tokens=100, cached_tokens=50)
    assert meta.cost == pytest.approx(200 / 1e6)
    # The built-in table itself is untouched.
    assert PRICES["openai/gpt-oss-20b"] is builtin

    reset_prices()
    assert prices()["openai/gpt-oss-20b"] is builtin
    assert dict(prices()) == dict(PRICES)


def test_set_price_defaults_as_of_to_today() -> None:
    import datetime

    assert set_price("x", input=0, output=0).as_of == datetime.date.today().isoformat()


def test_override_is_found_through_prefix_too() -> None:
    set_price("llama-3.1-8b-instant", input=10.0, output=10.0)
    assert compute_cost(
        "groq/llama-3.1-8b-instant", input_tokens=1, output_tokens=1
    ).cost == pytest.approx(20 / 1e6)


def test_explicit_price_table_ignores_global_one() -> None:
    table = {"only": ModelPrice(2.0, 4.0, 1.0, 8192, "2026-01-01", "test")}
    meta = compute_cost("only", input_tokens=100, output_tokens=10, cached_tokens=50, prices=table)
    assert meta.cost == pytest.approx((50 * 2.0 + 50 * 1.0 + 10 * 4.0) / 1e6)
    missing = compute_cost("llama-3.1-8b-instant", input_tokens=1, output_tokens=1, prices=table)
    assert missing.cost is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input": -1.0, "output": 1.0},
        {"input": 1.0, "output": float("nan")},
        {"input": 1.0, "output": 1.0, "cached_input": float("inf")},
        {"input": 1.0, "output": 1.0, "context_window": 0},
        {"input": 1.0, "output": 1.0, "as_of": "21/11/2026"},
    ],
)
def test_set_price_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        set_price("bad", **kwargs)  # type: ignore[arg-type]
    assert "bad" not in prices()


def test_tables_are_immutable() -> None:
    with pytest.raises(TypeError):
        PRICES["x"] = PRICES["qwen/qwen3-32b"]  # type: ignore[index]
    with pytest.raises(TypeError):
        prices()["x"] = PRICES["qwen/qwen3-32b"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRICES["qwen/qwen3-32b"].input = 0.0  # type: ignore[misc]


def test_cost_metadata_is_frozen() -> None:
    meta = compute_cost("qwen/qwen3-32b", input_tokens=1, output_tokens=1)
    assert isinstance(meta, CostMetadata)
    with pytest.raises(pydantic.ValidationError):
        meta.cost = 0.0  # type: ignore[misc, unused-ignore]  # frozen only to the pydantic plugin


def test_markdown_contains_every_row() -> None:
    md = price_table_markdown()
    lines = md.splitlines()
    assert lines[0].startswith("| model | input $/1M | cached input $/1M | output $/1M |")
    assert len(lines) == 2 + len(PRICES)
    for model in PRICES:
        assert sum(f"| `{model}` |" in line for line in lines) == 1
    assert (
        "| `openai/gpt-oss-20b` | $0.075 | $0.0375 | $0.30 | 131,072 | 2026-11-21 "
        "| [groq.com/pricing](https://groq.com/pricing) |" in lines
    )
    assert "| `llama-3.1-8b-instant` | $0.05 | n/a | $0.08 | 131,072 |" in md
    assert "| `moonshotai/kimi-k2-instruct-0905` | $1.00 | $0.50 | $3.00 | 262,144 |" in md
    assert md.endswith("\n")


def test_markdown_includes_user_prices() -> None:
    set_price("a|b", input=1.5, output=2.0, as_of="2026-01-01", source="notes")
    md = price_table_markdown()
    assert "| `a\\|b` | $1.50 | n/a | $2.00 | n/a | 2026-01-01 | notes |" in md
    assert len(md.splitlines()) == 3 + len(PRICES)
