"""The commands: ``chat``, ``replay`` and ``prices``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirastream.cli._report import (
    Outcome,
    UsageError,
    describe,
    fold_file,
    print_json,
    row,
    summary,
    usd,
)

if TYPE_CHECKING:
    from mirastream.groq import Groq
    from mirastream.testing._cassette import Exchange

__all__ = ["chat", "prices", "replay"]


def chat(args: argparse.Namespace) -> int:
    """``mirastream chat``: stream one answer live, then the summary footer."""
    if args.retries < 0:
        raise UsageError("--retries must be 0 or more")
    if not args.offline and not os.environ.get("GROQ_API_KEY"):
        # No silent fallback to canned answers: a user who forgot the key would mistake
        # them (and their made-up cost) for Groq's.
        raise UsageError(
            "GROQ_API_KEY is not set; export it to talk to Groq, or pass --offline to try "
            "the built-in test server"
        )
    from mirastream.groq import Groq

    messages: list[dict[str, Any]] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": args.prompt})
    if not args.offline:
        try:
            client = Groq(max_retries=args.retries)
        except ValueError as exc:  # a malformed key or GROQ_BASE_URL: say what, not the key
            raise UsageError(f"{exc} (from GROQ_API_KEY / GROQ_BASE_URL)") from None
        host = client.base_url.split("://", 1)[-1]
        return _run_chat(client, messages, args, source=host)

    from mirastream.testing import GroqServer

    print(
        "mirastream: offline - answering from the built-in test server (a canned echo; "
        "no network, no key, nothing billed)",
        file=sys.stderr,
    )
    with GroqServer() as server:
        client = Groq(api_key="offline", base_url=server.base_url, max_retries=args.retries)
        return _run_chat(client, messages, args, source="built-in test server (offline)")


def _run_chat(
    client: Groq, messages: list[dict[str, Any]], args: argparse.Namespace, *, source: str
) -> int:
    from mirastream._stream import GroqStream
    from mirastream.errors import StreamError

    sent: Any = messages  # plain dicts; the client's TypedDicts would only restate them
    raw = client.chat.completions.create(messages=sent, model=args.model, stream=True)
    stream = GroqStream(raw, messages=messages, model=args.model)
    live = not args.json
    out = sys.stdout
    phase = ""  # "", "reasoning" or "content": what is being printed
    error: StreamError | None = None
    try:
        for chunk, _ in stream:
            if not live:
                continue
            if chunk.reasoning:
                if phase != "reasoning":
                    out.write("thinking: ")
                    phase = "reasoning"
                out.write(chunk.reasoning)
            if chunk.content:
                if phase == "reasoning":
                    out.write("\n\n")
                phase = "content"
                out.write(chunk.content)
            out.flush()
    except StreamError as exc:
        error = exc
    finally:
        stream.close()
    outcome = Outcome(
        content=stream.content,
        reasoning=stream.reasoning,
        tool_calls=[call.to_dict() for call in stream.tool_calls],
        finish_reasons=stream.finish_reasons,
        model=stream.model,
        id=stream.id,
        request_id=raw.request_id,
        usage=stream.usage,
        # The error goes to stderr as the one error line; the JSON carries it as well.
        error=error if args.json else None,
        source=source,
    )
    if args.json:
        print_json(outcome.to_json())
    else:
        if phase:
            out.write("\n")
        print("\n" + "\n".join(summary(outcome, with_text=False)))
    if error is not None:
        from mirastream.cli import fail

        return fail(describe(error), 1, os.environ.get("GROQ_API_KEY", ""))
    return 0


def replay(path: Path, *, as_json: bool) -> int:
    """``mirastream replay``: fold recorded bodies; status 1 if one ends in an error."""
    from mirastream.testing._cassette import load_cassette, summarize_request

    if not path.exists():
        raise UsageError(f"no such file or directory: {path}")
    try:
        # A single file is a cassette of one; its .request.json (if any) is read too.
        exchanges = load_cassette(path)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    outcomes = [fold_file(e.body_path, e.status if e.request else None) for e in exchanges]
    if as_json:
        data = [_replay_json(e, o) for e, o in zip(exchanges, outcomes, strict=True)]
        print_json(data if path.is_dir() else data[0])
    else:
        for index, (exchange, outcome) in enumerate(zip(exchanges, outcomes, strict=True)):
            if path.is_dir():
                print(("\n" if index else "") + f"== {exchange.body_path.name}")
            if exchange.request is not None:
                print(row("request", summarize_request(exchange.request_body)))
                print(row("status", str(exchange.status)))
            print("\n".join(summary(outcome, with_text=True)))
    return 1 if any(o.error is not None for o in outcomes) else 0


def _replay_json(exchange: Exchange, outcome: Outcome) -> dict[str, Any]:
    data = {"file": str(exchange.body_path), **outcome.to_json()}
    if exchange.request is not None:
        data["request"] = exchange.request_body
        data["status"] = exchange.status
    return data


def prices(*, markdown: bool, as_json: bool) -> int:
    """``mirastream prices``: the price table in effect."""
    from mirastream._prices import price_table_markdown
    from mirastream._prices import prices as price_table

    table = price_table()
    if markdown:
        sys.stdout.write(price_table_markdown(table))
        return 0
    if as_json:
        print_json(
            {
                model: {
                    "input": p.input,
                    "cached_input": p.cached_input,
                    "output": p.output,
                    "context_window": p.context_window,
                    "as_of": p.as_of,
                    "source": p.source,
                }
                for model, p in table.items()
            }
        )
        return 0
    header = ("model", "input", "cached", "output", "context", "as of")
    rows = [
        (
            model,
            usd(p.input),
            "-" if p.cached_input is None else usd(p.cached_input),
            usd(p.output),
            "-" if p.context_window is None else f"{p.context_window:,}",
            p.as_of,
        )
        for model, p in table.items()
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for line in [header, *rows]:
        numbers = [c.rjust(w) for c, w in zip(line[1:-1], widths[1:-1], strict=True)]
        print("  ".join([line[0].ljust(widths[0]), *numbers, line[-1]]))
    sources = sorted({p.source for p in table.values()})
    print(f"\nUSD per 1M tokens; source: {', '.join(sources)}")
    print("cost = (prompt - cached) x input + cached x cached price + completion x output")
    return 0
