"""``llm.call`` and ``llm.override``, Mirascope's provider-agnostic calls, for Groq.

mirastream speaks Groq only: ``provider="groq"`` makes the same call as
:func:`~mirastream.groq_call`; any other provider is a ``ValueError`` raised when the
call is decorated (or overridden), before any request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mirastream._decorator import groq_call

__all__ = ["call", "override"]

_SETTINGS = "__mirastream_llm_settings__"


def _check(provider: str) -> None:
    if provider != "groq":
        raise ValueError(
            f"provider={provider!r}: mirastream speaks Groq only; use provider='groq' "
            "(or Mirascope for other providers)"
        )


def call(provider: str, model: str, **settings: Any) -> Callable[[Callable[..., Any]], Any]:
    """Decorate a prompt function for ``provider``'s ``model`` (``"groq"`` only).

    Args:
        provider: Must be ``"groq"``.
        model: The Groq model id.
        **settings: Everything :func:`~mirastream.groq_call` takes (``stream``,
            ``tools``, ``response_model``, ``json_mode``, ``call_params`` ...).

    Returns:
        The decorator.

    Raises:
        ValueError: ``provider`` is not ``"groq"``.
    """
    _check(provider)

    def decorator(fn: Callable[..., Any]) -> Any:
        decorated = groq_call(model, **settings)(fn)
        setattr(decorated, _SETTINGS, (fn, model, settings))
        return decorated

    return decorator


def override(
    decorated: Callable[..., Any],
    *,
    provider: str | None = None,
    model: str | None = None,
    call_params: dict[str, Any] | None = None,
    client: Any = None,
) -> Callable[..., Any]:
    """The same ``llm.call`` with another model, call parameters or client.

    Args:
        decorated: A function decorated with :func:`call`.
        provider: ``"groq"`` or ``None`` (keep).
        model: The new model, or ``None`` (keep).
        call_params: The new call parameters, or ``None`` (keep).
        client: The new client, or ``None`` (keep).

    Returns:
        A new decorated function; ``decorated`` is unchanged.

    Raises:
        ValueError: ``provider`` is not ``"groq"``, or ``decorated`` is not an ``llm.call``.
    """
    if provider is not None:
        _check(provider)
    found = getattr(decorated, _SETTINGS, None)
    if found is None:
        raise ValueError(f"{decorated!r} is not decorated with mirastream.llm.call")
    fn, old_model, settings = found
    settings = dict(settings)
    if call_params is not None:
        settings["call_params"] = call_params
    if client is not None:
        settings["client"] = client
    overridden: Callable[..., Any] = call("groq", model or old_model, **settings)(fn)
    return overridden
