"""The order an analysis runs its stages in, from what each declares it reads and writes.

A stage runs after every stage that writes a table it reads (a topological sort); among the stages that
may run next, the one listed first (shared stages, then the detector registry) runs first, so the plan is
the same on every run. A table read that no stage writes and the warehouse does not hold, two stages
writing the same table, and a cycle are errors that name the tables and stages involved."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pigtrace.detect.base import Detector, Stage, findings_table
from pigtrace.errors import PigtraceError
from pigtrace.store.compact import DICTIONARIES
from pigtrace.store.schema import TABLES

# Tables the warehouse holds (every stage may read them; none writes them).
WAREHOUSE = frozenset(TABLES) | frozenset(DICTIONARIES)


def outputs(stage: type[Stage]) -> tuple[str, ...]:
    """What ``stage`` writes: a detector writes its findings whether it says so or not."""
    if issubclass(stage, Detector):
        return tuple(dict.fromkeys((findings_table(stage.id), *stage.writes)))
    return stage.writes


def producers(stages: Iterable[type[Stage]]) -> dict[str, type[Stage]]:
    """Table -> the stage that writes it; two writers of one table are an error."""
    made: dict[str, type[Stage]] = {}
    for s in stages:
        for table in outputs(s):
            if table in WAREHOUSE:
                raise PigtraceError(f"stage {s.id!r} declares it writes {table!r}, a warehouse table; stages "
                                    "write temp tables and findings only")
            if table in made and made[table] is not s:
                raise PigtraceError(f"table {table!r} is written by both {made[table].id!r} and {s.id!r}")
            made[table] = s
    return made


def upstream(stage: type[Stage], made: dict[str, type[Stage]],
             available: frozenset[str] = frozenset()) -> list[type[Stage]]:
    """The stages that write what ``stage`` reads (direct inputs only), except tables in ``available``."""
    found = []
    for table in stage.reads:
        if table in WAREHOUSE or table in available:
            continue
        producer = made.get(table)
        if producer is None:
            raise PigtraceError(f"stage {stage.id!r} reads {table!r}, which no stage writes "
                                f"(and the warehouse has no such table)")
        if producer not in found:
            found.append(producer)
    return found


def plan(stages: Sequence[type[Stage]], wanted: Iterable[type[Stage]] | None = None,
         available: Iterable[str] = (), last_first: bool = False) -> list[type[Stage]]:
    """The stages to run for ``wanted`` (default: all of ``stages``) and everything they read, in an
    order where every writer comes before its readers. Tables in ``available`` are there already (a
    detector's stored findings that ``analyze --only`` reuses): their writers are not run for them.
    ``last_first`` breaks ties the other way round (a different valid order, for tests)."""
    made = producers(stages)
    available = frozenset(available)
    needed: list[type[Stage]] = []
    todo = list(wanted if wanted is not None else stages)
    while todo:
        s = todo.pop()
        if s in needed:
            continue
        needed.append(s)
        todo.extend(upstream(s, made, available))
    rank = {s: i for i, s in enumerate(stages)}
    deps = {s: set(upstream(s, made, available)) for s in needed}
    order: list[type[Stage]] = []
    while len(order) < len(needed):
        ready = [s for s in needed if s not in order and deps[s] <= set(order)]
        if not ready:
            raise PigtraceError(_cycle([s for s in needed if s not in order], made))
        order.append(max(ready, key=rank.__getitem__) if last_first else min(ready, key=rank.__getitem__))
    return order


def check_order(order: Sequence[type[Stage]], stages: Sequence[type[Stage]],
                available: Iterable[str] = ()) -> None:
    """Raise unless every stage in ``order`` comes after the writers (among ``stages``) of what it reads."""
    made = producers(stages)
    seen: set[type[Stage]] = set()
    for s in order:
        for p in upstream(s, made, frozenset(available)):
            if p not in seen:
                raise PigtraceError(f"stage {s.id!r} runs before {p.id!r}, which writes what it reads")
        seen.add(s)


def _cycle(left: list[type[Stage]], made: dict[str, type[Stage]]) -> str:
    """A message naming one cycle among ``left`` (stages that each wait on another of them)."""
    step: dict[type[Stage], tuple[str, type[Stage]]] = {}
    for s in left:
        for table in s.reads:
            p = made.get(table)
            if p in left:
                step[s] = (table, p)
                break
    s, path = left[0], []
    while s not in [x for x, _ in path]:
        table, p = step[s]
        path.append((s, table))
        s = p
    path = path[[x for x, _ in path].index(s):]
    links = ", ".join(f"{x.id!r} reads {t!r} (written by {made[t].id!r})" for x, t in path)
    return f"the stages form a cycle: {links}"
