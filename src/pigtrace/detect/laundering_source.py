"""Collection wallets found backwards, from the laundering wallets they feed.

Place in the flow: propagation (laundering wallets, traced forward from the collection wallets found) and the
collection detectors -> **laundering_source** -> merge. A ring whose collection wallets hold their takings
for weeks and sweep each into a hop of its own escapes collection_evidence (the model weighs a long hold
against a wallet; no three of them share a destination), yet the hops they feed are often found as
laundering from other wallets' money (a reused hop, a consolidation wallet another ring also pays). The
money says what such a wallet is: people paid it most of what they had, it gave them nothing back and passed
nearly all of it to laundering wallets.

A wallet (no service, not already found) is a collection wallet when at least ``TO_LAUNDERING`` of what it paid
out (gas top-ups left out) went to wallets found as laundering or to *hops* (wallets, no service, not found,
that passed on at least ``PASSED`` of what they received, ``TO_LAUNDERING`` of it to laundering wallets), at
least ``MIN_USD`` in all; it passed on at least ``PASSED`` of what it received; at least ``DEVOTED_SHARE`` of
what it received came from people (no service, not found) who each sent it at least ``DEVOTED`` of all they ever
sent; and it paid those people back under ``BACK`` of what they paid it. Those people are its victims. A payer
that itself meets the rule is no person: it is the collection wallet upstream, and the wallet it pays is the
ring's hop. So too a wallet found only as a victim that paid ``TO_LAUNDERING`` of what it sent to found
collection wallets, when ``UP_PAYERS`` or more devoted people paid it ``UP_PAYMENTS`` times or more each, or a
found operator topped up its gas and it collected ``GAS_COLLECTED`` payments or more per payment it made: the
ring's deposit wallet, its consolidation wallet taken for the collection wallet (a victim who borrowed from
relatives got a payment or two from each). With no person behind it: a wallet that exchanges paid
``EXCHANGE_FED`` of what it received, in ``WITHDRAWALS`` payments or more, and that passed it on in
``WITHDRAWALS`` payments or more to laundering wallets or hops, ``TO_LAUNDERING`` of its payments by count as
well as value (payments to wallets also found as collection wallets not counted), and none of its payees is a
wallet only it paid, twice or more: the ring's deposit wallet its victims paid from their exchange accounts. A
victim paying from its own wallet pays the collection wallet, found as such, or the deposit wallet the platform
gave it alone, paid by it only, again and again (when that wallet was taken for laundering); a customer of a
launderer's desk pays it one sum among its other payments. What breaks that branch: a desk's customers who keep a wallet for
selling to it, withdrawing and paying on each time (the simulator's ``desk_customers=yes``). Hops and candidates that are not collection wallets and got at least
``DEVOTED_SHARE`` of what they received from the collection wallets found here, passing nearly all of it on, are
laundering. A shop's customer wallet paying a reused laundering wallet everything is fed by an exchange (a
service), not by a person devoted to it; a laundering hop's payer is a found wallet. What breaks it: collection
wallets whose money is never found as laundering within two hops (nothing of the ring's money traced there), and
payers who also spend most of their money elsewhere.
"""

from __future__ import annotations

from pigtrace.detect import flow_services
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.collection_evidence import HELD_BACK as BACK, HELD_PASSED as PASSED
from pigtrace.detect.collection_features import DEVOTED_SHARE as DEVOTED
from pigtrace.detect.flow_evidence import collect, seen_sql, usd
from pigtrace.detect.flow_taint import store_pairs
from pigtrace.detect.gas import gas_topup_sql
from pigtrace.entities import table as entities

# a devoted payer (DEVOTED), what is passed on (PASSED) and paid back (BACK) mean what they mean for a ring that
# holds (collection_evidence); these are this rule's own
TO_LAUNDERING = 0.9
MIN_USD = 100.0
DEVOTED_SHARE = 0.5
SCORE = 0.6
# A wallet found as a victim of a collection wallet is that wallet's upstream instead (the ring's deposit wallet
# sweeping to its consolidation wallet, taken for the collection wallet) when at least this many devoted people
# paid it at least this many times each: a victim who borrowed from relatives got one or two payments from each.
UP_PAYERS = 2
UP_PAYMENTS = 3
# ... or when a found operator topped up its gas and it took in at least this many payments per payment it
# made: the ring's deposit wallet, paid from its victims' exchange accounts, that swept what it collected (a
# victim pays the platform as it buys: about one payment out per purchase)
GAS_COLLECTED = 3
# ... or, with no person behind it, when exchanges paid it at least this share of what it received in
# WITHDRAWALS payments or more, and it paid laundering wallets (or hops) in WITHDRAWALS payments or more,
# TO_LAUNDERING of its payments by count as well as by value: the ring's deposit wallet that its victims pay
# straight from their exchange accounts (the withdrawals hide who they are). A customer selling a launderer's
# desk its coins once in a while pays it one large sum among its other payments.
EXCHANGE_FED = 0.9
WITHDRAWALS = 2
SOURCES = ("screening_hits", "approval_drain", "fake_platform", "collection_evidence", "poisoning",
           "laundering", "victim_fed_laundering", "gas_funder", "propagation", "platform_payout", "victim_payout")


class LaunderingSource(Detector):
    id = "laundering_source"
    concept = "pig_butchering"
    help = (
        f"Scam collection wallet found backwards from the laundering it feeds: it paid {TO_LAUNDERING:.0%} or "
        "more of what it sent to wallets found as laundering (or to hops passing it on to them), passed on nearly "
        "all it received, and most of "
        "what it received came from people who each sent it at least half of all they ever sent and got "
        "nothing back. Those people are its victims. Or, with no person behind it, exchanges paid it "
        f"{EXCHANGE_FED:.0%} of what it received in {WITHDRAWALS} or more withdrawals and it paid laundering wallets "
        f"in {WITHDRAWALS} or more payments, nearly all it paid, none of them a wallet only it paid twice or more: "
        "a deposit wallet its victims paid from their exchange accounts."
    )
    severity = "high"
    confidence = "low"
    roles = ("scam_collection", "victim", "laundering")
    reads = ("pt_value", "pt_services", "pt_deposits", "pt_token_info", "entities", *(f"findings:{s}" for s in SOURCES))
    writes = ("findings:laundering_source",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        laundering = {(f.chain, f.address) for f in ctx.findings if f.role == "laundering"}
        if not laundering and not any(f.role == "scam_collection" for f in ctx.findings):
            return []
        store_pairs(con, "pt_ls_laundering", laundering)
        store_pairs(con, "pt_ls_known", {(f.chain, f.address) for f in ctx.findings})
        store_pairs(con, "pt_ls_not_victim", {(f.chain, f.address) for f in ctx.findings if f.role != "victim"})
        store_pairs(con, "pt_ls_collection", {(f.chain, f.address) for f in ctx.findings if f.role == "scam_collection"})
        store_pairs(con, "pt_ls_operator", {(f.chain, f.address) for f in ctx.findings if f.role == "scam_operator"})
        # exchange hot wallets, labelled or found by behaviour: a payment from one is a customer's withdrawal
        con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_ls_hot AS
                        SELECT chain, address FROM {entities.current(con)} WHERE kind = 'exchange_hot_wallet'""")
        not_gas = f"NOT {gas_topup_sql('v')}"
        unfound = """ANTI JOIN pt_ls_known k ON k.chain = o.chain AND k.address = o.w
                     ANTI JOIN pt_services s ON s.chain = o.chain AND s.address = o.w"""
        # what each wallet paid out (gas top-ups left out), and how much of it to laundering and to collection
        # wallets: one pass over the value transfers for the hops, the candidates and their payers, grouped on
        # the address refs
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_ls_out AS
                WITH o AS (
                    SELECT v.src_ref, sum(v.usd) AS out_usd, count(*) AS out_n,
                           sum(v.usd) FILTER (WHERE l.ref IS NOT NULL) AS to_laundering,
                           sum(v.usd) FILTER (WHERE c.ref IS NOT NULL) AS to_collection
                    FROM pt_value v LEFT JOIN ({flow_services.address_refs_sql("pt_ls_laundering")}) l ON l.ref = v.dst_ref
                    LEFT JOIN ({flow_services.address_refs_sql("pt_ls_collection")}) c ON c.ref = v.dst_ref
                    WHERE {not_gas} GROUP BY ALL)
                SELECT a.chain, a.address AS w, o.* EXCLUDE (src_ref) FROM o JOIN addresses a ON a.ref = o.src_ref"""
        )
        # hops: wallets (no service, not found) that passed on nearly all they received, most of it straight
        # to laundering wallets: a ring's own hop, or the collection wallet itself
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_ls_hop AS
                WITH o AS (
                    SELECT * FROM pt_ls_out
                    WHERE to_laundering >= {TO_LAUNDERING} * out_usd AND to_laundering >= {MIN_USD}),
                cand AS (SELECT o.* FROM o {unfound}),
                i AS (SELECT v.chain, v.dst AS w, sum(v.usd) AS in_usd FROM {flow_services.value_of("cand", "w", "dst")} v
                      SEMI JOIN cand c ON c.chain = v.chain AND c.w = v.dst WHERE {not_gas} GROUP BY ALL)
                SELECT c.chain, c.w FROM cand c JOIN i USING (chain, w) WHERE c.out_usd >= {PASSED} * i.in_usd"""
        )
        # every payment into the candidates (wallets that paid at least TO_LAUNDERING of what they sent to
        # laundering wallets or hops), per payer: what it paid, and whether it is devoted to the wallet (no
        # service, not found, at least DEVOTED of all it sent); read by the wallet rule and the victims
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_ls_pay AS
                WITH target AS (SELECT chain, address FROM pt_ls_laundering UNION SELECT chain, w FROM pt_ls_hop),
                o AS (
                    SELECT a.chain, a.w, a.out_usd, a.out_n, t.to_laundering, t.to_laundering_n FROM pt_ls_out a
                    JOIN (SELECT v.chain, v.src AS w, sum(v.usd) AS to_laundering,
                                 count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM pt_ls_collection c
                                                                    WHERE c.chain = v.chain AND c.address = v.dst))
                                     AS to_laundering_n
                          FROM {flow_services.value_of("target", "address", "dst")} v
                          SEMI JOIN target t ON t.chain = v.chain AND t.address = v.dst
                          WHERE {not_gas} GROUP BY ALL) t USING (chain, w)
                    WHERE t.to_laundering >= {TO_LAUNDERING} * a.out_usd AND t.to_laundering >= {MIN_USD}),
                up AS (
                    SELECT a.chain, a.w, a.out_usd, a.out_n, a.to_collection AS to_laundering, 0 AS to_laundering_n
                    FROM pt_ls_out a
                    ANTI JOIN o USING (chain, w)
                    WHERE a.to_collection >= {TO_LAUNDERING} * a.out_usd AND a.to_collection >= {MIN_USD}),
                gassed AS (
                    SELECT DISTINCT v.chain, v.dst AS w FROM {flow_services.value_of("pt_ls_operator", "address", "src")} v
                    SEMI JOIN pt_ls_operator op ON op.chain = v.chain AND op.address = v.src
                    WHERE {gas_topup_sql('v')}),
                cand AS (SELECT o.*, false AS up FROM o {unfound}
                         UNION ALL
                         SELECT o.*, true FROM up o ANTI JOIN pt_ls_not_victim k ON k.chain = o.chain AND k.address = o.w
                         ANTI JOIN pt_services s ON s.chain = o.chain AND s.address = o.w),
                ins AS (
                    SELECT v.chain, v.dst AS w, v.src AS payer, c.up, count(*) AS n, sum(v.usd) AS usd,
                           min(v.time) AS first_t, max(v.time) AS last_t,
                           EXISTS (SELECT 1 FROM pt_ls_hot h WHERE h.chain = v.chain AND h.address = v.src) AS hot,
                           {flow_services.is_service_sql('v', 'src')} OR EXISTS (
                               SELECT 1 FROM pt_ls_known k WHERE k.chain = v.chain AND k.address = v.src
                               AND (NOT c.up OR k.address IN (SELECT address FROM pt_ls_not_victim WHERE chain = v.chain)))
                               AS excluded
                    FROM {flow_services.value_of("cand", "w", "dst")} v JOIN cand c ON c.chain = v.chain AND c.w = v.dst
                    WHERE {not_gas} GROUP BY ALL),
                payer_out AS (SELECT chain, w AS payer, out_usd FROM pt_ls_out)
                SELECT i.*, NOT i.excluded AND i.usd >= {DEVOTED} * p.out_usd AS devoted,
                       c.out_usd AS w_out_usd, c.out_n AS w_out_n, c.to_laundering, c.to_laundering_n,
                       EXISTS (SELECT 1 FROM gassed g WHERE g.chain = i.chain AND g.w = i.w) AS gassed
                FROM ins i JOIN payer_out p USING (chain, payer) JOIN cand c USING (chain, w, up)"""
        )
        # candidates with a payee of their own (a wallet only they paid, two or more times): a victim's wallet
        # paying the deposit wallet the platform gave it alone, not a ring's wallet paying the ring's hops
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_ls_own_payee AS
                WITH c AS (SELECT DISTINCT chain, w FROM pt_ls_pay WHERE NOT up),
                pays AS (SELECT v.chain, v.src AS w, v.dst FROM {flow_services.value_of("c", "w", "src")} v
                         SEMI JOIN c ON c.chain = v.chain AND c.w = v.src WHERE {not_gas}
                         GROUP BY ALL HAVING count(*) >= 2),
                payers AS (SELECT v.chain, v.dst, count(DISTINCT v.src) AS k FROM {flow_services.value_of("pays", "dst", "dst")} v
                           WHERE {not_gas} GROUP BY ALL)
                SELECT DISTINCT p.chain, p.w FROM pays p JOIN payers q USING (chain, dst) WHERE q.k = 1"""
        )
        # wallets people paid (devoted payers; a devoted payer that is itself such a wallet is a collection wallet
        # upstream, not a person: the wallet it pays is the ring's hop)
        wallet_rule = f"""
                WITH per AS (
                    SELECT chain, w, up, gassed, any_value(w_out_usd) AS out_usd, any_value(w_out_n) AS out_n,
                           any_value(to_laundering) AS to_laundering, any_value(to_laundering_n) AS to_laundering_n,
                           sum(usd) AS in_usd, sum(n) AS in_n,
                           coalesce(sum(usd) FILTER (WHERE hot), 0) AS exchange_usd,
                           coalesce(sum(n) FILTER (WHERE hot), 0) AS exchange_n,
                           coalesce(sum(usd) FILTER (WHERE devoted AND NOT upstream), 0) AS devoted_usd,
                           count(*) FILTER (WHERE devoted AND NOT upstream AND n >= {UP_PAYMENTS}) AS courted
                    FROM (SELECT p.*, {{upstream}} AS upstream FROM pt_ls_pay p) GROUP BY ALL),
                back AS (
                    SELECT i.chain, i.w, sum(v.usd) AS back_usd FROM pt_ls_pay i
                    JOIN {flow_services.value_of("pt_ls_pay", "w", "src")} v ON v.chain = i.chain AND v.src = i.w AND v.dst = i.payer
                    GROUP BY ALL)
                SELECT p.* FROM per p LEFT JOIN back b USING (chain, w)
                WHERE p.out_usd >= {PASSED} * p.in_usd
                  AND (p.devoted_usd >= {DEVOTED_SHARE} * p.in_usd AND coalesce(b.back_usd, 0) < {BACK} * p.devoted_usd
                       AND (NOT p.up OR p.courted >= {UP_PAYERS})
                       OR p.up AND p.gassed AND p.in_n >= {GAS_COLLECTED} * p.out_n
                          AND coalesce(b.back_usd, 0) < {BACK} * p.in_usd
                       OR NOT p.up AND p.exchange_usd >= {EXCHANGE_FED} * p.in_usd AND p.exchange_n >= {WITHDRAWALS}
                          AND p.to_laundering_n >= {WITHDRAWALS} AND p.to_laundering_n >= {TO_LAUNDERING} * p.out_n
                          AND coalesce(b.back_usd, 0) < {BACK} * p.in_usd
                          AND NOT EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = p.chain AND d.address = p.w)
                          AND NOT EXISTS (SELECT 1 FROM pt_ls_own_payee o WHERE o.chain = p.chain AND o.w = p.w))"""
        con.execute(f"CREATE OR REPLACE TEMP TABLE pt_ls_paid AS {wallet_rule.format(upstream='false')}")
        upstream = "EXISTS (SELECT 1 FROM pt_ls_paid q WHERE q.chain = p.chain AND q.w = p.payer)"
        con.execute(f"CREATE OR REPLACE TEMP TABLE pt_ls_wallet AS {wallet_rule.format(upstream=upstream)}")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_ls_victim AS
                        SELECT chain, payer AS address, w, n, usd, first_t, last_t FROM pt_ls_pay p
                        SEMI JOIN pt_ls_wallet x USING (chain, w) WHERE devoted AND NOT {upstream}""")
        # the ring's hops after them: candidates or hops, not collection wallets, that passed on nearly all they
        # received, at least DEVOTED_SHARE of it from the collection wallets found here
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_ls_onward AS
                WITH w AS (SELECT chain, w FROM pt_ls_hop UNION SELECT chain, w FROM pt_ls_pay),
                i AS (SELECT v.chain, v.dst AS w, sum(v.usd) AS in_usd,
                             coalesce(sum(v.usd) FILTER (WHERE x.w IS NOT NULL), 0) AS from_found
                      FROM {flow_services.value_of("w", "w", "dst")} v SEMI JOIN w ON w.chain = v.chain AND w.w = v.dst
                      LEFT JOIN pt_ls_wallet x ON x.chain = v.chain AND x.w = v.src
                      WHERE {not_gas} GROUP BY ALL),
                o AS (SELECT v.chain, v.src AS w, sum(v.usd) AS out_usd FROM {flow_services.value_of("i", "w", "src")} v
                      SEMI JOIN i ON i.chain = v.chain AND i.w = v.src WHERE {not_gas} GROUP BY ALL)
                SELECT i.chain, i.w, i.in_usd, i.from_found FROM i JOIN o USING (chain, w)
                ANTI JOIN pt_ls_wallet x USING (chain, w)
                WHERE i.from_found >= {DEVOTED_SHARE} * i.in_usd AND o.out_usd >= {PASSED} * i.in_usd"""
        )
        wallets = con.execute(
            f"""SELECT x.chain, x.w, x.up, x.to_laundering, x.out_usd, x.in_usd, x.devoted_usd,
                      x.devoted_usd < {DEVOTED_SHARE} * x.in_usd AND NOT x.up, x.exchange_usd, x.exchange_n,
                      least(s.first_in, s.first_out), greatest(s.last_in, s.last_out)
               FROM pt_ls_wallet x JOIN {seen_sql("pt_ls_wallet", "w")} s ON s.chain = x.chain AND s.address = x.w
               ORDER BY 1, 2""").fetchall()
        victims = con.execute("SELECT chain, address, w, n, usd, first_t, last_t FROM pt_ls_victim ORDER BY ALL"
                              ).fetchall()
        onward = con.execute(
            f"""SELECT x.chain, x.w, x.from_found, x.in_usd, least(s.first_in, s.first_out),
                      greatest(s.last_in, s.last_out)
               FROM pt_ls_onward x JOIN {seen_sql("pt_ls_onward", "w")} s ON s.chain = x.chain AND s.address = x.w
               ORDER BY 1, 2""").fetchall()
        ev_wallet = collect(con, f"""SELECT v.chain, v.src, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                           'passed on towards laundering wallets', v.usd
                                    FROM {flow_services.value_of("pt_ls_wallet", "w", "src")} v SEMI JOIN pt_ls_wallet x ON x.chain = v.chain AND x.w = v.src
                                    WHERE v.dst IN (SELECT address FROM pt_ls_laundering WHERE chain = v.chain)
                                       OR v.dst IN (SELECT w FROM pt_ls_hop WHERE chain = v.chain)
                                       OR v.dst IN (SELECT address FROM pt_ls_collection WHERE chain = v.chain)""")
        ev_victim = collect(con, f"""SELECT v.chain, v.src, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                           'paid the collection wallet', v.usd
                                    FROM {flow_services.value_of("pt_ls_victim", "address", "src")} v JOIN pt_ls_victim x
                                      ON x.chain = v.chain AND x.address = v.src AND x.w = v.dst""")
        ev_onward = collect(con, f"""SELECT v.chain, v.dst, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                                           'received from the collection wallet', v.usd
                                    FROM {flow_services.value_of("pt_ls_onward", "w", "dst")} v JOIN pt_ls_onward x ON x.chain = v.chain AND x.w = v.dst
                                    SEMI JOIN pt_ls_wallet c ON c.chain = v.chain AND c.w = v.src""")
        out = [
            Finding(chain, w, "scam_collection", self.id, SCORE, first, last,
                    [self.help, f"paid {usd(laund)} of the {usd(out_usd)} it sent to "
                                + ("wallets found as scam collection wallets, as their upstream: the people who paid "
                                   f"it did so {UP_PAYMENTS} times or more each" if up else
                                   "laundering wallets or to wallets that passed it on to them")
                                + (f"; {ex_usd / in_usd:.0%} of the {usd(in_usd)} it received came in {ex_n} withdrawals "
                                   "from exchanges, and it passed it on in payments to those wallets alone: a deposit "
                                   "wallet its victims paid from their exchange accounts" if fed else
                                   f"; {devoted / in_usd:.0%} of the {usd(in_usd)} it received came from people who "
                                   "each sent it most of all they sent, and it paid them nothing back")],
                    ev_wallet.get((chain, w), []))
            for chain, w, up, laund, out_usd, in_usd, devoted, fed, ex_usd, ex_n, first, last in wallets
        ]
        out += [
            Finding(chain, a, "victim", self.id, SCORE, first, last,
                    [self.help, f"paid {usd(total)} in {n} payment(s) to {w}, a wallet that passed what it "
                                "received on to laundering wallets, most of all it sent"],
                    ev_victim.get((chain, a), []))
            for chain, a, w, n, total, first, last in victims
        ]
        out += [
            Finding(chain, w, "laundering", self.id, SCORE, first, last,
                    [self.help, f"{from_found / in_usd:.0%} of the {usd(in_usd)} it received came from collection "
                                "wallets found this way, and it passed nearly all of it on"],
                    ev_onward.get((chain, w), []))
            for chain, w, from_found, in_usd, first, last in onward
        ]
        return out


DETECTORS = [LaunderingSource]
