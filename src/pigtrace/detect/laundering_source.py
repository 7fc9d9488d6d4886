"""Collection wallets found backwards, from the laundering wallets they feed.

Place in the flow: propagation (laundering wallets, traced forward from the collection wallets found) and the
collection detectors -> **laundering_source** -> merge. A ring whose collection wallets hold their takings
for weeks and sweep each into a hop of its own escapes collection_evidence (the model weighs a long hold
against a wallet; no three of them share a destination), yet the hops they feed are often found as
laundering from other wallets' money (a reused hop, a consolidation wallet another ring also pays). The
money says what such a wallet is: people paid it most of what they had, it gave them nothing back and passed
nearly all of it to laundering wallets.

A wallet (no service, not already found) is a collection wallet when at least ``TO_LAUNDERING`` of what it
paid out (gas top-ups left out) went to wallets found as laundering, at least ``MIN_USD`` in all; it passed
on at least ``PASSED`` of what it received; at least ``DEVOTED_SHARE`` of what it received came from people
(no service, not found) who each sent it at least ``DEVOTED`` of all they ever sent; and it paid those people
back under ``BACK`` of what they paid it. Those people are its victims. A shop's customer wallet paying a
reused laundering wallet everything is fed by an exchange (a service), not by a person devoted to it; a
laundering hop's payer is a found wallet. What breaks it: collection wallets whose next hop is never found as
laundering (nothing of the ring's money traced there), and payers who also spend most of their money
elsewhere.
"""

from __future__ import annotations

from pigtrace.detect import flow_services
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.collection_evidence import HELD_BACK as BACK, HELD_PASSED as PASSED
from pigtrace.detect.collection_features import DEVOTED_SHARE as DEVOTED
from pigtrace.detect.flow_evidence import collect, usd
from pigtrace.detect.flow_taint import store_pairs
from pigtrace.detect.gas import gas_topup_sql

# a devoted payer (DEVOTED), what is passed on (PASSED) and paid back (BACK) mean what they mean for a ring that
# holds (collection_evidence); these are this rule's own
TO_LAUNDERING = 0.9
MIN_USD = 100.0
DEVOTED_SHARE = 0.5
SCORE = 0.6
SOURCES = ("screening_hits", "approval_drain", "fake_platform", "collection_evidence", "poisoning",
           "laundering", "propagation", "platform_payout", "victim_payout")


class LaunderingSource(Detector):
    id = "laundering_source"
    concept = "pig_butchering"
    help = (
        f"Scam collection wallet found backwards from the laundering it feeds: it paid {TO_LAUNDERING:.0%} or "
        "more of what it sent to wallets found as laundering, passed on nearly all it received, and most of "
        "what it received came from people who each sent it at least half of all they ever sent and got "
        "nothing back. Those people are its victims."
    )
    severity = "high"
    confidence = "low"
    roles = ("scam_collection", "victim")
    reads = ("pt_value", "pt_services", "pt_token_info", *(f"findings:{s}" for s in SOURCES))
    writes = ("findings:laundering_source",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        laundering = {(f.chain, f.address) for f in ctx.findings if f.role == "laundering"}
        if not laundering:
            return []
        store_pairs(con, "pt_ls_laundering", laundering)
        store_pairs(con, "pt_ls_known", {(f.chain, f.address) for f in ctx.findings})
        not_gas = f"NOT {gas_topup_sql('v')}"
        # every payment into the candidates, per payer: what it paid, and whether it is a person devoted to the
        # wallet (no service, not found, at least DEVOTED of all it sent); read by the wallet rule and the victims
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_ls_pay AS
                WITH outs AS (
                    SELECT v.chain, v.src AS w, sum(v.usd) AS out_usd,
                           sum(v.usd) FILTER (WHERE l.address IS NOT NULL) AS to_laundering
                    FROM pt_value v LEFT JOIN pt_ls_laundering l ON l.chain = v.chain AND l.address = v.dst
                    WHERE {not_gas} GROUP BY ALL
                    HAVING to_laundering >= {TO_LAUNDERING} * out_usd AND to_laundering >= {MIN_USD}),
                cand AS (
                    SELECT o.* FROM outs o
                    ANTI JOIN pt_ls_known k ON k.chain = o.chain AND k.address = o.w
                    ANTI JOIN pt_services s ON s.chain = o.chain AND s.address = o.w),
                ins AS (
                    SELECT v.chain, v.dst AS w, v.src AS payer, count(*) AS n, sum(v.usd) AS usd,
                           min(v.time) AS first_t, max(v.time) AS last_t,
                           {flow_services.is_service_sql('v', 'src')} OR EXISTS (
                               SELECT 1 FROM pt_ls_known k WHERE k.chain = v.chain AND k.address = v.src) AS excluded
                    FROM pt_value v SEMI JOIN cand c ON c.chain = v.chain AND c.w = v.dst
                    WHERE {not_gas} GROUP BY ALL),
                payer_out AS (
                    SELECT v.chain, v.src AS payer, sum(v.usd) AS out_usd FROM pt_value v
                    SEMI JOIN ins i ON i.chain = v.chain AND i.payer = v.src
                    WHERE {not_gas} GROUP BY ALL)
                SELECT i.*, NOT i.excluded AND i.usd >= {DEVOTED} * p.out_usd AS devoted,
                       c.out_usd AS w_out_usd, c.to_laundering
                FROM ins i JOIN payer_out p USING (chain, payer) JOIN cand c USING (chain, w)"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_ls_wallet AS
                WITH per AS (
                    SELECT chain, w, any_value(w_out_usd) AS out_usd, any_value(to_laundering) AS to_laundering,
                           sum(usd) AS in_usd, coalesce(sum(usd) FILTER (WHERE devoted), 0) AS devoted_usd
                    FROM pt_ls_pay GROUP BY ALL),
                back AS (
                    SELECT i.chain, i.w, sum(v.usd) AS back_usd FROM pt_ls_pay i
                    JOIN pt_value v ON v.chain = i.chain AND v.src = i.w AND v.dst = i.payer GROUP BY ALL)
                SELECT p.* FROM per p LEFT JOIN back b USING (chain, w)
                WHERE p.out_usd >= {PASSED} * p.in_usd AND p.devoted_usd >= {DEVOTED_SHARE} * p.in_usd
                  AND coalesce(b.back_usd, 0) < {BACK} * p.devoted_usd"""
        )
        con.execute("""CREATE OR REPLACE TEMP TABLE pt_ls_victim AS
                       SELECT chain, payer AS address, w, n, usd, first_t, last_t FROM pt_ls_pay
                       SEMI JOIN pt_ls_wallet x USING (chain, w) WHERE devoted""")
        wallets = con.execute(
            """SELECT x.chain, x.w, x.to_laundering, x.out_usd, x.in_usd, x.devoted_usd, min(v.time), max(v.time)
               FROM pt_ls_wallet x JOIN pt_value v ON v.chain = x.chain AND (v.src = x.w OR v.dst = x.w)
               GROUP BY ALL ORDER BY 1, 2""").fetchall()
        victims = con.execute("SELECT chain, address, w, n, usd, first_t, last_t FROM pt_ls_victim ORDER BY ALL"
                              ).fetchall()
        ev_wallet = collect(con, """SELECT v.chain, v.src, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                           'passed on to a laundering wallet', v.usd
                                    FROM pt_value v SEMI JOIN pt_ls_wallet x ON x.chain = v.chain AND x.w = v.src
                                    SEMI JOIN pt_ls_laundering l ON l.chain = v.chain AND l.address = v.dst""")
        ev_victim = collect(con, """SELECT v.chain, v.src, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                           'paid the collection wallet', v.usd
                                    FROM pt_value v JOIN pt_ls_victim x
                                      ON x.chain = v.chain AND x.address = v.src AND x.w = v.dst""")
        out = [
            Finding(chain, w, "scam_collection", self.id, SCORE, first, last,
                    [self.help, f"paid {usd(laund)} of the {usd(out_usd)} it sent to laundering wallets; "
                                f"{devoted / in_usd:.0%} of the {usd(in_usd)} it received came from people who each "
                                "sent it most of all they sent, and it paid them nothing back"],
                    ev_wallet.get((chain, w), []))
            for chain, w, laund, out_usd, in_usd, devoted, first, last in wallets
        ]
        out += [
            Finding(chain, a, "victim", self.id, SCORE, first, last,
                    [self.help, f"paid {usd(total)} in {n} payment(s) to {w}, a wallet that passed what it "
                                "received on to laundering wallets, most of all it sent"],
                    ev_victim.get((chain, a), []))
            for chain, a, w, n, total, first, last in victims
        ]
        return out


DETECTORS = [LaunderingSource]
