"""The circuit breaker in front of the shared cache, on a clock the test turns."""

from core.cache import CircuitBreaker


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_calls_go_through_until_one_fails():
    breaker = CircuitBreaker(reset_after=5, clock=Clock())

    assert breaker.allow() and breaker.allow()
    assert breaker.state == "closed"


def test_a_failure_refuses_every_call_for_the_reset_period():
    clock = Clock()
    breaker = CircuitBreaker(reset_after=5, clock=clock)

    assert breaker.failed() is True
    clock.now += 4.9

    assert not breaker.allow()
    assert breaker.state == "open"


def test_after_the_period_exactly_one_caller_probes():
    clock = Clock()
    breaker = CircuitBreaker(reset_after=5, clock=clock)
    breaker.failed()
    clock.now += 5

    assert breaker.state == "half-open"
    assert [breaker.allow() for _ in range(3)] == [True, False, False]


def test_a_successful_probe_closes_it():
    clock = Clock()
    breaker = CircuitBreaker(reset_after=5, clock=clock)
    breaker.failed()
    clock.now += 5
    breaker.allow()

    assert breaker.succeeded() is True
    assert breaker.allow() and breaker.state == "closed"
    assert breaker.succeeded() is False  # already closed: nothing to report


def test_a_failed_probe_opens_it_for_another_period_without_counting_a_new_outage():
    clock = Clock()
    breaker = CircuitBreaker(reset_after=5, clock=clock)
    breaker.failed()
    clock.now += 5
    breaker.allow()

    assert breaker.failed() is False
    clock.now += 4
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()
