"""Cost per fragment of structured streaming: fragments of JSON -> partial pydantic models.

Run: ``python benchmarks/bench_partial.py``. Numbers are microseconds per fragment, the
best of several runs (perf_counter_ns), for a ~2000-fragment answer: a Book with a long
summary and a list of chapters, cut the way a model streams it (word-sized tokens).

* ``partial_stream_us``: :class:`PartialStream.feed` on every fragment, partial models
  built whenever something changed -- the real cost.
* ``parser_only_us``: the incremental JSON parser alone (plain JSON shape, no snapshots).
* ``jiter_reparse_us``: ``jiter.from_json(prefix, partial_mode="trailing-strings")`` on
  every prefix -- the re-parse-everything baseline, before any model is built.
* ``jiter_reparse_partial_of_us``: that plus ``partial_of`` on each result: what a
  jiter-based design costs (and it would still need a tail scan for truncated numbers).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import jiter
from pydantic import BaseModel

from mirastream.structured._partial import PartialStream, partial_of
from mirastream.structured._partial_json import PartialJSONParser


class Author(BaseModel):
    name: str
    born: int


class Chapter(BaseModel):
    number: int
    title: str
    pages: int
    summary: str
    themes: list[str]


class Book(BaseModel):
    title: str
    author: Author
    year: int
    rating: float
    summary: str
    tags: list[str]
    in_print: bool
    isbn: str | None
    chapters: list[Chapter]


_SENTENCE = (
    "the river ran past the old mill where Ana first heard the song that would "
    "follow her across three continents and into a quiet café in Lisbon"
)
_WORDS = _SENTENCE.split()

# Roughly how a tokenizer cuts JSON: a word with its leading space, a run of punctuation.
_TOKEN = re.compile(r" ?[^\W_]+| ?[^\w\s]+|\s+|_")


def _text(words: int, seed: int) -> str:
    return " ".join(_WORDS[(seed + i * 7) % len(_WORDS)] for i in range(words))


def _answer(chapters: int) -> str:
    book = {
        "title": "The Song of the Mill",
        "author": {"name": "Maria \u00c1lvarez", "born": 1961},
        "year": 1998,
        "rating": 4.5,
        "summary": _text(250, 1),
        "tags": ["historical", "music", "migration", "family"],
        "in_print": True,
        "isbn": "978-0-00-000000-0",
        "chapters": [
            {
                "number": i + 1,
                "title": f"Chapter {i + 1}: {_text(4, i)}",
                "pages": 10 + (i * 37) % 25,
                "summary": _text(40, i + 3),
                "themes": ["loss", "memory"] if i % 2 else ["hope"],
            }
            for i in range(chapters)
        ],
    }
    return json.dumps(book, ensure_ascii=False, indent=2)


def fragments(n_chunks: int = 2000) -> list[str]:
    """Return exactly ``n_chunks`` token-like fragments of a realistic Book answer."""
    chapters = 1
    while True:
        tokens = _TOKEN.findall(_answer(chapters))
        if len(tokens) >= n_chunks:
            break
        chapters += 1
    # Merge neighbours so that there are exactly n_chunks fragments, evenly spread.
    out: list[str] = []
    for k in range(n_chunks):
        lo = k * len(tokens) // n_chunks
        hi = (k + 1) * len(tokens) // n_chunks
        out.append("".join(tokens[lo:hi]))
    assert "".join(out) == _answer(chapters)
    return out


def _best_us(run: Callable[[], object], n: int, repeat: int) -> float:
    best = min(_timed(run) for _ in range(repeat))
    return best / n / 1000


def _timed(run: Callable[[], object]) -> int:
    start = time.perf_counter_ns()
    run()
    return time.perf_counter_ns() - start


def bench(n_chunks: int = 2000, repeat: int = 7) -> dict[str, float]:
    """Measure microseconds per fragment; see the module docstring for each number."""
    frags = fragments(n_chunks)
    prefixes: list[bytes] = []
    buffer = ""
    for fragment in frags:
        buffer += fragment
        prefixes.append(buffer.encode())

    def partial_stream() -> int:
        stream = PartialStream(Book)
        yielded = 0
        for fragment in frags:
            if stream.feed(fragment) is not None:
                yielded += 1
        stream.finish()
        return yielded

    def parser_only() -> None:
        parser = PartialJSONParser()
        for fragment in frags:
            parser.feed(fragment)

    def jiter_reparse() -> None:
        for prefix in prefixes:
            jiter.from_json(prefix, partial_mode="trailing-strings")

    def jiter_reparse_partial_of() -> None:
        for prefix in prefixes:
            data = jiter.from_json(prefix, partial_mode="trailing-strings")
            if isinstance(data, dict):
                partial_of(Book, data)

    yields = partial_stream()
    return {
        "fragments": float(n_chunks),
        "json_chars": float(len(buffer)),
        "yields": float(yields),
        "partial_stream_us": _best_us(partial_stream, n_chunks, repeat),
        "parser_only_us": _best_us(parser_only, n_chunks, repeat),
        "jiter_reparse_us": _best_us(jiter_reparse, n_chunks, repeat),
        "jiter_reparse_partial_of_us": _best_us(jiter_reparse_partial_of, n_chunks, repeat),
    }


def partial_cost(n_chunks: int, *, list_heavy: bool, rounds: int = 7) -> tuple[float, float]:
    """µs per fragment of partials and of the parse-only floor, on ``make bench``'s shapes.

    The shapes are ``benchmarks/_streams.structured_stream``'s (a list of ~n/9 chapter
    objects, or 10 chapters and a long title), cut into equal fragments.
    """
    from _streams import structured_text
    from run import Book as BenchBook

    text = structured_text(n_chunks, list_heavy=list_heavy)
    size = max(1, len(text) // n_chunks)
    frags = [text[i : i + size] for i in range(0, len(text), size)]

    def partial_stream() -> None:
        stream = PartialStream(BenchBook)
        for fragment in frags:
            stream.feed(fragment)

    def parser_only() -> None:
        parser = PartialJSONParser()
        for fragment in frags:
            parser.feed(fragment)

    best = {"partial": float("inf"), "parse": float("inf")}
    for _ in range(rounds):  # interleaved, so both see the same machine load
        best["partial"] = min(best["partial"], _timed(partial_stream) / len(frags) / 1000)
        best["parse"] = min(best["parse"], _timed(parser_only) / len(frags) / 1000)
    return best["partial"], best["parse"]


def main() -> None:
    for n in (500, 2000, 8000):
        result = bench(n, repeat=7 if n <= 2000 else 3)
        print(
            f"{int(result['fragments']):>5} fragments, {int(result['json_chars']):>6} chars, "
            f"{int(result['yields'])} partials yielded (us per fragment):"
        )
        for key, value in result.items():
            if key.endswith("_us"):
                print(f"    {key:<30} {value:8.2f}")


if __name__ == "__main__":
    main()
