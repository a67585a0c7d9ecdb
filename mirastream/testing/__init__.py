"""A loopback HTTP server that speaks Groq's chat-completions API, for tests and demos.

Example:
    >>> from mirastream.testing import GroqServer, script
    >>> with GroqServer() as server:  # doctest: +SKIP
    ...     server.enqueue(script("Hello!", reasoning="Greet back."))
    ...     # point any Groq/OpenAI-style client at server.base_url

Cassettes: ``record(client, directory)`` saves each exchange's exact bytes;
``GroqServer(responder=replay(directory))`` serves them back, and
``GroqServer(responder=forward(directory))`` records real answers through the server.

Names are imported on first use, so loading the pytest plugin (which imports this
package) costs almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mirastream.testing._cassette import Exchange, load_cassette
    from mirastream.testing._checks import check_request
    from mirastream.testing._forward import Forward, forward
    from mirastream.testing._frames import script_chunks, script_completion, script_events
    from mirastream.testing._http import RecordedRequest
    from mirastream.testing._record import (
        AsyncRecordingTransport,
        Recorder,
        Recording,
        RecordingTransport,
        record,
    )
    from mirastream.testing._replay import Replay, replay
    from mirastream.testing._replies import Chunking, ErrorReply, Faults, JSONReply, SSEReply
    from mirastream.testing._respond import RateLimits, Reply, Responder, default_responder
    from mirastream.testing._script import Script, ScriptReply, ToolCall, Usage, script
    from mirastream.testing._server import GroqServer
    from mirastream.testing._wire import go_duration, go_json

__all__ = [
    "AsyncRecordingTransport",
    "Chunking",
    "ErrorReply",
    "Exchange",
    "Faults",
    "Forward",
    "GroqServer",
    "JSONReply",
    "RateLimits",
    "RecordedRequest",
    "Recorder",
    "Recording",
    "RecordingTransport",
    "Replay",
    "Reply",
    "Responder",
    "SSEReply",
    "Script",
    "ScriptReply",
    "ToolCall",
    "Usage",
    "check_request",
    "default_responder",
    "forward",
    "go_duration",
    "go_json",
    "load_cassette",
    "record",
    "replay",
    "script",
    "script_chunks",
    "script_completion",
    "script_events",
]

_HOMES = {
    "AsyncRecordingTransport": "_record",
    "Chunking": "_replies",
    "ErrorReply": "_replies",
    "Exchange": "_cassette",
    "Faults": "_replies",
    "Forward": "_forward",
    "GroqServer": "_server",
    "JSONReply": "_replies",
    "RateLimits": "_respond",
    "RecordedRequest": "_http",
    "Recorder": "_record",
    "Recording": "_record",
    "RecordingTransport": "_record",
    "Replay": "_replay",
    "Reply": "_respond",
    "Responder": "_respond",
    "SSEReply": "_replies",
    "Script": "_script",
    "ScriptReply": "_script",
    "ToolCall": "_script",
    "Usage": "_script",
    "check_request": "_checks",
    "default_responder": "_respond",
    "forward": "_forward",
    "go_duration": "_wire",
    "go_json": "_wire",
    "load_cassette": "_cassette",
    "record": "_record",
    "replay": "_replay",
    "script": "_script",
    "script_chunks": "_frames",
    "script_completion": "_frames",
    "script_events": "_frames",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
