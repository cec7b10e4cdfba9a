"""CPU seconds of a process, read from Linux's /proc (the benchmarks' process trees)."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User + system CPU seconds of process ``pid``, and of its children it has reaped.

    :raises OSError: the process is gone
    """
    # "pid (comm) state ...": comm may contain spaces and parentheses; utime, stime,
    # cutime and cstime are fields 14-17 of stat, 12-15 after the ")"
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    own, children = fields[11:13], fields[13:15]
    return sum(map(int, own)) / _TICKS, sum(map(int, children)) / _TICKS
