"""Tests for the pure retry-policy functions in ``mirastream.groq._retry``."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping

import httpx
import pytest

from mirastream.groq._retry import retry_after_seconds, retry_delay, should_retry

# A fixed clock, a whole second so HTTP-dates (second precision) round-trip exactly.
NOW = 1_700_000_000.0


def http_date(offset: float) -> str:
    return email.utils.formatdate(NOW + offset, usegmt=True)


def no_jitter() -> float:
    return 0.0


# ---------------------------------------------------------------------------------------
# The groq SDK's own table (test_parse_retry_after_header, groq-wire.md §9), restated with
# retries taken instead of retries remaining: the SDK configures max_retries=3, so
# remaining r corresponds to retries_taken = 3 - r (remaining -1100 -> 1103 taken).
# ---------------------------------------------------------------------------------------
SDK_TABLE: list[tuple[int, str, float]] = [
    (0, "20", 20.0),
    (0, "0", 0.5),
    (0, "-10", 0.5),
    (0, "60", 60.0),
    (0, "61", 0.5),
    (0, http_date(20), 20.0),
    (0, http_date(-10), 0.5),
    (0, http_date(0), 0.5),
    (0, http_date(60), 60.0),
    (0, http_date(61), 0.5),
    (0, "99999999999999999999999999999999999", 0.5),
    (0, "Zun, 2ember 20 Sep 2020 00:00:00 GMT", 0.5),
    (0, "", 0.5),
    (1, "", 1.0),
    (2, "", 2.0),
    (1103, "", 8.0),
]


@pytest.mark.parametrize(("retries_taken", "retry_after", "expected"), SDK_TABLE)
def test_retry_delay_matches_sdk_table(
    retries_taken: int, retry_after: str, expected: float
) -> None:
    headers = httpx.Headers({"retry-after": retry_after})
    delay = retry_delay(retries_taken, 3, headers, random=no_jitter, now=NOW)
    assert delay == pytest.approx(expected)


@pytest.mark.parametrize(
    ("retries_taken", "expected"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (50, 8.0), (10**6, 8.0)],
)
def test_backoff_doubles_then_caps(retries_taken: int, expected: float) -> None:
    assert retry_delay(retries_taken, 2, None, random=no_jitter) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("retries_taken", "jitter", "expected"),
    [
        (0, 0.5, 0.4375),
        (0, 0.999999, 0.375),
        (2, 0.5, 1.75),
        (9, 0.5, 7.0),
        (9, 1.0, 6.0),  # boundary: jitter shortens by at most 25 %
    ],
)
def test_jitter_only_shortens(retries_taken: int, jitter: float, expected: float) -> None:
    delay = retry_delay(retries_taken, 2, None, random=lambda: jitter)
    assert delay == pytest.approx(expected, abs=1e-5)


def test_negative_retries_taken_is_treated_as_first_retry() -> None:
    assert retry_delay(-5, 2, None, random=no_jitter) == pytest.approx(0.5)


def test_delay_is_never_negative_even_with_a_broken_random() -> None:
    assert retry_delay(0, 2, None, random=lambda: 10.0) == 0.0


@pytest.mark.parametrize(
    ("headers", "retries_taken", "expected"),
    [
        # A server-requested wait in (0, 60] is used exactly: no jitter, any retry count.
        ({"retry-after": "2.5"}, 0, 2.5),
        ({"retry-after": "2.5"}, 7, 2.5),
        ({"retry-after": "0.001"}, 0, 0.001),
        ({"retry-after-ms": "1500"}, 0, 1.5),
        ({"retry-after-ms": "60000"}, 0, 60.0),
        ({"Retry-After": "3"}, 0, 3.0),
        ({"retry-after": http_date(30)}, 4, 30.0),
    ],
)
def test_server_wait_is_used_exactly(
    headers: Mapping[str, str], retries_taken: int, expected: float
) -> None:
    assert retry_delay(retries_taken, 5, headers, random=lambda: 0.9, now=NOW) == expected


@pytest.mark.parametrize(
    ("headers", "retries_taken"),
    [
        # Outside (0, 60] or absent: jittered backoff for this retry count.
        ({"retry-after-ms": "60001"}, 0),
        ({"retry-after-ms": "0"}, 1),
        ({"retry-after": "-1"}, 2),
        ({}, 2),
    ],
)
def test_unusable_server_wait_falls_back_to_jittered_backoff(
    headers: Mapping[str, str], retries_taken: int
) -> None:
    delay = retry_delay(retries_taken, 5, headers, random=lambda: 0.9, now=NOW)
    assert delay == pytest.approx(0.5 * 2**retries_taken * (1 - 0.25 * 0.9))


def test_max_retries_does_not_change_the_delay() -> None:
    delays = {retry_delay(1, budget, None, random=no_jitter) for budget in (0, 1, 2, 10)}
    assert delays == {1.0}


# ---------------------------------------------------------------------------------------
# retry_after_seconds: what the server asked for, uncapped.
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "20"}, 20.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": " 7 "}, 7.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "3600"}, 3600.0),  # reported as sent; capping is retry_delay's job
        ({"retry-after": "-10"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": http_date(20)}, 20.0),
        ({"retry-after": http_date(600)}, 600.0),
        ({"retry-after": http_date(-1)}, None),
        ({"retry-after": "Tue, 14 Nov 2023 22:13:40 -0000"}, 20.0),  # naive date read as UTC
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "1234.5"}, 1.2345),
        ({"retry-after-ms": "0"}, 0.0),
        # retry-after-ms wins over retry-after ...
        ({"retry-after-ms": "250", "retry-after": "20"}, 0.25),
        # ... unless it is unusable, then retry-after is read.
        ({"retry-after-ms": "abc", "retry-after": "20"}, 20.0),
        ({"retry-after-ms": "-5", "retry-after": "20"}, 20.0),
        ({"retry-after-ms": "nan"}, None),
        # Header names are case-insensitive, also in a plain dict.
        ({"Retry-After": "4"}, 4.0),
        ({"RETRY-AFTER-MS": "4000"}, 4.0),
    ],
)
def test_retry_after_seconds(headers: Mapping[str, str], expected: float | None) -> None:
    result = retry_after_seconds(headers, now=NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_retry_after_seconds_accepts_httpx_headers() -> None:
    assert retry_after_seconds(httpx.Headers([("Retry-After", "9")])) == 9.0


def test_retry_after_seconds_uses_the_clock_for_dates_by_default() -> None:
    far_future = "Fri, 01 Jan 9999 00:00:00 GMT"
    result = retry_after_seconds({"retry-after": far_future})
    assert result is not None and result > 60


# ---------------------------------------------------------------------------------------
# should_retry
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (408, True),
        (409, True),
        (429, True),
        (498, True),  # Groq flex tier capacity_exceeded: the SDK does not retry it, we do
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (599, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (413, False),
        (422, False),
        (424, False),
        (499, False),  # request cancelled by the client
        (402, False),
        (410, False),
        (200, False),
    ],
)
def test_should_retry_by_status(status: int, expected: bool) -> None:
    assert should_retry(status, {}) is expected
    assert should_retry(status, None) is expected
    assert should_retry(status) is expected


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [
        (400, "true", True),
        (401, "true", True),
        (499, "TRUE", True),
        (500, "false", False),
        (429, "false", False),
        (503, " False ", False),
        # Anything but true/false is ignored and the status decides.
        (400, "yes", False),
        (500, "no", True),
        (500, "", True),
    ],
)
def test_x_should_retry_overrides_status(status: int, header: str, expected: bool) -> None:
    assert should_retry(status, {"x-should-retry": header}) is expected
    assert should_retry(status, httpx.Headers({"X-Should-Retry": header})) is expected
