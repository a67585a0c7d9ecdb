"""The ``mirastream`` command: chat with Groq, inspect recorded streams, show prices.

Usage::

    mirastream chat "Tell me a joke" [--model M] [--system S] [--json] [--offline]
    mirastream replay FILE.sse|FILE.json|CASSETTE_DIR [--json]
    mirastream prices [--markdown | --json]

Exit status: 0 on success; 1 when the call failed (API error, network down, a stream that
broke) or, for ``replay``, when the recorded stream ends in an error or is cut short;
2 for a usage error (bad flags, missing file, no API key). Errors are one line on
stderr, never a traceback, and never show the API key.

``main`` parses and dispatches, and is the one place errors become exit statuses;
``_commands`` runs the commands; ``_report`` folds and formats what they show.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from mirastream.cli._report import UsageError, describe

__all__ = ["main"]

DEFAULT_MODEL = "llama-3.1-8b-instant"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage block; one line with a pointer is clearer.
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    from mirastream import __version__

    parser = _Parser(
        prog="mirastream",
        description="Stream Groq chat completions, inspect recorded streams, show prices.",
        epilog=(
            "exit status: 0 ok; 1 the call failed, or the replayed stream ends in an error; "
            "2 usage error"
        ),
    )
    parser.add_argument("--version", action="version", version=f"mirastream {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    chat = commands.add_parser(
        "chat",
        help="stream one answer, then usage, Groq's timings and the cost",
        description=(
            "Stream one answer from Groq (GROQ_API_KEY, GROQ_BASE_URL), then print usage, "
            "Groq's timings and the cost. --offline answers from mirastream's built-in test "
            "server instead: no network, no key, a canned echo."
        ),
    )
    chat.add_argument("prompt", help="the user message")
    chat.add_argument("--model", "-m", default=DEFAULT_MODEL, help=f"default {DEFAULT_MODEL}")
    chat.add_argument("--system", "-s", help="a system message")
    chat.add_argument("--json", action="store_true", help="print one JSON object at the end")
    chat.add_argument("--offline", action="store_true", help="use the built-in test server")
    chat.add_argument(
        "--retries", type=int, default=2, metavar="N", help="retries on errors (default 2)"
    )

    replay = commands.add_parser(
        "replay",
        help="show what a recorded stream folds to, or the error it carries",
        description=(
            "Fold a recorded response body (.sse stream or .json completion), or every "
            "exchange of a cassette directory: content, reasoning, tool calls, usage, "
            "timings, cost, or the error it ends with. Exit status 1 if it ends in an error."
        ),
    )
    replay.add_argument("file", help="an .sse or .json body, or a cassette directory")
    replay.add_argument("--json", action="store_true", help="print JSON instead of text")

    prices = commands.add_parser("prices", help="the price table (USD per 1M tokens)")
    output = prices.add_mutually_exclusive_group()
    output.add_argument("--markdown", action="store_true", help="as a Markdown table")
    output.add_argument("--json", action="store_true", help="as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: The arguments without the program name; ``sys.argv[1:]`` when ``None``.

    Returns:
        The exit status.
    """
    key = os.environ.get("GROQ_API_KEY", "")
    try:
        args = _parser().parse_args(argv)
        from mirastream.cli import _commands

        if args.command == "chat":
            return _commands.chat(args)
        if args.command == "replay":
            return _commands.replay(Path(args.file), as_json=args.json)
        return _commands.prices(markdown=args.markdown, as_json=args.json)
    except UsageError as exc:
        return fail(str(exc), 2, key)
    except KeyboardInterrupt:
        return fail("interrupted", 130, key)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:
        from mirastream.errors import MirastreamError

        if isinstance(exc, (MirastreamError, OSError)):
            return fail(describe(exc), 1, key)
        raise  # a bug in mirastream: the traceback is what a report needs


def fail(message: str, status: int, key: str) -> int:
    """Print ``message`` as one error line on stderr (without the key); return ``status``."""
    sys.stdout.flush()
    if key:
        from mirastream._secrets import scrub

        message = scrub(message, [key])
    print(f"mirastream: error: {message}", file=sys.stderr)
    return status
