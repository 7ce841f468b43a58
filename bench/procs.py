"""What the benchmarks read of their server processes from /proc: a gunicorn master's
workers, a process's resident memory and its CPU time."""
import os
from pathlib import Path


def children(master: int) -> list[int]:
    """The pids of `master`'s child processes (gunicorn's workers)."""
    return sorted(int(p) for p in Path(f"/proc/{master}/task/{master}/children")
                  .read_text().split())


def rss_of(pid: int) -> float:
    """VmRSS of one process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
