"""A loopback Groq server for the fan-out benchmark, run in its own process.

Argument: chunks per stream. Prints the base URL, then serves until stdin closes or it
is terminated, so the benchmark process measures only its own (client) CPU.
"""

from __future__ import annotations

import sys

from _streams import text_stream

from mirastream.testing import GroqServer, RecordedRequest, SSEReply


def main() -> None:
    body = b"".join(text_stream(int(sys.argv[1])))

    def responder(request: RecordedRequest) -> SSEReply:
        return SSEReply(body)

    with GroqServer(responder=responder) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
