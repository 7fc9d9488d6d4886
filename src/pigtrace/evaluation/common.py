"""Shared pieces of the scorers: precision/recall/F1 from counts, ISO-date windows, and the first
appearance of addresses in the warehouse's ``transfers`` (the time an address is dated by when a score
is restricted to a period with ``--since`` / ``--until``)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb

from pigtrace.errors import PigtraceError

FIRST_SEEN = "pt_eval_first_seen"


def prf(row: dict) -> dict:
    """Precision, recall and F1 (rounded to 4 places; None where undefined) from tp, fp and fn."""
    tp, fp, fn = row["tp"], row["fp"], row["fn"]
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)

    def rnd(x: float | None) -> float | None:
        return round(x, 4) if x is not None else None

    return {"precision": rnd(p), "recall": rnd(r), "f1": rnd(f1)}


def parse_date(text: str | None, option: str) -> datetime | None:
    """An ISO date (YYYY-MM-DD, midnight UTC) or date-time; None stays None."""
    if text is None or text == "":
        return None
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise PigtraceError(f"{option} {text!r}: not an ISO date (YYYY-MM-DD)") from None
    return t.astimezone(timezone.utc).replace(tzinfo=None) if t.tzinfo else t


def check_window(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise PigtraceError(f"--since {since.date()} is not before --until {until.date()}: the period is empty")


def first_seen_table(con: duckdb.DuckDBPyConnection, keys: str) -> None:
    """Temp table ``pt_eval_first_seen(chain, address, first_seen)``: for each (chain, address) of the
    relation ``keys``, the earliest time it appears in ``transfers`` as sender or receiver (NULL if never)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {FIRST_SEEN} AS
            WITH k AS (SELECT DISTINCT chain, address FROM {keys}),
            seen AS (
                SELECT t.chain, t.from_address AS address, min(t.time) AS m FROM transfers t
                SEMI JOIN k ON k.chain = t.chain AND k.address = t.from_address GROUP BY ALL
                UNION ALL
                SELECT t.chain, t.to_address, min(t.time) FROM transfers t
                SEMI JOIN k ON k.chain = t.chain AND k.address = t.to_address GROUP BY ALL)
            SELECT k.chain, k.address, min(s.m) AS first_seen
            FROM k LEFT JOIN seen s ON s.chain = k.chain AND s.address = k.address GROUP BY ALL"""
    )


def window_sql(column: str, since: datetime | None, until: datetime | None) -> str:
    """SQL predicate: ``column`` (a timestamp) lies in [since, until); 'true' when no bound is given
    (then addresses absent from the ledger count too). Bounds are rendered as literals."""
    parts = []
    if since is not None:
        parts.append(f"{column} >= TIMESTAMP '{since.isoformat(sep=' ')}'")
    if until is not None:
        parts.append(f"{column} < TIMESTAMP '{until.isoformat(sep=' ')}'")
    return " AND ".join(parts) if parts else "true"


def latest_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The latest analysis run (id, finished, behaviour_only), so a score says what it scored."""
    cols = {r[0] for r in con.execute("DESCRIBE analysis_runs").fetchall()}
    flag = "behaviour_only" if "behaviour_only" in cols else "NULL"
    row = con.execute(f"SELECT id, finished, {flag} FROM analysis_runs ORDER BY id DESC LIMIT 1").fetchone()
    return {"run_id": row[0], "finished": row[1], "behaviour_only": row[2]} if row else None
