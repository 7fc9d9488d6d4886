"""Entities from service labels: which ledger addresses a label names as an exchange, bridge, DEX, OTC desk,
mixer or other service, and the entity's name.

Place in the flow: ``labels`` + the ``addresses`` dictionary -> **entities/labelled** -> entities/table.
Reads only service labels: a row ``labels.taxonomy.ABUSE_LABEL_SQL`` matches (scam, phishing, sanction
...) is never read, so the entities are the same in a behaviour-only analysis. Only addresses that appear
in the ledger get a row.

Kind of a label: by its category, else by the first of its concepts (sorted) that names a service. When
one address carries labels of several kinds, the first kind of ``PRIORITY`` wins (a mixer stays a mixer
whatever else it is; an exchange label beats a DEX label). Custodial services other than exchanges
(wallet services, payment processors, stablecoin issuers, mining pools, gambling sites, marketplaces) are
``other_service`` with their category: trace treats them as exchanges (they hold customers' money).
The entity's name: for an exchange or custodial service the exchange's name from its label
("Binance: Hot Wallet 14" -> "Binance"), else the label's actor, else the label text.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from pigtrace.labels.attribution import exchange_name
from pigtrace.labels.taxonomy import ABUSE_LABEL_SQL

CATEGORY_KIND = {
    "exchange": "exchange_hot_wallet",
    "wallet_service": "other_service", "payment_processor": "other_service", "stablecoin_issuer": "other_service",
    "mining_service": "other_service", "gambling": "other_service", "marketplace": "other_service",
    "bridge": "bridge", "defi_bridge": "bridge",
    "otc_desk": "otc_desk", "guarantee_marketplace": "otc_desk",
    "defi_dex": "dex", "defi": "dex", "defi_lending": "dex",
    "mixing_service": "mixer",
}
# Categories of custodial services: they keep customers' money, like an exchange (trace calls them exchanges).
CUSTODIAL = ("exchange", "wallet_service", "payment_processor", "stablecoin_issuer", "mining_service",
             "gambling", "marketplace")
PRIORITY = ("mixer", "exchange_hot_wallet", "other_service", "bridge", "otc_desk", "dex")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


def labelled(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``pt_en_labelled(ref, kind, entity, category, score, reasons)``: one row per ledger address a
    service label names."""
    cats = _in(CATEGORY_KIND)
    kind_case = "CASE c " + " ".join(f"WHEN '{c}' THEN '{k}'" for c, k in CATEGORY_KIND.items()) + " END"
    rank_case = "CASE kind " + " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(PRIORITY)) + " END"
    rows = con.execute(
        f"""WITH l AS (
                SELECT a.ref, l.label, l.actor, l.pack,
                       CASE WHEN l.category IN ({cats}) THEN l.category
                            ELSE list_sort(list_filter(coalesce(l.concepts, []::VARCHAR[]), lambda x: x IN ({cats})))[1]
                       END AS c
                FROM labels l JOIN addresses a ON a.chain = l.chain AND a.address = l.address
                WHERE NOT {ABUSE_LABEL_SQL}),
            k AS (SELECT *, {kind_case} AS kind FROM l WHERE c IS NOT NULL),
            r AS (SELECT *, {rank_case} AS rank FROM k)
            SELECT ref, arg_min(kind, (rank, c <> 'exchange', label)) AS kind,
                   arg_min(c, (rank, c <> 'exchange', label)) AS category,
                   arg_min(label, (rank, c <> 'exchange', label)) AS label,
                   arg_min(actor, (rank, c <> 'exchange', label)) AS actor,
                   list(DISTINCT 'labelled ' || c || ': ' || label || ' (' || pack || ')' ORDER BY
                        'labelled ' || c || ': ' || label || ' (' || pack || ')')[1:3] AS reasons
            FROM r GROUP BY ref"""
    ).fetchall()
    # the name needs exchange_name (a regular expression over the label): one call per labelled ledger address
    names = [((exchange_name(label) if category in CUSTODIAL and label else None) or actor or label)
             for _ref, _kind, category, label, actor, _reasons in rows]
    table = pa.table({
        "ref": pa.array([r[0] for r in rows], pa.int64()),
        "kind": pa.array([r[1] for r in rows], pa.string()),
        "entity": pa.array(names, pa.string()),
        "category": pa.array([r[2] for r in rows], pa.string()),
        "reasons": pa.array([r[5] for r in rows], pa.list_(pa.string())),
    })
    con.register("pt_en_labelled_arrow", table)
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_en_labelled AS
                   SELECT ref, kind, entity, category, 1.0::DOUBLE AS score, reasons FROM pt_en_labelled_arrow""")
    con.unregister("pt_en_labelled_arrow")
