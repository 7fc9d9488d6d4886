"""Cash-out: where scam proceeds leave the chain's reach. Exchange deposit accounts (the entities table's:
sweeps to labelled hot wallets or to ones recognised by behaviour) that received scam-tainted value are the mules' accounts an
exchange can freeze and identify; OTC desks (labelled, or desk-shaped wallets with many customers on
both sides) that took scam proceeds straight from scam wallets are the other exit."""

from __future__ import annotations

from pigtrace.detect import flow_services, flow_taint
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.flow_evidence import collect, paid_by_sql, seen_sql, touching_sql, usd
from pigtrace.detect.flow_taint import store_pairs
from pigtrace.detect.laundering import VictimFedLaundering

# A deposit account is a mule's when a real part of what it received is scam money: a quarter of its
# inflow (an ordinary customer's account that once got a small tainted payment stays far below) and
# more than dust.
MULE_SHARE = 0.25
MIN_TAINTED_USD = flow_taint.MIN_TAINTED_USD  # (lower only for an account whose inflow is nearly all scam money)
# The time-order walk charges what a wallet pays after the scam money has left it to the wallet's own money. An
# account that two or more of the scam's own wallets paid (each more than dust) is where they meet, not one
# wallet's own bank account: for it the haircut share counts too (a laundering wallet reused by several rings
# and by business passes one ring's money to another ring's wallet first, and the walk then charged the
# ring's mules' accounts paid just after to its clean takings). There the floor is dust, not MIN_TAINTED_USD, for
# each payer and for the sum: an address-poisoning ring's mules took $30-$90 each from several of its hops. So is
# an account that only the scam's wallets paid, when nothing else ever paid those wallets either: a hop with no
# money of its own banks none (a peel chain diluted upstream by an exchange withdrawal gives its first accounts all
# the scam money the time-order walk traced and the later ones none). Any scam payer alone would not do: a reused
# laundering wallet banks its business takings at an account only it pays.
MULE_SCAM_PAYERS = 2
# An unlabelled desk: at least this many distinct payers and payees (as in flow_taint); it took scam
# proceeds directly from at least DESK_SCAM_PAYERS different collection or laundering wallets. One scam
# payer is not enough: an ordinary busy wallet (a shop, a saver with many counterparties) paid once by a
# wallet taken for laundering is desk-shaped too (on knob-varied worlds such wallets were nearly all of
# the desk findings).
DESK_DEGREE = flow_taint.DESK_DEGREE
DESK_ACCOUNTS = flow_taint.DESK_ACCOUNTS
DESK_SCAM_PAYERS = 1
# A desk converts its customers' money: at least DESK_DEGREE of its payers and DESK_DEGREE of its payees
# must be ordinary wallets, not the scam's own (collection, laundering, operator wallets found before),
# services or exchange deposit accounts. A hub the scam fills from its own wallets (and from clean exchange
# withdrawals mixed in) and empties into its next wallets, bridges and mules' accounts is desk-shaped by
# its degrees, but its counterparties are the scam's: it is a laundering wallet, not where money left.
SCAM_WALLET_ROLES = ("scam_collection", "laundering", "scam_operator")
# A desk the proceeds were cashed out at took a real part of what a scam wallet passed on: for an unlabelled
# one, at least DESK_TAKEN of some scam payer's outflow. A busy ordinary wallet (a saver, a shop, a victim's
# relative) that a wallet taken for a collection wallet paid once got a sliver of that wallet's outflow
# (on tuning worlds well under 1%); the desks the rings sold to got 5% to all of it.
DESK_TAKEN = 0.02
# Both cash-out detectors walk from every collection wallet and victim found before them, victim-fed ones and
# laundering_source's included (a mule account paid by a laundering wallet only its wallets fed was missed), and
# count the laundering hops only the time-ordered walk (propagation) named among the scam's wallets that paid an
# account or a desk (an address-poisoning ring's mule account paid $84 and $86 by two hops, one of them found only
# by the walk, was missed; a desk's ordinary customers are not the ring's own hops).
CASH_OUT_READS = ("labels", "pt_value", "pt_services", "pt_deposits", "pt_exchange", "pt_otc_labelled",
                  "pt_swap_returns", "pt_nodes",
                  "pt_edges", "pt_own_accounts", "pt_token_info", "findings:screening_hits", "findings:approval_drain",
                  "findings:fake_platform", "findings:collection_evidence", "findings:poisoning",
                  "findings:laundering", "findings:gas_funder", "findings:platform_payout",
                  "findings:victim_fed_laundering", "findings:laundering_source", "findings:propagation")


class MuleDeposit(Detector):
    id = "mule_deposit"
    concept = "money_mule"
    help = (
        "Exchange deposit account that received scam proceeds: the address sweeps what it gets to an "
        "exchange hot wallet, labelled or recognised by its behaviour (it collects many deposit accounts' "
        "sweeps and pays many customers), so it is one exchange customer's deposit address, which the exchange "
        f"can identify and freeze; and at least {MULE_SHARE:.0%} of what it received traces back to scam "
        "collection wallets through a walk in time order (each wallet passes scam money on before its own, "
        "except that what it banks at an account only it pays, about the clean takings it then held, is its "
        "own money first; an account that two or more of the scam's own wallets paid, or only such wallets that "
        "nothing but the scam's wallets ever paid, is where they meet, and "
        f"there the share of scam money in its payers' whole history counts too, and any sum over ${flow_taint.DUST_USD:.0f}). "
        "Ordinary customers' deposit accounts, savers' own accounts and the exchange's hot wallet itself are "
        "never flagged."
    )
    severity = "high"
    confidence = "medium"
    roles = ("cash_out",)
    reads = CASH_OUT_READS
    writes = ("findings:mule_deposit",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        t = flow_taint.taint(ctx)
        if not t.seeds.any():
            return []
        con = ctx.con
        store_pairs(con, "pt_mule_scam_payers",
                    {(f.chain, f.address) for f in ctx.findings if f.role in SCAM_WALLET_ROLES})
        # the scam money in time order (flow_taint.passed_first_in): a payment carries at most the scam money
        # its payer still held when it paid, so a wallet that also does business banking its own takings
        # after the scam money has left is not a mule's payer; where scam wallets meet, the haircut share too
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_mules AS
                WITH mixed AS (  -- scam wallets that something other than the scam's wallets paid
                    SELECT DISTINCT e.chain, e.dst AS address FROM pt_edges e
                    SEMI JOIN pt_mule_scam_payers s ON s.chain = e.chain AND s.address = e.dst
                    ANTI JOIN pt_mule_scam_payers p ON p.chain = e.chain AND p.address = e.src
                    WHERE e.usd >= {flow_taint.DUST_USD}),
                met AS (
                    SELECT e.chain, e.dst AS address FROM pt_edges e
                    LEFT JOIN pt_mule_scam_payers s ON s.chain = e.chain AND s.address = e.src
                    LEFT JOIN mixed m ON m.chain = e.chain AND m.address = e.src
                    ANTI JOIN pt_services x ON x.chain = e.chain AND x.address = e.src
                    WHERE e.usd >= {flow_taint.DUST_USD}
                    GROUP BY ALL
                    HAVING count(DISTINCT s.address) >= {MULE_SCAM_PAYERS}
                        OR (count(s.address) > 0 AND count(s.address) = count(*) AND count(m.address) = 0)),
                scam_in AS (
                    SELECT t.*, CASE WHEN m.address IS NULL THEN t.passed_in
                                     ELSE greatest(t.passed_in, t.tainted_in) END AS scam_usd,
                           m.address IS NOT NULL AS met
                    FROM pt_taint t LEFT JOIN met m ON m.chain = t.chain AND m.address = t.address)
                SELECT t.* EXCLUDE (scam_usd, met) REPLACE (t.scam_usd AS tainted_in, t.scam_usd / nullif(t.in_usd, 0) AS share),
                       d.entity, d.sweeps, d.swept_usd
                FROM scam_in t JOIN pt_deposits d ON d.chain = t.chain AND d.address = t.address
                WHERE NOT t.seed AND t.scam_usd >= {MULE_SHARE} * t.in_usd
                  AND (t.scam_usd >= {MIN_TAINTED_USD} OR (t.scam_usd >= {flow_taint.PURE_SHARE} * t.in_usd
                                                           AND t.scam_usd >= {flow_taint.DUST_USD})
                       OR (t.met AND t.scam_usd >= {flow_taint.DUST_USD}))"""
        )
        rows = con.execute(
            f"""SELECT m.chain, m.address, m.share, m.tainted_in, m.in_usd, m.sweeps, m.swept_usd,
                      coalesce((SELECT string_agg(DISTINCT l.label, ', ' ORDER BY l.label)
                                 FROM {flow_services.value_of("pt_mules", "address", "src")} v JOIN {ctx.labels()} l
                                  ON l.chain = v.chain AND l.address = v.dst
                                WHERE v.chain = m.chain AND v.src = m.address
                                  AND (l.chain, l.address) IN (SELECT chain, address FROM pt_exchange)),
                               CASE WHEN starts_with(m.entity, 'hub:') THEN 'an unlabelled exchange (' || m.entity || ')'
                                    ELSE m.entity END),
                      s.first_in, s.last_out
               FROM pt_mules m LEFT JOIN {seen_sql("pt_mules")} s USING (chain, address)"""
        ).fetchall()
        ev = collect(
            con,
            f"""SELECT v.chain, v.address, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                       CASE WHEN v.incoming THEN 'received scam-tainted value' ELSE 'swept to exchange hot wallet' END,
                       CASE WHEN v.incoming THEN v.usd * u.share ELSE v.usd / 2 END
                FROM {touching_sql("pt_mules")} v
                LEFT JOIN pt_taint u ON u.chain = v.chain AND u.address = v.src
                WHERE NOT v.incoming OR u.share > 0""",
        )
        out = []
        for chain, addr, share, tainted, in_usd, sweeps, swept, exch, first, last in rows:
            why = (f"deposit account of {exch or 'an exchange'} ({sweeps} sweep(s), {usd(swept)}); "
                   f"{share:.0%} of its {usd(in_usd)} inflow is scam proceeds ({usd(tainted)})")
            out.append(Finding(chain, addr, "cash_out", self.id, min(1.0, 0.55 + 0.4 * share), first, last,
                               [self.help, why], ev.get((chain, addr), [])))
        return out


class OtcDesk(Detector):
    id = "otc_cash_out"
    concept = "otc_desk"
    help = (
        "OTC desk that took scam proceeds: a wallet labelled as an OTC desk or guarantee marketplace, or "
        f"shaped like one (at least {DESK_DEGREE} distinct payers and {DESK_DEGREE} distinct payees that are "
        "ordinary wallets, not the scam's own wallets, services or exchange accounts, or its payees include "
        f"{DESK_ACCOUNTS} or more distinct exchange deposit accounts: one whose counterparties are "
        "the scam's is its hub; most of its inflow not from collection wallets: one fed mostly by them is the "
        f"scam's consolidation wallet; at least {DESK_TAKEN:.0%} of what some scam wallet paid out: a busy wallet "
        "paid a sliver is not where the proceeds were sold), that "
        f"was paid directly by the scam's collection or laundering wallets ({DESK_SCAM_PAYERS} or more of "
        "them for an unlabelled one). The desk is where the proceeds "
        "were converted; it is an end point of the trace, so its ordinary customers are not flagged."
    )
    severity = "high"
    confidence = "low"
    roles = ("cash_out",)
    reads = CASH_OUT_READS
    writes = ("findings:otc_cash_out",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        t = flow_taint.taint(ctx)
        if not t.seeds.any():
            return []
        con = ctx.con
        # the hops only the time-ordered walk named laundering too: a desk paid by one took the ring's money (on
        # the simulator's style=random tuning worlds four desks were missed without them)
        store_pairs(con, "pt_scam_sources",
                    {(f.chain, f.address) for f in ctx.findings if f.role in ("scam_collection", "laundering")})
        store_pairs(con, "pt_scam_wallets",
                    {(f.chain, f.address) for f in ctx.findings if f.role in SCAM_WALLET_ROLES})
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_desks AS
                WITH paid_out AS (
                    SELECT e.chain, e.src, sum(e.usd) AS out_usd FROM pt_edges e
                    SEMI JOIN pt_scam_sources x ON x.chain = e.chain AND x.address = e.src GROUP BY ALL),
                direct AS (
                    SELECT e.chain, e.dst AS address, sum(e.usd) AS direct_usd, count(*) AS payers,
                           max(e.usd / nullif(o.out_usd, 0)) AS taken
                    FROM pt_edges e JOIN paid_out o ON o.chain = e.chain AND o.src = e.src
                    GROUP BY ALL),
                not_ordinary AS (
                    SELECT chain, address FROM pt_scam_wallets UNION SELECT chain, address FROM pt_services
                    UNION SELECT chain, address FROM pt_deposits UNION SELECT chain, address FROM pt_otc_labelled),
                sides AS (  -- per candidate, its distinct ordinary payers and payees, and the exchange accounts it paid
                    SELECT x.chain, x.address,
                           count(DISTINCT x.other) FILTER (WHERE x.incoming AND o.address IS NULL) AS ordinary_payers,
                           count(DISTINCT x.other) FILTER (WHERE NOT x.incoming AND o.address IS NULL) AS ordinary_payees,
                           count(DISTINCT x.other) FILTER (WHERE NOT x.incoming AND a.address IS NOT NULL) AS accounts
                    FROM (SELECT e.chain, e.dst AS address, e.src AS other, true AS incoming FROM pt_edges e
                          SEMI JOIN direct d ON d.chain = e.chain AND d.address = e.dst
                          UNION ALL
                          SELECT e.chain, e.src, e.dst, false FROM pt_edges e
                          SEMI JOIN direct d ON d.chain = e.chain AND d.address = e.src) x
                    LEFT JOIN not_ordinary o ON o.chain = x.chain AND o.address = x.other
                    LEFT JOIN pt_deposits a ON a.chain = x.chain AND a.address = x.other
                    GROUP BY ALL)
                SELECT t.*, d.direct_usd, d.payers,
                       EXISTS (SELECT 1 FROM pt_otc_labelled o WHERE o.chain = t.chain AND o.address = t.address)
                           AS labelled
                FROM pt_taint t JOIN direct d ON d.chain = t.chain AND d.address = t.address
                WHERE NOT t.seed AND d.direct_usd >= {MIN_TAINTED_USD}
                  AND (d.payers >= {DESK_SCAM_PAYERS}
                       OR EXISTS (SELECT 1 FROM pt_otc_labelled o WHERE o.chain = t.chain AND o.address = t.address))
                  AND NOT EXISTS (SELECT 1 FROM pt_deposits x WHERE x.chain = t.chain AND x.address = t.address)
                  AND (EXISTS (SELECT 1 FROM pt_otc_labelled o WHERE o.chain = t.chain AND o.address = t.address)
                       OR (t.in_degree >= {DESK_DEGREE} AND t.out_degree >= {DESK_DEGREE} AND t.sink
                           AND d.taken >= {DESK_TAKEN}
                           AND NOT EXISTS (SELECT 1 FROM pt_services s WHERE s.chain = t.chain AND s.address = t.address)
                           AND EXISTS (SELECT 1 FROM sides o WHERE o.chain = t.chain AND o.address = t.address
                                         AND o.ordinary_payers >= {DESK_DEGREE}
                                         AND (o.ordinary_payees >= {DESK_DEGREE} OR o.accounts >= {DESK_ACCOUNTS}))))"""
        )
        rows = con.execute(
            f"""SELECT chain, address, d.share, d.direct_usd, d.payers, d.in_degree, d.out_degree, d.labelled,
                       s.first_in, s.last_in
                FROM pt_desks d LEFT JOIN {seen_sql("pt_desks")} s USING (chain, address)"""
        ).fetchall()
        ev = collect(con, paid_by_sql("pt_desks", "pt_scam_sources", "paid by a scam wallet"))
        out = []
        for chain, addr, share, direct, payers, n_in, n_out, labelled, first, last in rows:
            what = "labelled OTC desk" if labelled else f"desk-shaped wallet ({n_in} payers, {n_out} payees)"
            why = f"{what} paid {usd(direct)} directly by {payers} scam wallet(s)"
            out.append(Finding(chain, addr, "cash_out", self.id, 0.8 if labelled else 0.6, first, last,
                               [self.help, why], ev.get((chain, addr), [])))
        return out


# victim_fed_laundering reads platform_payout's victims; the cash-out detectors read its collection wallets.
DETECTORS = [VictimFedLaundering, MuleDeposit, OtcDesk]
