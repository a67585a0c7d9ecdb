"""``collect_errors``: Mirascope's error-reinsertion pattern, with tenacity.

Needs the ``tenacity`` extra (``pip install 'mirastream[tenacity]'``)::

    @retry(stop=stop_after_attempt(3), after=collect_errors(ValidationError))
    @groq_call("llama-3.1-8b-instant", response_model=Author)
    @prompt_template("{previous_errors} Who wrote {book}?")
    def identify_author(book: str, *, errors: list[ValidationError] | None = None): ...

Each failed attempt's error is appended to the ``errors`` keyword argument of the next
attempt, so the prompt can show the model what went wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    from tenacity import RetryCallState
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "mirastream.retries.tenacity needs tenacity: pip install 'mirastream[tenacity]'"
    ) from exc

__all__ = ["collect_errors"]


def collect_errors(*error_types: type[BaseException]) -> Callable[[RetryCallState], None]:
    """A tenacity ``after=`` callback that collects errors into the ``errors`` kwarg.

    Args:
        error_types: Only errors of these types are collected; none given: every error.

    Returns:
        The callback; it leaves other errors (and successful attempts) alone.
    """

    def collect(state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if error is None or (error_types and not isinstance(error, error_types)):
            return
        previous: list[Any] = state.kwargs.get("errors") or []
        state.kwargs["errors"] = [*previous, error]

    return collect
