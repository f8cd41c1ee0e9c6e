import pytest

from bot.bench.stats import TurnResult, error_kinds, summarize


def turns(latencies, errors=0):
    ok = [TurnResult("faq", "rest", latency) for latency in latencies]
    bad = [TurnResult("faq", "rest", 0.1, "no reply") for _ in range(errors)]
    return ok + bad


def test_percentiles_and_throughput_count_only_correct_turns():
    # 1..100 ms, and two errors that must not count as served.
    summary = summarize(turns([n / 1000 for n in range(1, 101)], errors=2), elapsed=10.0)
    assert summary.turns == 100
    assert summary.errors == 2
    assert summary.throughput == pytest.approx(10.0)
    assert summary.p50_ms == pytest.approx(50.5)
    assert summary.p95_ms == pytest.approx(95.05)
    assert summary.p99_ms == pytest.approx(99.01)


def test_a_slow_tail_shows_in_p99_not_in_the_median():
    summary = summarize(turns([0.05] * 98 + [2.0, 2.0]), elapsed=1.0)
    assert summary.p50_ms == pytest.approx(50.0)
    assert summary.p99_ms > 1000


def test_a_run_without_a_correct_turn_has_no_latency():
    summary = summarize(turns([], errors=3), elapsed=5.0)
    assert (summary.turns, summary.errors, summary.throughput) == (0, 3, 0.0)
    assert summary.p95_ms is None


def test_elapsed_time_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        summarize(turns([0.1]), elapsed=0)


def test_error_kinds_lists_the_most_frequent_first():
    results = [
        TurnResult("faq", "rest", 0.1, "HTTP 500"),
        TurnResult("faq", "rest", 0.1, "no reply"),
        TurnResult("faq", "rest", 0.1, "HTTP 500"),
        TurnResult("faq", "rest", 0.1),
    ]
    assert list(error_kinds(results).items()) == [("HTTP 500", 2), ("no reply", 1)]
