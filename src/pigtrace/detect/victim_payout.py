"""Payout wallets found from the victims they pay: a fake platform builds trust by paying its victims small
"profits" after they deposit, from a wallet of its own that does little else.

Place in the flow: collection_evidence and fake_platform (victims, scam collection wallets) ->
**victim_payout** (operators) -> merge. platform_payout finds such a wallet through the gas funder it shares
with the platform, fake_platform through the platform's own tells; this one needs neither: only victims
already found and the money itself.

A wallet is a payout wallet when, not itself a found address or a service, it paid at least ``MIN_VICTIMS``
found victims, each after that victim's first payment to a found scam wallet and in all less than the victim
had paid the scam wallets by then (a share of the deposit comes back, never more), and such payments to
victims are at least ``VICTIM_FOCUS`` of the people it paid. A friend paying one victim back, a shop
refunding its customers, an employer paying staff some of whom were scammed: one victim, or victims a
sliver of its payees. What breaks it: a payout wallet that also pays many people who are not victims, or
victims the collection detectors did not find.
"""

from __future__ import annotations

from pigtrace.detect import flow_services
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.flow_evidence import collect
from pigtrace.detect.flow_taint import store_pairs
from pigtrace.detect.gas import gas_topup_sql

MIN_VICTIMS = 2
VICTIM_FOCUS = 0.8
SOURCES = ("collection_evidence", "fake_platform")  # the detectors whose victims and scam wallets it reads


class VictimPayout(Detector):
    id = "victim_payout"
    concept = "pig_butchering"
    help = (
        f"Payout wallet found from the victims it pays: it paid {MIN_VICTIMS} or more people already found as "
        "victims, each after they first paid the scam and less than they had paid it (the small 'profits' a "
        f"fake platform pays back to build trust), and victims are {VICTIM_FOCUS:.0%} or more of the people "
        "it paid. It is the scam's operator."
    )
    severity = "high"
    confidence = "low"
    roles = ("scam_operator",)
    reads = ("pt_value", "pt_services", "pt_token_info", *(f"findings:{s}" for s in SOURCES))
    writes = ("findings:victim_payout",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        victims = {(f.chain, f.address) for f in ctx.findings if f.role == "victim"}
        if len(victims) < MIN_VICTIMS:
            return []
        store_pairs(con, "pt_vp_victims", victims)
        store_pairs(con, "pt_vp_scam", {(f.chain, f.address) for f in ctx.findings if f.role == "scam_collection"})
        store_pairs(con, "pt_vp_known", {(f.chain, f.address) for f in ctx.findings})
        svc = flow_services.is_service_sql("v", "src")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_vp_back AS
                WITH deposits AS (
                    SELECT v.chain, v.src AS victim, v.time, v.usd FROM {flow_services.value_of("pt_vp_victims", "address", "src")} v
                    SEMI JOIN pt_vp_victims x ON x.chain = v.chain AND x.address = v.src
                    SEMI JOIN pt_vp_scam s ON s.chain = v.chain AND s.address = v.dst),
                paid AS (
                    SELECT v.chain, v.src AS payer, v.dst AS victim, v.time, v.usd, v.tx_hash, v.token, v.amount
                    FROM {flow_services.value_of("pt_vp_victims", "address", "dst")} v
                    SEMI JOIN pt_vp_victims x ON x.chain = v.chain AND x.address = v.dst
                    WHERE NOT {gas_topup_sql("v")} AND NOT {svc}
                      AND NOT EXISTS (SELECT 1 FROM pt_vp_known k WHERE k.chain = v.chain AND k.address = v.src)),
                -- what each victim had paid the scam wallets before each payment back
                deposited AS (
                    SELECT chain, victim, time, sum(usd) OVER (PARTITION BY chain, victim ORDER BY time) AS deposited
                    FROM deposits)
                SELECT p.*, d.deposited FROM paid p
                ASOF JOIN deposited d ON d.chain = p.chain AND d.victim = p.victim AND d.time < p.time
                WHERE d.deposited > 0"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_vp_payout AS
                WITH per_victim AS (
                    SELECT chain, payer, victim FROM pt_vp_back GROUP BY ALL
                    HAVING sum(usd) < max(deposited)),
                payees AS (
                    SELECT v.chain, v.src AS payer, count(DISTINCT v.dst) AS n FROM {flow_services.value_of("per_victim", "payer", "src")} v
                    SEMI JOIN per_victim p ON p.chain = v.chain AND p.payer = v.src
                    WHERE NOT {gas_topup_sql("v")} AND NOT {flow_services.is_service_sql("v", "dst")}
                    GROUP BY ALL)
                SELECT p.chain, p.payer, count(*) AS victims, any_value(y.n) AS payees
                FROM per_victim p JOIN payees y USING (chain, payer)
                GROUP BY ALL HAVING count(*) >= {MIN_VICTIMS} AND count(*) >= {VICTIM_FOCUS} * any_value(y.n)"""
        )
        rows = con.execute("""SELECT p.chain, p.payer, p.victims, p.payees, min(b.time), max(b.time)
                              FROM pt_vp_payout p JOIN pt_vp_back b ON b.chain = p.chain AND b.payer = p.payer
                              GROUP BY ALL ORDER BY 1, 2""").fetchall()
        evidence = collect(con, """SELECT b.chain, b.payer, b.tx_hash, b.time, b.payer, b.victim, b.token, b.amount,
                                          b.usd, 'paid back to a victim after their deposit', b.usd
                                   FROM pt_vp_back b SEMI JOIN pt_vp_payout p ON p.chain = b.chain
                                                                               AND p.payer = b.payer""")
        return [
            Finding(chain, payer, "scam_operator", self.id, 0.7, first, last,
                    [self.help, f"paid {n} found victims back less than they had paid the scam; "
                                f"{n} of the {payees} people it paid are victims"],
                    evidence.get((chain, payer), []))
            for chain, payer, n, payees, first, last in rows
        ]


DETECTORS = [VictimPayout]
