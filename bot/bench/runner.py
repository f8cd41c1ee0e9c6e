"""The whole benchmark: each target in turn, every concurrency, the profile and the report."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from bot.bench import profile as profiler
from bot.bench.load import CHANNELS, LoadPlan, LoadRun, run_load
from bot.bench.memory import listener_pid, peak_memory_mib
from bot.bench.report import BenchResults, Point, TargetResult, results_table, write
from bot.bench.stats import error_kinds, summarize
from bot.bench.targets import BenchEnvironment, RunningTarget, TargetError, started_target

PROFILE_CONCURRENCY = 20
# Warm-up: every scenario on every channel twice, before anything is measured.
WARM_UP_ROUNDS = 2


@dataclass(frozen=True)
class BenchOptions:
    """What to measure and where to write it.

    Attributes:
        targets: Target names in the order to run them.
        concurrency: Concurrent conversations of each point.
        duration: Seconds per point.
        out_dir: Where the report goes.
        profile: Whether to sample one Rasa server of the first ``ours-*`` target.
        profile_seconds: How long to sample.
        think_time: Seconds each customer waits after a reply.
    """

    targets: Sequence[str]
    concurrency: Sequence[int]
    duration: float
    out_dir: Path
    profile: bool = False
    profile_seconds: int = 20
    think_time: float = 0.0


def _load(target: RunningTarget, plan: LoadPlan) -> LoadRun:
    return asyncio.run(run_load(target.url, plan, target.customers, target.codes))


def _point(concurrency: int, run: LoadRun) -> Point:
    by_channel = {}
    for channel in CHANNELS:
        turns = [r for r in run.results if r.channel == channel]
        if turns:
            by_channel[channel] = summarize(turns, run.elapsed)
    return Point(
        concurrency,
        summarize(run.results, run.elapsed, run.conversations),
        by_channel,
        error_kinds(run.results),
    )


def _warm_up(target: RunningTarget) -> None:
    rounds = WARM_UP_ROUNDS * len(target.scenarios) * len(CHANNELS)
    plan = LoadPlan(target.scenarios, concurrency=2, duration=120.0, max_conversations=rounds)
    run = _load(target, plan)
    failed = error_kinds(run.results)
    if failed:
        print(f"  warm-up errors: {failed}", flush=True)


def _profile(
    target: RunningTarget, options: BenchOptions, duration: float
) -> Dict[str, Any]:
    pid = listener_pid(target.profile_port)
    if pid is None:
        return {"error": f"no process listens on port {target.profile_port}"}
    seconds = options.profile_seconds
    print(f"  profiling pid {pid} for {seconds} s at {PROFILE_CONCURRENCY} ...", flush=True)
    try:
        recorders = profiler.record(pid, seconds, options.out_dir)
    except profiler.ProfilerError as error:
        return {"error": str(error)}
    # Load a little longer than the sampling, so every sample is under load.
    plan = LoadPlan(target.scenarios, PROFILE_CONCURRENCY, duration=seconds + 3.0)
    _load(target, plan)
    try:
        profiler.finish(recorders)
    except profiler.ProfilerError as error:
        return {"error": str(error)}
    lines = (options.out_dir / "profile.txt").read_text(encoding="utf-8").splitlines()
    summary = profiler.summarize_collapsed(lines, top=30)
    (options.out_dir / "profile-top.txt").write_text(
        profiler.summary_text(summary), encoding="utf-8"
    )
    return {
        "target": f"{target.name} (Rasa server on port {target.profile_port})",
        "seconds": seconds,
        "concurrency": PROFILE_CONCURRENCY,
        **profiler.as_dict(summary),
    }


def _measure(
    name: str, env: BenchEnvironment, options: BenchOptions, want_profile: bool
) -> tuple[TargetResult, Optional[Dict[str, Any]]]:
    result = TargetResult(name)
    profile: Optional[Dict[str, Any]] = None
    print(f"\n[{name}] starting", flush=True)
    try:
        with started_target(name, env) as target:
            _warm_up(target)
            for concurrency in options.concurrency:
                plan = LoadPlan(
                    target.scenarios, concurrency, options.duration, think_time=options.think_time
                )
                point = _point(concurrency, _load(target, plan))
                result.points.append(point)
                s = point.summary
                print(
                    f"  {concurrency:>3} conversations: {s.throughput:6.1f} turns/s, "
                    f"p50 {s.p50_ms or 0:6.0f} ms, p95 {s.p95_ms or 0:6.0f} ms, "
                    f"p99 {s.p99_ms or 0:6.0f} ms, {s.errors} errors",
                    flush=True,
                )
                if point.error_kinds:
                    print(f"      errors: {point.error_kinds}", flush=True)
            if want_profile:
                profile = _profile(target, options, options.duration)
            result.memory_mib = peak_memory_mib(target.ports)
    except TargetError as error:
        result.failure = str(error).splitlines()[0][:200]
        print(f"  could not measure {name}: {error}", flush=True)
    return result, profile


def machine_facts() -> Dict[str, Any]:
    """The facts the report names: cores and Rasa version."""
    from bot.bench.targets import rasa_version

    return {"cores": os.cpu_count(), "Rasa": rasa_version(), "date": time.strftime("%Y-%m-%d")}


def run_benchmark(env: BenchEnvironment, options: BenchOptions) -> int:
    """Measures every target and writes the report.

    Returns:
        0 when every target was measured, 1 when one could not be started.
    """
    targets: List[TargetResult] = []
    profile: Optional[Dict[str, Any]] = None
    for name in options.targets:
        want_profile = options.profile and profile is None and name.startswith("ours-")
        result, measured = _measure(name, env, options, want_profile)
        targets.append(result)
        profile = profile or measured
    results = BenchResults(
        targets, options.duration, machine_facts(), profile, think_time=options.think_time
    )
    paths = write(results, options.out_dir)
    print("\n" + results_table(results) + "\n")
    print("Wrote " + ", ".join(str(path) for path in paths), flush=True)
    return 1 if any(t.failure for t in targets) else 0
