"""Shipped labels in the warehouse: loading them once per pack version, and reading them without one.

``ensure_loaded(con)`` is what detectors and screening call first: it puts every shipped pack into the
``labels`` table (origin 'shipped'), and replaces them when the shipped version changes. User labels
(origin 'user') and packs refreshed with ``pigtrace labels update`` (origin 'update') are never touched.
``exchange_hot_wallets(chain)`` reads real exchange wallets straight from the shipped Etherscan pack.
"""

from __future__ import annotations

import duckdb

from pigtrace.labels.packs import LABEL_COLUMNS, manifest, pack_paths, read_pack
from pigtrace.store.warehouse import atomic

VERSION_KEY = "labels_shipped_version"
OVERRIDE_PREFIX = "labels_override:"


def ensure_loaded(con: duckdb.DuckDBPyConnection) -> int:
    """Load the shipped packs into ``labels`` unless this version is already there; returns rows added.
    Runs its own transaction, so call it outside one (DuckDB has no nested transactions)."""
    version = manifest()["version"]
    row = con.execute("SELECT value FROM meta WHERE key = ?", [VERSION_KEY]).fetchall()
    if row and row[0][0] == version:
        return 0
    overridden = [r[0][len(OVERRIDE_PREFIX):] for r in
                  con.execute("SELECT key FROM meta WHERE key LIKE ?", [OVERRIDE_PREFIX + "%"]).fetchall()]
    files = [str(p) for p in pack_paths()]
    cols = ", ".join(LABEL_COLUMNS)
    with atomic(con):
        con.execute("DELETE FROM labels WHERE origin = 'shipped'")
        before = con.execute("SELECT count(*) FROM labels").fetchall()[0][0]
        con.execute(
            f"""INSERT INTO labels ({cols})
                SELECT {cols} FROM read_parquet(?, hive_partitioning=false) s
                WHERE s.pack NOT IN (SELECT unnest(?::VARCHAR[]))
                  AND NOT EXISTS (SELECT 1 FROM labels t WHERE t.pack = s.pack AND t.chain = s.chain
                                  AND t.address = s.address AND t.label = s.label)""",
            [files, overridden],
        )
        added = con.execute("SELECT count(*) FROM labels").fetchall()[0][0] - before
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [VERSION_KEY, version])
    return added


def shipped_view(con: duckdb.DuckDBPyConnection) -> bool:
    """For a warehouse opened read-only: when this version of the shipped packs is not in its ``labels``
    table, shadow that table with a temp view that reads the shipped packs straight from the package's
    Parquet files beside the warehouse's other labels (user, update, and packs overridden by
    ``labels update``), exactly what ``ensure_loaded`` would have written. Nothing is written to the
    warehouse. Returns True when the view was created."""
    version = manifest()["version"]
    row = con.execute("SELECT value FROM meta WHERE key = ?", [VERSION_KEY]).fetchall()
    if row and row[0][0] == version:
        return False
    overridden = [r[0][len(OVERRIDE_PREFIX):] for r in
                  con.execute("SELECT key FROM meta WHERE key LIKE ?", [OVERRIDE_PREFIX + "%"]).fetchall()]
    catalog = con.execute("SELECT current_database()").fetchone()[0].replace('"', '""')
    files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in pack_paths())
    packs = ", ".join("'" + p.replace("'", "''") + "'" for p in overridden) or "''"  # never NULL: NOT IN (NULL) drops all
    cols = ", ".join(LABEL_COLUMNS)
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW labels AS
            SELECT {cols} FROM "{catalog}".main.labels WHERE origin IS DISTINCT FROM 'shipped'
            UNION ALL
            SELECT {cols} FROM read_parquet([{files}], hive_partitioning=false) s
            WHERE s.pack NOT IN ({packs})
              AND NOT EXISTS (SELECT 1 FROM "{catalog}".main.labels t WHERE t.origin IS DISTINCT FROM 'shipped'
                              AND t.pack = s.pack AND t.chain = s.chain AND t.address = s.address
                              AND t.label = s.label)"""
    )
    return True


def exchange_hot_wallets(chain: str = "ethereum") -> list[tuple[str, str]]:
    """(address, exchange name) of real exchange wallets on ``chain`` from the shipped Etherscan pack,
    sorted by exchange then address. The exchange name is the display name ('Binance', 'Kraken', ...)."""
    from pigtrace.labels.attribution import EXCHANGES, exchange_name

    names = {k.replace("-", ""): v for k, v in EXCHANGES.items()}
    t = read_pack("etherscan-attribution")
    con = duckdb.connect()
    con.register("t", t)
    rows = con.execute(
        """SELECT address, any_value(actor), any_value(label) FROM t
           WHERE chain = ? AND category = 'exchange' GROUP BY address ORDER BY 2, 1""",
        [chain],
    ).fetchall()
    con.close()
    out = []
    for address, actor, label in rows:
        name = names.get((actor or "").replace("-", "")) or exchange_name(label) or label
        out.append((address, name))
    return sorted(out, key=lambda r: (r[1], r[0]))
