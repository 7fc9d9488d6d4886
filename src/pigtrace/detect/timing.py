"""Seconds per step of a long library call (``analyze --profile``): a progress callback that notes, at each
step's start, the wall and CPU time the previous step took. CPU time is the whole process's (DuckDB's
threads included), so on a shared machine it moves less than wall time."""

from __future__ import annotations

import time

from pigtrace.progress import Progress, quiet


class StepTimer:
    """Wraps ``progress``: passes each step on and times it until the next step starts (or ``stop``)."""

    def __init__(self, progress: Progress = quiet) -> None:
        self._progress = progress
        self._step: str | None = None
        self._wall = self._cpu = 0.0
        self.steps: list[tuple[str, float, float]] = []

    def __call__(self, step: str) -> None:
        self._close()
        self._step, self._wall, self._cpu = step, time.perf_counter(), time.process_time()
        self._progress(step)

    def _close(self) -> None:
        if self._step is not None:
            self.steps.append((self._step, time.perf_counter() - self._wall, time.process_time() - self._cpu))
            self._step = None

    def stop(self) -> list[dict]:
        """End the step under way; the steps as rows (step, wall seconds, CPU seconds), largest CPU first."""
        self._close()
        rows = [{"step": s, "seconds": round(w, 2), "cpu": round(c, 2)} for s, w, c in self.steps]
        return sorted(rows, key=lambda r: -r["cpu"])
