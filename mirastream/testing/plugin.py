"""pytest plugin (entry point ``mirastream``): ``groq_server``, ``groq_env``, ``groq_cassette``.

Loaded into every pytest run of a project that installs mirastream, so it imports
nothing at load time beyond pytest itself; the server is imported inside the fixture.

Testing a decorated function offline, with no code change and no key::

    @pytest.mark.groq_cassette("cassettes/recommend")   # relative to this test file
    def test_recommend() -> None:
        assert "Hobbit" in recommend_book("fantasy").content

The marker makes ``groq_server`` replay that cassette and points the default clients of
``groq_call`` at it (the ``groq_env`` fixture). ``pytest --groq-record`` runs the marked
tests against the real API instead (``GROQ_API_KEY``) and rewrites their cassettes.
"""

from __future__ import annotations

import weakref
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

if TYPE_CHECKING:
    from mirastream.testing._forward import Forward
    from mirastream.testing._replay import Match, Replay
    from mirastream.testing._server import GroqServer

_MARKER = "groq_cassette"
_RECORD_OPTION = "--groq-record"
# What groq_env gives clients as their key: obviously fake, and the server never checks it.
FAKE_API_KEY = "gsk_mirastream_fake_key_for_tests"
# Whether the test body failed, so a cassette mismatch the test already reported is not
# reported twice (once as the failure, once as a teardown error).
_CALL_FAILED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--groq-record``."""
    parser.getgroup("mirastream").addoption(
        _RECORD_OPTION,
        action="store_true",
        default=False,
        help=(
            "run tests marked groq_cassette against the real Groq API (GROQ_API_KEY, "
            "GROQ_BASE_URL) and rewrite their cassettes"
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``groq_cassette`` marker."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(path, *, match='order'): replay the cassette at path (relative to the "
        "test file) from groq_server and point groq_call's default clients at it; "
        "match='request' picks exchanges by request body instead of in order",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Remember whether the test body failed (see ``_CALL_FAILED``)."""
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed


def _cassette(request: pytest.FixtureRequest) -> tuple[Path, str] | None:
    marker = request.node.get_closest_marker(_MARKER)
    if marker is None:
        return None
    if len(marker.args) != 1 or set(marker.kwargs) - {"match"}:
        pytest.fail(f"use @pytest.mark.{_MARKER}(path, match='order'|'request')", pytrace=False)
    path = Path(marker.args[0])
    if not path.is_absolute():
        path = request.path.parent / path
    return path, str(marker.kwargs.get("match", "order"))


def _responder(request: pytest.FixtureRequest, path: Path, match: str) -> Replay | Forward:
    if request.config.getoption(_RECORD_OPTION):
        from mirastream.testing._forward import Forward

        try:
            return Forward(path)
        except ValueError as exc:
            pytest.fail(f"{_RECORD_OPTION}: {exc}", pytrace=False)
    from mirastream.testing._replay import Replay

    try:
        return Replay(path, match=cast("Match", match))  # Replay rejects other values
    except FileNotFoundError as exc:
        hint = f"; record it with pytest {_RECORD_OPTION} (needs GROQ_API_KEY)"
        pytest.fail(f"{_MARKER}: {exc}{hint}", pytrace=False)
    except ValueError as exc:
        pytest.fail(f"{_MARKER}: {exc}", pytrace=False)


@pytest.fixture
def groq_server(request: pytest.FixtureRequest) -> Iterator[GroqServer]:
    """A started ``mirastream.testing.GroqServer``, stopped after the test.

    Under ``@pytest.mark.groq_cassette(path)`` it answers from that cassette; a request
    with no recorded answer gets a 404 and fails the test. Otherwise it answers with
    queued replies, then with an echo of the last user message.

    Yields:
        The server; give ``groq_server.base_url`` to the client under test.
    """
    from mirastream.testing._server import GroqServer

    cassette = _cassette(request)
    if cassette is None:
        with GroqServer() as server:
            yield server
        return
    responder = _responder(request, *cassette)
    try:
        with GroqServer(responder=responder) as server:
            yield server
    finally:
        close = getattr(responder, "close", None)
        if close is not None:
            close()
    if responder.failures and not request.node.stash.get(_CALL_FAILED, False):
        pytest.fail("\n".join(responder.failures), pytrace=False)


@pytest.fixture
def groq_env(groq_server: GroqServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[GroqServer]:
    """Point clients built from the environment at ``groq_server``, with a fake key.

    Sets ``GROQ_BASE_URL`` and ``GROQ_API_KEY`` for the test and starts ``groq_call``
    from fresh default clients (they are cached per process, and one made before the
    test would still talk to its old address). Code under test needs no change.

    Yields:
        The server.
    """
    from mirastream import _call

    monkeypatch.setenv("GROQ_BASE_URL", groq_server.base_url)
    monkeypatch.setenv("GROQ_API_KEY", FAKE_API_KEY)
    monkeypatch.setattr(_call, "_default_client", None)
    monkeypatch.setattr(_call, "_default_async_clients", weakref.WeakKeyDictionary())
    yield groq_server
    client = _call._default_client
    if client is not None:
        client.close()  # before monkeypatch puts the earlier one back


@pytest.fixture(autouse=True)
def _groq_cassette_env(request: pytest.FixtureRequest) -> None:
    # A marked test gets groq_env without asking for it; unmarked tests pay one lookup.
    if request.node.get_closest_marker(_MARKER) is not None:
        request.getfixturevalue("groq_env")
