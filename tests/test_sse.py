"""``mirastream.groq._sse.SSEDecoder`` against the WHATWG "interpreting an event stream" rules.

Bytes go in, events come out; no IO. Every case that depends on where reads are cut is
also run at every cut point, so a decoder that only works on whole lines fails here.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterable, Sequence

import pytest
from conftest import EXPECTED, FIXTURE_NAMES, fixture_bytes

from mirastream.groq._sse import ServerSentEvent, SSEDecoder

Ev = tuple[str, str, str, int | None]  # (data, event, id, retry)
BOM_BYTES = b"\xef\xbb\xbf"


def decode(*pieces: bytes) -> list[ServerSentEvent]:
    """Feed each piece as one read, then signal end of input."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events += decoder.feed(piece)
    events += decoder.flush()
    return events


def simple(events: Iterable[ServerSentEvent]) -> list[Ev]:
    return [(e.data, e.event, e.id, e.retry) for e in events]


def datas(events: Iterable[ServerSentEvent]) -> list[str]:
    return [e.data for e in events]


def splits_in_two(data: bytes) -> Iterable[tuple[bytes, bytes]]:
    for i in range(len(data) + 1):
        yield data[:i], data[i:]


def random_pieces(data: bytes, cuts: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    points = sorted(rng.randint(0, len(data)) for _ in range(cuts))
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def byte_by_byte(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def assert_split_invariant(data: bytes, expected: Sequence[Ev]) -> None:
    """``data`` decodes to ``expected`` whole, at every 2-way cut, and byte by byte."""
    assert simple(decode(data)) == list(expected)
    for head, tail in splits_in_two(data):
        assert simple(decode(head, tail)) == list(expected), (head, tail)
    assert simple(decode(*byte_by_byte(data))) == list(expected)


# ---------------------------------------------------------------------------------------
# The event model itself
# ---------------------------------------------------------------------------------------


def test_server_sent_event_defaults_and_data_property() -> None:
    event = ServerSentEvent(b"caf\xc3\xa9")
    assert event.data == "café"
    assert event.raw_data == b"caf\xc3\xa9"
    assert tuple(event) == (b"caf\xc3\xa9", "message", "", None)


def test_feed_of_nothing_returns_nothing() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"") == []
    assert datas(decoder.feed(b"\n")) == ["a"]
    assert decoder.flush() == []


def test_events_are_released_as_soon_as_their_blank_line_arrives() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: one\n\ndata: tw") == [ServerSentEvent(b"one")]
    assert decoder.feed(b"o\n") == []
    assert decoder.feed(b"\n") == [ServerSentEvent(b"two")]


def per_event(data: bytes) -> list[bytes]:
    """One read per blank-line-terminated LF event: how Groq's writes usually arrive."""
    return [part + b"\n\n" for part in data.split(b"\n\n") if part]


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        ([b"event: ping\n", b"data: x\n\n"], [("x", "ping", "", None)]),
        ([b"data: a\n", b"data: b\n\n"], [("a\nb", "message", "", None)]),
        ([b"id: 1\n\n", b"data: x\n\n"], [("x", "message", "1", None)]),
        ([b"retry: 9\n", b"data: x\n\n"], [("x", "message", "", 9)]),
        ([b"retry: 9\n\n", b"data: x\n\n"], [("x", "message", "", None)]),
        ([BOM_BYTES, b"data: x\n\n"], [("x", "message", "", None)]),
        (
            [b"data: a\r", b"\n\r\n", b"data: b\n\n"],
            [("a", "message", "", None), ("b", "message", "", None)],
        ),
        ([b"data: a\r", b"data: b\n\n"], [("a\nb", "message", "", None)]),
        (
            [b"data: a\n\n", b"data:  b\n\n", b"data: \n\n"],
            [("a", "message", "", None), (" b", "message", "", None), ("", "message", "", None)],
        ),
        (
            [b": hi\n\n", b"data: x\n\n", b"event: e\ndata: y\n\n"],
            [("x", "message", "", None), ("y", "e", "", None)],
        ),
    ],
    ids=[
        "event",
        "two-lines",
        "id",
        "retry",
        "retry-reset",
        "bom",
        "cr-lf-split",
        "cr",
        "spaces",
        "comment",
    ],
)
def test_whole_event_reads_after_partial_state(pieces: list[bytes], expected: list[Ev]) -> None:
    # A read holding exactly one `data: ...\n\n` event may take a fast path; it must
    # still honour whatever state earlier reads left behind.
    assert simple(decode(*pieces)) == expected


# ---------------------------------------------------------------------------------------
# Line endings: LF, CRLF, lone CR, also cut between reads
# ---------------------------------------------------------------------------------------

ENDINGS = {"LF": b"\n", "CRLF": b"\r\n", "CR": b"\r"}


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
def test_line_endings(ending: bytes) -> None:
    body = b"".join(
        line + ending
        for line in [
            b"data: a",
            b"data: b",
            b"",
            b"event: named",
            b"id: 7",
            b"data: c",
            b"",
            b": comment",
            b"data: d",
            b"",
        ]
    )
    expected: list[Ev] = [
        ("a\nb", "message", "", None),
        ("c", "named", "7", None),
        ("d", "message", "7", None),
    ]
    assert_split_invariant(body, expected)


def test_cr_at_end_of_read_and_lf_at_start_of_next_are_one_line_end() -> None:
    # If the LF were taken as a second line end, the blank line would dispatch "a" alone.
    assert datas(decode(b"data: a\r", b"\ndata: b\r\n\r\n")) == ["a\nb"]
    assert datas(decode(b"data: a\r", b"\n", b"data: b\r", b"\n\r", b"\n")) == ["a\nb"]


def test_lone_cr_then_lf_in_a_later_read_after_an_empty_read() -> None:
    assert datas(decode(b"data: a\r", b"", b"\ndata: b\n\n")) == ["a\nb"]


def test_cr_cr_dispatches_at_the_second_cr_without_waiting() -> None:
    decoder = SSEDecoder()
    assert datas(decoder.feed(b"data: a\r\r")) == ["a"]
    # The LF that follows completes a CRLF pair: it is not another (blank) line.
    assert decoder.feed(b"\ndata: b\r") == []
    assert datas(decoder.feed(b"\r")) == ["b"]


@pytest.mark.parametrize(
    "body",
    [b"data: a\n\r\n", b"data: a\r\n\n", b"data: a\n\r", b"data: a\r\n\r\n", b"data: a\r\r"],
    ids=["LF+CRLF", "CRLF+LF", "LF+CR", "CRLF+CRLF", "CR+CR"],
)
def test_mixed_terminators_release_the_event_immediately(body: bytes) -> None:
    # The groq SDK holds `\n\r\n` and `\r\n\n` events back until a later read completes
    # a boundary it recognises (groq-wire.md §7); a spec decoder dispatches at once.
    decoder = SSEDecoder()
    assert datas(decoder.feed(body)) == ["a"]
    assert datas(decoder.feed(b"data: b\n\n")) == ["b"]


def test_line_end_characters_other_than_cr_and_lf_are_data() -> None:
    # U+2028, U+2029, NEL, VT, FF and the C0 separators end lines in str.splitlines();
    # in SSE they are ordinary characters. A CR elsewhere forces the CR-aware path too.
    weird = "a\u2028b\u2029c\u0085d\x0be\x0cf\x1cg\x1dh\x1ei"
    for ending in ENDINGS.values():
        body = b"data: " + weird.encode() + ending + ending
        assert datas(decode(body)) == [weird]
        assert datas(decode(*byte_by_byte(body))) == [weird]


# ---------------------------------------------------------------------------------------
# Byte order mark
# ---------------------------------------------------------------------------------------

BOM = BOM_BYTES


def test_leading_bom_is_stripped() -> None:
    assert_split_invariant(BOM + b"data: a\n\n", [("a", "message", "", None)])


def test_leading_bom_split_byte_by_byte_is_stripped() -> None:
    assert datas(decode(b"\xef", b"\xbb", b"\xbf", b"data: a\n\n")) == ["a"]
    assert datas(decode(b"\xef", b"\xbb\xbfdata: a\n\n")) == ["a"]
    assert datas(decode(b"\xef\xbb", b"\xbfdata", b": a\n\n")) == ["a"]


def test_only_one_bom_is_stripped() -> None:
    # The second BOM is part of the first line's field name: "\ufeffdata" is unknown.
    assert decode(BOM + BOM + b"data: a\n\ndata: b\n\n") == [ServerSentEvent(b"b")]


def test_bom_later_in_the_stream_is_not_stripped() -> None:
    assert datas(decode(b"data: a\n\n" + BOM + b"data: b\n\ndata: c\n\n")) == ["a", "c"]
    assert datas(decode(b"data: a\n\n", BOM + b"data: b\n\n")) == ["a"]


def test_bom_inside_a_value_is_kept() -> None:
    assert datas(decode(b"data: " + BOM + b"x\n\n")) == ["\ufeffx"]


def test_incomplete_bom_is_not_stripped() -> None:
    # EF BB followed by "d" is not a BOM: the bytes stay, so the field name is garbage.
    assert decode(b"\xef\xbb", b"data: a\n\n") == []
    assert decode(b"\xefdata: a\n\ndata: b\n\n") == [ServerSentEvent(b"b")]


def test_bom_alone_or_unterminated_gives_nothing() -> None:
    assert decode(BOM) == []
    assert decode(b"\xef", b"\xbb") == []


# ---------------------------------------------------------------------------------------
# Field parsing
# ---------------------------------------------------------------------------------------


def test_comments_are_ignored() -> None:
    body = b":\n: hello\ndata: a\n:data: not data\n\n: only a comment\n\n"
    assert_split_invariant(body, [("a", "message", "", None)])


@pytest.mark.parametrize(
    ("line", "value"),
    [
        (b"data:a", "a"),
        (b"data: a", "a"),
        (b"data:  a", " a"),
        (b"data:   a ", "  a "),
        (b"data:\ta", "\ta"),
        (b"data: ", ""),
        (b"data:", ""),
        (b"data", ""),
        (b"data::", ":"),
        (b"data: a: b", "a: b"),
    ],
)
def test_one_optional_space_after_the_colon_is_removed(line: bytes, value: str) -> None:
    assert datas(decode(line + b"\n\n")) == [value]
    assert datas(decode(line + b"\r\n\r\n")) == [value]


@pytest.mark.parametrize(
    ("line", "event"),
    [(b"event:x", "x"), (b"event: x", "x"), (b"event:  x", " x"), (b"event", "message")],
)
def test_event_field_space_handling(line: bytes, event: str) -> None:
    assert [e.event for e in decode(line + b"\ndata: d\n\n")] == [event]


def test_colonless_line_is_a_field_with_empty_value() -> None:
    assert simple(decode(b"data\n\n")) == [("", "message", "", None)]
    assert datas(decode(b"data\ndata\n\n")) == ["\n"]
    assert datas(decode(b"data: a\ndata\ndata: b\n\n")) == ["a\n\nb"]
    # "event" with no value resets the type to the default.
    assert [e.event for e in decode(b"event: x\nevent\ndata: d\n\n")] == ["message"]


def test_multiline_data_is_joined_with_lf() -> None:
    assert_split_invariant(
        b"data: a\ndata: b\ndata:\ndata: c\n\n", [("a\nb\n\nc", "message", "", None)]
    )


def test_data_lines_with_empty_value_dispatch_an_empty_event() -> None:
    assert simple(decode(b"data:\n\n")) == [("", "message", "", None)]
    assert simple(decode(b"data: \n\n")) == [("", "message", "", None)]
    assert decode(b"data:\n\n")[0].raw_data == b""


@pytest.mark.parametrize(
    "block",
    [
        b"event: ping\n\n",
        b"id: 1\n\n",
        b"retry: 1000\n\n",
        b"event: ping\nid: 2\nretry: 5\n\n",
        b"foo: bar\n\n",
        b": just a comment\n\n",
        b"\n\n\n\n",
    ],
)
def test_blocks_without_data_dispatch_nothing(block: bytes) -> None:
    assert decode(block) == []


def test_event_and_retry_reset_after_a_data_less_block_but_id_persists() -> None:
    body = b"event: ping\nid: 1\nretry: 1000\n\ndata: x\n\n"
    assert simple(decode(body)) == [("x", "message", "1", None)]


def test_id_persists_across_events_and_can_be_reset() -> None:
    body = b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\n\ndata: d\n\n"
    assert [e.id for e in decode(body)] == ["1", "1", "", "2"]


def test_extra_blank_lines_after_an_id_dispatch_nothing() -> None:
    # The groq SDK dispatches an empty event for each extra blank line here (3 events).
    assert datas(decode(b"id: 1\ndata: x\n\n\n\n")) == ["x"]


def test_id_containing_nul_is_ignored() -> None:
    body = b"id: 5\ndata: a\n\nid: 6\x007\ndata: b\n\n"
    assert [e.id for e in decode(body)] == ["5", "5"]


def test_id_with_non_ascii_is_kept() -> None:
    assert [e.id for e in decode("id: é-1\ndata: a\n\n".encode())] == ["é-1"]


@pytest.mark.parametrize(
    ("line", "retry"),
    [
        (b"retry: 1000", 1000),
        (b"retry:1000", 1000),
        (b"retry: 0", 0),
        (b"retry: 007", 7),
        (b"retry: +5", None),
        (b"retry: 1_000", None),
        (b"retry: -5", None),
        (b"retry:  5", None),  # one space stripped, the second stays: not all digits
        (b"retry: 5 ", None),
        (b"retry: 5.0", None),
        (b"retry: 0x10", None),
        (b"retry: ", None),
        (b"retry", None),
        ("retry: ١٢".encode(), None),  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_retry_only_when_all_ascii_digits(line: bytes, retry: int | None) -> None:
    assert [e.retry for e in decode(line + b"\ndata: x\n\n")] == [retry]


def test_retry_applies_to_its_own_event_only() -> None:
    assert [e.retry for e in decode(b"retry: 5\ndata: a\n\ndata: b\n\n")] == [5, None]


def test_unknown_and_wrong_case_fields_are_ignored() -> None:
    body = b"foo: bar\nDATA: no\nData: no\n data: no\nevent : no\ndata: yes\n\n"
    assert simple(decode(body)) == [("yes", "message", "", None)]


# ---------------------------------------------------------------------------------------
# End of input
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [b"data: b", b"data: b\n", b"data: b\r\n", b"data: b\r", b"event: x\ndata: b\n"],
)
def test_unterminated_event_at_eof_is_discarded(tail: bytes) -> None:
    assert datas(decode(b"data: a\n\n" + tail)) == ["a"]
    decoder = SSEDecoder()
    assert datas(decoder.feed(b"data: a\n\n" + tail)) == ["a"]
    assert decoder.flush() == []


def test_flush_forgets_the_unfinished_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.flush() == []
    assert decoder.flush() == []


# ---------------------------------------------------------------------------------------
# UTF-8
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"a\xffb", "a\ufffdb"),
        (b"\xe2\x82", "\ufffd"),
        (b"\xc0\xaf", "\ufffd\ufffd"),
        (b"\xed\xa0\x80", "\ufffd\ufffd\ufffd"),  # an encoded surrogate
        (b"ok \xf0\x9f\x98", "ok \ufffd"),
    ],
)
def test_invalid_utf8_becomes_replacement_characters(raw: bytes, text: str) -> None:
    (event,) = decode(b"data: " + raw + b"\n\n")
    assert event.raw_data == raw
    assert event.data == text


def test_invalid_utf8_in_event_name_is_replaced_not_fatal() -> None:
    assert [e.event for e in decode(b"event: x\xff\ndata: d\n\n")] == ["x\ufffd"]


def test_u2028_inside_data_is_not_a_line_end() -> None:
    body = '{"content":" \u2028"}'.encode()
    assert_split_invariant(b"data: " + body + b"\n\n", [(body.decode(), "message", "", None)])


def test_multibyte_characters_split_across_reads() -> None:
    text = "известни ✓ 🎉 \u00d7"
    body = b'data: {"content":"' + text.encode() + b'"}\n\n'
    expected: list[Ev] = [('{"content":"' + text + '"}', "message", "", None)]
    assert_split_invariant(body, expected)
    for seed in range(20):
        assert simple(decode(*random_pieces(body, 6, seed))) == expected


# ---------------------------------------------------------------------------------------
# The groq SDK's tests/test_streaming.py cases (groq-wire.md §8), ported to the decoder.
# The SDK's ServerSentEvent.event is None for unnamed events; ours is "message" (spec).
# ---------------------------------------------------------------------------------------


def test_sdk_basic() -> None:
    (event,) = decode(b"event: completion\n", b'data: {"foo":true}\n', b"\n")
    assert event.event == "completion"
    assert json.loads(event.data) == {"foo": True}


def test_sdk_data_missing_event() -> None:
    (event,) = decode(b'data: {"foo":true}\n', b"\n")
    assert event.event == "message"  # SDK: None
    assert json.loads(event.data) == {"foo": True}


def test_sdk_event_missing_data() -> None:
    # SDK: one event "ping" with data "". The spec dispatches nothing for a block without
    # data, and mirastream follows the spec (the SDK then crashes on json.loads("")).
    assert decode(b"event: ping\n", b"\n") == []


def test_sdk_multiple_events() -> None:
    # SDK: two data-less events ("ping", "completion"); spec and mirastream: none.
    assert decode(b"event: ping\n", b"\n", b"event: completion\n", b"\n") == []


def test_sdk_multiple_events_with_data() -> None:
    events = decode(
        b"event: ping\n",
        b'data: {"foo":true}\n',
        b"\n",
        b"event: completion\n",
        b'data: {"bar":false}\n',
        b"\n",
    )
    assert [e.event for e in events] == ["ping", "completion"]
    assert [json.loads(e.data) for e in events] == [{"foo": True}, {"bar": False}]


def test_sdk_multiple_data_lines_with_empty_line() -> None:
    events = decode(
        b"event: ping\n",
        b"data: {\n",
        b'data: "foo":\n',
        b"data: \n",
        b"data:\n",
        b"data: true}\n",
        b"\n\n",
    )
    (event,) = events  # the extra blank line adds no event
    assert event.event == "ping"
    assert event.data == '{\n"foo":\n\n\ntrue}'
    assert json.loads(event.data) == {"foo": True}


def test_sdk_data_json_escaped_double_new_line() -> None:
    (event,) = decode(b"event: ping\n", b'data: {"foo": "my long\\n\\ncontent"}', b"\n\n")
    assert event.event == "ping"
    assert json.loads(event.data) == {"foo": "my long\n\ncontent"}


def test_sdk_multiple_data_lines() -> None:
    (event,) = decode(b"event: ping\n", b"data: {\n", b'data: "foo":\n', b"data: true}\n", b"\n\n")
    assert event.event == "ping"
    assert json.loads(event.data) == {"foo": True}


def test_sdk_special_new_line_character() -> None:
    events = decode(
        b'data: {"content":" culpa"}\n',
        b"\n",
        b'data: {"content":" \xe2\x80\xa8"}\n',
        b"\n",
        b'data: {"content":"foo"}\n',
        b"\n",
    )
    assert [e.event for e in events] == ["message"] * 3  # SDK: None
    assert [json.loads(e.data) for e in events] == [
        {"content": " culpa"},
        {"content": " \u2028"},
        {"content": "foo"},
    ]


def test_sdk_multi_byte_character_multiple_chunks() -> None:
    (event,) = decode(
        b'data: {"content":"',
        # 'известни' cut so that some characters span reads
        b"\xd0",
        b"\xb8\xd0\xb7\xd0",
        b"\xb2\xd0\xb5\xd1\x81\xd1\x82\xd0\xbd\xd0\xb8",
        b'"}\n',
        b"\n",
    )
    assert event.event == "message"  # SDK: None
    assert json.loads(event.data) == {"content": "известни"}


# ---------------------------------------------------------------------------------------
# The recorded-shape fixtures: however the body is cut, the events are the same.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_events_whole(name: str) -> None:
    events = decode(fixture_bytes(name))
    expected = EXPECTED[name]
    if expected.events is not None:
        assert len(events) == expected.events
    error = expected.error is not None
    assert len(events) == expected.chunks + 1  # + [DONE], or + the error event
    assert events[-1].data != "[DONE]" if error else events[-1].data == "[DONE]"
    assert [e.event for e in events] == ["message"] * expected.chunks + [
        "error" if error else "message"
    ]
    for event in events[:-1]:
        assert json.loads(event.data)["id"] == expected.completion_id
        assert event.id == "" and event.retry is None


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_every_split_in_two(name: str) -> None:
    body = fixture_bytes(name)
    whole = decode(body)
    for i in range(len(body) + 1):
        decoder = SSEDecoder()
        events = decoder.feed(body[:i])
        events += decoder.feed(body[i:])
        events += decoder.flush()
        assert events == whole, i


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_one_event_per_read(name: str) -> None:
    body = fixture_bytes(name)
    assert decode(*per_event(body)) == decode(body)
    assert b"".join(per_event(body)) == body


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_byte_by_byte(name: str) -> None:
    body = fixture_bytes(name)
    assert decode(*byte_by_byte(body)) == decode(body)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_200_random_splits(name: str) -> None:
    body = fixture_bytes(name)
    whole = decode(body)
    for seed in range(10):
        assert decode(*random_pieces(body, 200, seed)) == whole, seed


@pytest.mark.parametrize("ending", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_with_other_line_endings(name: str, ending: bytes) -> None:
    body = fixture_bytes(name)
    converted = body.replace(b"\n", ending)
    whole = decode(body)
    assert decode(converted) == whole
    assert decode(*byte_by_byte(converted)) == whole
    for seed in range(5):
        assert decode(*random_pieces(converted, 200, seed)) == whole


def test_fixture_with_crlf_every_split_in_two() -> None:
    body = fixture_bytes("03_tool_call_single.sse").replace(b"\n", b"\r\n")
    whole = decode(body)
    assert len(whole) == 4
    for head, tail in splits_in_two(body):
        assert decode(head, tail) == whole


def test_fixture_with_bom_byte_by_byte() -> None:
    body = fixture_bytes("01_text_xgroq_usage.sse")
    assert decode(*byte_by_byte(BOM + body)) == decode(body)
