"""Laundering chains followed hop by hop from the laundering wallets found.

Place in the flow: every detector that names laundering wallets (laundering, propagation, laundering_source)
-> **laundering_chain** -> cash_out and merge. A peel chain passes the ring's money down a line of fresh
wallets, each taking one payment and peeling a slice off to an exchange account before passing the rest on.
When clean money was mixed in upstream, the share of what a hop carries that is traced scam money falls below
propagation's bar within a few hops, although each hop is nothing but the next link: all it received came from
the hop before, which sent it most of what it sent.

A wallet (no service or exchange deposit account, not already found) is the next hop of a found laundering
wallet L when L sent it at least ``SUCCESSOR_SHARE`` of what L sent (gas top-ups left out), at least ``FED`` of
what the wallet received came from L, and it passed on at least ``PASSED`` of it, at least ``MIN_USD`` in all.
Hops found so are followed in turn, up to ``ROUNDS`` links. A reused laundering wallet's employees and suppliers
each get a small share of what it pays; its owner's own wallet that it sweeps its takings to does not pass them
on. What breaks it: a chain whose hops also take money from elsewhere (over a tenth), or a splitter sending no
hop most of its money.
"""

from __future__ import annotations

from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.collection_evidence import HELD_PASSED as PASSED
from pigtrace.detect.flow_evidence import collect, seen_sql, usd
from pigtrace.detect.flow_services import rows_touched, rows_touching
from pigtrace.detect.flow_taint import store_pairs
from pigtrace.detect.gas import gas_topup_sql

SUCCESSOR_SHARE = 0.5
FED = 0.9
MIN_USD = 100.0
ROUNDS = 200  # a bound on the walk, not a guess at a chain's length: real peel chains run to hundreds of links
SCORE = 0.6
SOURCES = ("laundering", "victim_fed_laundering", "propagation", "laundering_source", "screening_hits",
           "approval_drain", "fake_platform", "collection_evidence", "poisoning", "platform_payout", "victim_payout",
           "operator_gassed")


class LaunderingChain(Detector):
    id = "laundering_chain"
    concept = "pig_butchering"
    help = (
        f"Laundering chain: the next hop of a wallet found as laundering, which sent it at least "
        f"{SUCCESSOR_SHARE:.0%} of what it sent; at least {FED:.0%} of what the hop received came from that "
        "wallet and it passed nearly all of it on (a peel chain's link, however little of the money upstream "
        "could still be traced as the scam's). Followed link by link."
    )
    severity = "high"
    confidence = "medium"
    roles = ("laundering",)
    reads = ("pt_value", "pt_services", "pt_deposits", "pt_token_info", *(f"findings:{s}" for s in SOURCES))
    writes = ("findings:laundering_chain",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        laundering = {(f.chain, f.address) for f in ctx.findings if f.role == "laundering"}
        if not laundering:
            return []
        store_pairs(con, "pt_lc_known", {(f.chain, f.address) for f in ctx.findings})
        store_pairs(con, "pt_lc_frontier", laundering)
        # payments, gas top-ups and self-transfers left out (a relation, not a copy of the ledger)
        value = f"(SELECT * FROM pt_value v WHERE NOT {gas_topup_sql('v')} AND v.src_ref <> v.dst_ref)"
        # totals grouped on the address refs, the text joined back per wallet
        con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_lc_out AS
                        SELECT a.chain, a.address AS w, o.out_usd
                        FROM (SELECT src_ref, sum(usd) AS out_usd FROM {value} GROUP BY ALL) o
                        JOIN addresses a ON a.ref = o.src_ref""")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_lc_in AS
                        SELECT a.chain, a.address AS w, i.in_usd
                        FROM (SELECT dst_ref, sum(usd) AS in_usd FROM {value} GROUP BY ALL) i
                        JOIN addresses a ON a.ref = i.dst_ref""")
        con.execute("""CREATE OR REPLACE TEMP TABLE pt_lc_hop
                       (chain VARCHAR, w VARCHAR, prev VARCHAR, usd DOUBLE, share DOUBLE, link INTEGER)""")
        for link in range(1, ROUNDS + 1):
            added = con.execute(
                f"""INSERT INTO pt_lc_hop
                    WITH sent AS (
                        SELECT v.chain, v.src AS prev, v.dst AS w, sum(v.usd) AS usd
                        FROM {rows_touching(value, "src_ref", "pt_lc_frontier", "address")} v
                        SEMI JOIN pt_lc_frontier f ON f.chain = v.chain AND f.address = v.src GROUP BY ALL)
                    SELECT s.chain, s.w, s.prev, s.usd, s.usd / o.out_usd, {link}
                    FROM sent s JOIN pt_lc_out o ON o.chain = s.chain AND o.w = s.prev
                    JOIN pt_lc_in i ON i.chain = s.chain AND i.w = s.w
                    JOIN pt_lc_out n ON n.chain = s.chain AND n.w = s.w
                    ANTI JOIN pt_lc_known k ON k.chain = s.chain AND k.address = s.w
                    ANTI JOIN pt_lc_hop h ON h.chain = s.chain AND h.w = s.w
                    ANTI JOIN pt_services x ON x.chain = s.chain AND x.address = s.w
                    ANTI JOIN pt_deposits d ON d.chain = s.chain AND d.address = s.w
                    WHERE s.usd >= {SUCCESSOR_SHARE} * o.out_usd AND s.usd >= {FED} * i.in_usd
                      AND n.out_usd >= {PASSED} * i.in_usd AND s.usd >= {MIN_USD}
                    QUALIFY row_number() OVER (PARTITION BY s.chain, s.w ORDER BY s.usd DESC, s.prev) = 1"""
            ).fetchone()[0]
            if not added:
                break
            con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_lc_frontier AS
                            SELECT chain, w AS address FROM pt_lc_hop WHERE link = {link}""")
        hops = con.execute(
            f"""SELECT h.chain, h.w, h.prev, h.usd, h.share, h.link, least(s.first_in, s.first_out),
                      greatest(s.last_in, s.last_out)
               FROM pt_lc_hop h JOIN {seen_sql("pt_lc_hop", "w", value)} s ON s.chain = h.chain AND s.address = h.w
               ORDER BY 1, 2""").fetchall()
        evidence = collect(con, f"""SELECT v.chain, v.dst, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                          'received from the hop before', v.usd
                                   FROM {rows_touched(value, "dst_ref", "pt_lc_hop", "w")} v JOIN pt_lc_hop h
                                     ON h.chain = v.chain AND h.w = v.dst AND h.prev = v.src""")
        return [
            Finding(chain, w, "laundering", self.id, SCORE, first, last,
                    [self.help, f"received {usd(sent)} from {prev} ({share:.0%} of all that wallet sent), at least "
                                f"{FED:.0%} of what it received, and passed it on; link {link} after a wallet "
                                "found as laundering"],
                    evidence.get((chain, w), []))
            for chain, w, prev, sent, share, link, first, last in hops
        ]


DETECTORS = [LaunderingChain]
