"""Structured streaming core: fragments of JSON -> partial pydantic models."""

from __future__ import annotations

import gc
import json
import math
import random
import weakref
from typing import Annotated, Any, Literal, TypeVar

import jiter
import pytest
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, create_model

from mirastream.errors import StructuredOutputError
from mirastream.structured._partial import PartialStream, partial_of
from mirastream.structured._partial_json import PartialJSONParser
from mirastream.structured._partial_shapes import MISSING, model_shape

M = TypeVar("M", bound=BaseModel)


class Author(BaseModel):
    name: str
    born: int


class Book(BaseModel):
    title: str
    author: Author
    year: int
    rating: float
    tags: list[str]
    in_print: bool
    isbn: str | None


# Escaped and raw non-ASCII, an escaped surrogate pair, escaped quotes and backslashes,
# a tab escape, an empty string, and pretty-printing whitespace.
BOOK_PRETTY = r"""{
  "title": "Caf\u00e9 \"Noir\" \\ Vol. 1 \ud83d\udcda \u2014 日本語 😀",
  "author": {"name": "Zoë O\u2019Brien", "born": 1932},
  "year": 1965,
  "rating": 4.25,
  "tags": ["noir", "tab\there", "a\\b\/c", "😀\ud83d\ude00", ""],
  "in_print": true,
  "isbn": null
}"""

# Compact, other number forms, false, a string isbn, an empty list, keys in a new order.
BOOK_COMPACT = (
    r'{"isbn":"978-3-16-148410-0","tags":[],"rating":-2.5E-1,"year":-44,'
    r'"in_print":false,"author":{"born":0,"name":"\"Q\""},"title":"x\\"}'
)

ANSWERS = [BOOK_PRETTY, BOOK_COMPACT]


def _feed_all(fragments: list[str], model: type[M]) -> tuple[list[M], M]:
    stream = PartialStream(model)
    partials = [p for p in map(stream.feed, fragments) if p is not None]
    return partials, stream.finish()


def _is_prefix(part: str | None, whole: str | None) -> bool:
    return part is None or (whole is not None and whole.startswith(part))


def _same_scalar(part: object, whole: object) -> bool:
    return part is None or (part == whole and type(part) is type(whole))


def _list_ok(part: list[str] | None, whole: list[str]) -> bool:
    """Complete elements equal, the last one (maybe still arriving) a prefix."""
    if not part:
        return True
    if len(part) > len(whole) or part[:-1] != whole[: len(part) - 1]:
        return False
    return whole[len(part) - 1].startswith(part[-1])


def _check(partials: list[Book], final: Book) -> None:
    assert partials, "no partial was yielded"
    previous: Book | None = None
    for p in partials:
        assert isinstance(p, Book)
        assert _is_prefix(p.title, final.title)
        assert _is_prefix(p.isbn, final.isbn)
        for name in ("year", "rating", "in_print"):
            assert _same_scalar(getattr(p, name), getattr(final, name)), name
        if p.author is not None:
            assert isinstance(p.author, Author)
            assert _is_prefix(p.author.name, final.author.name)
            assert _same_scalar(p.author.born, final.author.born)
        assert _list_ok(p.tags, final.tags)
        if previous is not None:
            assert p != previous
            # Nothing shrinks or changes: every value grows or stays.
            assert _is_prefix(previous.title, p.title)
            assert _is_prefix(previous.isbn, p.isbn) or previous.isbn is None
            for name in ("year", "rating", "in_print", "author", "tags"):
                assert getattr(previous, name) is None or getattr(p, name) is not None
            if previous.tags is not None:
                assert p.tags is not None
                assert _list_ok(previous.tags, p.tags)
            if previous.author is not None and p.author is not None:
                assert _is_prefix(previous.author.name, p.author.name)
        previous = p
    assert partials[-1] == final


@pytest.mark.parametrize("answer", ANSWERS)
def test_one_character_at_a_time(answer: str) -> None:
    partials, final = _feed_all(list(answer), Book)
    assert final == Book.model_validate_json(answer)
    _check(partials, final)


@pytest.mark.parametrize("answer", ANSWERS)
def test_split_in_two_at_every_offset(answer: str) -> None:
    expected = Book.model_validate_json(answer)
    for cut in range(len(answer) + 1):
        partials, final = _feed_all([answer[:cut], answer[cut:]], Book)
        assert final == expected
        _check(partials, final)


@pytest.mark.parametrize("answer", ANSWERS)
def test_random_fragmentations(answer: str) -> None:
    rng = random.Random(1965)
    expected = Book.model_validate_json(answer)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, len(answer)), rng.randint(1, 40)))
        pieces = [answer[a:b] for a, b in zip([0, *cuts], [*cuts, len(answer)], strict=True)]
        partials, final = _feed_all(pieces, Book)
        assert final == expected
        _check(partials, final)


def test_whole_answer_in_one_fragment() -> None:
    stream = PartialStream(Book)
    partial = stream.feed(BOOK_PRETTY)
    assert partial == stream.finish() == Book.model_validate_json(BOOK_PRETTY)
    assert stream.latest is partial
    assert stream.raw == BOOK_PRETTY
    assert stream.complete


def test_unicode_values_decoded() -> None:
    partials, final = _feed_all(list(BOOK_PRETTY), Book)
    assert final.title == 'Café "Noir" \\ Vol. 1 \U0001f4da \u2014 日本語 😀'
    assert final.tags == ["noir", "tab\there", "a\\b/c", "😀😀", ""]
    for p in partials:
        # Never half a surrogate pair or a raw escape: every string encodes as UTF-8.
        for text in (p.title or "", *(p.tags or [])):
            text.encode("utf-8")
            assert "\\u" not in text


# --- partial JSON: edge cases, one prefix at a time ------------------------------------


def _snapshot(text: str) -> Any:
    parser = PartialJSONParser()
    parser.feed(text)
    assert parser.error is None, parser.error
    return parser.snapshot()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", MISSING),
        (" \n\t ", MISSING),
        ("{", {}),
        ('{"', {}),
        ('{"tit', {}),
        ('{"title"', {}),
        ('{"title" ', {}),
        ('{"title":', {}),
        ('{"title": ', {}),
        ('{"title": "', {"title": ""}),
        ('{"title": "ab', {"title": "ab"}),
        ('{"title": "ab\\', {"title": "ab"}),
        ('{"title": "ab\\u', {"title": "ab"}),
        ('{"title": "ab\\u00', {"title": "ab"}),
        ('{"title": "ab\\u00e9', {"title": "abé"}),
        ('{"title": "ab\\ud83d', {"title": "ab"}),
        ('{"title": "ab\\ud83d\\', {"title": "ab"}),
        ('{"title": "ab\\ud83d\\u', {"title": "ab"}),
        ('{"title": "ab\\ud83d\\ude0', {"title": "ab"}),
        ('{"title": "ab\\ud83d\\ude00', {"title": "ab😀"}),
        ('{"title": "a\\"b\\\\', {"title": 'a"b\\'}),
        ('{"title": "x", "y": 196', {"title": "x"}),
        ('{"y": 1965 ', {"y": 1965}),
        ('{"y": 1965}', {"y": 1965}),
        ('{"y": 1.', {}),
        ('{"y": 1.5', {}),
        ('{"y": -', {}),
        ('{"y": -0', {}),
        ('{"y": -0,', {"y": 0}),
        ('{"y": 1e', {}),
        ('{"y": 1e-', {}),
        ('{"y": 1e-5', {}),
        ('{"y": 1e-5,', {"y": 1e-5}),
        ('{"y": 2.5E+3]', None),  # syntax error, checked separately
        ('{"b": t', {}),
        ('{"b": tru', {}),
        ('{"b": true', {"b": True}),
        ('{"b": fals', {}),
        ('{"b": false', {"b": False}),
        ('{"b": nul', {}),
        ('{"b": null', {"b": None}),
        ('{"b": -Inf', {}),
        ('{"b": -Infinity', {"b": -math.inf}),
        ('{"l": [', {"l": []}),
        ('{"l": [1, 2', {"l": [1]}),
        ('{"l": [1, 2,', {"l": [1, 2]}),
        ('{"l": [1, 2, ', {"l": [1, 2]}),
        ('{"l": ["a", "b', {"l": ["a", "b"]}),
        ('{"l": ["a", "', {"l": ["a", ""]}),
        ('{"l": [{"x": 1}, {"x', {"l": [{"x": 1}, {}]}),
        ('{"l": [[], [[1.5', {"l": [[], [[]]]}),
        ('{"a": {"b": {"c": "deep', {"a": {"b": {"c": "deep"}}}),
        ('{"a": {}, "b": [] ', {"a": {}, "b": []}),
        ('{"a": "x"} trailing text', {"a": "x"}),
    ],
)
def test_prefix_snapshots(text: str, expected: Any) -> None:
    if expected is None:
        parser = PartialJSONParser()
        parser.feed(text)
        assert parser.error is not None
        return
    assert _snapshot(text) == expected
    # The same prefix fed one character at a time gives the same snapshot.
    parser = PartialJSONParser()
    for char in text:
        parser.feed(char)
    assert parser.snapshot() == expected


def test_number_never_reported_truncated() -> None:
    stream = PartialStream(Author)
    assert stream.feed('{"born": 196') == Author.model_construct(name=None, born=None)
    assert stream.feed("5") is None
    assert stream.feed(" ") == Author.model_construct(name=None, born=1965)
    assert stream.feed("}") is None


DOCS = [
    BOOK_PRETTY,
    BOOK_COMPACT,
    '{"a": [1, -2.5, 3e10, 0, -0.0, 1E-2, true, false, null, "s", [], {}, [[[]]]]}',
    '{"nested": {"list": [{"k": "v\\n\\r\\t\\b\\f\\/"}, {"k": ""}], "n": 123456789012345}}',
    '  {"k\\u00e9y": "\\ud83d\\ude00\\u0041", "e": "", "x": [  "a" , "b" ] }  ',
    '{"nan": NaN, "inf": Infinity, "ninf": -Infinity}',
    '[1, [2, [3, {}]], "end"]',
    '"just a string \\" with \\\\ escapes"',
    "-12.5e3 ",
]


def _is_partial_of(part: Any, whole: Any) -> bool:
    """A snapshot is consistent with the final value: nothing wrong, only less."""
    if isinstance(whole, dict):
        return isinstance(part, dict) and all(
            k in whole and _is_partial_of(v, whole[k]) for k, v in part.items()
        )
    if isinstance(whole, list):
        return (
            isinstance(part, list)
            and len(part) <= len(whole)
            and all(_same(a, b) for a, b in zip(part[:-1], whole, strict=False))
            and (not part or _is_partial_of(part[-1], whole[len(part) - 1]))
        )
    if isinstance(whole, str):
        return isinstance(part, str) and whole.startswith(part)
    return _same(part, whole)


def _same(a: Any, b: Any) -> bool:
    # NaN != NaN; compare by repr, which also tells 1 from 1.0 and 0.0 from -0.0.
    return repr(a) == repr(b)


@pytest.mark.parametrize("doc", DOCS)
def test_parser_every_prefix(doc: str) -> None:
    final = jiter.from_json(doc.encode())
    incremental = PartialJSONParser()
    for end in range(len(doc) + 1):
        if end:
            incremental.feed(doc[end - 1])
        whole = PartialJSONParser()
        whole.feed(doc[:end])
        snap = whole.snapshot()
        assert _same(snap, incremental.snapshot()), doc[:end]
        assert snap is MISSING or _is_partial_of(snap, final), doc[:end]
    assert _same(incremental.snapshot(), final)
    assert incremental.done


def test_feed_reports_how_much_is_json() -> None:
    parser = PartialJSONParser()
    assert parser.feed('{"a": 1') == (7, True)
    assert parser.feed("2} and more") == (2, True)
    assert parser.done
    assert parser.feed("more") == (0, False)
    assert parser.snapshot() == {"a": 12}


MALFORMED = [
    '{"a": tr}',
    '{"a": trux}',
    '{"a": 01}',
    '{"a": 1.}',
    '{"a": 1.e5}',
    '{"a": -}',
    '{"a": +1}',
    '{"a": 1e}',
    '{"a": [1,]}',
    '{"a": 1,}',
    '{"a" 1}',
    "{a: 1}",
    '{"a": 1 "b": 2}',
    '{"a": [1}',
    '{"a": "x\ny"}',
    '{"a": "\x01"}',
    '{"a": "\\x41"}',
    '{"a": "\\u12G4"}',
    '{"a": "\\ud83d x"}',
    '{"a": "\\ud83d\\u0041"}',
    '{"a": "\\ude00"}',
    '{"a": "é", "b": é}',
]


@pytest.mark.parametrize("doc", MALFORMED)
def test_malformed_json_stops_the_parser(doc: str) -> None:
    # pydantic's JSON parser (jiter) rejects these too, so no partial shows a value
    # the final validation would refuse.
    with pytest.raises(ValueError):
        jiter.from_json(doc.encode())
    parser = PartialJSONParser()
    for char in doc:
        parser.feed(char)
    assert parser.error is not None
    assert parser.feed('"more"') == (6, False)


@pytest.mark.parametrize("doc", MALFORMED)
def test_malformed_json_is_a_structured_output_error(doc: str) -> None:
    stream = PartialStream(Author)
    for char in doc:
        stream.feed(char)
    assert stream.feed(', "name": "x"') is None
    with pytest.raises(StructuredOutputError) as info:
        stream.finish()
    assert info.value.errors == []
    assert info.value.raw == doc + ', "name": "x"'
    assert "not valid JSON" in str(info.value)


# --- PartialStream ---------------------------------------------------------------------


def test_yields_only_changes() -> None:
    stream = PartialStream(Book)
    assert stream.feed("") is None
    assert stream.feed("  ") is None
    first = stream.feed("{")
    assert first is not None and first.title is None
    for fragment in ["\n ", '"ti', 'tle"', " ", ":", " "]:
        assert stream.feed(fragment) is None, fragment
    values: dict[str, Any] = {**dict.fromkeys(Book.model_fields), "title": ""}
    assert stream.feed('"') == Book.model_construct(**values)
    assert stream.feed('"') is None  # closing quote: same value
    assert stream.feed(", ") is None


def test_missing_fields_are_none_not_defaults() -> None:
    class WithDefaults(BaseModel):
        title: str = "Untitled"
        tags: list[str] = Field(default_factory=lambda: ["x"])
        count: int = 3

    stream = PartialStream(WithDefaults)
    partial = stream.feed('{"count": 5, "tags": [')
    assert partial is not None
    assert partial.title is None
    assert partial.tags == []
    assert partial.count == 5
    assert partial.model_fields_set == {"count", "tags"}
    stream.feed("]}")
    assert stream.finish() == WithDefaults(count=5, tags=[])


def test_null_is_not_a_change_but_is_in_fields_set() -> None:
    stream = PartialStream(Book)
    assert stream.feed('{"isbn": null') is not None  # the "{"
    assert stream.feed(", ") is None
    partial = stream.feed('"title": "T')
    assert partial is not None
    assert partial.isbn is None and partial.title == "T"
    assert partial.model_fields_set == {"isbn", "title"}


def test_unknown_keys_are_dropped_without_yields() -> None:
    stream = PartialStream(Author)
    assert stream.feed("{") is not None
    for char in '"junk": {"deep": ["x", 1, {"y": "zzz"}]}, "more": "text", ':
        assert stream.feed(char) is None
    partial = stream.feed('"name": "A"')
    assert partial == Author.model_construct(name="A", born=None)


def test_leading_prose_code_fence_and_trailing_text() -> None:
    text = "Sure! Here is the book:\n```json\n" + BOOK_PRETTY + "\n```\nEnjoy {it}."
    for fragments in (list(text), [text], [text[:30], text[30:300], text[300:]]):
        stream = PartialStream(Book)
        partials = [p for p in map(stream.feed, fragments) if p is not None]
        assert stream.raw == BOOK_PRETTY
        assert stream.text == text
        assert stream.complete
        final = stream.finish()
        _check(partials, final)


def test_leading_think_block_is_skipped() -> None:
    thinking = '<think>Maybe {"title": "wrong"}? No.</think>\n'
    text = "\n" + thinking + BOOK_COMPACT
    expected = Book.model_validate_json(BOOK_COMPACT)
    for cut in range(len(text)):
        partials, final = _feed_all([text[:cut], text[cut:]], Book)
        assert final == expected
        _check(partials, final)
    partials, final = _feed_all(list(text), Book)
    _check(partials, final)


def test_unfinished_think_block_is_an_error() -> None:
    stream = PartialStream(Author)
    assert stream.feed('<think>{"name": "A", "born": 1}') is None
    with pytest.raises(StructuredOutputError, match="contains no JSON object") as info:
        stream.finish()
    assert info.value.raw == '<think>{"name": "A", "born": 1}'


def test_invalid_final_answer() -> None:
    answer = '{"name": "Ann", "born": "nineteen-fifty"}'
    stream = PartialStream(Author)
    for char in answer:
        stream.feed(char)
    with pytest.raises(StructuredOutputError, match="does not validate as Author") as info:
        stream.finish()
    assert info.value.raw == answer
    assert [(e["type"], e["loc"]) for e in info.value.errors] == [("int_parsing", ("born",))]


def test_missing_field_in_final_answer() -> None:
    stream = PartialStream(Book)
    stream.feed('```json\n{"title": "T"}\n```')
    with pytest.raises(StructuredOutputError) as info:
        stream.finish()
    assert info.value.raw == '{"title": "T"}'
    assert {e["type"] for e in info.value.errors} == {"missing"}
    assert len(info.value.errors) == 6


@pytest.mark.parametrize("answer", ['{"name": "Ann", "born": 19', '{"name": "Ann"', "{"])
def test_truncated_answer(answer: str) -> None:
    stream = PartialStream(Author)
    stream.feed(answer)
    assert not stream.complete
    with pytest.raises(StructuredOutputError, match="not valid JSON") as info:
        stream.finish()
    assert info.value.raw == answer
    assert info.value.errors == []


@pytest.mark.parametrize("answer", ["", "   ", "I cannot answer that.", "```json\n```"])
def test_no_json_at_all(answer: str) -> None:
    stream = PartialStream(Author)
    assert stream.feed(answer) is None
    with pytest.raises(StructuredOutputError, match="no JSON object") as info:
        stream.finish()
    assert info.value.raw == answer
    assert info.value.errors == []


def test_error_property_and_no_yields_after_error() -> None:
    stream = PartialStream(Author)
    assert stream.feed('{"name": "A') is not None
    assert stream.feed('", "born": 01, "name": "B"}') is None
    assert stream.error is not None and "invalid number" in stream.error
    assert stream.latest == Author.model_construct(name="A", born=None)


# --- partial models --------------------------------------------------------------------


def test_partial_of_nested() -> None:
    partial = partial_of(Book, {"title": "T", "author": {"name": "A"}, "tags": ["x"]})
    assert isinstance(partial, Book)
    assert isinstance(partial.author, Author)
    assert partial.author.born is None
    assert partial.year is None
    assert partial.model_fields_set == {"title", "author", "tags"}
    assert partial.author.model_fields_set == {"name"}


def test_fast_construction_matches_model_construct() -> None:
    fast = partial_of(Author, {"name": "A", "born": 1})
    slow = Author.model_construct(name="A", born=1)
    assert fast.__dict__ == slow.__dict__
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.__pydantic_extra__ == slow.__pydantic_extra__
    assert fast.__pydantic_private__ == slow.__pydantic_private__
    assert fast.model_dump() == slow.model_dump()


class Cat(BaseModel):
    kind: Literal["cat"]
    name: str
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    name: str
    good: bool


class Owner(BaseModel):
    pets: list[Annotated[Cat | Dog, Field(discriminator="kind")]]
    best: Cat | Dog | None
    by_name: dict[str, Author]
    pair: tuple[int, Author]
    rest: tuple[int, ...]
    scores: list[float]
    mixed: int | float
    loose: float | str
    extra_info: Any


def test_unions_dicts_tuples_and_floats() -> None:
    answer = json.dumps(
        {
            "pets": [
                {"kind": "dog", "name": "Rex", "good": True},
                {"kind": "cat", "name": "Tom", "lives": 9},
            ],
            "best": {"name": "Tom", "lives": 9, "kind": "cat"},
            "by_name": {"ann": {"name": "Ann", "born": 1950}},
            "pair": [1, {"name": "B", "born": 2}],
            "rest": [1, 2],
            "scores": [1, 2.5],
            "mixed": 3,
            "loose": 4,
            "extra_info": {"a": [1, {"b": None}]},
        }
    )
    stream = PartialStream(Owner)
    partials = [p for p in map(stream.feed, answer) if p is not None]
    final = stream.finish()
    assert partials[-1] == final
    assert isinstance(final.scores[0], float) and isinstance(partials[-1].scores[0], float)
    assert type(partials[-1].mixed) is int and type(partials[-1].loose) is float
    for p in partials:
        for pet in p.pets or []:
            assert isinstance(pet, Dog if pet.kind in ("d", "do", "dog") else Cat)
        if p.best is not None and p.best.kind is not None:
            assert isinstance(p.best, Cat)
        for author in (p.by_name or {}).values():
            assert isinstance(author, Author)
        if p.pair is not None:
            assert isinstance(p.pair, tuple)
            if len(p.pair) == 2:
                assert isinstance(p.pair[1], Author)


def test_aliases() -> None:
    class Aliased(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        title: str = Field(alias="bookTitle")
        year: int = Field(validation_alias="yr")

    stream = PartialStream(Aliased)
    partial = stream.feed('{"bookTitle": "T", "yr": 1')
    assert partial is not None and partial.title == "T" and partial.year is None
    partial = stream.feed("}")
    assert partial is not None and partial.year == 1
    assert partial == stream.finish()


def test_recursive_model() -> None:
    class Node(BaseModel):
        label: str
        children: list[Node]

    Node.model_rebuild()
    answer = (
        '{"label": "a", "children": [{"label": "b", "children": [{"label": "c", "children": []}]}]}'
    )
    partials, final = _feed_all(list(answer), Node)
    assert partials[-1] == final
    deepest = [p for p in partials if p.children and p.children[0].children]
    assert isinstance(deepest[0].children[0].children[0], Node)


def test_models_with_post_init_and_private_attributes() -> None:
    class Secretive(BaseModel):
        name: str
        _cache: dict[str, int] = PrivateAttr(default_factory=dict)

        def model_post_init(self, context: Any, /) -> None:
            self._cache["seen"] = 1

    stream = PartialStream(Secretive)
    partial = stream.feed('{"name": "x')
    assert partial is not None and partial.name == "x"
    assert partial._cache == {"seen": 1}
    stream.feed('"}')
    assert stream.finish().name == "x"


def test_extra_allow_model() -> None:
    class Open(BaseModel):
        model_config = ConfigDict(extra="allow")
        name: str

    stream = PartialStream(Open)
    for char in '{"name": "n", "other": 1}':
        stream.feed(char)
    partial = stream.latest
    assert partial is not None and partial.__pydantic_extra__ == {}
    assert stream.finish().__pydantic_extra__ == {"other": 1}


def test_shape_is_cached_and_does_not_keep_classes_alive() -> None:
    assert model_shape(Book) is model_shape(Book)
    dynamic = create_model("Dynamic", name=(str, ...))
    partial_of(dynamic, {"name": "x"})
    ref = weakref.ref(dynamic)
    del dynamic
    gc.collect()
    assert ref() is None


def test_partials_are_independent_snapshots() -> None:
    stream = PartialStream(Book)
    first = stream.feed('{"tags": ["a"')
    second = stream.feed(', "b"')
    assert first is not None and second is not None
    assert first.tags == ["a"] and second.tags == ["a", "b"]


def test_root_models_are_refused() -> None:
    from pydantic import RootModel

    with pytest.raises(TypeError, match="RootModel"):
        PartialStream(RootModel[list[int]])


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return rng.choice([True, False, None])
    if kind == 1:
        return rng.randint(-(10**12), 10**12) // rng.choice([1, 1000, 10**9])
    if kind == 2:
        return rng.choice([0.0, -0.5, 1e-7, 2.5e300, 123.456, -1e22])
    if kind in (3, 4, 5):
        alphabet = 'ab "\\/\n\t\x01é日😀\u2028\ud7ff\ue000'
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(8)))
    if kind in (6, 7):
        return {f"k{i}\u00e9" * rng.randrange(2): _random_json(rng, depth + 1) for i in range(4)}
    return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]


def test_random_documents_random_fragments() -> None:
    rng = random.Random(7)
    for _ in range(150):
        value = _random_json(rng)
        doc = json.dumps(value, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))
        doc += " "  # a bare top-level number is only complete once something follows it
        cuts = sorted(set(rng.sample(range(len(doc) + 1), min(len(doc) + 1, 12))))
        pieces = [doc[a:b] for a, b in zip([0, *cuts], [*cuts, len(doc)], strict=True)]
        parser = PartialJSONParser()
        seen = ""
        for piece in pieces:
            parser.feed(piece)
            seen += piece
            snap = parser.snapshot()
            assert _same(snap, _snapshot(seen)), seen
            assert snap is MISSING or _is_partial_of(snap, value), seen
        assert _same(parser.snapshot(), value)


def test_text_before_an_error_in_the_same_fragment_is_kept() -> None:
    stream = PartialStream(Author)
    stream.feed('{"name": "A')
    assert stream.feed('B\x01C", "born": 1}') == Author.model_construct(name="AB", born=None)
    assert stream.error is not None and "control character" in stream.error
    assert stream.feed("more") is None
    stream = PartialStream(Author)
    assert stream.feed('{"born": 12, x') == Author.model_construct(name=None, born=12)
    assert stream.error is not None
    assert not stream.complete
