"""OpenTelemetry for mirastream calls: one span per call, GenAI semantic conventions.

Needs ``opentelemetry-api`` (``pip install mirastream[otel]``); :func:`configure` also
needs ``opentelemetry-sdk``. The core of mirastream never imports OpenTelemetry.

Example:
    >>> from mirastream import groq_call
    >>> from mirastream.integrations.otel import with_otel
    >>> @with_otel()
    ... @groq_call("llama-3.1-8b-instant", stream=True)
    ... def recommend_book(genre: str) -> str:
    ...     return f"Recommend a {genre} book"
"""

from mirastream.integrations.otel._tracing import configure, instrument, uninstrument, with_otel

__all__ = ["configure", "instrument", "uninstrument", "with_otel"]
