"""RSS of the gunicorn workers and RQ workers, sampled in the background during the load."""
from __future__ import annotations

import threading

import psutil


class RssSampler(threading.Thread):
    """Keeps the peak RSS (MB) of each process in a role: 'web' = gunicorn's children."""

    def __init__(self, interval: float = 0.5):
        super().__init__(name="rss-sampler", daemon=True)
        self._interval = interval
        self._halt = threading.Event()
        self._roles: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self.peaks: dict[str, dict[int, float]] = {}

    def watch(self, role: str, pid: int, *, children: bool = False) -> None:
        with self._lock:
            self._roles.setdefault(role, []).append(-pid if children else pid)

    def stop(self) -> dict[str, dict[int, float]]:
        self._halt.set()
        self.join()
        return self.peaks

    def run(self) -> None:
        while not self._halt.wait(self._interval):
            with self._lock:
                roles = {role: list(pids) for role, pids in self._roles.items()}
            for role, pids in roles.items():
                for pid in _expand(pids):
                    self._sample(role, pid)

    def _sample(self, role: str, pid: int) -> None:
        try:
            rss = psutil.Process(pid).memory_info().rss / 2**20
        except psutil.Error:
            return
        peaks = self.peaks.setdefault(role, {})
        peaks[pid] = max(peaks.get(pid, 0.0), rss)


def _expand(pids: list[int]) -> list[int]:
    found = []
    for pid in pids:
        if pid > 0:
            found.append(pid)
            continue
        try:
            found.extend(child.pid for child in psutil.Process(-pid).children())
        except psutil.Error:
            pass
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time consumed so far by each of these processes still alive."""
    seconds = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        seconds[pid] = times.user + times.system
    return seconds


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two snapshots by processes alive at the second one."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def children(pid: int) -> list[int]:
    try:
        return [child.pid for child in psutil.Process(pid).children()]
    except psutil.Error:
        return []
