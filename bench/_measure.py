"""Measuring helpers of bench/meters.py: RSS and CPU of this process and the server, stage timers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Callable
from typing import Any


class RssSampler:
    """Peak RSS (MiB) of this process and of the server process, sampled by a thread."""

    def __init__(self, server_pid: int | None, interval_s: float = 0.05) -> None:
        import psutil

        self.me = psutil.Process()
        self.server = psutil.Process(server_pid) if server_pid else None
        self.interval_s = interval_s
        self.peak = self.server_peak = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        self.peak = max(self.peak, self.me.memory_info().rss / 2**20)
        if self.server is not None:
            with contextlib.suppress(Exception):
                self.server_peak = max(self.server_peak, self.server.memory_info().rss / 2**20)
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def __enter__(self) -> RssSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


class Cpu:
    """CPU seconds of this process and of the server process between start() and stop()."""

    def __init__(self, server_pid: int | None) -> None:
        import psutil

        self.me = psutil.Process()
        self.server = psutil.Process(server_pid) if server_pid else None
        self.client_s = 0.0
        self.server_s: float | None = None

    def _now(self) -> tuple[float, float | None]:
        mine = self.me.cpu_times()
        theirs = self.server.cpu_times() if self.server is not None else None
        return mine.user + mine.system, (theirs.user + theirs.system) if theirs is not None else None

    def start(self) -> None:
        self._start = self._now()

    def stop(self) -> None:
        client, server = self._now()
        self.client_s += client - self._start[0]
        if server is not None and self._start[1] is not None:
            self.server_s = (self.server_s or 0.0) + server - self._start[1]


def timed(stages: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    if asyncio.iscoroutinefunction(function):
        @functools.wraps(function)
        async def wrapper_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - started
        return wrapper_async

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - started
    return wrapper


def vmhwm_mb(pid: str) -> float | None:
    """Peak RSS (VmHWM) of a process from /proc, in MiB; None off Linux."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None
