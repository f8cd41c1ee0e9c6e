"""Peak memory of the benchmark's processes, read from ``/proc`` (Linux).

Each started process is found by the port it listens on; the supervisor
starts every process in a session of its own, so the process and all its
children are the members of that session. A process's peak is ``VmHWM`` (the
high-water mark of its resident set) from ``/proc/<pid>/status``; a started
process's figure is the sum over its session, an upper bound of the peak of
the whole group.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set

PROC = Path("/proc")
_LISTEN = "0A"


def listening_inodes(port: int, proc: Path = PROC) -> Set[str]:
    """The socket inodes listening on TCP ``port`` (IPv4 and IPv6)."""
    inodes: Set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            columns = line.split()
            if len(columns) < 10 or columns[3] != _LISTEN:
                continue
            if int(columns[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(columns[9])
    return inodes


def _pids(proc: Path) -> Iterable[int]:
    for entry in proc.iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def listener_pid(port: int, proc: Path = PROC) -> Optional[int]:
    """The process that listens on ``port``, or ``None`` when none is found."""
    wanted = {f"socket:[{inode}]" for inode in listening_inodes(port, proc)}
    if not wanted:
        return None
    for pid in _pids(proc):
        try:
            descriptors = list((proc / str(pid) / "fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(descriptor) in wanted:
                    return pid
            except OSError:
                continue
    return None


def session_id(pid: int, proc: Path = PROC) -> Optional[int]:
    """The session of a process (field 6 of ``/proc/<pid>/stat``)."""
    try:
        stat = (proc / str(pid) / "stat").read_text(encoding="ascii")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[3])


def session_members(session: int, proc: Path = PROC) -> List[int]:
    """Every process of a session."""
    return sorted(pid for pid in _pids(proc) if session_id(pid, proc) == session)


def peak_rss_kib(pid: int, proc: Path = PROC) -> int:
    """``VmHWM`` of a process in KiB; 0 when it has gone or has no memory (a kernel thread)."""
    try:
        status = (proc / str(pid) / "status").read_text(encoding="ascii")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def peak_memory_mib(ports: Dict[str, int], proc: Path = PROC) -> Dict[str, float]:
    """Peak resident memory of each started process and its children.

    Args:
        ports: Process name → the port it listens on.
        proc: The proc file system.

    Returns:
        Process name → MiB; a process that cannot be found is left out.
    """
    peaks: Dict[str, float] = {}
    for name, port in ports.items():
        pid = listener_pid(port, proc)
        if pid is None:
            continue
        session = session_id(pid, proc)
        members = session_members(session, proc) if session is not None else [pid]
        peaks[name] = sum(peak_rss_kib(member, proc) for member in members) / 1024.0
    return peaks
