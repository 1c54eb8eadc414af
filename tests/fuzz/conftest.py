"""Counts what the API fuzz sent, and prints them after the run (pytest's terminal summary)."""

from collections import Counter, defaultdict

import pytest

_REQUESTS: dict[str, Counter] = defaultdict(Counter)


@pytest.fixture(scope="session")
def fuzz_tally():
    """`record(case, response)`: one request of the fuzz, counted per operation and status code."""

    def record(case, response) -> None:
        _REQUESTS[case.operation.label][response.status_code] += 1

    return record


def pytest_terminal_summary(terminalreporter):
    if not _REQUESTS:
        return
    total = sum(sum(codes.values()) for codes in _REQUESTS.values())
    terminalreporter.section("API fuzz")
    terminalreporter.write_line(f"{len(_REQUESTS)} operations, {total} requests (examples, including shrinking)")
    for label in sorted(_REQUESTS):
        codes = _REQUESTS[label]
        spread = " ".join(f"{code}x{count}" for code, count in sorted(codes.items()))
        terminalreporter.write_line(f"  {label:<48} {sum(codes.values()):>5}  {spread}")
