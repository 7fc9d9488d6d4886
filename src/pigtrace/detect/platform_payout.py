"""Payout wallets found through the scam's gas funder: when every victim of a platform paid through
an exchange, nothing ties the platform's payout wallet to the platform except the gas money both got
from the same funder. This detector runs after the gas_funder detector: among the other wallets a scam
gas funder topped up, one that pays small one-off 'profits' to several people is the platform's payout
wallet (operator), and the people it paid are victims."""

from __future__ import annotations

from pigtrace.detect import flow_services
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.flow_evidence import collect, usd
from pigtrace.detect.flow_taint import store_pairs
from pigtrace.detect.gas import gas_topup_sql

MIN_PAYEES = 2  # a payout wallet pays several victims
MAX_PROFIT_PAYMENTS = 3  # one or a few "profits" per victim; more is a relationship
MIN_PROFIT_USD = 1.0  # below this a payment is poisoning dust, not a "profit"
# A "profit withdrawal" is small (it only has to build trust); a laundering hop moves thousands.
MAX_PROFIT_USD = 1000.0
# The payout wallet is bankrolled from an exchange, not from victims' money.
EXCHANGE_FUNDED = 0.8
PAYOUT_FOCUS = 0.8  # share of its payments that are such small one-off payments


class GasFundedPayout(Detector):
    id = "platform_payout"
    concept = "pig_butchering"
    help = (
        "Platform payout wallet found through the gas funder: a wallet topped up with gas by the scam's "
        f"gas funder, not itself a known scam wallet, that pays small one-off 'profits' ({MAX_PROFIT_PAYMENTS} "
        f"or fewer payments of {usd(MIN_PROFIT_USD)} to {usd(MAX_PROFIT_USD)} per person) to {MIN_PAYEES} or "
        f"more people, does little else ({PAYOUT_FOCUS:.0%} of its payees are such), and is bankrolled from an "
        f"exchange ({EXCHANGE_FUNDED:.0%} of its inflow), not from victims' money. It is an operator; the "
        "people it paid are victims whose own payments left from their exchange accounts."
    )
    severity = "high"
    confidence = "low"
    roles = ("scam_operator", "victim")
    # the gas funders, and every address already found (never a payout wallet or its victim)
    reads = ("transfers", "pt_value", "pt_services", "pt_exchange", "pt_token_info",
             "findings:screening_hits", "findings:approval_drain", "findings:fake_platform", "findings:collection_evidence", "findings:poisoning",
             "findings:laundering", "findings:gas_funder")
    writes = ("findings:platform_payout",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        funders = {(f.chain, f.address) for f in ctx.findings if f.typology == "gas_funder"}
        if not funders:
            return []
        store_pairs(con, "pt_gas_funders", funders)
        store_pairs(con, "pt_known", {(f.chain, f.address) for f in ctx.findings})
        svc = flow_services.is_service_sql("v", "dst")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_payout AS
                WITH funded AS (
                    SELECT DISTINCT t.chain, t.to_address AS w, t.from_address AS funder
                    FROM {flow_services.rows_touching("transfers", "from_ref", "pt_gas_funders", "address")} t
                    SEMI JOIN pt_gas_funders g ON g.chain = t.chain AND g.address = t.from_address
                    WHERE {gas_topup_sql("t")}
                      AND NOT EXISTS (SELECT 1 FROM pt_known k WHERE k.chain = t.chain AND k.address = t.to_address)),
                pays AS (
                    SELECT v.chain, v.src AS w, v.dst, count(*) AS n, sum(v.usd) AS usd, min(v.usd) AS min_usd
                    FROM {flow_services.value_of("funded", "w", "src")} v SEMI JOIN funded f ON f.chain = v.chain AND f.w = v.src
                    WHERE NOT {gas_topup_sql("v")} AND NOT {svc}
                    GROUP BY ALL),
                payers AS (
                    SELECT chain, w, count(*) FILTER (WHERE n <= {MAX_PROFIT_PAYMENTS} AND min_usd >= {MIN_PROFIT_USD}
                                                      AND usd <= {MAX_PROFIT_PAYMENTS} * {MAX_PROFIT_USD}
                                                      AND usd / n <= {MAX_PROFIT_USD}) AS payees,
                           count(*) AS all_payees
                    FROM pays GROUP BY ALL),
                funding AS ({flow_services.exchange_inflow_sql("funded", "w")})
                SELECT p.chain, p.w, p.payees, min(f.funder) AS funder FROM payers p
                JOIN funded f ON f.chain = p.chain AND f.w = p.w
                JOIN funding u ON u.chain = p.chain AND u.w = p.w
                WHERE p.payees >= {MIN_PAYEES} AND p.payees >= {PAYOUT_FOCUS} * p.all_payees
                  AND u.ex_usd >= {EXCHANGE_FUNDED} * u.in_usd
                GROUP BY ALL"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_payout_victims AS
                SELECT v.chain, v.dst AS address, v.src AS payer, count(*) AS n, sum(v.usd) AS total,
                       min(v.time) AS first_t, max(v.time) AS last_t
                FROM {flow_services.value_of("pt_payout", "w", "src")} v SEMI JOIN pt_payout p ON p.chain = v.chain AND p.w = v.src
                WHERE NOT {gas_topup_sql("v")} AND NOT {svc}
                  AND NOT EXISTS (SELECT 1 FROM pt_known k WHERE k.chain = v.chain AND k.address = v.dst)
                GROUP BY ALL HAVING count(*) <= {MAX_PROFIT_PAYMENTS} AND min(v.usd) >= {MIN_PROFIT_USD}
                                AND max(v.usd) <= {MAX_PROFIT_USD}"""
        )
        ops = con.execute(
            f"""SELECT p.chain, p.w, p.payees, p.funder, min(v.time), max(v.time) FROM pt_payout p
               JOIN {flow_services.value_of("pt_payout", "w", "src")} v ON v.chain = p.chain AND v.src = p.w GROUP BY ALL ORDER BY ALL"""
        ).fetchall()
        vics = con.execute("SELECT chain, address, payer, n, total, first_t, last_t FROM pt_payout_victims ORDER BY ALL").fetchall()
        ev_ops = collect(con, f"""SELECT x.chain, x.payer, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                        'small one-off payment', v.usd
                                 FROM pt_payout_victims x JOIN {flow_services.value_of("pt_payout_victims", "address", "dst")} v
                                   ON v.chain = x.chain AND v.src = x.payer AND v.dst = x.address""")
        ev_gas = collect(con, f"""SELECT t.chain, t.to_address, t.tx_hash, t.time, t.from_address, t.to_address, t.token,
                                        t.amount, t.usd, 'gas from the scam''s gas funder', 1e12
                                 FROM {flow_services.rows_touching("transfers", "to_ref", "pt_payout", "w")} t JOIN pt_payout p ON p.chain = t.chain AND p.w = t.to_address
                                   AND p.funder = t.from_address WHERE t.kind = 'native'""")
        ev_vic = collect(con, f"""SELECT x.chain, x.address, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                        'small payment from the platform''s payout wallet (inducement)', v.usd
                                 FROM pt_payout_victims x JOIN {flow_services.value_of("pt_payout_victims", "address", "dst")} v
                                   ON v.chain = x.chain AND v.src = x.payer AND v.dst = x.address""")
        out = [
            Finding(chain, w, "scam_operator", self.id, 0.7, first, last,
                    [self.help, f"topped up by scam gas funder {funder}; paid small one-off amounts to {n} people"],
                    ev_gas.get((chain, w), []) + ev_ops.get((chain, w), []))
            for chain, w, n, funder, first, last in ops
        ]
        out += [
            Finding(chain, a, "victim", self.id, 0.6, first, last,
                    [self.help, f"received {n} small payment(s) ({usd(total)}) from payout wallet {payer}"],
                    ev_vic.get((chain, a), []))
            for chain, a, payer, n, total, first, last in vics
        ]
        return out


DETECTORS = [GasFundedPayout]
