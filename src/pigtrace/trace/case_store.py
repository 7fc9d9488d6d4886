"""The ``cases`` table: every case `pigtrace case` built, kept whole (its JSON) so that the API, the reports
and `pigtrace cases ID` reopen it as it was, whatever the warehouse learned since.

Place in the flow: trace/case (builds) -> **trace/case_store** -> cli (`case`, `cases`), the API, reports.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import duckdb

from pigtrace.errors import PigtraceError
from pigtrace.store.warehouse import atomic, register_tables
from pigtrace.store.warehouse import dict_rows

TABLES = {
    "cases": """
        id BIGINT PRIMARY KEY, created TIMESTAMP NOT NULL, chain VARCHAR NOT NULL, subject VARCHAR NOT NULL,
        subject_kind VARCHAR NOT NULL, method VARCHAR NOT NULL, basis VARCHAR NOT NULL, loss_usd DOUBLE,
        co_victims INTEGER, cash_out_usd DOUBLE, body JSON NOT NULL""",
}
register_tables(TABLES)


def save_case(con: duckdb.DuckDBPyConnection, case) -> int:
    """Store ``case`` under a new id (set on the case too) and return the id."""
    from pigtrace.cli.common import to_jsonable

    case.created = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    with atomic(con):
        case.id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM cases").fetchall()[0][0]
        body = case.as_dict()
        con.execute(
            "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [case.id, case.created, case.chain, case.subject, case.subject_kind, case.method, case.basis,
             round(case.loss_usd, 2), len(case.co_victims), round(sum(c["usd"] for c in case.cash_out), 2),
             json.dumps(to_jsonable(body))],
        )
    return case.id


def list_cases(con: duckdb.DuckDBPyConnection) -> list[dict]:
    cur = con.execute(
        """SELECT id, created, chain, subject, subject_kind, method, basis, loss_usd, co_victims, cash_out_usd
           FROM cases ORDER BY id"""
    )
    return dict_rows(cur)


def load_case(con: duckdb.DuckDBPyConnection, case_id: int) -> dict:
    """The saved case's JSON (the `case --format json` object) with its id and creation time."""
    rows = con.execute("SELECT body, created FROM cases WHERE id = ?", [case_id]).fetchall()
    if not rows:
        raise PigtraceError(f"case {case_id}: no such case in this warehouse (`pigtrace cases` lists them)")
    body = json.loads(rows[0][0])
    body["created"] = rows[0][1]
    return body
