"""Victims who came back with more, found once every collection wallet is known.

Place in the flow: every other detector (late_gas included) -> **late_victims** -> merge. The detectors that find
a collection wallet name as its victims the people who sent it a good share of all they sent (``VICTIM_SHARE``
in collection_evidence, half in laundering_source and ring_feeders): a shop's regular customers spend a sliver
of their money there, a victim most of it. But a victim who also spends freely elsewhere (at shops, on friends,
at its exchange) sends a scam a sliver too, and stays unnamed. What sets it apart from a customer is how it
paid: it came back and paid the scam wallet again, more than at first, as the scam asked for larger deposits.
This stage names such payers of every wallet found as a collection wallet, whatever share of all they sent.

Measured on the tuning worlds: `bench/alt_world.py` seeds 7-30, where victims also spend at shops, 49 more
right victims on Ethereum (48 on Tron), none wrong; the simulator's 112 Ethereum tuning worlds (`style=fixed` and
`style=random` seeds 15-40, every knob at seeds 1-2), 9 more right, none wrong. Before the stage, the people who
paid a found collection wallet twice or more and were named nothing were, among those whose last payment was
larger, all victims but one (a savings-club member paying a pot wallet wrongly found); among those who paid the same
or less again, 20 victims and 4 benign payers of wallets wrongly found (a savings club, a treasury): those stay out.

What breaks it: a customer who pays a wallet wrongly found as a collection wallet again with a larger sum (a
savings club's member, a shop's regular) is named its victim; a victim who paid once, or never more than at first,
and a sliver of all it sent, is still missed.
"""

from __future__ import annotations

from pigtrace.detect import late_gas
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.collection_evidence import MIN_VICTIM_USD
from pigtrace.detect.flow_evidence import collect, usd
from pigtrace.detect.flow_services import value_of
from pigtrace.detect.flow_taint import store_pairs
from pigtrace.detect.gas import gas_topup_sql

PAYMENTS = 2  # it paid the wallet at least this often, the last time more than the first
SCORE = 0.6  # of the collection wallet's score: the share of all it sent says nothing here
OWN_MONEY = 0.5  # a payer that got this share of all it received from the scam's wallets is the scam's, no victim


class LateVictims(Detector):
    id = "late_victims"
    concept = "victim"
    help = (
        "Victim who came back with more: a person (no service, exchange account or wallet found in another role) "
        f"who paid a wallet found as a scam collection wallet {PAYMENTS} or more times, the last payment larger "
        f"than the first (each at least ${MIN_VICTIM_USD:.0f}), whatever share of all it sent that was, and whose "
        "own money did not come mostly from the scam's wallets. Run last, over every collection wallet found."
    )
    severity = "medium"
    confidence = "medium"
    roles = ("victim",)
    reads = ("pt_value", "pt_services", "pt_deposits", "pt_token_info",
             *late_gas.LATE_READS, "findings:late_gas_funder", "findings:late_operator_gassed")
    writes = ("findings:late_victims",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        wallets = {}
        for f in ctx.findings:
            if f.role == "scam_collection" and f.score > wallets.get((f.chain, f.address), (0.0, None))[0]:
                wallets[(f.chain, f.address)] = (f.score, f.ring)
        if not wallets:
            return []
        con = ctx.con
        store_pairs(con, "pt_lv_wallets", set(wallets))
        store_pairs(con, "pt_lv_found", {(f.chain, f.address) for f in ctx.findings})
        store_pairs(con, "pt_lv_scam", {(f.chain, f.address) for f in ctx.findings if f.role != "victim"})
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_lv_paid AS
                WITH p AS (
                    SELECT v.chain, v.src AS address, v.dst AS wallet, count(*) AS n, sum(v.usd) AS usd,
                           arg_min(v.usd, (v.time, v.tx_hash)) AS first_usd,
                           arg_max(v.usd, (v.time, v.tx_hash)) AS last_usd,
                           min(v.time) AS first_seen, max(v.time) AS last_seen
                    FROM {value_of("pt_lv_wallets", "address", "dst")} v
                    WHERE v.usd >= {MIN_VICTIM_USD} AND NOT {gas_topup_sql("v")}
                    GROUP BY ALL)
                SELECT p.* FROM p
                ANTI JOIN pt_lv_found x ON x.chain = p.chain AND x.address = p.address
                ANTI JOIN pt_services s ON s.chain = p.chain AND s.address = p.address
                ANTI JOIN pt_deposits d ON d.chain = p.chain AND d.address = p.address
                WHERE p.n >= {PAYMENTS} AND p.last_usd > p.first_usd"""
        )
        # a payer whose own money came mostly from the scam's wallets is one of them (a hop paid back), no victim
        rows = con.execute(
            f"""WITH i AS (SELECT v.chain, v.dst AS address, sum(v.usd) AS in_usd,
                                  sum(v.usd) FILTER (WHERE s.address IS NOT NULL) AS scam_usd
                           FROM {value_of("pt_lv_paid", "address", "dst")} v
                           LEFT JOIN pt_lv_scam s ON s.chain = v.chain AND s.address = v.src
                           WHERE NOT {gas_topup_sql("v")} GROUP BY ALL)
                SELECT p.chain, p.address, p.wallet, p.n, p.usd, p.first_usd, p.last_usd, p.first_seen, p.last_seen
                FROM pt_lv_paid p LEFT JOIN i USING (chain, address)
                WHERE coalesce(i.scam_usd, 0) < {OWN_MONEY} * coalesce(i.in_usd, 0) OR i.in_usd IS NULL
                ORDER BY p.chain, p.address, p.usd DESC, p.wallet"""
        ).fetchall()
        ev = collect(con, f"""SELECT v.chain, v.src, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                     'payment to a scam collection wallet', v.usd
                              FROM {value_of("pt_lv_paid", "address", "src")} v
                              SEMI JOIN pt_lv_paid p ON p.chain = v.chain AND p.address = v.src AND p.wallet = v.dst""")
        out: dict[tuple[str, str], Finding] = {}
        for chain, address, wallet, n, paid, first_usd, last_usd, first, last in rows:
            if (chain, address) in out:  # the wallet it paid most
                continue
            score, ring = wallets[(chain, wallet)]
            out[(chain, address)] = Finding(
                chain, address, "victim", self.id, SCORE * score, first, last,
                [self.help, f"paid {usd(paid)} in {n} payments to scam collection wallet {wallet}, "
                            f"{usd(first_usd)} at first and {usd(last_usd)} at last"],
                ev.get((chain, address), []), ring=ring)
        return list(out.values())


DETECTORS = [LateVictims]
