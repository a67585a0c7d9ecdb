"""The pytest plugin end to end: a user's test file run by ``pytester``.

The user's code is a ``@groq_call`` function with no client argument; the
``groq_cassette`` marker alone must make it run offline against recorded answers.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import httpcore  # noqa: F401  # see below
import pytest
from conftest import FIXTURES_DIR

from mirastream import _call
from mirastream.groq import Groq
from mirastream.testing import GroqServer, record, script

pytest_plugins = ["pytester"]

# The user's tests run in this process (pytester's default), and pytester removes the
# modules first imported during such a run. httpx imports httpcore lazily and caches the
# httpcore exception classes it maps on first use; were that first use inside a run,
# later tests would get httpcore errors unmapped. Importing httpcore above prevents it.

REAL_KEY = "gsk_live_plugin_SECRET_0123456789"

USER_CODE = """
from mirastream import groq_call


@groq_call("llama-3.1-8b-instant", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


@groq_call("llama-3.1-8b-instant")
def answer(question: str) -> str:
    return question


@groq_call("llama-3.1-8b-instant", stream=True)
async def recommend_book_async(genre: str) -> str:
    return f"Recommend a {genre} book"
"""


def _record_books(directory: Path) -> None:
    """A cassette made the way a user would: record() around a client, here a fake Groq."""
    with GroqServer() as server:
        server.enqueue(
            script("Try The Hobbit.", model="llama-3.1-8b-instant"),
            script("42.", model="llama-3.1-8b-instant"),
            script("Try Dune.", model="llama-3.1-8b-instant"),
        )
        client = Groq(api_key=REAL_KEY, base_url=server.base_url)
        with record(client, directory):
            for genre in ("fantasy",):
                stream = client.chat.completions.create(
                    messages=[{"role": "user", "content": f"Recommend a {genre} book"}],
                    model="llama-3.1-8b-instant",
                    stream=True,
                )
                list(stream)
            client.chat.completions.create(
                messages=[{"role": "user", "content": "What is six times seven?"}],
                model="llama-3.1-8b-instant",
            )
            list(
                client.chat.completions.create(
                    messages=[{"role": "user", "content": "Recommend a sci-fi book"}],
                    model="llama-3.1-8b-instant",
                    stream=True,
                )
            )


@pytest.fixture
def user_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(books=USER_CODE)
    _record_books(pytester.path / "cassettes" / "books")
    return pytester


def test_marker_replays_a_cassette_for_decorated_functions(user_project: pytest.Pytester) -> None:
    user_project.makepyfile(
        test_user=textwrap.dedent(
            """
            import pytest
            from books import answer, recommend_book, recommend_book_async

            pytestmark = pytest.mark.groq_cassette("cassettes/books", match="request")


            def test_stream():
                stream = recommend_book("fantasy")
                text = "".join(chunk.content for chunk, _ in stream)
                assert text == "Try The Hobbit."
                response = stream.construct_call_response()
                assert response.usage.prompt_tokens > 0 and response.cost > 0


            def test_call_out_of_order():
                stream = recommend_book("sci-fi")
                assert "".join(chunk.content for chunk, _ in stream) == "Try Dune."
                assert answer("What is six times seven?").content == "42."


            @pytest.mark.anyio
            async def test_async(anyio_backend):
                stream = await recommend_book_async("fantasy")
                assert "".join([c.content async for c, _ in stream]) == "Try The Hobbit."


            @pytest.fixture
            def anyio_backend():
                return "asyncio"
            """
        )
    )
    result = user_project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_marker_in_order_over_plain_sse_files(pytester: pytest.Pytester) -> None:
    # A directory of bare .sse files (no request sidecars) replays in name order.
    cassette = pytester.path / "streams"
    cassette.mkdir()
    for name in ("01_text_xgroq_usage.sse", "05_reasoning_gpt_oss.sse"):
        shutil.copy(FIXTURES_DIR / name, cassette / name)
    pytester.makepyfile(books=USER_CODE)
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import pytest
            from books import recommend_book


            @pytest.mark.groq_cassette("streams")
            def test_two_calls():
                first, second = recommend_book("a"), recommend_book("b")
                for stream in (first, second):
                    for _ in stream:
                        pass
                assert first.content == 'Olá! In French, it\\'s "Bonjour".'
                assert second.content == "17 \\u00d7 23 = **391**"
                assert second.reasoning.startswith("The user asks")
            """
        )
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_mismatch_fails_the_test_with_what_was_recorded(user_project: pytest.Pytester) -> None:
    user_project.makepyfile(
        test_user=textwrap.dedent(
            """
            import pytest
            from books import answer


            @pytest.mark.groq_cassette("cassettes/books", match="request")
            def test_unrecorded_question():
                answer("What is the airspeed of a swallow?")


            @pytest.mark.groq_cassette("cassettes/books", match="request")
            def test_swallowed_error():
                try:
                    answer("Something else entirely")
                except Exception:
                    pass
            """
        )
    )
    result = user_project.runpytest("-p", "no:cacheprovider")
    # The first test fails in its body (once, no extra teardown error); the second hides
    # the error from itself, so the plugin fails it at teardown.
    result.assert_outcomes(failed=1, passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_swallowed_error*",
            "mirastream replay: no exchange recorded in*'Something else entirely'*",
            "*NotFoundError*no exchange recorded in*matches request #1 (model='llama-3.1-8b-"
            "instant', last message user: 'What is the airspeed of a swallow?', 1 message);"
            " compared on model, messages, stream. Recorded:",
            "*001: model='llama-3.1-8b-instant', last message user: 'Recommend a fantasy book'*"
            "differs in messages, stream",
            "*002: *'What is six times seven?', 1 message - differs in messages",
        ]
    )


def test_order_mode_runs_out_of_answers_or_out_of_order(user_project: pytest.Pytester) -> None:
    user_project.makepyfile(
        test_user=textwrap.dedent(
            """
            import pytest
            from books import answer, recommend_book


            @pytest.mark.groq_cassette("cassettes/books")
            def test_too_many_calls():
                list(recommend_book("a"))
                answer("b")
                list(recommend_book("c"))
                list(recommend_book("d"))


            @pytest.mark.groq_cassette("cassettes/books")
            def test_out_of_order():
                answer("b")
            """
        )
    )
    result = user_project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*holds 3 exchanges, all served; request #4*",
            "*request #1 (*) asks for a plain call, but the next exchange in *, 001.sse, "
            "answered a stream: the calls are not in the order they were recorded in*",
        ]
    )


def test_missing_cassette_and_bad_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import pytest


            @pytest.mark.groq_cassette("nowhere")
            def test_missing():
                pass


            @pytest.mark.groq_cassette("a", "b")
            def test_two_paths():
                pass
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*groq_cassette: no cassette at *nowhere*record it with pytest --groq-record*",
            "*use @pytest.mark.groq_cassette(path, match='order'|'request')*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_groq_env_without_a_cassette_uses_the_echo_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(books=USER_CODE)
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import os
            from books import answer


            def test_echo(groq_env):
                assert os.environ["GROQ_BASE_URL"] == groq_env.base_url
                assert answer("ping").content == "You said: ping"
                assert groq_env.requests[0].headers["authorization"] == "Bearer [redacted]"
            """
        )
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_default_clients_are_restored_after_the_test(pytester: pytest.Pytester) -> None:
    sentinel = object()
    saved = _call._default_client
    _call._default_client = sentinel  # type: ignore[assignment]
    try:
        pytester.makepyfile(books=USER_CODE)
        pytester.makepyfile(
            test_user="from books import answer\n\n"
            "def test_it(groq_env):\n    assert answer('x').content == 'You said: x'\n"
        )
        pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
        assert _call._default_client is sentinel
    finally:
        _call._default_client = saved


def test_record_option_records_then_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(books=USER_CODE)
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import pytest
            from books import recommend_book


            @pytest.mark.groq_cassette("cassettes/new")
            def test_book():
                stream = recommend_book("horror")
                assert "".join(chunk.content for chunk, _ in stream) == "Try Carrie."
            """
        )
    )
    with GroqServer() as upstream:  # stands in for api.groq.com
        upstream.enqueue(script("Try Carrie.", model="llama-3.1-8b-instant"))
        monkeypatch.setenv("GROQ_BASE_URL", upstream.base_url)
        monkeypatch.setenv("GROQ_API_KEY", REAL_KEY)
        pytester.runpytest("-p", "no:cacheprovider", "--groq-record").assert_outcomes(passed=1)
        assert len(upstream.requests) == 1
        assert upstream.requests[0].headers["authorization"] == "Bearer [redacted]"
    cassette = pytester.path / "cassettes" / "new"
    assert sorted(p.name for p in cassette.iterdir()) == ["001.request.json", "001.sse"]
    for path in cassette.iterdir():
        assert REAL_KEY.encode() not in path.read_bytes()

    # Upstream is gone and there is no key: the same test now passes from the cassette.
    monkeypatch.delenv("GROQ_API_KEY")
    monkeypatch.delenv("GROQ_BASE_URL")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_record_option_needs_a_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    pytester.makepyfile(
        test_user="import pytest\n\n@pytest.mark.groq_cassette('c')\ndef test_x():\n    pass\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--groq-record")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--groq-record: recording needs the real API key*"])


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.groq_cassette(path, *, match='order'):*"])
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--groq-record*"])
