"""Stop a local Ray cluster's processes when the driver that started it dies, also on ``kill -9``.

Ray's head processes die with their driver, but processes they start (its agents, idle workers) can outlive
it by minutes. So the driver starts a reaper process (in its own session) before ``ray.init()`` and sends it the
PIDs of the children ``ray.init()`` started. Every half second the reaper records those processes and all their
descendants (with start times, so a reused PID is never mistaken for one of them). It blocks on a pipe whose
write end only the driver holds: when the driver closes it (after ``ray.shutdown()``) or dies in any way, the
reaper sends SIGKILL to every recorded process still running, and to their children, and exits. Linux
``/proc`` only; elsewhere the reaper does nothing. Run as ``python -m basinlab.experiments.reaper``.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["process_table", "child_pids", "start_reaper"]


def process_table() -> dict[int, tuple[int, int]]:
    """``{pid: (parent pid, start time in clock ticks)}`` of this host's processes (empty without ``/proc``)."""
    table = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            table[int(entry.name)] = (int(fields[1]), int(fields[19]))  # ppid (field 4), starttime (field 22)
        except (OSError, IndexError, ValueError):
            continue
    return table


def child_pids(pid: int) -> set[int]:
    """PIDs of the direct children of process ``pid``."""
    return {p for p, (ppid, _) in process_table().items() if ppid == pid}


def _descendants(roots: set[int], table: dict[int, tuple[int, int]]) -> set[int]:
    out, frontier = set(), set(roots)
    while frontier:
        out |= frontier
        frontier = {p for p, (ppid, _) in table.items() if ppid in frontier} - out
    return out


def start_reaper() -> subprocess.Popen:
    """Start a reaper; write the PIDs to watch to its ``stdin`` (one per line, flushed) and keep ``stdin`` open
    until the cluster is shut down (closing it, or dying, makes the reaper kill what is left)."""
    return subprocess.Popen([sys.executable, "-m", "basinlab.experiments.reaper"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def main() -> int:
    fd = sys.stdin.fileno()
    new_roots: set[int] = set()
    known: dict[int, int] = {}  # pid -> start time of every process seen in the watched trees
    buffer, me = b"", os.getpid()
    while True:
        ready, _, _ = select.select([fd], [], [], 0.5)
        chunk = os.read(fd, 4096) if ready else None
        if chunk is not None:
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            new_roots |= {int(line) for line in lines if line.strip().isdigit()}
        table = process_table()
        known = {p: t for p, t in known.items() if p in table and table[p][1] == t}  # drop exited ones
        known.update({p: table[p][1] for p in new_roots if p in table})
        new_roots.clear()
        for pid in _descendants(set(known), table):
            known.setdefault(pid, table[pid][1])
        if chunk == b"":
            break  # EOF: the driver is done or dead
    for _ in range(5):  # kill, then look again: a dying process may have started another
        table = process_table()
        alive = {p for p, t in known.items() if p in table and table[p][1] == t}
        targets = (_descendants(alive, table) | alive) - {me}
        if not targets:
            break
        for pid in targets:
            known.setdefault(pid, table[pid][1])
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
