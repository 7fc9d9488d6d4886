"""The service's hold on the warehouse: many readers, one writer.

DuckDB lets one process hold a database file for writing; inside that process every request gets its own
connection to it (``cursor()``), which reads a consistent snapshot, so a running analysis never blocks or
changes what a screening request reads. Writes (label imports, saved cases, analyses) go through one queue
served by one thread, in order; each gets a job id whose state can be asked for. After a write the
warehouse's ``version`` goes up and the screening index (``screen_index``) is rebuilt in the same thread.
With ``read_only`` the file is opened read-only (another process may read it too), every write is refused,
and a warehouse without this version's shipped label packs reads them from the package (``shipped_view``).
"""

from __future__ import annotations

import itertools
import threading
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import duckdb

from pigtrace.errors import PigtraceError
from pigtrace.labels.shipped import ensure_loaded, shipped_view
from pigtrace.store.warehouse import avoid_wrong_results, connect, db_path

JOBS_KEPT = 200  # finished jobs remembered for status queries


class ReadOnlyService(PigtraceError):
    """A write asked of a service started with --read-only."""


@dataclass
class Job:
    id: int
    kind: str
    state: str = "queued"  # queued, running, done, failed
    submitted: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    finished: datetime | None = None
    result: Any = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "state": self.state, "submitted": self.submitted,
                "finished": self.finished, "result": self.result, "error": self.error}


class Warehouse:
    def __init__(self, path: str | None, read_only: bool = False) -> None:
        self.path = db_path(path)
        self.read_only = read_only
        self._con = connect(self.path, read_only=read_only)
        self._shipped_view = False
        if read_only:
            self._shipped_view = shipped_view(self._con.cursor())  # does this version's packs need a view?
        else:
            ensure_loaded(self._con)  # this version's shipped label packs, as every writing command does
        self.version = 0
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pigtrace-writer")
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._after_write: list[Callable[[duckdb.DuckDBPyConnection], None]] = []

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of its own for one request; it sees the warehouse as of its first query."""
        cur = self._con.cursor()
        try:
            avoid_wrong_results(cur)
            if self._shipped_view:
                shipped_view(cur)  # a temp view lives in its connection
            yield cur
        finally:
            cur.close()

    def on_write(self, hook: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
        """Run ``hook`` in the writer thread after every write (the screening index rebuild)."""
        self._after_write.append(hook)

    def submit(self, kind: str, work: Callable[[duckdb.DuckDBPyConnection], Any],
               refresh: bool = True) -> tuple[Job, Future]:
        """Queue ``work`` (called with a writing connection) behind earlier writes; ``refresh``: the write
        changes what the derived state reads (labels, findings), so rebuild it after."""
        if self.read_only:
            raise ReadOnlyService("this service was started with --read-only: it makes no changes")
        with self._lock:
            job = Job(next(self._ids), kind)
            self._jobs[job.id] = job
            for old in sorted(self._jobs)[:-JOBS_KEPT]:
                if self._jobs[old].state in ("done", "failed"):
                    del self._jobs[old]
        return job, self._writer.submit(self._run, job, work, refresh)

    def write(self, kind: str, work: Callable[[duckdb.DuckDBPyConnection], Any], timeout: float | None = None,
              refresh: bool = True) -> Any:
        """Queue ``work`` and wait for its result (a short write such as a label import)."""
        job, future = self.submit(kind, work, refresh)
        future.result(timeout)
        if job.state == "failed":
            raise job.failure  # type: ignore[attr-defined]
        return job.result

    def job(self, job_id: int) -> Job | None:
        return self._jobs.get(job_id)

    def _run(self, job: Job, work: Callable[[duckdb.DuckDBPyConnection], Any], refresh: bool) -> None:
        job.state = "running"
        cur = self._con.cursor()
        try:
            avoid_wrong_results(cur)
            job.result = work(cur)
            job.state = "done"
        except Exception as e:  # the job records the failure; the queue goes on
            job.state = "failed"
            job.error = str(e) if isinstance(e, PigtraceError) else f"{type(e).__name__}: {e}"
            job.failure = e  # type: ignore[attr-defined]
            if not isinstance(e, (PigtraceError, duckdb.Error)):
                traceback.print_exc()
        finally:
            cur.close()
            job.finished = datetime.now(timezone.utc)
        if job.state == "done":
            self.version += 1
            if refresh:
                self.refresh()

    def refresh(self) -> None:
        """Rebuild what is derived from the warehouse (called at start and after each write)."""
        with self.reader() as cur:
            for hook in self._after_write:
                hook(cur)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._con.close()
