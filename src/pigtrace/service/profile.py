"""What the address page and the findings list show, read from the warehouse in a few queries: an
address's labels with their provenance, its findings with reasons and evidence, its ring, cluster and
service entity, its activity, and its largest counterparties (the flow graph's "expand")."""

from __future__ import annotations

import json
from typing import Any, Optional

import duckdb

from pigtrace.labels.screen import parse_one
from pigtrace.service.errors import NotFound
from pigtrace.store.warehouse import dict_rows



def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                            [table]).fetchall()[0][0])


def profile(con: duckdb.DuckDBPyConnection, screened: dict) -> dict[str, Any]:
    """``screened`` (the address's screening answer) plus everything the warehouse knows about it."""
    address = screened["address"]
    out = dict(screened)
    out["labels"] = dict_rows(con.execute(
        """SELECT chain, label, category, abuse, concepts, actor, confidence, source, pack, origin, lastmod, tx_hash
           FROM labels WHERE address = ? ORDER BY pack, label""", [address]))
    found = dict_rows(con.execute(
        """SELECT chain, role, typology, score, first_seen, last_seen, reasons, evidence, ring
           FROM findings WHERE address = ? ORDER BY score DESC, role""", [address]))
    for f in found:
        f["reasons"] = json.loads(f["reasons"]) if f["reasons"] else []
        f["evidence"] = json.loads(f["evidence"]) if f["evidence"] else []
    out["findings"] = found
    out["ring"] = None
    if _has(con, "rings"):
        ring = con.execute("SELECT chain, ring, role, link FROM rings WHERE address = ? ORDER BY ring LIMIT 1",
                           [address]).fetchall()
        if ring:
            chain, name, role, link = ring[0]
            size = con.execute("SELECT count(DISTINCT address) FROM rings WHERE chain = ? AND ring = ?",
                               [chain, name]).fetchall()[0][0]
            out["ring"] = {"chain": chain, "ring": name, "role": role, "link": link, "members": size}
    out["cluster"] = None
    if _has(con, "clusters"):
        cl = con.execute(
            """WITH mine AS (SELECT chain, cluster_id FROM clusters WHERE address = ? LIMIT 1)
               SELECT m.chain, m.cluster_id, count(*) FROM mine m JOIN clusters c USING (chain, cluster_id)
               GROUP BY ALL""", [address]).fetchall()
        if cl:
            out["cluster"] = {"chain": cl[0][0], "cluster_id": cl[0][1], "members": cl[0][2]}
    entity = dict_rows(con.execute("SELECT chain, kind, entity, source, category, score, reasons FROM entities "
                               "WHERE address = ? ORDER BY score DESC LIMIT 1", [address])) if _has(con, "entities") else []
    if entity and isinstance(entity[0]["reasons"], str):
        entity[0]["reasons"] = json.loads(entity[0]["reasons"])
    out["entity"] = entity[0] if entity else None
    out["activity"] = dict_rows(con.execute(
        """SELECT chain, min(time) AS first_seen, max(time) AS last_seen,
                  count(*) FILTER (WHERE to_address = ?) AS transfers_in,
                  count(*) FILTER (WHERE from_address = ?) AS transfers_out,
                  round(coalesce(sum(usd) FILTER (WHERE to_address = ?), 0), 2) AS usd_in,
                  round(coalesce(sum(usd) FILTER (WHERE from_address = ?), 0), 2) AS usd_out
           FROM transfers WHERE from_address = ? OR to_address = ? GROUP BY chain ORDER BY chain""",
        [address] * 6))
    return out


def flows(con: duckdb.DuckDBPyConnection, raw: str, chain: Optional[str], limit: int) -> dict[str, Any]:
    address, _ = parse_one(raw, chain)
    seen = con.execute("SELECT count(*) FROM addresses WHERE address = ?", [address]).fetchall()[0][0]
    if not seen:
        raise NotFound(f"{address}: not in the warehouse (no transfer, transaction or approval names it)")
    out: dict[str, Any] = {"address": address}
    for side, near, far in (("sent", "from_address", "to_address"), ("received", "to_address", "from_address")):
        out[side] = dict_rows(con.execute(
            f"""WITH pairs AS (
                    SELECT {far} AS address, round(coalesce(sum(usd), 0), 2) AS usd, count(*) AS transfers,
                           min(time) AS first, max(time) AS last
                    FROM transfers WHERE {near} = ? AND {far} IS NOT NULL AND (? IS NULL OR chain = ?)
                    GROUP BY 1 ORDER BY usd DESC, transfers DESC, address LIMIT ?)
                SELECT p.*, (SELECT arg_max(f.role, f.score) FROM findings f WHERE f.address = p.address) AS role,
                       (SELECT min(l.label) FROM labels l WHERE l.address = p.address) AS label
                FROM pairs p ORDER BY usd DESC, transfers DESC, address""", [address, chain, chain, limit]))
    return out


def findings_page(con: duckdb.DuckDBPyConnection, role: Optional[str], chain: Optional[str], min_score: float,
                  limit: int, offset: int) -> dict[str, Any]:
    where = "(? IS NULL OR role = ?) AND (? IS NULL OR chain = ?) AND score >= ?"
    args = [role, role, chain, chain, min_score]
    total = con.execute(f"SELECT count(*) FROM findings WHERE {where}", args).fetchall()[0][0]
    items = dict_rows(con.execute(
        f"""SELECT chain, address, role, typology, score, first_seen, last_seen, reasons, ring FROM findings
            WHERE {where} ORDER BY score DESC, chain, address, role LIMIT ? OFFSET ?""", args + [limit, offset]))
    for f in items:
        f["reasons"] = json.loads(f["reasons"]) if f["reasons"] else []
    return {"total": total, "offset": offset, "limit": limit, "items": items}
