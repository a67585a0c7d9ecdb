"""``GroqError`` for drop-in code: ``from mirastream.groq import GroqError`` catches what
``except groq.GroqError`` caught with the groq SDK (checked class by class against it)."""

from __future__ import annotations

import groq
import httpx
import pytest

import mirastream
import mirastream.groq as ours
from mirastream.errors import MirastreamError


def test_groq_error_is_the_base_of_every_error() -> None:
    assert ours.GroqError is MirastreamError
    assert "GroqError" in ours.__all__
    # Every SDK error class mirastream.groq also exports is a GroqError there as in the SDK.
    shared = [
        name
        for name in ours.__all__
        if isinstance(getattr(groq, name, None), type)
        and issubclass(getattr(groq, name), BaseException)
    ]
    assert {"APIError", "APIStatusError", "APIConnectionError", "RateLimitError"} <= set(shared)
    for name in shared:
        assert issubclass(getattr(groq, name), groq.GroqError), name
        assert issubclass(getattr(ours, name), ours.GroqError), name
    # mirastream's own additions are caught by the same clause.
    for extra in (mirastream.ToolCallError, mirastream.StreamInterruptedError):
        assert issubclass(extra, ours.GroqError)


@pytest.mark.parametrize("sdk", [False, True], ids=["mirastream", "groq SDK"])
def test_except_groq_error_catches_a_status_error(sdk: bool) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "Invalid API Key"}})

    module = groq if sdk else ours
    with httpx.Client(transport=httpx.MockTransport(reply)) as http:
        client = module.Groq(api_key="gsk_x", base_url="http://test", http_client=http)
        with pytest.raises(module.GroqError) as caught:
            client.chat.completions.create(messages=[], model="m")
    assert isinstance(caught.value, module.AuthenticationError)
    assert caught.value.status_code == 401


@pytest.mark.parametrize("sdk", [False, True], ids=["mirastream", "groq SDK"])
def test_a_missing_key_is_a_groq_error(sdk: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    module = groq if sdk else ours
    with pytest.raises(module.GroqError):
        module.Groq()
