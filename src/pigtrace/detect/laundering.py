"""Laundering: the scam-controlled wallets that move proceeds from the collection wallets towards
cash-out (consolidation, peel-chain hops, splitters, fast pass-through), and the wallets that pay the
scam wallets' gas. Built on the haircut taint walk (flow_taint)."""

from __future__ import annotations

import duckdb

from pigtrace.detect import flow_services, flow_taint
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.flow_evidence import collect, paid_by_sql, seen_sql, touching_sql, usd
from pigtrace.detect.flow_taint import store_pairs
from pigtrace.detect.gas import describe as gas_limits, gas_topup_sql

# Scam-controlled: most of what the wallet ever received is scam money (a market maker, OTC desk or
# merchant that got some scam money has mostly clean inflow and stays below this).
MIN_SHARE = 0.5
# It is an intermediate: it sent on at least half of what it received (a wallet that keeps the money is
# an end point, not a hop).
MIN_FORWARDED = 0.5
# Dust (flow_taint.enough_taint_sql) and desk-shaped wallets (flow_taint makes them sinks, so never
# laundering, except a consolidation wallet fed mostly by collection wallets) are decided in flow_taint.


class Laundering(Detector):
    id = "laundering"
    concept = "money_laundering"
    help = (
        "Laundering wallet: it received scam proceeds (traced forward from the collection wallets with a "
        f"proportional 'haircut' taint, so busy services dilute rather than spread it, or in time order with "
        f"each wallet passing scam money on before its own), at least {MIN_SHARE:.0%} of everything it ever "
        f"received came from the scam (by either trace), and it passed at least "
        f"{MIN_FORWARDED:.0%} of it on: consolidation (collects from several scam wallets), peel-chain hop "
        "(passes most on and peels off a little), splitter (fans out), or fast pass-through. Exchanges, DEX "
        "pools, bridges and exchange deposit accounts are end points, never laundering."
    )
    severity = "high"
    confidence = "medium"
    roles = ("laundering",)
    # the taint walk starts from the collection wallets and victims the scam detectors found
    reads = ("pt_value", "pt_services", "pt_deposits", "pt_otc_labelled", "pt_swap_returns", "pt_nodes", "pt_edges",
             "pt_own_accounts", "pt_token_info", "findings:screening_hits", "findings:approval_drain", "findings:fake_platform", "findings:collection_evidence", "findings:poisoning")
    writes = ("findings:laundering",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        t = flow_taint.taint(ctx)
        if not t.seeds.any():
            return []
        return self._launderers(ctx, set())

    def _launderers(self, ctx: AnalysisContext, skip: set[tuple[str, str]]) -> list[Finding]:
        """Laundering findings from the current taint (``pt_taint``), except the wallets in ``skip``."""
        con = ctx.con
        store_pairs(con, "pt_known_victims",
                    {(f.chain, f.address) for f in ctx.findings if f.role == "victim"} | skip)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_launder AS
                SELECT t.*,
                       (SELECT count(*) FROM pt_edges e JOIN pt_taint u ON u.idx = e.s
                        WHERE e.d = t.idx AND u.share >= {MIN_SHARE}) AS tainted_senders,
                       (SELECT max(e.usd) FROM pt_edges e WHERE e.s = t.idx) / nullif(t.out_usd, 0) AS main_out
                FROM pt_taint t
                WHERE NOT t.seed AND NOT t.sink AND {flow_taint.enough_taint_sql("t")}
                  AND greatest(t.share, t.passed_in / nullif(t.in_usd, 0)) >= {MIN_SHARE}
                  AND t.out_usd >= {MIN_FORWARDED} * t.in_usd
                  AND NOT EXISTS (SELECT 1 FROM pt_known_victims k WHERE k.chain = t.chain
                                  AND k.address = t.address)"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_launder_hold AS
               WITH i AS (SELECT v.chain, v.dst AS a, v.dst_ref AS k, v.time FROM {flow_services.value_of("pt_launder", "address", "dst")} v),
                    o AS (SELECT v.src_ref AS k, v.time FROM {flow_services.value_of("pt_launder", "address", "src")} v)
               SELECT i.chain, i.a AS address, median(coalesce(epoch(o.time - i.time) / 3600.0, 1e9)) AS hold_h,
                      min(i.time) AS first_t
               FROM i ASOF LEFT JOIN o ON i.k = o.k AND o.time >= i.time GROUP BY ALL"""
        )
        rows = con.execute(
            f"""SELECT l.chain, l.address, greatest(l.share, l.passed_in / nullif(l.in_usd, 0)),
                      greatest(l.tainted_in, l.passed_in), l.in_usd, l.out_usd, l.tainted_senders,
                      l.out_degree, l.main_out, h.hold_h, s.first_in, s.last_out
               FROM pt_launder l LEFT JOIN pt_launder_hold h USING (chain, address)
               LEFT JOIN {seen_sql("pt_launder")} s USING (chain, address)"""
        ).fetchall()
        ev = collect(
            con,
            f"""SELECT v.chain, v.address, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount, v.usd,
                       CASE WHEN v.incoming THEN 'received scam proceeds (' || round(100 * u.share) || '% tainted sender)'
                            ELSE 'passed on' END AS note,
                       v.usd * CASE WHEN v.incoming THEN u.share ELSE 0.5 END AS rank_key
                FROM {touching_sql("pt_launder")} v
                LEFT JOIN pt_taint u ON u.chain = v.chain AND u.address = v.src
                WHERE NOT v.incoming OR u.share > 0""",
        )
        out = []
        for (chain, addr, share, tainted, in_usd, out_usd, senders, out_deg, main_out, hold, first,
             last) in rows:
            if senders >= 2:
                kind = f"consolidation: collects from {senders} scam wallets"
            elif out_deg >= 3 and (main_out or 0) < 0.6:
                kind = f"splitter: fans out to {out_deg} wallets"
            elif out_deg >= 2:
                kind = f"peel-chain hop: passes {main_out or 0:.0%} on to one wallet and peels off the rest"
            else:
                kind = "pass-through"
            if hold is not None and hold < 1e8:
                kind += f"; median {hold:.1f} h from receiving to sending on"
            why = (f"{share:.0%} of its {usd(in_usd)} inflow is scam proceeds ({usd(tainted)}); "
                   f"sent on {usd(out_usd)}; {kind}")
            score = min(1.0, 0.5 + 0.4 * share + (0.05 if senders >= 2 or out_deg >= 2 else 0))
            out.append(Finding(chain, addr, "laundering", self.id, score, first, last, [self.help, why],
                               ev.get((chain, addr), [])))
        return out


class VictimFedLaundering(Laundering):
    """Runs after the detectors that find victims late (platform_payout): a collection wallet that no
    earlier detector named but that known victims paid and that swept their money on seeds the walk too."""

    id = "victim_fed_laundering"
    help = (
        "Laundering traced from a victim-fed collection wallet: a wallet that no platform, drain or "
        f"poisoning detector named, but that {flow_taint.VICTIM_PAYERS} or more known victims paid (their "
        f"payments at least {flow_taint.VICTIM_FED:.0%} of everything it received) and that swept at least "
        f"{flow_taint.SWEPT:.0%} of it on, is the scam's collection wallet; its outflow is traced like any "
        "collection wallet's. " + Laundering.help
    )
    confidence = "low"
    roles = ("scam_collection", "laundering")
    # also the victims platform_payout found late, and the laundering wallets already named
    reads = Laundering.reads + ("findings:laundering", "findings:gas_funder", "findings:platform_payout")
    writes = ("findings:victim_fed_laundering",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        t = flow_taint.taint(ctx)
        if not t.victim_fed.any():
            return []
        con = ctx.con
        con.execute("CREATE OR REPLACE TEMP TABLE pt_victim_fed AS SELECT * FROM pt_taint WHERE victim_fed")
        rows = con.execute(
            f"""SELECT t.chain, t.address, t.in_usd, t.out_usd, v.payers, v.victim_usd, s.first_in, s.last_out
                FROM pt_victim_fed t
                JOIN (SELECT e.chain, e.dst AS address, count(*) AS payers, sum(e.usd) AS victim_usd
                      FROM pt_edges e SEMI JOIN pt_seed_victims k ON k.chain = e.chain AND k.address = e.src
                      GROUP BY ALL) v USING (chain, address)
                LEFT JOIN {seen_sql("pt_victim_fed")} s USING (chain, address)"""
        ).fetchall()
        ev = collect(con, paid_by_sql("pt_victim_fed", "pt_seed_victims", "paid by a known victim"))
        out = []
        for chain, addr, in_usd, out_usd, payers, victim_usd, first, last in rows:
            why = (f"paid {usd(victim_usd)} by {payers} known victims ({victim_usd / max(in_usd, 1e-9):.0%} of "
                   f"its {usd(in_usd)} inflow) and swept {usd(out_usd)} on")
            out.append(Finding(chain, addr, "scam_collection", self.id, 0.7, first, last, [self.help, why],
                               ev.get((chain, addr), [])))
        done = {(f.chain, f.address) for f in ctx.findings if f.role == "laundering"}
        return out + self._launderers(ctx, done)


# A common gas funder: its top-ups reached at least MIN_FUNDED scam wallets, and at least MIN_FUNDED_SHARE of
# the wallets it fuelled are scam wallets or linked to them (see _linked): a friend or a faucet topping up
# two scam wallets among many others is not the ring's.
MIN_FUNDED = 2
MIN_FUNDED_SHARE = 0.5
# ... linked: at least this share of what the wallet sent went to the funder's other wallets or to scam
# wallets. A ring whose victims pay from exchange accounts and whose deposit wallets hold for months gives
# the other detectors two or three of its wallets (on simulator style=random tuning seeds 15-30, three
# funders reached 4 of 11, 7 of 22 and 5 of 15 found wallets; 9, 20 and 14 of them were found or linked)
LINKED_SHARE = 0.5


class GasFunder(Detector):
    id = "gas_funder"
    concept = "pig_butchering"
    help = (
        "Common gas funder: a wallet that sent small amounts of the chain's native coin (gas money, at "
        f"most {gas_limits()} each) to {MIN_FUNDED} or more of the scam's wallets (collection, "
        "laundering, drain operators), with most of its gas top-ups going to scam wallets or to wallets that "
        "pass most of what they send on to the scam's wallets or to each other. Whoever keeps "
        "the scam's wallets able to move tokens runs them. Exchanges' withdrawals are never counted."
    )
    severity = "medium"
    confidence = "medium"
    roles = ("scam_operator",)
    reads = ("transfers", "pt_value", "pt_services", "pt_deposits", "pt_token_info",
             "findings:screening_hits", "findings:approval_drain", "findings:fake_platform", "findings:collection_evidence", "findings:poisoning",
             "findings:laundering")
    writes = ("findings:gas_funder",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        scam = sorted({(f.chain, f.address) for f in ctx.findings
                       if f.role in ("scam_collection", "laundering", "scam_operator")})
        if not scam:
            return []
        store_pairs(con, "pt_scam_wallets", scam)
        store_pairs(con, "pt_known_victims", {(f.chain, f.address) for f in ctx.findings if f.role == "victim"})
        svc = flow_services.is_service_sql("t", "from_address")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_gas AS
                SELECT t.chain, t.tx_hash, t.time, t.from_address AS src, t.to_address AS dst, t.token, t.amount,
                       t.usd, EXISTS (SELECT 1 FROM pt_scam_wallets w WHERE w.chain = t.chain
                                      AND w.address = t.to_address) AS to_scam
                FROM transfers t
                WHERE {gas_topup_sql("t")} AND t.from_address <> t.to_address
                  AND t.from_address IN (SELECT DISTINCT g.from_address
                                         FROM {flow_services.rows_touching("transfers", "to_ref", "pt_scam_wallets", "address")} g
                                         SEMI JOIN pt_scam_wallets w ON w.chain = g.chain AND w.address = g.to_address
                                         WHERE g.kind = 'native')
                  AND NOT {svc}
                  AND NOT EXISTS (SELECT 1 FROM pt_scam_wallets w WHERE w.chain = t.chain AND w.address = t.from_address)
                  AND NOT EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = t.chain AND d.address = t.from_address)
                  AND NOT EXISTS (SELECT 1 FROM pt_known_victims k WHERE k.chain = t.chain
                                  AND k.address = t.from_address)"""
        )
        _linked(con)
        rows = con.execute(
            f"""SELECT g.chain, g.src, count(DISTINCT g.dst) FILTER (WHERE g.to_scam), count(DISTINCT g.dst),
                       count(DISTINCT g.dst) FILTER (WHERE k.w IS NOT NULL), min(g.time), max(g.time)
                FROM pt_gas g LEFT JOIN pt_gas_linked k ON k.chain = g.chain AND k.src = g.src AND k.w = g.dst
                GROUP BY g.chain, g.src
                HAVING count(DISTINCT g.dst) FILTER (WHERE g.to_scam) >= {MIN_FUNDED}
                   AND count(DISTINCT g.dst) FILTER (WHERE g.to_scam OR k.w IS NOT NULL)
                       >= {MIN_FUNDED_SHARE} * count(DISTINCT g.dst)"""
        ).fetchall()
        if not rows:
            return []
        ev = collect(
            con,
            """SELECT chain, src AS address, tx_hash, time, src, dst, token, amount, usd,
                      'gas top-up to a scam wallet', usd AS rank_key FROM pt_gas WHERE to_scam""",
        )
        return [
            Finding(chain, src, "scam_operator", self.id, 0.8, first, last,
                    [self.help, f"topped up gas for {n} scam wallets ({n} of the {total} wallets it funded)"
                     + (f"; {linked} more of them passed most of what they sent on to the wallets it fuelled or to "
                        "scam wallets" if linked else "")],
                    ev.get((chain, src), []))
            for chain, src, n, total, linked, first, last in rows
        ]


def _linked(con: duckdb.DuckDBPyConnection) -> None:
    """pt_gas_linked (chain, src, w): the wallets a would-be funder (MIN_FUNDED or more of its top-ups reached
    scam wallets) fuelled that no detector named, but that passed at least LINKED_SHARE of the value they sent
    to other wallets the same funder fuelled or to scam wallets: its deposit wallets sweeping into its
    consolidation wallet, found or not. One wallet topping up the gas of wallets that feed one another is
    one operator's set of wallets, whatever the detectors made of each."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_gas_linked AS
            WITH funders AS (
                SELECT chain, src FROM pt_gas GROUP BY ALL
                HAVING count(DISTINCT dst) FILTER (WHERE to_scam) >= {MIN_FUNDED}),
            fuelled AS (
                SELECT DISTINCT g.chain, g.src, g.dst AS w, g.to_scam FROM pt_gas g
                SEMI JOIN funders f ON f.chain = g.chain AND f.src = g.src),
            sent AS (
                SELECT r.chain, r.src, r.w, v.usd,
                       (EXISTS (SELECT 1 FROM fuelled q WHERE q.chain = v.chain AND q.src = r.src AND q.w = v.dst)
                        OR EXISTS (SELECT 1 FROM pt_scam_wallets s WHERE s.chain = v.chain
                                   AND s.address = v.dst)) AS inside
                FROM fuelled r
                JOIN {flow_services.rows_touching("pt_value", "src_ref", "fuelled", "w")} v
                  ON v.chain = r.chain AND v.src = r.w
                WHERE NOT r.to_scam AND NOT {gas_topup_sql("v")})
            SELECT chain, src, w FROM sent GROUP BY ALL
            HAVING sum(usd) > 0 AND sum(usd) FILTER (WHERE inside) >= {LINKED_SHARE} * sum(usd)"""
    )


DETECTORS = [Laundering, GasFunder]
