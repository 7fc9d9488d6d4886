"""Fake investment platforms (the classic pig-butchering "trading app"): their deposit wallets, the
victims who paid them, and the wallets that paid the small "profit withdrawals" that built trust.

The features are computed set-wise in DuckDB (platform_sequences); this module decides which receivers
are platforms and turns them into findings with evidence."""

from __future__ import annotations

from pigtrace.detect import flow_services, platform_sequences
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.flow_evidence import collect, in_out_sql, seen_sql, usd
from pigtrace.detect.platform_exchange_paid import (MAX_PROFIT_USD, MIN_PROFIT_USD, PAYOUT_FOCUS, exchange_fed,
                                                    exchange_payouts)
from pigtrace.detect.gas import gas_topup_sql
from pigtrace.detect.platform_sequences import MAX_PROFIT_PAYMENTS, MIN_VICTIMS, SIBLING_FOCUS

# A platform is many unrelated people each paying it in the victim pattern (one or two such senders is a
# family or a business partner); most of the people who pay it repeatedly do so in that pattern (a
# merchant's repeat customers mostly do not); little ever comes back (an honest fund honours
# withdrawals, a savings circle pays the pot out); the platform side paid small "profits" to a share of
# them while they were still paying (the trust-building step every such scam has; at least one of the
# wallet's own payers got one, so a consolidation wallet fed by the deposit wallets is not taken for the
# platform); and a share of them ended with round-number payments (the "tax" or "fee" to unlock a
# balance that never existed). Forwarding deposits within FAST_HOURS raises the score.
MIN_VICTIM_SHARE = 2 / 3
MAX_RETURNED = 0.3
TELL_SHARE = 0.25  # share of its victims showing an early payback, or a round late payment
FAST_HOURS = 72.0  # median time from a deposit to the next outgoing transfer


# A platform wallet's own economics must not flatly contradict it: below this collection probability
# (a typical ordinary wallet scores under 0.01; the platform wallets this detector found on knob-varied
# worlds scored 0.12 and up, the ordinary wallets it wrongly took under 0.001)
ECONOMIC_FLOOR = 0.05


class FakePlatformCollection(Detector):
    id = "fake_platform"
    concept = "pig_butchering"
    help = (
        "Fake investment platform: a wallet (or a set of deposit wallets sweeping to the same place) that "
        f"many unrelated people pay in the same pattern: at least {platform_sequences.MIN_PAYMENTS} payments "
        f"over {platform_sequences.MIN_SPAN_DAYS}+ days, growing from a small first deposit to "
        f"{platform_sequences.GROWTH:g}x or more, while the platform pays small 'profit withdrawals' back "
        "early to build trust, asks for round-number 'tax' or 'fee' payments at the end and never pays out "
        "the balance; deposits are usually swept onward within hours. Its other deposit wallets are the ones "
        "sweeping to the same consolidation wallets (including wallets an exchange paid on its customers' "
        "orders). When every victim pays through an exchange, the platform is a set of exchange-paid wallets "
        "in that pattern sweeping to the same consolidation wallets, or an exchange-paid wallet whose gas "
        "funder also funds a payout wallet paying small one-off 'profits' to exchange deposit accounts (the "
        "victims); so are one-off addresses that funder keeps, each taking one exchange withdrawal and passing "
        "it on (a platform showing a fresh address for every payment). The wallets are collection wallets; the people paying them, and the people its payout "
        "wallet paid small 'profits' to, are victims; third parties paying the 'profits' are operators. "
        "Exchanges, shops, honest funds that pay withdrawals back and savings circles do not match."
    )
    severity = "high"
    confidence = "medium"
    roles = ("scam_collection", "victim", "scam_operator")
    reads = ("pt_token_info", "pt_value", "pt_services", "pt_exchange", "pt_deposits", "pt_collection_p", "pt_cf")
    writes = ("findings:fake_platform",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        platform_sequences.build(con)
        self._dedicated_payouts(ctx)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_pf_platforms AS
                SELECT w.*, ((induced_share >= {TELL_SHARE})::INT + (round_share >= {TELL_SHARE})::INT
                           + (coalesce(hold_hours, 1e9) <= {FAST_HOURS})::INT) AS tells
                FROM pt_pf_wallets w
                LEFT JOIN (SELECT chain, ring, count(DISTINCT address) AS n FROM pt_pf_payout_acc GROUP BY ALL) a
                       ON a.chain = w.chain AND a.ring = w.ring
                WHERE own_induced >= 1 AND victims + coalesce(a.n, 0) >= {MIN_VICTIMS}
                  AND victim_share >= {MIN_VICTIM_SHARE}
                  AND returned_ratio <= {MAX_RETURNED}
                  AND induced_share >= {TELL_SHARE} AND round_share >= {TELL_SHARE}"""
        )
        # A wallet that banks most of what it sends at an exchange (or another service) is a business
        # (platform_sequences' pt_pf_banks): platforms sweep to their own consolidation wallets. pt_pf_banks
        # judges every receiver with a paid-back payer, so every platform here (own_induced >= 1).
        con.execute("""DELETE FROM pt_pf_platforms x
                       WHERE EXISTS (SELECT 1 FROM pt_pf_banks b WHERE b.chain = x.chain AND b.c = x.c)""")
        # A wallet that itself pays a platform in the victim pattern is a victim whose own payers
        # happen to look alike, not part of the platform.
        con.execute(
            """DELETE FROM pt_pf_platforms x WHERE EXISTS (
                   SELECT 1 FROM pt_pf_pairs p JOIN pt_pf_platforms y ON y.chain = p.chain AND y.c = p.c
                   WHERE p.chain = x.chain AND p.s = x.c AND p.victim_like)"""
        )
        self._find_siblings(ctx)
        findings = (self._collection(ctx) + self._sibling_findings(ctx) + exchange_fed(self, ctx) + self._victims(ctx)
                    + self._payout_victims(ctx) + self._operators(ctx) + exchange_payouts(self, ctx))
        findings = economics_agree(ctx, findings)
        ctx.cache["platform_wallets"] = {(f.chain, f.address) for f in findings if f.role == "scam_collection"}
        return findings

    # ------------------------------------------------------------------ dedicated payout wallets
    def _dedicated_payouts(self, ctx: AnalysisContext) -> None:
        """pt_pf_payout (chain, ring, payer): the ring's payout wallets (pt_pf_side) that do little else:
        at least PAYOUT_FOCUS of the people they pay themselves pay the ring's wallets or got small
        one-off 'profits' (MAX_PROFIT_PAYMENTS or fewer of MIN_PROFIT_USD to MAX_PROFIT_USD), and they
        are not themselves a paying victim of a platform (pt_pf_paying: a victim who also pays a few
        other victims and then friends and shops once each is spending, not paying 'profits').
        pt_pf_payout_acc: the exchange deposit accounts paid such 'profits', victims whose own payments
        left from their exchange; they count toward a ring's MIN_VICTIMS (a ring whose visible victims are two
        self-custody payers and whose other victims pay through exchanges is still a platform)."""
        con = ctx.con
        svc = flow_services.is_service_sql("v", "dst")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_pf_payees AS
                SELECT v.chain, v.src AS payer, v.dst, count(*) AS n, min(v.usd) AS min_usd, max(v.usd) AS max_usd,
                       EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = v.chain AND d.address = v.dst) AS to_deposit
                FROM {flow_services.value_of("pt_pf_side", "payer", "src")} v SEMI JOIN pt_pf_side s ON s.chain = v.chain AND s.payer = v.src
                WHERE NOT {svc} AND NOT {gas_topup_sql("v")}
                GROUP BY v.chain, v.src, v.dst"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_pf_payout AS
                WITH judged AS (
                    SELECT s.chain, s.ring, s.payer, p.dst,
                           EXISTS (SELECT 1 FROM {flow_services.value_of("pt_pf_ring", "c", "dst")} w JOIN pt_pf_ring r ON r.chain = w.chain AND r.c = w.dst
                                   WHERE w.chain = p.chain AND w.src = p.dst AND r.ring = s.ring
                                     AND NOT {gas_topup_sql("w")}) AS victim,
                           (p.n <= {MAX_PROFIT_PAYMENTS} AND p.min_usd >= {MIN_PROFIT_USD}
                            AND p.max_usd <= {MAX_PROFIT_USD}) AS profit
                    FROM pt_pf_side s JOIN pt_pf_payees p ON p.chain = s.chain AND p.payer = s.payer
                    WHERE NOT EXISTS (SELECT 1 FROM pt_pf_paying y WHERE y.chain = s.chain AND y.s = s.payer))
                SELECT chain, ring, payer FROM judged GROUP BY ALL
                HAVING count(*) FILTER (WHERE victim OR profit) >= {PAYOUT_FOCUS} * count(*)"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_pf_payout_acc AS
                SELECT DISTINCT o.chain, o.ring, o.payer, p.dst AS address
                FROM pt_pf_payout o JOIN pt_pf_payees p ON p.chain = o.chain AND p.payer = o.payer
                WHERE p.to_deposit AND p.n <= {MAX_PROFIT_PAYMENTS} AND p.min_usd >= {MIN_PROFIT_USD}
                  AND p.max_usd <= {MAX_PROFIT_USD}"""
        )

    # ------------------------------------------------------------------ collection wallets
    def _collection(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        rows = con.execute(
            f"""SELECT p.chain, p.c, p.ring, p.own_victims, p.victims, p.victim_share, p.induced_share,
                      p.round_share, p.returned_ratio, p.hold_hours, p.tells, p.wallets,
                      s.first_in, greatest(s.last_in, s.last_out), q.total
               FROM pt_pf_platforms p LEFT JOIN {seen_sql("pt_pf_platforms", "c")} s ON s.chain = p.chain AND s.address = p.c
               LEFT JOIN (SELECT chain, c, sum(total_usd) AS total FROM pt_pf_pairs WHERE victim_like GROUP BY ALL) q
                      ON q.chain = p.chain AND q.c = p.c"""
        ).fetchall()
        ev = collect(
            con,
            f"""SELECT p.chain, p.c AS address, v.tx_hash, v.time, v.s AS src, v.c AS dst, v.token, v.amount, v.usd,
                      'victim payment ' || v.k || ' of ' || v.n AS note, v.usd AS rank_key
               FROM pt_pf_platforms p JOIN pt_pf_pay v ON v.chain = p.chain AND v.c = p.c
               UNION ALL
               SELECT p.chain, p.c, b.tx_hash, b.time, b.payer, b.s, b.token, b.amount, b.usd,
                      'small payment back to a paying victim (inducement)', 1e12
               FROM pt_pf_platforms p JOIN pt_pf_back b ON b.chain = p.chain AND b.c = p.c
               WHERE b.early
               UNION ALL
               SELECT p.chain, p.c, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                      'forwarded onward', v.usd / 1e3
               FROM pt_pf_platforms p JOIN {flow_services.value_of("pt_pf_platforms", "c", "src")} v ON v.chain = p.chain AND v.src = p.c
               WHERE NOT EXISTS (SELECT 1 FROM pt_pf_pairs q WHERE q.chain = v.chain AND q.c = p.c AND q.s = v.dst)""",
        )
        out = []
        for (chain, c, ring, own, victims, share, induced, rnd, returned, hold, tells, wallets,
             first, last, total) in rows:
            reasons = [self.help, (
                f"{own} victim-pattern payer(s) here; {victims} across its ring of {wallets} wallet(s) sweeping "
                f"to {ring}; {share:.0%} of repeat payers follow the pattern; {induced:.0%} got an early "
                f"small payment back; {rnd:.0%} made round late payments; {returned:.0%} of their money ever "
                f"came back; median time to forward a deposit {hold:.1f} h" if hold is not None and hold < 1e8
                else f"{own} victim-pattern payer(s); deposits are not forwarded")]
            score = min(1.0, 0.6 + 0.1 * tells + 0.02 * min(victims, 10))
            out.append(Finding(chain, c, "scam_collection", self.id, score, first, last,
                               reasons + [f"victims paid it {usd(total)} in the pattern"],
                               ev.get((chain, c), []), ring=f"platform:{ring}"))
        return out

    # ------------------------------------------------------------------ sibling deposit wallets
    def _find_siblings(self, ctx: AnalysisContext) -> None:
        """Deposit wallets of a found platform whose payers cannot be seen one by one (each victim's
        exchange paid it on their order): wallets that pass at least SIBLING_FOCUS of what they get on to
        the platform's consolidation wallets and get nothing from the ring itself."""
        svc = flow_services.is_service_sql("v", "src")
        ctx.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_pf_siblings AS
                WITH hubs AS (
                    SELECT DISTINCT w.chain, w.dst, p.ring FROM pt_pf_sweeps w
                    JOIN pt_pf_platforms p ON p.chain = w.chain AND p.c = w.c
                    WHERE NOT EXISTS (SELECT 1 FROM pt_pf_platforms q WHERE q.chain = w.chain AND q.c = w.dst)),
                ring_wallets AS (
                    SELECT chain, c AS address FROM pt_pf_platforms UNION SELECT chain, dst FROM hubs),
                feeders AS (
                    SELECT DISTINCT v.chain, v.src AS x FROM {flow_services.value_of("hubs", "dst", "dst")} v
                    SEMI JOIN hubs h ON h.chain = v.chain AND h.dst = v.dst
                    WHERE NOT {svc}
                      AND NOT EXISTS (SELECT 1 FROM ring_wallets r WHERE r.chain = v.chain AND r.address = v.src)
                      AND NOT EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = v.chain AND d.address = v.src)),
                outs AS (
                    SELECT v.chain, v.src AS x, sum(v.usd) AS out_usd,
                           sum(v.usd) FILTER (WHERE h.dst IS NOT NULL) AS hub_usd, min(h.ring) AS ring,
                           min(v.time) AS first_out
                    FROM {flow_services.value_of("feeders", "x", "src")} v SEMI JOIN feeders f ON f.chain = v.chain AND f.x = v.src
                    LEFT JOIN hubs h ON h.chain = v.chain AND h.dst = v.dst
                    WHERE NOT {gas_topup_sql("v")}
                    GROUP BY ALL),
                ins AS (
                    SELECT v.chain, v.dst AS x, sum(v.usd) AS in_usd, count(*) AS n_in, min(v.time) AS first_in,
                           bool_or(EXISTS (SELECT 1 FROM ring_wallets r WHERE r.chain = v.chain
                                           AND r.address = v.src)) AS from_ring
                    FROM {flow_services.value_of("feeders", "x", "dst")} v SEMI JOIN feeders f ON f.chain = v.chain AND f.x = v.dst
                    WHERE NOT {gas_topup_sql("v")}
                    GROUP BY ALL)
                SELECT o.chain, o.x, o.ring, o.hub_usd, i.in_usd, i.n_in, i.first_in, o.first_out
                FROM outs o JOIN ins i USING (chain, x)
                WHERE o.hub_usd >= {SIBLING_FOCUS} * o.out_usd AND o.out_usd >= {SIBLING_FOCUS} * i.in_usd
                  AND i.n_in >= {platform_sequences.MIN_PAYMENTS} AND NOT i.from_ring"""
        )

    def _sibling_findings(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        rows = con.execute("SELECT chain, x, ring, hub_usd, in_usd, n_in, first_in, first_out FROM pt_pf_siblings").fetchall()
        ev = collect(con, in_out_sql("pt_pf_siblings", "x", "deposit received",
                                     "swept to the platform's consolidation wallet"))
        return [
            Finding(chain, x, "scam_collection", self.id, 0.7, first_in, None,
                    [self.help, (f"deposit wallet of the same platform: received {n} payment(s) ({usd(in_usd)}) "
                                 f"and swept {usd(hub)} of it to the consolidation wallet(s) of platform ring {ring}")],
                    ev.get((chain, x), []), ring=f"platform:{ring}")
            for chain, x, ring, hub, in_usd, n, first_in, _ in rows
        ]

    # ------------------------------------------------------------------ victims
    def _victims(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        svc = flow_services.is_service_sql("v", "src")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_pf_victims AS
                SELECT v.chain, v.src AS s, v.dst AS c, p.ring, count(*) AS n, sum(v.usd) AS total,
                       min(v.time) AS first_t, max(v.time) AS last_t, max(v.usd) AS max_usd,
                       bool_or(q.victim_like) AS pattern
                FROM {flow_services.value_of("pt_pf_platforms", "c", "dst")} v JOIN pt_pf_platforms p ON p.chain = v.chain AND p.c = v.dst
                LEFT JOIN pt_pf_pairs q ON q.chain = v.chain AND q.s = v.src AND q.c = v.dst
                WHERE NOT {svc} AND NOT {gas_topup_sql("v")}
                  AND NOT EXISTS (SELECT 1 FROM pt_pf_platforms x WHERE x.chain = v.chain AND x.c = v.src)
                  AND NOT EXISTS (SELECT 1 FROM pt_pf_back b WHERE b.chain = v.chain AND b.c = v.dst
                                  AND b.payer = v.src)
                GROUP BY v.chain, v.src, v.dst, p.ring
                HAVING max(v.usd) >= 10"""
        )
        rows = con.execute(
            "SELECT chain, s, c, ring, n, total, first_t, last_t, coalesce(pattern, false) FROM pt_pf_victims"
        ).fetchall()
        ev = collect(
            con,
            f"""SELECT x.chain, x.s AS address, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                      'payment to the platform', v.usd AS rank_key
               FROM pt_pf_victims x JOIN {flow_services.value_of("pt_pf_victims", "s", "src")} v ON v.chain = x.chain AND v.src = x.s AND v.dst = x.c
               UNION ALL
               SELECT b.chain, b.s, b.tx_hash, b.time, b.payer, b.s, b.token, b.amount, b.usd,
                      'small payment back from the platform side (inducement)', 1e12
               FROM pt_pf_back b SEMI JOIN pt_pf_platforms p ON p.chain = b.chain AND p.c = b.c""",
        )
        out = []
        for chain, s, c, ring, n, total, first, last, pattern in rows:
            score = 0.9 if pattern else (0.75 if n >= 2 else 0.6)
            why = (f"paid {usd(total)} to platform wallet {c} in {n} payment(s)"
                   + (", growing over time in the victim pattern" if pattern else ""))
            out.append(Finding(chain, s, "victim", self.id, score, first, last, [self.help, why],
                               ev.get((chain, s), []), ring=f"platform:{ring}"))
        return out

    def _payout_victims(self, ctx: AnalysisContext) -> list[Finding]:
        """People the platform's payout wallet paid a small 'profit' to: victims even when their own
        payments left from an exchange account and cannot be seen on chain."""
        con = ctx.con
        svc = flow_services.is_service_sql("v", "dst")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_pf_payout_victims AS
                SELECT v.chain, v.dst AS address, min(x.ring) AS ring, v.src AS payer, count(*) AS n,
                       sum(v.usd) AS total, min(v.time) AS first_t, max(v.time) AS last_t
                FROM {flow_services.value_of("pt_pf_payout", "payer", "src")} v
                JOIN (SELECT DISTINCT s.chain, s.payer, s.ring FROM pt_pf_payout s
                      SEMI JOIN pt_pf_platforms p ON p.chain = s.chain AND p.ring = s.ring) x
                  ON x.chain = v.chain AND x.payer = v.src
                WHERE NOT {svc} AND NOT {gas_topup_sql("v")}
                  AND NOT EXISTS (SELECT 1 FROM pt_pf_victims k WHERE k.chain = v.chain AND k.s = v.dst)
                  AND NOT EXISTS (SELECT 1 FROM pt_pf_platforms k WHERE k.chain = v.chain AND k.c = v.dst)
                  AND NOT EXISTS (SELECT 1 FROM pt_pf_siblings k WHERE k.chain = v.chain AND k.x = v.dst)
                GROUP BY v.chain, v.dst, v.src
                HAVING count(*) <= {MAX_PROFIT_PAYMENTS}"""
        )
        rows = con.execute("SELECT chain, address, ring, payer, n, total, first_t, last_t FROM pt_pf_payout_victims").fetchall()
        ev = collect(
            con,
            f"""SELECT x.chain, x.address, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                      'small payment from the platform''s payout wallet (inducement)', v.usd
               FROM pt_pf_payout_victims x JOIN {flow_services.value_of("pt_pf_payout_victims", "address", "dst")} v ON v.chain = x.chain AND v.src = x.payer AND v.dst = x.address""",
        )
        return [
            Finding(chain, a, "victim", self.id, 0.7, first, last,
                    [self.help, (f"received {n} small 'profit' payment(s) ({usd(total)}) from {payer}, the payout "
                                 f"wallet of platform ring {ring}; its own deposits left from an exchange account")],
                    ev.get((chain, a), []), ring=f"platform:{ring}")
            for chain, a, ring, payer, n, total, first, last in rows
        ]

    # ------------------------------------------------------------------ inducement payers
    def _operators(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        rows = con.execute(
            """SELECT b.chain, b.payer, count(DISTINCT b.s), sum(b.usd), min(b.time), max(b.time), min(p.ring)
               FROM pt_pf_back b JOIN pt_pf_platforms p ON p.chain = b.chain AND p.c = b.c
               WHERE b.payer <> b.c AND b.early
                 AND NOT EXISTS (SELECT 1 FROM pt_pf_platforms x WHERE x.chain = b.chain AND x.c = b.payer)
               GROUP BY b.chain, b.payer HAVING count(DISTINCT b.s) >= 2"""
        ).fetchall()
        ev = collect(
            con,
            """SELECT b.chain, b.payer AS address, b.tx_hash, b.time, b.payer AS src, b.s AS dst, b.token,
                      b.amount, b.usd, 'small payment to a victim of ' || b.c, b.usd AS rank_key
               FROM pt_pf_back b SEMI JOIN pt_pf_platforms p ON p.chain = b.chain AND p.c = b.c
               WHERE b.early""",
        )
        return [
            Finding(chain, payer, "scam_operator", self.id, 0.85, first, last,
                    [self.help, (f"paid small 'profits' ({usd(total)} in all) to {n} victims of the platform "
                                 f"while they were still paying in")],
                    ev.get((chain, payer), []), ring=f"platform:{ring}")
            for chain, payer, n, total, first, last, ring in rows
        ]


def economics_agree(ctx: AnalysisContext, findings: list[Finding]) -> list[Finding]:
    """The platform's tells raise confidence; they do not outvote the economics. A wallet that passed on at
    least a fifth of what it got but whose collection probability (``pt_collection_p``, collection_features)
    is below ECONOMIC_FLOOR (it sent the money to services, paid much of it back, or its payers spent only
    a sliver there) is not kept as a platform wallet, and neither are the victims that paid only such
    wallets."""
    # a wallet still holding what it took is judged by its tells alone: holding is what a scam wallet does
    # before its sweep, and the economics score moving the money on
    p = dict(((c, a), v) for c, a, v in ctx.con.execute(
        "SELECT chain, address, p FROM pt_collection_p JOIN pt_cf USING (chain, address) WHERE passed >= 0.2"
    ).fetchall())
    vetoed = {(f.chain, f.address) for f in findings if f.role == "scam_collection"
              and p.get((f.chain, f.address), 1.0) < ECONOMIC_FLOOR}
    if not vetoed:
        return findings
    kept = []
    for f in findings:
        if (f.chain, f.address) in vetoed and f.role == "scam_collection":
            continue
        paid = {(f.chain, e.get("to")) for e in f.evidence if e.get("from") == f.address and e.get("to")}
        if f.role == "victim" and paid and paid <= vetoed:
            continue
        kept.append(f)
    return kept


DETECTORS = [FakePlatformCollection]
