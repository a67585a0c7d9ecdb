"""pytest plugin (entry point ``mirastream``): the ``groq_server`` fixture.

Loaded into every pytest run of a project that installs mirastream, so it imports
nothing at load time beyond pytest itself; the server is imported inside the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mirastream.testing._server import GroqServer


@pytest.fixture
def groq_server() -> Iterator[GroqServer]:
    """A started ``mirastream.testing.GroqServer``, stopped after the test.

    Yields:
        The server; give ``groq_server.base_url`` to the client under test.
    """
    from mirastream.testing._server import GroqServer

    with GroqServer() as server:
        yield server
