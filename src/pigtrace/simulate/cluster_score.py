"""Score the warehouse's ``clusters`` table against a simulated world's ``truth.json``.

A ring's members are its scam-side addresses (every role but ``victim``: collection wallets, operators,
laundering wallets, cash-out accounts); its victims are its victims. Reported:

- ``mixed_rings``: clusters holding members of two or more rings (one entity must not be two rings), and
  ``mixed_directly`` of them: those where a member of one ring was linked straight to a member of another
  (``joined_via``): a wallet working for both, such as the gas funders and laundering wallets the simulator
  shares between rings (truth.json names one ring per address), rather than a chain through an outsider;
- ``victim_with_ring``: clusters holding a victim and any ring's member (a victim is not the scam);
- ``ring_with_benign``: clusters holding a ring member and an ordinary actor or a service of the world
  (exchange deposit accounts aside: the truth lists each as its exchange's, not as its customer's, so
  whose it is cannot be scored);
- ``coverage``: of the members of rings with at least two members, the share clustered together with at
  least one member of their own ring, and ``members`` / ``covered`` behind it;
- ``clusters`` / ``clustered``: clusters with a ring member, and ring members in any cluster.

Reads only the ``clusters`` table and the truth (like the findings scorer, nothing of the detectors).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa


def score_clusters(con: duckdb.DuckDBPyConnection, truth: dict) -> dict:
    roles = [{"address": r["address"], "ring": r["ring"], "side": "victim" if r["role"] == "victim" else "ring"}
             for r in truth["roles"]]
    others = [{"address": x["address"], "ring": None, "side": "benign"} for x in truth["services"] + truth["benign"]
              if x["kind"] != "exchange_deposit"]
    con.register("pt_truth_sides", pa.Table.from_pylist(roles + others, schema=pa.schema(
        [("address", pa.string()), ("ring", pa.string()), ("side", pa.string())])))
    try:
        per = con.execute(
            """SELECT c.cluster_id,
                      count(DISTINCT t.ring) FILTER (WHERE t.side = 'ring') AS rings,
                      count(*) FILTER (WHERE t.side = 'ring') AS members,
                      count(*) FILTER (WHERE t.side = 'victim') AS victims,
                      count(*) FILTER (WHERE t.side = 'benign') AS benign
               FROM clusters c JOIN pt_truth_sides t ON t.address = c.address
               WHERE c.chain = ? GROUP BY c.cluster_id""",
            [truth["chain"]],
        ).fetchall()
        direct = {cid for (cid,) in con.execute(
            """SELECT DISTINCT c.cluster_id FROM clusters c
               JOIN pt_truth_sides x ON x.address = c.address JOIN pt_truth_sides y ON y.address = c.joined_via
               WHERE c.chain = ? AND x.side = 'ring' AND y.side = 'ring' AND x.ring <> y.ring""",
            [truth["chain"]],
        ).fetchall()}
        covered, members = con.execute(
            """WITH m AS (SELECT t.address, t.ring, c.cluster_id FROM pt_truth_sides t
                          LEFT JOIN clusters c ON c.chain = ? AND c.address = t.address
                          WHERE t.side = 'ring'
                            AND t.ring IN (SELECT ring FROM pt_truth_sides WHERE side = 'ring'
                                           GROUP BY ring HAVING count(*) >= 2))
               SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM m o WHERE o.ring = m.ring
                                        AND o.cluster_id = m.cluster_id AND o.address <> m.address)),
                      count(*)
               FROM m""",
            [truth["chain"]],
        ).fetchall()[0]
    finally:
        con.unregister("pt_truth_sides")
    return {
        "clusters": sum(1 for _, rings, *_ in per if rings),
        "clustered": sum(m for _, _, m, _, _ in per),
        "mixed_rings": sum(1 for _, rings, *_ in per if rings >= 2),
        "mixed_directly": sum(1 for cid, rings, *_ in per if rings >= 2 and cid in direct),
        "victim_with_ring": sum(1 for _, _, m, v, _ in per if m and v),
        "ring_with_benign": sum(1 for _, _, m, _, b in per if m and b),
        "members": members, "covered": covered, "coverage": round(covered / members, 4) if members else None,
    }
