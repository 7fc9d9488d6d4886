"""Fake platforms whose victims pay straight from their exchange accounts, so that no victim's own wallet
appears on chain: rings of exchange-fed deposit wallets sweeping to shared consolidation wallets, and
single shared wallets, or families of one-off addresses (a fresh address for every payment), tied by their
gas funder to a payout wallet that pays small "profits" to exchange deposit accounts. Part of the fake_platform detector, which calls these after its own candidates are known
(they read its pt_pf_* tables)."""

from __future__ import annotations

from pigtrace.detect import flow_services, platform_sequences
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.flow_evidence import collect, in_out_sql, seen_sql, usd
from pigtrace.detect.gas import gas_topup_sql
from pigtrace.detect.platform_sequences import MAX_PROFIT_PAYMENTS, MIN_VICTIMS, SIBLING_FOCUS

# When victims pay through their exchange, the payout wallet is tied to the platform by the gas both got
# from the same funder: it is bankrolled from an exchange (EXCHANGE_FUNDED of its inflow), pays small
# one-off "profits" (MIN_PROFIT_USD to MAX_PROFIT_USD, at most MAX_PROFIT_PAYMENTS each) to exchange
# deposit accounts (MIN_PAYOUT_VICTIMS or more, PAYOUT_FOCUS of its payees), while the platform wallet is
# being paid.
EXCHANGE_FUNDED = 0.8
MIN_PROFIT_USD = 1.0
MAX_PROFIT_USD = 2000.0  # a share of a growing deposit: hundreds, at most a couple of thousand
MIN_PAYOUT_VICTIMS = 2
MAX_PAYOUT_FUNDERS = 5  # a wallet topped up by more of the sweepers' funders is nobody's payout wallet
PAYOUT_FOCUS = 0.8
# An exchange-fed deposit wallet sweeps to at most this many wallets (a platform's one or two consolidation
# wallets); a victim's own wallet, funded from an exchange, also pays other people (ETH style=random seed 30:
# victims paying 13 and 44 addresses were taken for deposit wallets of the platform they paid without it).
SWEEP_DESTS = 2
# A gas funder keeping this many one-off exchange-paid addresses that pass their money on keeps a
# platform's per-payment deposit addresses.
FAMILY_MIN = 3
FAMILY_TAKEN_USD = 10.0  # a family member took at least a deposit's worth (a poisoner's look-alike gets cents)
PEER_ONRAMP = 0.5  # a person paying such an address got at least this share of their money from exchanges


# exchange-fed deposit wallets
def exchange_fed(det: Detector, ctx: AnalysisContext) -> list[Finding]:
    """Platforms whose victims all pay through their exchange, one deposit wallet per victim: each is
    paid (SIBLING_FOCUS of its money) by exchange hot wallets at least MIN_PAYMENTS times over days and
    sweeps that much on to ordinary wallets. Wallets are joined into a ring through the consolidation
    wallets they sweep to (every destination taking RING_SHARE of a wallet's outflow, so a platform
    sweeping to several consolidation wallets is one ring); a consolidation wallet counts when two or
    more such wallets feed it and they are SIBLING_FOCUS of what it gets. The ring is a platform when
    MIN_VICTIMS of its wallets show the victim pattern (growing from a small first payment, round late
    payments), or two do and the same non-exchange wallet pays their gas; one person withdrawing to
    two wallets of their own and on to a cold wallet does neither."""
    con = ctx.con
    svc, svc_src = flow_services.is_service_sql("v", "dst"), flow_services.is_service_sql("v", "src")
    ms, span, growth, rnd = (platform_sequences.MIN_PAYMENTS, platform_sequences.MIN_SPAN_DAYS,
                             platform_sequences.GROWTH, platform_sequences.ROUND_USD)
    # Every wallet paid mostly (SIBLING_FOCUS) by exchanges, repeatedly over days, with its sequence's
    # shape and how much it passes on to ordinary wallets (not services, not exchange deposit accounts);
    # its round late payments are counted (and it can show the pattern) only where it passes at least
    # SIBLING_FOCUS of what it gets on, the only wallets the rings below are made of.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_xseq AS
            WITH exchange AS (
                SELECT a.ref FROM pt_exchange x JOIN addresses a ON a.chain = x.chain AND a.address = x.address),
            -- grouped on the receiver's ref, then the receivers judged (at 10M transfers, exchange withdrawals
            -- are millions of rows)
            fed AS (
                SELECT a.chain, a.address AS c
                FROM (SELECT v.dst_ref FROM {flow_services.value_of("pt_exchange", "address", "src")} v
                      GROUP BY ALL HAVING count(*) >= {ms} AND max(v.time) >= min(v.time) + INTERVAL {span} DAY) g
                JOIN addresses a ON a.ref = g.dst_ref
                WHERE NOT {flow_services.is_service_sql("a", "address")}
                  AND NOT EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = a.chain AND d.address = a.address)
                  AND NOT EXISTS (SELECT 1 FROM pt_pf_platforms p WHERE p.chain = a.chain AND p.c = a.address)
                  AND NOT EXISTS (SELECT 1 FROM pt_pf_siblings p WHERE p.chain = a.chain AND p.x = a.address)),
            inflow AS (
                SELECT v.chain, v.dst AS c, v.dst_ref, v.usd, v.time, v.log_index,
                       v.src_ref IN (SELECT ref FROM exchange) AS from_exchange
                FROM {flow_services.value_of("fed", "c", "dst")} v
                WHERE NOT {gas_topup_sql("v")}),
            -- the sequence's shape (a median) only for the wallets exchanges paid most of what they got; grouped
            -- on the receiver's ref (one per chain and address), its text taken along
            mostly AS (
                SELECT dst_ref FROM inflow
                GROUP BY ALL HAVING sum(usd) FILTER (WHERE from_exchange) >= {SIBLING_FOCUS} * sum(usd)),
            seq AS (
                SELECT any_value(chain) AS chain, any_value(c) AS c, sum(usd) AS in_usd,
                       sum(usd) FILTER (WHERE from_exchange) AS ex_usd,
                       arg_min(usd, (time, log_index, usd)) AS first_usd, median(usd) AS median_usd, max(usd) AS max_usd,
                       min(time) AS first_in, max(time) AS last_in, count(*) AS n
                FROM inflow SEMI JOIN mostly m USING (dst_ref) GROUP BY dst_ref),
            fwd AS (
                SELECT v.chain, v.src AS c, sum(v.usd) AS fwd_usd FROM {flow_services.value_of("seq", "c", "src")} v
                SEMI JOIN seq s ON s.chain = v.chain AND s.c = v.src
                WHERE NOT {svc} AND NOT {gas_topup_sql("v")}
                  AND NOT EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = v.chain AND d.address = v.dst)
                GROUP BY ALL),
            passing AS (
                SELECT s.*, coalesce(f.fwd_usd, 0) AS fwd_usd FROM seq s LEFT JOIN fwd f USING (chain, c)),
            -- payments numbered (for the round late ones) only where the wallet passes its money on
            numbered AS (
                SELECT i.chain, i.c, i.usd, row_number() OVER w AS k, p.n
                FROM inflow i JOIN passing p USING (chain, c)
                WHERE p.fwd_usd >= {SIBLING_FOCUS} * p.in_usd
                WINDOW w AS (PARTITION BY i.chain, i.c ORDER BY i.time, i.log_index)),
            late AS (
                SELECT chain, c, count(*) FILTER (WHERE 2 * k > n AND usd >= {rnd}
                                                  AND abs(usd - round(usd / {rnd}) * {rnd}) < 0.01) AS late_round
                FROM numbered GROUP BY ALL)
            SELECT p.* EXCLUDE (n, fwd_usd), l.late_round, p.fwd_usd,
                   (p.ex_usd >= {SIBLING_FOCUS} * p.in_usd AND p.max_usd >= {growth} * p.first_usd
                    AND p.first_usd <= p.median_usd AND coalesce(l.late_round >= 1, false)) AS pattern
            FROM passing p LEFT JOIN late l USING (chain, c)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_xfed AS
            WITH xf AS (
                SELECT * FROM pt_pf_xseq
                WHERE ex_usd >= {SIBLING_FOCUS} * in_usd AND fwd_usd >= {SIBLING_FOCUS} * in_usd),
            outs AS (
                SELECT v.chain, v.src AS c, v.dst, sum(v.usd) AS usd,
                       EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = v.chain AND d.address = v.dst) AS to_deposit
                FROM {flow_services.value_of("xf", "c", "src")} v SEMI JOIN xf s ON s.chain = v.chain AND s.c = v.src
                WHERE NOT {svc} AND NOT {gas_topup_sql("v")} GROUP BY ALL),
            -- every destination taking a real share of the wallet's outflow (a platform may sweep to
            -- several consolidation wallets); a deposit account is the owner's own exchange account
            legs AS (
                SELECT o.chain, o.c, o.dst AS hub, o.usd, x.pattern, t.dests <= {SWEEP_DESTS} AS sweeps_only FROM outs o
                JOIN (SELECT chain, c, sum(usd) AS out_usd, count(*) AS dests FROM outs GROUP BY ALL) t USING (chain, c)
                JOIN xf x USING (chain, c)
                WHERE o.usd >= {platform_sequences.RING_SHARE} * t.out_usd AND NOT o.to_deposit),
            hubs AS (
                SELECT chain, hub, sum(usd) AS fed_usd, count(*) FILTER (WHERE pattern AND sweeps_only) AS patterned FROM legs
                GROUP BY ALL HAVING count(*) >= 2 AND bool_or(pattern)),
            hub_in AS (
                SELECT v.chain, v.dst AS hub, sum(v.usd) AS in_usd FROM {flow_services.value_of("hubs", "hub", "dst")} v
                SEMI JOIN hubs h ON h.chain = v.chain AND h.hub = v.dst
                WHERE NOT {gas_topup_sql("v")} GROUP BY ALL),
            -- consolidation wallets: fed by several such wallets, and they get little else; or fed by
            -- MIN_VICTIMS of them in the victim pattern that pay nobody else (SWEEP_DESTS), whatever else it
            -- gets (a ring's consolidation wallet that also takes clean money), and then only those join
            -- through it (victims who buy at an exchange and pay a platform from their own wallet pay others too)
            good AS (
                SELECT h.*, h.fed_usd >= {SIBLING_FOCUS} * i.in_usd AS pure FROM hubs h JOIN hub_in i USING (chain, hub)
                WHERE h.fed_usd >= {SIBLING_FOCUS} * i.in_usd OR h.patterned >= {MIN_VICTIMS}),
            fed_wallets AS (
                SELECT l.chain, l.c, min(l.hub) AS hub0, any_value(x.in_usd) AS in_usd,
                       any_value(x.late_round) AS late_round, any_value(x.pattern) AS pattern
                FROM legs l JOIN good g ON g.chain = l.chain AND g.hub = l.hub
                JOIN xf x ON x.chain = l.chain AND x.c = l.c
                WHERE g.pure OR (x.pattern AND l.sweeps_only)
                GROUP BY l.chain, l.c HAVING sum(l.usd) >= {SIBLING_FOCUS} * any_value(x.in_usd)),
            -- the ring: wallets joined through the consolidation wallets they share (two steps)
            hub_label AS (
                SELECT l.chain, l.hub, min(f.hub0) AS label FROM legs l
                JOIN fed_wallets f ON f.chain = l.chain AND f.c = l.c
                SEMI JOIN good g ON g.chain = l.chain AND g.hub = l.hub GROUP BY ALL),
            labelled AS (
                SELECT f.*, min(h.label) AS hub FROM fed_wallets f
                JOIN legs l ON l.chain = f.chain AND l.c = f.c
                JOIN hub_label h ON h.chain = l.chain AND h.hub = l.hub
                GROUP BY ALL),
            -- two wallets of one person can feed one cold wallet; a platform has more victims in the
            -- pattern, or its wallets get their gas from the same (non-exchange) funder
            gas AS (
                SELECT DISTINCT f.chain, f.hub, v.src AS funder, v.dst AS c FROM {flow_services.value_of("labelled", "c", "dst")} v
                JOIN labelled f ON f.chain = v.chain AND f.c = v.dst
                WHERE {gas_topup_sql("v")} AND NOT {svc_src}
                  AND NOT EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = v.chain AND d.address = v.src)),
            gas_shared AS (
                SELECT chain, hub, max(n) AS n FROM (SELECT chain, hub, funder, count(*) AS n FROM gas GROUP BY ALL)
                GROUP BY ALL),
            rings AS (
                SELECT chain, hub, count(*) AS feeders, count(*) FILTER (WHERE pattern) AS patterned
                FROM labelled GROUP BY ALL)
            SELECT f.chain, f.c, f.hub, r.feeders, f.in_usd, f.late_round
            FROM labelled f JOIN rings r USING (chain, hub) LEFT JOIN gas_shared g USING (chain, hub)
            WHERE r.patterned >= {MIN_VICTIMS} OR (r.patterned >= 2 AND coalesce(g.n, 0) >= 2)"""
    )
    rows = con.execute(
        f"""SELECT x.chain, x.c, x.hub, x.feeders, x.in_usd, x.late_round, s.first_in, s.last_out
            FROM pt_pf_xfed x LEFT JOIN {seen_sql("pt_pf_xfed", "c")} s ON s.chain = x.chain AND s.address = x.c"""
    ).fetchall()
    ev = collect(con, in_out_sql("pt_pf_xfed", "c", "paid by an exchange on a customer's order",
                                 "swept to the consolidation wallet"))
    return [
        Finding(chain, c, "scam_collection", det.id, 0.6, first, last,
                [det.help, (f"paid {usd(in_usd)} by exchanges on their customers' orders ({rounds} round late "
                             f"payment(s)) and swept on to the consolidation wallet(s) of ring {hub}, which "
                             f"{feeders} such wallets feed, most of them growing from a small first payment to "
                             "round late ones, and which get little else")],
                ev.get((chain, c), []), ring=f"platform:{hub}")
        for chain, c, hub, feeders, in_usd, rounds, first, last in rows
    ]


# exchange-paid platforms' payout wallets
def _families(con) -> None:
    """pt_pf_xfamily: the one-off addresses one gas funder keeps (FAMILY_MIN or more): each took one payment,
    from an exchange, of at least FAMILY_TAKEN_USD, and forwarded SIBLING_FOCUS of it on to ordinary wallets,
    none of it to a platform wallet found above, nor mostly to a wallet that settles as a business does
    (``flow_services.settling_sql``: a gateway's per-order addresses). A platform showing a fresh address for
    every payment, whose victims pay from their exchange accounts: no victim's sequence is on any one address,
    and a person's own wallet, even a relay the ring fuels, takes their withdrawals again and again. Each row
    carries its family's size and the window in which the family was paid. pt_pf_xpeer: the same funders'
    one-off addresses that a person paid instead (chain, f, payer, c): someone with money mostly
    (PEER_ONRAMP) from exchanges whom the funder never fuelled, as a self-custody victim of the platform; they
    join when the payout wallet paid that person too. A ring's own hop paying such an address has the ring's
    money and, often, its funder's gas."""
    refs = flow_services.address_refs_sql
    gas = gas_topup_sql("v")
    # staged on address refs, cheapest test first: at 10M transfers half a million gas top-ups come from wallets
    # that are no service
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_xoneoff AS
            WITH services AS MATERIALIZED (
                SELECT ref FROM ({refs("pt_services")}) UNION SELECT ref FROM ({refs("pt_deposits")})),
            exchange AS MATERIALIZED (
                SELECT ref FROM ({refs("pt_exchange")})
                UNION SELECT ref FROM ({refs("(SELECT * FROM pt_services WHERE kind = 'hub')")})),
            members AS MATERIALIZED (
                SELECT f, c FROM (SELECT DISTINCT v.src_ref AS f, v.dst_ref AS c FROM pt_value v
                                  WHERE {gas} AND v.src_ref NOT IN (SELECT ref FROM services)
                                    AND v.dst_ref NOT IN (SELECT ref FROM services))
                QUALIFY count(*) OVER (PARTITION BY f) >= {FAMILY_MIN}),
            -- one payment, from an exchange or from a person
            oneoff AS MATERIALIZED (
                SELECT m.f, m.c, i.usd AS in_usd, i.time, i.payer, i.payer IN (SELECT ref FROM exchange) AS from_exchange
                FROM members m JOIN (
                    SELECT v.dst_ref AS c, any_value(v.usd) AS usd, any_value(v.time) AS time, any_value(v.src_ref) AS payer
                    FROM pt_value v SEMI JOIN (SELECT DISTINCT c FROM members) k ON k.c = v.dst_ref
                    WHERE NOT {gas} GROUP BY v.dst_ref HAVING count(*) = 1) i USING (c)
                WHERE i.usd >= {FAMILY_TAKEN_USD}
                  AND (i.payer IN (SELECT ref FROM exchange) OR i.payer NOT IN (SELECT ref FROM services))
                QUALIFY count(*) FILTER (WHERE from_exchange) OVER (PARTITION BY m.f) >= {FAMILY_MIN}),
            outs AS MATERIALIZED (
                SELECT v.src_ref AS c, sum(v.usd) AS fwd_usd, arg_max(v.dst_ref, (v.usd, v.dst_ref)) AS top_ref,
                       bool_or(v.dst_ref IN (SELECT ref FROM ({refs("pt_pf_platforms", "c")}))) AS pays_platform
                FROM pt_value v SEMI JOIN (SELECT DISTINCT c FROM oneoff) k ON k.c = v.src_ref
                WHERE NOT {gas} AND v.dst_ref NOT IN (SELECT ref FROM services)
                GROUP BY v.src_ref),
            business AS ({flow_services.settling_sql("outs", "top_ref")}),
            -- a person paying such an address bought at an exchange and is not kept in gas by its funder (a ring
            -- fuels its own hops, and their money comes from the ring)
            persons AS (SELECT DISTINCT f, payer FROM oneoff WHERE NOT from_exchange),
            person_in AS (
                SELECT v.dst_ref AS payer,
                       sum(v.usd) FILTER (WHERE v.src_ref IN (SELECT ref FROM exchange)) >= {PEER_ONRAMP} * sum(v.usd) AS onramp
                FROM pt_value v SEMI JOIN (SELECT DISTINCT payer FROM persons) k ON k.payer = v.dst_ref
                WHERE NOT {gas} GROUP BY v.dst_ref),
            person_fuel AS (
                SELECT DISTINCT v.src_ref AS f, v.dst_ref AS payer FROM pt_value v
                SEMI JOIN persons k ON k.f = v.src_ref AND k.payer = v.dst_ref WHERE {gas})
            SELECT m.*, coalesce(i.onramp, false) AND u.f IS NULL AS person FROM oneoff m JOIN outs o USING (c)
            LEFT JOIN person_in i ON i.payer = m.payer AND NOT m.from_exchange
            LEFT JOIN person_fuel u ON u.f = m.f AND u.payer = m.payer
            WHERE o.fwd_usd >= {SIBLING_FOCUS} * m.in_usd AND NOT o.pays_platform
              AND o.top_ref NOT IN (SELECT x FROM business)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_xfamily AS
            WITH passing AS (
                SELECT f, c, in_usd, count(*) OVER fam AS family, min(time) OVER fam AS first_in,
                       max(time) OVER fam AS last_in
                FROM pt_pf_xoneoff WHERE from_exchange WINDOW fam AS (PARTITION BY f))
            SELECT a.chain, a.address AS c, b.address AS f, p.in_usd, p.family, p.first_in, p.last_in
            FROM passing p JOIN addresses a ON a.ref = p.c JOIN addresses b ON b.ref = p.f
            WHERE p.family >= {FAMILY_MIN}"""
    )
    # the same funder's one-off addresses that a person paid: the platform's self-custody victims' payments
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_pf_xpeer AS
           SELECT a.chain, b.address AS f, p.address AS payer, a.address AS c
           FROM pt_pf_xoneoff o JOIN addresses a ON a.ref = o.c JOIN addresses b ON b.ref = o.f
           JOIN addresses p ON p.ref = o.payer
           WHERE o.person AND b.address IN (SELECT f FROM pt_pf_xfamily)"""
    )


def exchange_payouts(det: Detector, ctx: AnalysisContext) -> list[Finding]:
    """A platform all of whose victims pay through their exchanges, with no ring of deposit wallets to
    go by (one shared deposit wallet): an exchange-paid wallet in the victim pattern that forwards what
    it gets is a collection wallet when its gas funder also tops up a payout wallet that pays small
    one-off 'profits' to exchange deposit accounts while it is being paid. The payout wallet is an
    operator and the deposit accounts it paid are the victims (their exchange paid the platform on
    their order). The exchange-fed rings found above are tied to their payout wallets the same way."""
    con = ctx.con
    svc_src, svc_dst = flow_services.is_service_sql("v", "src"), flow_services.is_service_sql("v", "dst")
    # A wallet topping up more than a person's worth of wallets is a service, not the gas funder of a lone
    # wallet in the victim pattern; a family's funder is judged by its family (_families), however many it keeps.
    gassers = f"""(SELECT DISTINCT g.chain, g.src FROM {flow_services.value_of("pt_pf_xseq", "c", "dst")} g
                   SEMI JOIN pt_pf_xseq x ON x.chain = g.chain AND x.c = g.dst WHERE {gas_topup_sql("g")})"""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_busy_gas AS
            SELECT v.chain, v.src AS f FROM {flow_services.value_of(gassers, "src", "src")} v
            WHERE {gas_topup_sql("v")}
            GROUP BY ALL HAVING count(DISTINCT v.dst_ref) > {platform_sequences.PERSON_MAX_PAYERS}"""
    )
    _families(con)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_xprofit AS
            WITH sweepers AS (
                SELECT chain, c, first_in, last_in, in_usd, 0 AS family FROM pt_pf_xseq
                WHERE pattern AND fwd_usd >= {SIBLING_FOCUS} * in_usd
                UNION ALL BY NAME
                SELECT chain, c, first_in, last_in, in_usd, family FROM pt_pf_xfamily),
            -- a gas funder pays the wallet's fees and nothing else: one that also pays it tokens or
            -- larger amounts is a customer or business partner (a reused wallet's), not the ring's funder
            funders AS (
                SELECT DISTINCT v.chain, v.src AS f, v.dst AS c FROM {flow_services.value_of("sweepers", "c", "dst")} v
                SEMI JOIN sweepers s ON s.chain = v.chain AND s.c = v.dst
                WHERE {gas_topup_sql("v")} AND NOT {svc_src}
                  AND NOT EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = v.chain AND d.address = v.src)
                  AND (NOT EXISTS (SELECT 1 FROM pt_pf_busy_gas b WHERE b.chain = v.chain AND b.f = v.src)
                       OR EXISTS (SELECT 1 FROM pt_pf_xfamily x WHERE x.chain = v.chain AND x.c = v.dst AND x.f = v.src))
                  AND NOT EXISTS (SELECT 1 FROM {flow_services.value_of("sweepers", "c", "dst")} p WHERE p.src_ref = v.src_ref
                                  AND p.dst_ref = v.dst_ref AND NOT {gas_topup_sql("p")})),
            -- a payout wallet gets its gas from its ring's funders; a wallet that many funders send small
            -- native amounts to is a public one (on a 3.6M-transfer world one such wallet, with 586k payments
            -- and 75 funders, made this query's join 37M rows)
            funded AS (
                SELECT chain, f, w FROM (
                    SELECT DISTINCT v.chain, v.src AS f, v.dst AS w FROM {flow_services.value_of("funders", "f", "src")} v
                    SEMI JOIN funders f ON f.chain = v.chain AND f.f = v.src
                    WHERE {gas_topup_sql("v")} AND NOT {svc_dst}
                      AND NOT EXISTS (SELECT 1 FROM sweepers s WHERE s.chain = v.chain AND s.c = v.dst))
                QUALIFY count(*) OVER (PARTITION BY chain, w) <= {MAX_PAYOUT_FUNDERS}),
            topped AS (SELECT chain, f, c AS w FROM funders UNION SELECT chain, f, w FROM funded),
            pay_rows AS (
                SELECT w.chain, w.f, v.src AS p, v.dst, v.time, v.usd FROM {flow_services.value_of("funded", "w", "src")} v
                JOIN funded w ON w.chain = v.chain AND w.w = v.src
                WHERE NOT {gas_topup_sql("v")} AND NOT {svc_dst}),
            -- a payment above MAX_PROFIT_USD is still small beside what the funder's exchange-paid pattern
            -- wallets had been paid by then (at or before its time): a running sum over their receipts and
            -- those payments in one time line (an ASOF join here was planned as a nested loop: 8 s at 1.2M)
            timeline AS (
                SELECT f.chain, f.f, NULL AS p, NULL AS dst, v.time, NULL AS usd, v.usd AS got
                FROM {flow_services.value_of("funders", "c", "dst")} v JOIN funders f ON f.chain = v.chain AND f.c = v.dst
                WHERE NOT {gas_topup_sql("v")}
                UNION ALL BY NAME
                SELECT *, 0 AS got FROM pay_rows WHERE usd > {MAX_PROFIT_USD}),
            pay_rel AS (
                SELECT *, NULL AS paid_in FROM pay_rows WHERE NOT coalesce(usd > {MAX_PROFIT_USD}, false)
                UNION ALL BY NAME
                SELECT * EXCLUDE (got) FROM (
                    SELECT *, coalesce(sum(got) OVER (PARTITION BY chain, f ORDER BY time
                                                      RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 0) AS paid_in
                    FROM timeline)
                WHERE p IS NOT NULL),
            pays AS (
                SELECT x.*,
                       EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = x.chain AND d.address = x.dst) AS to_deposit,
                       EXISTS (SELECT 1 FROM pt_pf_pairs q JOIN topped t ON t.chain = q.chain AND t.w = q.c
                               WHERE q.chain = x.chain AND q.s = x.dst AND t.f = x.f AND q.victim_like)
                       OR EXISTS (SELECT 1 FROM pt_pf_xpeer k WHERE k.chain = x.chain AND k.f = x.f AND k.payer = x.dst)
                       AS peer
                FROM (SELECT chain, f, p, dst, count(*) AS n, min(usd) AS min_usd,
                             bool_and(usd <= {MAX_PROFIT_USD} OR usd <= {platform_sequences.SMALL_BACK} * paid_in) AS small,
                             min(time) AS first_t, max(time) AS last_t
                      FROM pay_rel GROUP BY ALL) x),
            profits AS (
                SELECT *, ((to_deposit OR peer) AND n <= {MAX_PROFIT_PAYMENTS} AND min_usd >= {MIN_PROFIT_USD}
                           AND small) AS profit FROM pays),
            payers AS (
                SELECT chain, f, p, count(*) FILTER (WHERE profit) AS victims, count(*) AS payees,
                       min(first_t) FILTER (WHERE profit) AS first_t, max(last_t) FILTER (WHERE profit) AS last_t
                FROM profits GROUP BY ALL
                HAVING count(*) FILTER (WHERE profit) >= {MIN_PAYOUT_VICTIMS}
                   AND count(*) FILTER (WHERE profit) >= {PAYOUT_FOCUS} * count(*)),
            bankroll AS ({flow_services.exchange_inflow_sql("payers", "p")}),
            found AS (
                SELECT DISTINCT s.chain, s.c, p.p AS payer, f.f AS funder, p.victims, s.family
                FROM sweepers s JOIN funders f ON f.chain = s.chain AND f.c = s.c
                JOIN payers p ON p.chain = f.chain AND p.f = f.f
                JOIN bankroll b ON b.chain = p.chain AND b.p = p.p
                WHERE b.ex_usd >= {EXCHANGE_FUNDED} * b.in_usd
                  AND p.first_t <= s.last_in AND p.last_t >= s.first_in
                  -- a wallet the payout wallet paid 'profits' is a victim's own (a relay it was asked to open)
                  AND NOT EXISTS (SELECT 1 FROM profits r WHERE r.chain = s.chain AND r.p = p.p AND r.dst = s.c))
            SELECT x.*, r.dst, r.to_deposit, r.peer FROM found x
            JOIN profits r ON r.chain = x.chain AND r.f = x.funder AND r.p = x.payer AND r.profit"""
    )
    # A payee that is not an exchange account is a self-custody victim paying another wallet the same
    # funder tops up, in the pattern, or one of its one-off addresses: that wallet is a deposit wallet of the
    # same platform (by_person).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_xpay AS
            SELECT DISTINCT chain, c, payer, funder, victims, family, false AS by_person FROM pt_pf_xprofit
            UNION
            SELECT DISTINCT x.chain, q.c, x.payer, x.funder, x.victims, 0 AS family, false FROM pt_pf_xprofit x
            JOIN pt_pf_pairs q ON q.chain = x.chain AND q.s = x.dst AND q.victim_like
            JOIN {flow_services.value_of("pt_pf_xprofit", "funder", "src")} g ON g.chain = q.chain AND g.dst = q.c AND g.src = x.funder
            WHERE x.peer AND {gas_topup_sql("g")}
              AND NOT EXISTS (SELECT 1 FROM pt_pf_platforms k WHERE k.chain = q.chain AND k.c = q.c)
            UNION
            SELECT DISTINCT x.chain, k.c, x.payer, x.funder, x.victims, x.family, true FROM pt_pf_xprofit x
            JOIN pt_pf_xpeer k ON k.chain = x.chain AND k.f = x.funder AND k.payer = x.dst
            WHERE x.peer"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_xvictims AS
            SELECT v.chain, v.dst AS address, v.src AS payer, min(x.c) AS platform, count(*) AS n,
                   sum(v.usd) AS total, min(v.time) AS first_t, max(v.time) AS last_t
            FROM {flow_services.value_of("pt_pf_xpay", "payer", "src")} v JOIN (SELECT chain, payer, min(c) AS c FROM pt_pf_xpay GROUP BY ALL) x
              ON x.chain = v.chain AND x.payer = v.src
            SEMI JOIN pt_pf_xprofit k ON k.chain = v.chain AND k.payer = v.src AND k.dst = v.dst
            WHERE NOT {gas_topup_sql("v")}
              AND NOT EXISTS (SELECT 1 FROM pt_pf_victims k WHERE k.chain = v.chain AND k.s = v.dst)
              AND NOT EXISTS (SELECT 1 FROM pt_pf_payout_victims k WHERE k.chain = v.chain AND k.address = v.dst)
            GROUP BY v.chain, v.dst, v.src"""
    )
    out = []
    cols = con.execute(
        f"""SELECT x.chain, x.c, min(x.payer), min(x.funder), max(x.victims), max(x.family), bool_and(x.by_person),
                   s.first_in, s.last_out
            FROM pt_pf_xpay x LEFT JOIN {seen_sql("pt_pf_xpay", "c")} s ON s.chain = x.chain AND s.address = x.c
            WHERE NOT EXISTS (SELECT 1 FROM pt_pf_xfed f WHERE f.chain = x.chain AND f.c = x.c)
            GROUP BY x.chain, x.c, s.first_in, s.last_out"""
    ).fetchall()
    ev = collect(con, in_out_sql("pt_pf_xpay", "c", "paid by an exchange on a customer's order", "forwarded onward"))
    out += [
        Finding(chain, c, "scam_collection", det.id, 0.6, first, last,
                [det.help, (f"paid once by a person to whom {payer} paid small one-off 'profits', and forwarded "
                            f"onward: one of the one-off addresses gas funder {funder} keeps ({family} more of them "
                            f"paid by exchanges on their customers' orders); {funder} also funds {payer}"
                            if by_person and family else
                            f"paid mostly by exchanges on their customers' orders, "
                             + (f"one of {family} such wallets its gas funder {funder} keeps, each forwarding what it "
                                f"got onward; {funder} also funds {payer}, which paid small one-off 'profits' to "
                                f"{n} exchange deposit accounts while those wallets were being paid"
                                if family else
                                "growing from a small first payment to round late payments, and forwarded onward; "
                                f"its gas funder {funder} also funds {payer}, which paid small one-off 'profits' to "
                                f"{n} exchange deposit accounts while this wallet was being paid"))],
                ev.get((chain, c), []), ring=f"platform:{funder}" if family else f"platform:{c}")
        for chain, c, payer, funder, n, family, by_person, first, last in cols
    ]
    ops = con.execute(
        """SELECT x.chain, x.payer, min(x.c), min(x.funder), max(x.victims), min(v.first_t), max(v.last_t)
           FROM pt_pf_xpay x JOIN pt_pf_xvictims v ON v.chain = x.chain AND v.payer = x.payer
           WHERE NOT EXISTS (SELECT 1 FROM pt_pf_side s WHERE s.chain = x.chain AND s.payer = x.payer)
           GROUP BY x.chain, x.payer"""
    ).fetchall()
    ev_pay = collect(
        con,
        f"""SELECT x.chain, x.payer, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                  'small one-off payment to an exchange deposit account (inducement)', v.usd
           FROM pt_pf_xvictims x JOIN {flow_services.value_of("pt_pf_xvictims", "payer", "src")} v ON v.chain = x.chain AND v.src = x.payer AND v.dst = x.address""",
    )
    ev_gas = collect(
        con,
        f"""SELECT x.chain, x.payer, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                   'gas from the funder that also tops up platform wallet ' || x.c, 1e12
            FROM pt_pf_xpay x JOIN {flow_services.value_of("pt_pf_xpay", "funder", "src")} v ON v.chain = x.chain AND v.src = x.funder AND v.dst = x.payer
            WHERE {gas_topup_sql("v")}""",
    )
    out += [
        Finding(chain, p, "scam_operator", det.id, 0.75, first, last,
                [det.help, (f"payout wallet of platform wallet {c}: shares gas funder {funder} with it, is "
                             f"bankrolled from an exchange and paid small one-off 'profits' to {n} exchange "
                             "deposit accounts while the platform was being paid")],
                ev_gas.get((chain, p), []) + ev_pay.get((chain, p), []), ring=f"platform:{c}")
        for chain, p, c, funder, n, first, last in ops
    ]
    vics = con.execute("SELECT chain, address, payer, platform, n, total, first_t, last_t FROM pt_pf_xvictims").fetchall()
    ev_vic = collect(
        con,
        f"""SELECT x.chain, x.address, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                  'small payment from the platform''s payout wallet (inducement)', v.usd
           FROM pt_pf_xvictims x JOIN {flow_services.value_of("pt_pf_xvictims", "address", "dst")} v ON v.chain = x.chain AND v.src = x.payer AND v.dst = x.address""",
    )
    out += [
        Finding(chain, a, "victim", det.id, 0.65, first, last,
                [det.help, (f"received {n} small 'profit' payment(s) ({usd(total)}) from {payer}, the payout "
                             f"wallet of platform wallet {c} (an exchange deposit account, whose own payments "
                             "its exchange sent, or a wallet paying a platform wallet of the same gas funder "
                             "in the victim pattern)")],
                ev_vic.get((chain, a), []), ring=f"platform:{c}")
        for chain, a, payer, c, n, total, first, last in vics
    ]
    return out
