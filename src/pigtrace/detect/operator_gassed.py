"""Ring wallets found from the operator that keeps them running: the wallets a found gas funder topped up.

Place in the flow: gas_funder (operators: a wallet whose gas top-ups went mostly to found scam wallets) and every
detector before it -> **operator_gassed** -> laundering_chain and merge. A ring whose deposit wallets are paid from
its victims' exchange accounts and hold the money for weeks gives collection_evidence nothing to go on: one
payer, an exchange, and a late sweep into a consolidation wallet that nothing else found either. What ties
such a wallet to the ring is its gas: the ring's funder topped it up so that it could sweep.

A wallet (no service or exchange deposit account, not already found in any role) that a found gas-funding
operator topped up, and that passed on at least ``PASSED`` of what it received (at least ``MIN_USD``, gas
top-ups left out):

- is a **collection wallet** when under ``FROM_RING`` of what it received came from found scam wallets
  (collection, operator, laundering), at least ``FROM_RING`` of it came from exchanges and other services (its
  victims' exchange accounts) or from people who each sent it at least ``DEVOTED`` of all they sent (a shop
  the ring also passes money through is paid by customers spending a little of theirs), it took in at least
  ``COLLECTED`` payments per payment it made, sent every payment itself (a drained victim's tokens leave by the
  drainer's transferFrom) and paid no found collection wallet. A ring that
  pays its victims' gas (so that they can approve or pay the platform) makes them look alike, but a victim pays
  the platform as it buys (about a payment out per payment in), pays found collection wallets, and gets its
  "profits" from the ring's payout wallet;
- is a **laundering wallet** when at least ``FROM_RING`` of what it received came from found scam wallets or
  from the collection wallets found here (a consolidation wallet or hop the funder also fuels); so is a wallet
  that met the collection rule but took at least ``FROM_RING`` of its money from the others that did (the
  consolidation wallet they sweep to).

What breaks it: gas paid from exchanges or by each wallet's own payer (the ``gas`` knob), and a funder that
nothing else found.
"""

from __future__ import annotations

from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.collection_evidence import HELD_PASSED as PASSED
from pigtrace.detect.collection_features import DEVOTED_SHARE as DEVOTED
from pigtrace.detect.flow_evidence import collect, seen_sql, usd
from pigtrace.detect.flow_services import rows_touching
from pigtrace.detect.flow_taint import store_pairs
from pigtrace.detect.gas import gas_topup_sql

FROM_RING = 0.5
COLLECTED = 3
MIN_USD = 100.0
SCORE = 0.6
SCAM_ROLES = ("scam_collection", "scam_operator", "laundering")
SOURCES = ("screening_hits", "approval_drain", "fake_platform", "collection_evidence", "poisoning", "laundering",
           "victim_fed_laundering", "gas_funder", "propagation", "platform_payout", "victim_payout",
           "laundering_source")


class OperatorGassed(Detector):
    id = "operator_gassed"
    concept = "pig_butchering"
    help = (
        "Ring wallet fuelled by a found gas-funding operator: the operator topped up its gas and it passed on "
        f"nearly all it received. A collection wallet when it took its money from outside the ring in {COLLECTED} "
        "or more payments per payment it made, from exchanges or from people who each sent it most of what they "
        "sent, and paid no found collection wallet (a victim pays as it buys); "
        f"a laundering wallet when at least {FROM_RING:.0%} of what it received came from the ring's wallets."
    )
    severity = "high"
    confidence = "medium"
    roles = ("scam_collection", "laundering")
    reads = ("pt_value", "pt_services", "pt_deposits", "pt_token_info", *(f"findings:{s}" for s in SOURCES))
    writes = ("findings:operator_gassed",)
    funder_detector = "gas_funder"  # the detector whose gas-funding operators it starts from

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        funders = {(f.chain, f.address) for f in ctx.findings
                   if f.role == "scam_operator" and f.typology == self.funder_detector}
        if not funders:
            return []
        store_pairs(con, "pt_og_funder", funders)
        store_pairs(con, "pt_og_known", {(f.chain, f.address) for f in ctx.findings})
        store_pairs(con, "pt_og_ring", {(f.chain, f.address) for f in ctx.findings if f.role in SCAM_ROLES})
        store_pairs(con, "pt_og_collection",
                    {(f.chain, f.address) for f in ctx.findings if f.role == "scam_collection"})
        value = f"(SELECT * FROM pt_value v WHERE NOT {gas_topup_sql('v')})"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_og_wallet AS
                WITH gassed AS (
                    SELECT DISTINCT v.chain, v.dst AS w FROM {rows_touching("pt_value", "src_ref", "pt_og_funder", "address")} v
                    SEMI JOIN pt_og_funder f ON f.chain = v.chain AND f.address = v.src
                    WHERE {gas_topup_sql('v')}),
                cand AS (
                    SELECT g.* FROM gassed g
                    ANTI JOIN pt_og_known k ON k.chain = g.chain AND k.address = g.w
                    ANTI JOIN pt_services s ON s.chain = g.chain AND s.address = g.w
                    ANTI JOIN pt_deposits d ON d.chain = g.chain AND d.address = g.w),
                paid AS (
                    SELECT v.chain, v.dst AS w, v.src AS payer, sum(v.usd) AS usd, count(*) AS n
                    FROM {rows_touching(value, "dst_ref", "cand", "w")} v SEMI JOIN cand c ON c.chain = v.chain AND c.w = v.dst GROUP BY ALL),
                payer_out AS (
                    SELECT v.chain, v.src AS payer, sum(v.usd) AS out_usd FROM {rows_touching(value, "src_ref", "paid", "payer")} v
                    SEMI JOIN paid p ON p.chain = v.chain AND p.payer = v.src GROUP BY ALL),
                i AS (
                    SELECT p.chain, p.w, sum(p.usd) AS in_usd, sum(p.n) AS in_n,
                           coalesce(sum(p.usd) FILTER (WHERE r.address IS NOT NULL), 0) AS from_ring,
                           coalesce(sum(p.usd) FILTER (WHERE s.address IS NOT NULL
                                                        OR p.usd >= {DEVOTED} * o.out_usd), 0) AS devoted
                    FROM paid p JOIN payer_out o USING (chain, payer)
                    LEFT JOIN pt_og_ring r ON r.chain = p.chain AND r.address = p.payer
                    LEFT JOIN pt_services s ON s.chain = p.chain AND s.address = p.payer GROUP BY ALL),
                o AS (
                    SELECT v.chain, v.src AS w, sum(v.usd) AS out_usd, count(*) AS out_n,
                           bool_or(c.address IS NOT NULL) AS pays_collection,
                           bool_and(v.initiator = v.src) AS own_payments
                    FROM {rows_touching(value, "src_ref", "cand", "w")} v SEMI JOIN cand k ON k.chain = v.chain AND k.w = v.src
                    LEFT JOIN pt_og_collection c ON c.chain = v.chain AND c.address = v.dst GROUP BY ALL)
                SELECT i.*, o.out_usd, o.out_n, o.pays_collection, o.own_payments FROM i JOIN o USING (chain, w)
                WHERE o.out_usd >= {PASSED} * i.in_usd AND o.out_usd >= {MIN_USD}"""
        )
        # a wallet that collected from the others (the consolidation wallet they sweep to) is downstream of them
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_og_collected AS
                WITH c AS (SELECT * FROM pt_og_wallet
                           WHERE from_ring < {FROM_RING} * in_usd AND in_n >= {COLLECTED} * out_n
                             AND devoted >= {FROM_RING} * in_usd
                             AND NOT pays_collection AND own_payments),
                fed AS (SELECT v.chain, v.dst AS w, sum(v.usd) AS usd FROM {rows_touching(value, "src_ref", "c", "w")} v
                        SEMI JOIN c ON c.chain = v.chain AND c.w = v.src GROUP BY ALL)
                SELECT c.* FROM c LEFT JOIN fed f USING (chain, w)
                WHERE coalesce(f.usd, 0) < {FROM_RING} * c.in_usd"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_og_onward AS
                WITH fed AS (
                    SELECT v.chain, v.dst AS w, sum(v.usd) AS usd FROM {rows_touching(value, "src_ref", "pt_og_collected", "w")} v
                    SEMI JOIN pt_og_collected c ON c.chain = v.chain AND c.w = v.src GROUP BY ALL)
                SELECT w.chain, w.w, w.in_usd, w.out_usd, w.from_ring + coalesce(f.usd, 0) AS from_ring
                FROM pt_og_wallet w LEFT JOIN fed f USING (chain, w)
                ANTI JOIN pt_og_collected c ON c.chain = w.chain AND c.w = w.w
                WHERE w.from_ring + coalesce(f.usd, 0) >= {FROM_RING} * w.in_usd"""
        )
        con.execute("""CREATE OR REPLACE TEMP TABLE pt_og_found AS
                       SELECT chain, w, 'scam_collection' AS kind, in_usd, out_usd, in_n, out_n, from_ring
                       FROM pt_og_collected
                       UNION ALL
                       SELECT chain, w, 'laundering', in_usd, out_usd, NULL, NULL, from_ring FROM pt_og_onward""")
        rows = con.execute(
            f"""SELECT x.chain, x.w, x.kind, x.in_usd, x.out_usd, x.in_n, x.out_n, x.from_ring,
                       least(s.first_in, s.first_out), greatest(s.last_in, s.last_out)
                FROM pt_og_found x JOIN {seen_sql("pt_og_found", "w")} s ON s.chain = x.chain AND s.address = x.w
                ORDER BY 1, 2""").fetchall()
        evidence = collect(con, f"""SELECT v.chain, v.dst, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                          'gas top-up from the ring''s funder', 1e18
                                   FROM {rows_touching("pt_value", "dst_ref", "pt_og_found", "w")} v
                                   SEMI JOIN pt_og_funder f ON f.chain = v.chain AND f.address = v.src
                                   SEMI JOIN pt_og_found x ON x.chain = v.chain AND x.w = v.dst
                                   WHERE {gas_topup_sql('v')}
                                   UNION ALL
                                   SELECT v.chain, v.src, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                          'passed on', v.usd
                                   FROM {rows_touching(value, "src_ref", "pt_og_found", "w")} v
                                   SEMI JOIN pt_og_found x ON x.chain = v.chain AND x.w = v.src""")
        out = []
        for chain, w, role, in_usd, out_usd, in_n, out_n, from_ring, first, last in rows:
            if role == "scam_collection":
                why = (f"a found gas-funding operator topped up its gas; it took in {usd(in_usd)} in {in_n} payments, "
                       f"{from_ring / in_usd:.0%} of it from the ring's wallets, and passed {usd(out_usd)} on in "
                       f"{out_n} payment(s), none of them to a found collection wallet")
            else:
                why = (f"a found gas-funding operator topped up its gas; {from_ring / in_usd:.0%} of the {usd(in_usd)} "
                       f"it received came from the ring's wallets, and it passed {usd(out_usd)} on")
            out.append(Finding(chain, w, role, self.id, SCORE, first, last, [self.help, why],
                               evidence.get((chain, w), [])))
        return out


DETECTORS = [OperatorGassed]
