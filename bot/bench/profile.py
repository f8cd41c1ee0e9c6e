"""Sampling one Rasa server under load with py-spy, and where its time goes.

Two py-spy recorders sample the same process at once, non-blocking (the
process is not paused for a sample): one writes the flame graph
(``profile.svg``), the other the collapsed stacks (``profile.txt``) that
:func:`summarize_collapsed` turns into the top functions and packages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

# "function (path/to/file.py:123)" as py-spy writes each frame.
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
_SITE = re.compile(r"(?:site|dist)-packages/([^/]+)")
_STDLIB = re.compile(r"^.*/lib/python3\.\d+/")


class ProfilerError(RuntimeError):
    """py-spy is missing or could not sample the process."""


@dataclass(frozen=True)
class ProfileSummary:
    """Where a process spent its samples.

    Attributes:
        samples: Samples taken.
        by_package: Package (``tensorflow``, ``rasa``, ``sqlalchemy`` …) of the
            innermost frame → share of samples.
        top_self: Function → share of samples in which it was the innermost frame.
        top_total: Function → share of samples in which it was on the stack.
    """

    samples: int
    by_package: List[Tuple[str, float]] = field(default_factory=list)
    top_self: List[Tuple[str, float]] = field(default_factory=list)
    top_total: List[Tuple[str, float]] = field(default_factory=list)


def py_spy() -> Optional[str]:
    """The py-spy executable next to the interpreter, or on the PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: int, out_dir: Path, rate: int = 50) -> List[subprocess.Popen]:
    """Starts the two recorders; they stop by themselves after ``seconds``.

    Args:
        pid: The process to sample.
        seconds: How long to sample.
        out_dir: Where ``profile.svg`` and ``profile.txt`` go.
        rate: Samples per second of each recorder.

    Returns:
        The recorder processes, to wait for with :func:`finish`.

    Raises:
        ProfilerError: When py-spy is not installed.
    """
    executable = py_spy()
    if executable is None:
        raise ProfilerError("py-spy is not installed (uv pip install py-spy)")
    out_dir.mkdir(parents=True, exist_ok=True)
    recorders = []
    for fmt, name in (("flamegraph", "profile.svg"), ("raw", "profile.txt")):
        command = [
            executable,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            str(rate),
            "--nonblocking",
            "--format",
            fmt,
            "--output",
            str(out_dir / name),
        ]
        recorders.append(
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        )
    return recorders


def finish(recorders: Sequence[subprocess.Popen], timeout: float = 120.0) -> None:
    """Waits for the recorders.

    Raises:
        ProfilerError: When one of them failed.
    """
    for recorder in recorders:
        output, _ = recorder.communicate(timeout=timeout)
        if recorder.returncode != 0:
            raise ProfilerError(f"py-spy failed ({recorder.returncode}): {output[-500:]}")


def _frame_parts(frame: str) -> Tuple[str, str]:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip(), ""
    return match.group("function"), match.group("file")


def package_of(path: str) -> str:
    """The package a source file belongs to: its directory under site-packages, or ``bot``."""
    site = _SITE.search(path)
    if site:
        return site.group(1).split(".")[0]
    if _STDLIB.match(path):
        return "stdlib"
    parts = Path(path).parts
    return parts[0] if parts and parts[0] not in ("/", "") else Path(path).stem or "other"


def _label(frame: str) -> str:
    function, path = _frame_parts(frame)
    site = _SITE.search(path)
    short = path[site.start(1) :] if site else _STDLIB.sub("", path)
    return f"{function} ({short})" if short else function


def summarize_collapsed(lines: Sequence[str], top: int = 15) -> ProfileSummary:
    """Aggregates py-spy's collapsed stacks (``frame;frame;… count``).

    Args:
        lines: The lines of ``profile.txt``.
        top: How many functions to list.

    Returns:
        The shares by package of the innermost frame and the top functions.
    """
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    samples = 0
    for line in lines:
        stack, _, count_text = line.strip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if frame and not frame.startswith("process ")]
        frames = [frame for frame in frames if not frame.startswith("thread ")]
        if not frames:
            continue
        samples += count
        leaf = frames[-1]
        self_counts[_label(leaf)] += count
        packages[package_of(_frame_parts(leaf)[1])] += count
        for label in {_label(frame) for frame in frames}:
            total_counts[label] += count
    if samples == 0:
        return ProfileSummary(0)

    def shares(counter: Counter[str], limit: int) -> List[Tuple[str, float]]:
        return [(name, count / samples) for name, count in counter.most_common(limit)]

    return ProfileSummary(
        samples,
        shares(packages, 12),
        shares(self_counts, top),
        shares(total_counts, top),
    )


def summary_text(summary: ProfileSummary) -> str:
    """The summary as plain text, written to ``profile-top.txt``."""
    if summary.samples == 0:
        return "No samples: the process was idle or could not be read.\n"
    lines = [f"{summary.samples} samples", "", "By package (innermost frame):"]
    lines += [f"  {share:6.1%}  {name}" for name, share in summary.by_package]
    lines += ["", "Top functions by own time:"]
    lines += [f"  {share:6.1%}  {name}" for name, share in summary.top_self]
    lines += ["", "Top functions by time on the stack:"]
    lines += [f"  {share:6.1%}  {name}" for name, share in summary.top_total]
    return "\n".join(lines) + "\n"


def as_dict(summary: ProfileSummary) -> Dict[str, object]:
    """The summary as plain JSON values."""
    return {
        "samples": summary.samples,
        "by_package": [[name, share] for name, share in summary.by_package],
        "top_self": [[name, share] for name, share in summary.top_self],
        "top_total": [[name, share] for name, share in summary.top_total],
    }
