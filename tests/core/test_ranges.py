import pytest

from core.http.ranges import Unsatisfiable, requested_range


@pytest.mark.parametrize(("header", "expected"), [
    ("", None),
    ("bytes=0-0", (0, 0)),
    ("bytes=0-99", (0, 99)),
    ("bytes = 5 - 9", (5, 9)),
    ("bytes=90-", (90, 99)),
    ("bytes=-1", (99, 99)),
    ("bytes=-500", (0, 99)),
    ("bytes=50-5000", (50, 99)),
    ("bytes=9-3", None),
    ("bytes=-", None),
    ("bytes=0-1,5-6", None),
    ("pages=1-2", None),
])
def test_one_range_of_a_100_byte_file(header, expected):
    assert requested_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=100-200", "bytes=-0"])
def test_ranges_past_the_end_are_unsatisfiable(header):
    with pytest.raises(Unsatisfiable):
        requested_range(header, 100)
