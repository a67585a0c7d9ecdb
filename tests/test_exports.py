"""Public names: ``__all__`` lists are sorted and resolve, and the error tree is api.md's."""

from __future__ import annotations

import inspect
from types import ModuleType

import httpx
import pytest

import mirastream
import mirastream.errors as errors
import mirastream.groq as groq_api
import mirastream.groq.types as types_api
import mirastream.relay as relay_api

MODULES = [groq_api, errors, types_api, relay_api]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_all_is_sorted_unique_and_resolves(module: ModuleType) -> None:
    names = list(module.__all__)
    assert names, module.__name__
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(module, name) is not None, name
    namespace: dict[str, object] = {}
    exec(f"from {module.__name__} import *", namespace)
    assert set(names) <= set(namespace)


def test_errors_all_lists_every_public_exception() -> None:
    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == errors.__name__
        and not name.startswith("_")
    }
    assert defined == set(errors.__all__)


def test_api_md_low_level_names_import() -> None:
    from mirastream.groq import AsyncGroq, AsyncStream, Groq, Stream
    from mirastream.groq.types import ChatCompletion, ChatCompletionChunk, CompletionUsage

    for client_cls in (AsyncGroq, AsyncStream, Groq, Stream):
        assert client_cls.__name__ in groq_api.__all__
    for type_cls in (ChatCompletion, ChatCompletionChunk, CompletionUsage):
        assert type_cls.__name__ in types_api.__all__


# The tree of api.md §1 ("Errors"), child -> direct parent. StreamDecodeError is not in
# api.md; mirastream.errors documents it under StreamError.
ERROR_TREE: list[tuple[str, str]] = [
    ("MirastreamError", "Exception"),
    ("APIError", "MirastreamError"),
    ("APIStatusError", "APIError"),
    ("BadRequestError", "APIStatusError"),
    ("AuthenticationError", "APIStatusError"),
    ("PermissionDeniedError", "APIStatusError"),
    ("NotFoundError", "APIStatusError"),
    ("ConflictError", "APIStatusError"),
    ("UnprocessableEntityError", "APIStatusError"),
    ("RateLimitError", "APIStatusError"),
    ("InternalServerError", "APIStatusError"),
    ("APIConnectionError", "APIError"),
    ("APITimeoutError", "APIConnectionError"),
    ("StreamError", "APIError"),
    ("APIStreamError", "StreamError"),
    ("StreamInterruptedError", "StreamError"),
    ("StreamTimeoutError", "StreamInterruptedError"),
    ("StreamDecodeError", "StreamError"),
    ("ToolCallError", "MirastreamError"),
    ("StructuredOutputError", "MirastreamError"),
    ("StreamConsumedError", "MirastreamError"),
    ("StreamNotConsumedError", "MirastreamError"),
]


@pytest.mark.parametrize(("child", "parent"), ERROR_TREE, ids=[c for c, _ in ERROR_TREE])
def test_error_tree_matches_api_md(child: str, parent: str) -> None:
    cls = getattr(errors, child)
    expected_parent = Exception if parent == "Exception" else getattr(errors, parent)
    assert cls.__bases__ == (expected_parent,)


def test_error_tree_is_complete() -> None:
    assert {child for child, _ in ERROR_TREE} == set(errors.__all__)


def test_errors_are_reexported_from_mirastream() -> None:
    for name in errors.__all__:
        assert getattr(mirastream, name) is getattr(errors, name), name
        assert name in mirastream.__all__


def test_errors_are_reexported_from_mirastream_groq() -> None:
    # api.md §1: "Errors (mirastream.errors, re-exported from mirastream and mirastream.groq)"
    for name in errors.__all__:
        assert getattr(groq_api, name) is getattr(errors, name), name
        assert name in groq_api.__all__


# ---------------------------------------------------------------------------------------
# The attributes api.md promises on each error
# ---------------------------------------------------------------------------------------

REQUEST = httpx.Request("POST", "https://api.groq.com/openai/v1/chat/completions")


def _response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=REQUEST)


def test_status_error_attributes() -> None:
    body = {"error": {"message": "Rate limit reached", "type": "tokens", "code": "rl"}}
    response = _response(429, **{"retry-after": "2.5", "x-request-id": "req_1"})
    exc = errors.RateLimitError("Rate limit reached", response=response, body=body)
    assert exc.message == "Rate limit reached"
    assert exc.body == body
    assert exc.request is REQUEST
    assert exc.status_code == 429
    assert exc.response is response
    assert (exc.type, exc.code) == ("tokens", "rl")
    assert exc.retry_after == 2.5
    plain = errors.BadRequestError("bad", response=_response(400), body=None)
    assert (plain.type, plain.code, plain.body) == (None, None, None)


def test_stream_error_attributes() -> None:
    inner = {
        "message": "Failed to call a function.",
        "type": "invalid_request_error",
        "code": "tool_use_failed",
        "failed_generation": "<function=f>{}",
        "status_code": 400,
    }
    exc = errors.APIStreamError(inner, request=REQUEST)
    assert exc.message == str(exc) == "Failed to call a function."
    assert exc.body == inner
    assert exc.request is REQUEST
    assert (exc.type, exc.code, exc.status_code) == (
        "invalid_request_error",
        "tool_use_failed",
        400,
    )
    assert exc.failed_generation == "<function=f>{}"
    wrapped = errors.APIStreamError({"error": inner})
    assert (wrapped.message, wrapped.code) == ("Failed to call a function.", "tool_use_failed")


def test_connection_and_misuse_error_attributes() -> None:
    timeout = errors.APITimeoutError(request=REQUEST)
    assert isinstance(timeout.message, str) and timeout.message
    assert timeout.request is REQUEST
    tool = errors.ToolCallError("bad args", tool_name="f", tool_call_id="c1", arguments="{")
    assert (tool.tool_name, tool.tool_call_id, tool.arguments) == ("f", "c1", "{")
    structured = errors.StructuredOutputError("invalid", raw="{}", errors=[{"loc": ("x",)}])
    assert (structured.raw, structured.errors) == ("{}", [{"loc": ("x",)}])
    decode = errors.StreamDecodeError("bad json", data="{oops")
    assert decode.data == "{oops"
