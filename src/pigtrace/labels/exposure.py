"""Exposure: how much value reached a screened address from, or left it to, risky addresses within N hops.

Risky addresses are those with a label whose concepts carry risk (``taxonomy.SEVERE_CONCEPTS``,
``HIGH_CONCEPTS``, ``MEDIUM_CONCEPTS``) or a finding of a scam role from the latest ``pigtrace analyze``. The
walk runs in DuckDB for the whole batch at once, one join per hop: backwards along incoming transfers (where
the money came from) and forwards along outgoing ones (where it went). It never walks through a service
(exchange, bridge, DEX, ...) or past a risky address, so a path "victim -> exchange -> everyone" does not
taint the exchange's other customers. The value of a hit is the USD on the transfers between the risky address
and the path (unknown prices count as 0 USD but the transfers are still counted). Addresses are matched by
their canonical text, so an EVM address's transfers on every EVM chain in the warehouse count together.
"""

from __future__ import annotations

import duckdb

from pigtrace.labels.taxonomy import (HIGH_CONCEPTS, MEDIUM_CONCEPTS, SERVICE_CATEGORIES, SEVERE_CONCEPTS,
                                      label_concepts_sql)

FLAGGED_ROLES = ("scam_collection", "scam_operator", "laundering", "cash_out")
_RANK_NAME = {4: "severe", 3: "high", 2: "medium"}


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) + "]"


def prepare_risky(con: duckdb.DuckDBPyConnection) -> None:
    """Temp tables ``_risky(address, rank, why)`` and ``_services(address)`` for this connection."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _risky AS
            SELECT address, max(rank) AS rank, arg_max(why, rank) AS why FROM (
                SELECT address,
                       CASE WHEN list_has_any(risky, {_sql_list(SEVERE_CONCEPTS)}) THEN 4
                            WHEN list_has_any(risky, {_sql_list(HIGH_CONCEPTS)}) THEN 3
                            WHEN list_has_any(risky, {_sql_list(MEDIUM_CONCEPTS)}) THEN 2 ELSE 0 END AS rank,
                       label || ' (' || pack || ')' AS why
                FROM (SELECT *, {label_concepts_sql('l')} AS risky FROM labels l)
                UNION ALL
                SELECT address, 3, 'pigtrace finding: ' || role || coalesce(' (' || typology || ')', '')
                FROM findings WHERE role IN {tuple(FLAGGED_ROLES)})
            WHERE rank >= 2 GROUP BY address"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _services AS
            SELECT DISTINCT address FROM labels WHERE category IN {tuple(sorted(SERVICE_CATEGORIES))}"""
    )


def exposure(con: duckdb.DuckDBPyConnection, addresses: list[str], hops: int) -> dict[str, dict]:
    """Exposure of the addresses that have any: {address: {"hops", "incoming": {...}, "outgoing": {...}}};
    addresses missing from the result have none (``empty(hops)``)."""
    out: dict[str, dict] = {}
    has_transfers = con.execute("SELECT count(*) > 0 FROM (SELECT 1 FROM transfers LIMIT 1)").fetchall()[0][0]
    if hops <= 0 or not addresses or not has_transfers:
        return out
    prepare_risky(con)
    con.execute("CREATE OR REPLACE TEMP TABLE _origins AS SELECT DISTINCT unnest(?::VARCHAR[]) AS address",
                [sorted(set(addresses))])
    for direction, near, far in (("incoming", "to_address", "from_address"),
                                 ("outgoing", "from_address", "to_address")):
        con.execute("CREATE OR REPLACE TEMP TABLE _seen AS SELECT address AS origin, address, 0 AS hop FROM _origins")
        con.execute("CREATE OR REPLACE TEMP TABLE _hits (origin VARCHAR, address VARCHAR, hop INTEGER, usd DOUBLE, "
                    "transfers BIGINT)")
        con.execute("CREATE OR REPLACE TEMP TABLE _frontier AS SELECT origin, address FROM _seen")
        for hop in range(1, hops + 1):
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _step AS
                    SELECT f.origin, t.{far} AS address, sum(coalesce(t.usd, 0)) AS usd, count(*) AS transfers
                    FROM _frontier f JOIN transfers t ON t.{near} = f.address
                    WHERE t.{far} IS NOT NULL AND t.{far} <> f.origin
                    GROUP BY ALL"""
            )
            con.execute(
                f"""INSERT INTO _hits SELECT s.origin, s.address, {hop}, s.usd, s.transfers
                    FROM _step s JOIN _risky r USING (address)
                    WHERE NOT EXISTS (SELECT 1 FROM _hits h WHERE h.origin = s.origin AND h.address = s.address)"""
            )
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _frontier AS
                    SELECT DISTINCT s.origin, s.address FROM _step s
                    WHERE s.address NOT IN (SELECT address FROM _risky)
                      AND s.address NOT IN (SELECT address FROM _services)
                      AND NOT EXISTS (SELECT 1 FROM _seen v WHERE v.origin = s.origin AND v.address = s.address)"""
            )
            con.execute(f"INSERT INTO _seen SELECT origin, address, {hop} FROM _frontier")
        rows = con.execute(
            """SELECT h.origin, h.address, h.hop, h.usd, h.transfers, r.rank, r.why
               FROM _hits h JOIN _risky r USING (address) ORDER BY h.origin, h.hop, h.usd DESC, h.address"""
        ).fetchall()
        for origin, address, hop, usd, n, rank, why in rows:
            if origin not in out:
                out[origin] = empty(hops)
            side = out[origin][direction]
            side["direct_usd" if hop == 1 else "indirect_usd"] += usd
            side["transfers"] += n
            if len(side["counterparties"]) < 10:
                side["counterparties"].append({"address": address, "hop": hop, "usd": round(usd, 2), "transfers": n,
                                               "risk": _RANK_NAME.get(rank, "medium"), "why": why})
    for o in out.values():
        for d in ("incoming", "outgoing"):
            o[d]["direct_usd"] = round(o[d]["direct_usd"], 2)
            o[d]["indirect_usd"] = round(o[d]["indirect_usd"], 2)
    return out


def _empty() -> dict:
    return {"direct_usd": 0.0, "indirect_usd": 0.0, "transfers": 0, "counterparties": []}


def empty(hops: int) -> dict:
    return {"hops": hops, "incoming": _empty(), "outgoing": _empty()}
