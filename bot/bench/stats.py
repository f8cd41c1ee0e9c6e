"""Figures of one load run: throughput, latency percentiles and errors."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional, Sequence

import numpy as np


@dataclass(frozen=True)
class TurnResult:
    """One customer message and how it went.

    Attributes:
        scenario: The conversation's scenario name.
        channel: ``rest`` or ``socketio``.
        latency: Seconds from sending the message to the turn's final reply.
        error: What went wrong, or ``None`` for a correct reply.
    """

    scenario: str
    channel: str
    latency: float
    error: Optional[str] = None


@dataclass(frozen=True)
class Summary:
    """The figures of one target at one concurrency.

    Attributes:
        turns: Customer messages answered correctly.
        errors: Messages with a wrong, empty or failed reply.
        elapsed: Seconds the run took.
        throughput: Correctly answered messages per second.
        p50_ms: Median latency of the correct turns, in milliseconds.
        p95_ms: 95th percentile, in milliseconds.
        p99_ms: 99th percentile, in milliseconds.
        conversations: Conversations finished without an error.
    """

    turns: int
    errors: int
    elapsed: float
    throughput: float
    p50_ms: Optional[float]
    p95_ms: Optional[float]
    p99_ms: Optional[float]
    conversations: int = 0

    def as_dict(self) -> Dict[str, Any]:
        """The summary as plain JSON values."""
        return asdict(self)


def summarize(
    results: Sequence[TurnResult], elapsed: float, conversations: int = 0
) -> Summary:
    """Computes the figures of a run.

    Args:
        results: Every turn of the run.
        elapsed: Seconds from the first message to the last reply.
        conversations: Conversations completed without an error.

    Returns:
        The summary; percentiles are ``None`` when no turn succeeded.

    Raises:
        ValueError: When ``elapsed`` is not positive.
    """
    if elapsed <= 0:
        raise ValueError(f"elapsed time must be positive, got {elapsed}")
    latencies = np.array([r.latency for r in results if r.error is None], dtype=float) * 1000.0
    errors = sum(1 for r in results if r.error is not None)
    p50: Optional[float] = None
    p95: Optional[float] = None
    p99: Optional[float] = None
    if latencies.size:
        p50, p95, p99 = (float(v) for v in np.percentile(latencies, [50, 95, 99]))
    return Summary(
        turns=int(latencies.size),
        errors=errors,
        elapsed=elapsed,
        throughput=latencies.size / elapsed,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        conversations=conversations,
    )


def error_kinds(results: Sequence[TurnResult], limit: int = 5) -> Dict[str, int]:
    """The most frequent error messages of a run, for the report."""
    counts = Counter(r.error for r in results if r.error is not None)
    return {str(message): count for message, count in counts.most_common(limit)}
