"""The benchmark's results: a Markdown report, a latency plot and the JSON figures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from bot.bench.stats import Summary

# The spec's targets, at TARGET_CONCURRENCY conversations.
TARGET_CONCURRENCY = 20
MIN_SPEEDUP = 1.5
MAX_P95_MS = 300.0


@dataclass
class Point:
    """One target at one concurrency.

    Attributes:
        concurrency: Conversations at once.
        summary: All turns.
        by_channel: ``rest`` / ``socketio`` → the turns of that channel.
        error_kinds: The most frequent errors.
    """

    concurrency: int
    summary: Summary
    by_channel: Dict[str, Summary] = field(default_factory=dict)
    error_kinds: Dict[str, int] = field(default_factory=dict)


@dataclass
class TargetResult:
    """Everything measured on one target.

    Attributes:
        name: ``vanilla``, ``ours-1`` …
        points: One per concurrency.
        memory_mib: Started process → peak resident memory (process and children).
        failure: Why the target could not be measured, if it could not.
    """

    name: str
    points: List[Point] = field(default_factory=list)
    memory_mib: Dict[str, float] = field(default_factory=dict)
    failure: Optional[str] = None

    def at(self, concurrency: int) -> Optional[Point]:
        """The point at ``concurrency``, if measured."""
        return next((p for p in self.points if p.concurrency == concurrency), None)


@dataclass
class BenchResults:
    """The whole run.

    Attributes:
        targets: In the order they were run.
        duration: Seconds per point.
        machine: E.g. ``{"cpus": 2, "rasa": "3.6.21"}``.
        profile: Where one replica's time went, if profiled (see ``bot.bench.profile``).
        think_time: Seconds each customer waited after a reply.
    """

    targets: List[TargetResult]
    duration: float
    machine: Dict[str, Any] = field(default_factory=dict)
    profile: Optional[Dict[str, Any]] = None
    think_time: float = 0.0


def _ms(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0f}"


def results_table(results: BenchResults) -> str:
    """The Markdown table: one row per target and concurrency."""
    rows = [
        "| target | concurrency | turns/s | p50 ms | p95 ms | p99 ms | errors | turns | "
        "p95 REST / socket.io ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target in results.targets:
        if target.failure:
            rows.append(f"| {target.name} | - | - | - | - | - | - | - | {target.failure} |")
            continue
        for point in target.points:
            s = point.summary
            channels = " / ".join(
                _ms(point.by_channel[c].p95_ms) if c in point.by_channel else "-"
                for c in ("rest", "socketio")
            )
            rows.append(
                f"| {target.name} | {point.concurrency} | {s.throughput:.1f} | {_ms(s.p50_ms)} "
                f"| {_ms(s.p95_ms)} | {_ms(s.p99_ms)} | {s.errors} | {s.turns} | {channels} |"
            )
    return "\n".join(rows)


def memory_table(results: BenchResults) -> str:
    """The Markdown table of peak memory per started process."""
    rows = ["| target | process | peak RSS MiB |", "| --- | --- | ---: |"]
    for target in results.targets:
        for process, mib in target.memory_mib.items():
            rows.append(f"| {target.name} | {process} | {mib:.0f} |")
        if target.memory_mib:
            rows.append(f"| {target.name} | **all** | {sum(target.memory_mib.values()):.0f} |")
    return "\n".join(rows)


def target_checks(results: BenchResults) -> List[str]:
    """The spec's targets at 20 conversations, each as a line saying met or missed."""
    by_name = {t.name: t for t in results.targets}
    vanilla = by_name.get("vanilla")
    base = vanilla.at(TARGET_CONCURRENCY) if vanilla else None
    lines = []
    for target in results.targets:
        if target.name == "vanilla":
            continue
        point = target.at(TARGET_CONCURRENCY)
        if point is None:
            lines.append(f"- {target.name}: not measured at {TARGET_CONCURRENCY} conversations")
            continue
        s = point.summary
        parts = []
        if base is not None and base.summary.throughput > 0:
            speedup = s.throughput / base.summary.throughput
            wanted = MIN_SPEEDUP if target.name != "ours-1" else None
            verdict = "" if wanted is None else (" (met)" if speedup >= wanted else " (missed)")
            parts.append(f"throughput {speedup:.2f}x the starter bot's{verdict}")
        p95 = s.p95_ms
        met = p95 is not None and p95 <= MAX_P95_MS
        parts.append(f"p95 {_ms(p95)} ms ({'met' if met else 'missed'}, <= {MAX_P95_MS:.0f})")
        parts.append(f"{s.errors} errors ({'met' if s.errors == 0 else 'missed'}, 0)")
        lines.append(f"- {target.name}: " + "; ".join(parts))
    return lines


def profile_section(profile: Optional[Dict[str, Any]]) -> str:
    """Where the profiled replica's time went, as Markdown."""
    if not profile:
        return ""
    if profile.get("error"):
        return f"## Where the time goes\n\nNot profiled: {profile['error']}\n"
    lines = [
        "## Where the time goes",
        "",
        f"py-spy sampled {profile.get('target', 'one replica')} for "
        f"{profile.get('seconds', '?')} s at {profile.get('concurrency', '?')} conversations "
        f"({profile.get('samples', 0)} samples; flame graph `profile.svg`, "
        "all functions `profile-top.txt`).",
        "",
        "| package (innermost frame) | share |",
        "| --- | ---: |",
    ]
    lines += [f"| {name} | {share:.1%} |" for name, share in profile.get("by_package", [])[:8]]
    lines += ["", "| function (on the stack) | share |", "| --- | ---: |"]
    lines += [
        f"| `{name}` | {share:.1%} |" for name, share in profile.get("top_total", [])[:12]
    ]
    return "\n".join(lines) + "\n"


def markdown(results: BenchResults) -> str:
    """The whole report."""
    machine = ", ".join(f"{key} {value}" for key, value in results.machine.items())
    pacing = (
        f"{results.think_time:g} s think time after each reply"
        if results.think_time
        else "closed loop without think time"
    )
    parts = [
        "# Load benchmark",
        "",
        f"{machine}; {results.duration:.0f} s per point; {pacing}; "
        "conversations alternate between REST and socket.io. A turn is one customer message; "
        "latency is until its last reply; a wrong, empty or failed reply is an error.",
        "",
        results_table(results),
        "",
        "## Targets at 20 conversations",
        "",
        *(target_checks(results) or ["- nothing to compare"]),
        "",
        "## Peak memory",
        "",
        memory_table(results),
        "",
    ]
    errors = [
        f"- {t.name} at {p.concurrency}: {kind} ({count}x)"
        for t in results.targets
        for p in t.points
        for kind, count in p.error_kinds.items()
    ]
    if errors:
        parts += ["## Errors", "", *errors, ""]
    section = profile_section(results.profile)
    if section:
        parts.append(section)
    return "\n".join(parts)


def plot(results: BenchResults, path: Path) -> None:
    """Draws p50 and p95 latency and throughput against concurrency, one colour per target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency_axes, throughput_axes) = plt.subplots(1, 2, figsize=(11, 4.5))
    for target in results.targets:
        points = [p for p in target.points if p.summary.p95_ms is not None]
        if not points:
            continue
        xs = [p.concurrency for p in points]
        (line,) = latency_axes.plot(
            xs, [p.summary.p95_ms for p in points], marker="o", label=f"{target.name} p95"
        )
        latency_axes.plot(
            xs,
            [p.summary.p50_ms for p in points],
            marker=".",
            linestyle="--",
            color=line.get_color(),
            label=f"{target.name} p50",
        )
        throughput_axes.plot(
            xs, [p.summary.throughput for p in points], marker="o", color=line.get_color(),
            label=target.name,
        )
    latency_axes.axhline(MAX_P95_MS, color="grey", linewidth=0.8, linestyle=":")
    latency_axes.set(xlabel="concurrent conversations", ylabel="latency (ms)",
                     title="Latency per customer message")
    throughput_axes.set(xlabel="concurrent conversations", ylabel="customer messages / s",
                        title="Throughput")
    for axes in (latency_axes, throughput_axes):
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
        axes.set_ylim(bottom=0)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def as_json(results: BenchResults) -> Dict[str, Any]:
    """The figures as plain JSON values."""
    return {
        "duration": results.duration,
        "think_time": results.think_time,
        "machine": results.machine,
        "targets": [
            {
                "name": t.name,
                "failure": t.failure,
                "memory_mib": t.memory_mib,
                "points": [
                    {
                        "concurrency": p.concurrency,
                        **p.summary.as_dict(),
                        "by_channel": {c: s.as_dict() for c, s in p.by_channel.items()},
                        "error_kinds": p.error_kinds,
                    }
                    for p in t.points
                ],
            }
            for t in results.targets
        ],
        "profile": results.profile,
    }


def write(results: BenchResults, out_dir: Path) -> Sequence[Path]:
    """Writes ``report.md``, ``latency.png`` and ``results.json``.

    Returns:
        The paths written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    report, image, figures = (
        out_dir / "report.md",
        out_dir / "latency.png",
        out_dir / "results.json",
    )
    report.write_text(markdown(results), encoding="utf-8")
    plot(results, image)
    figures.write_text(json.dumps(as_json(results), indent=2) + "\n", encoding="utf-8")
    return report, image, figures
