"""The heuristic contract: a clustering heuristic is a small class with an id, the rule in plain words
(``help``), what keeps it from merging unrelated owners (``guard``), and ``edges_sql()``, one DuckDB query
over the compact ledger and the ground tables (``cluster.ground``) that returns the address pairs it links
as integer refs, columns ``a`` (the address joined) and ``b`` (the address it was linked to)."""

from __future__ import annotations

from typing import ClassVar


class Heuristic:
    id: ClassVar[str]
    help: ClassVar[str]  # the rule: which addresses it links and why that means one owner
    guard: ClassVar[str]  # what it refuses to link, and why

    def edges_sql(self) -> str:
        raise NotImplementedError
