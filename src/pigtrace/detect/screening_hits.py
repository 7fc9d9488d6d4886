"""Screening hits: labelled scam and sanctioned addresses active in the ledger, and who paid them.

Runs first, so the detectors after it (laundering and cash-out walk forward from scam wallets) can start
from what public labels already say. A label alone does not say which role an address plays here, so
the role comes from what the ledger shows:

- a labelled scam address (``labels/taxonomy.SCAM_CONCEPTS``) that received real value from people is a
  scam_collection wallet, one that only sends is a scam_operator; its own senders who paid it more than
  it ever paid them are victims (a scam's small "profit" payments do not make up for the deposits);
- a sanctioned address (concept ``sanction``) that received value from a labelled scam address is a
  cash_out point (sanctioned exchanges, OTC desks and 'guarantee' marketplaces are where scam money
  leaves); a sanction alone is a screening matter (``pigtrace screen``), not a role in the scam.

An address that also carries a service label (exchange, DEX, bridge ...) is never a finding.
In a behaviour-only analysis (``AnalysisContext.behaviour_only``) the labels it reads hold no scam or
sanction label, so it finds nothing.
"""

from __future__ import annotations

from typing import Any

from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.drain_evidence import EVIDENCE_SQL, FindingSet, rows, transfer_item
from pigtrace.detect.drain_services import chain_filter
from pigtrace.labels.taxonomy import CONFIDENCE, SCAM_CONCEPTS

DUST_USD = 1.0


def _list(values) -> str:
    return "[" + ", ".join(f"'{v}'" for v in sorted(values)) + "]"


class ScreeningHits(Detector):
    id = "screening_hits"
    concept = "scam"
    help = (
        "Screening hit: the address carries a public scam label (phishing, pig butchering, approval "
        "phishing, collection wallet ...) or a sanction, and the ledger shows it at work. A labelled scam "
        "address that received money is a scam collection wallet (one that only sends, a scam operator); "
        "people who paid it more than it paid them are victims; a sanctioned address that received money "
        "from a labelled scam address is a cash-out point. Addresses that also carry a service label are "
        "left out."
    )
    severity = "high"
    confidence = "medium"
    roles = ("victim", "scam_collection", "scam_operator", "cash_out")
    reads = ("transfers", "labels", "pt_services", "pt_token_info")
    writes = ("findings:screening_hits",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        where, params = chain_filter(ctx, "l.chain")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_screen_labels AS
            SELECT l.chain, l.address,
                   bool_or(list_has_any(l.concepts, {_list(SCAM_CONCEPTS)})) AS scam,
                   bool_or(list_contains(l.concepts, 'sanction')) AS sanctioned,
                   string_agg(DISTINCT l.label || ' (' || l.pack || ')', '; ' ORDER BY l.label || ' (' || l.pack || ')') AS labels,
                   max(CASE l.confidence {' '.join(f"WHEN '{k}' THEN {v[0]}" for k, v in CONFIDENCE.items())}
                       ELSE 50 END) / 100.0 AS confidence
            FROM {ctx.labels()} l
            WHERE {where}
              AND (list_has_any(l.concepts, {_list(SCAM_CONCEPTS)}) OR list_contains(l.concepts, 'sanction'))
              AND NOT EXISTS (SELECT 1 FROM pt_services s WHERE s.chain = l.chain AND s.address = l.address
                              AND s.kind LIKE 'labelled %')
            GROUP BY l.chain, l.address""",
            params,
        )
        real = f"t.kind IN ('erc20', 'trc20', 'native') AND coalesce(t.usd, 0) >= {DUST_USD}"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_screen_flows AS
            WITH flows AS (
                SELECT t.chain, t.tx_hash, t.log_index, t.time, t.usd, t.initiator, s.address AS hit,
                       t.from_address AS other, 'in' AS dir, t.initiator = t.from_address AS sent_by_other
                FROM transfers t JOIN pt_screen_labels s ON s.chain = t.chain AND s.address = t.to_address
                WHERE {real}
                UNION ALL
                SELECT t.chain, t.tx_hash, t.log_index, t.time, t.usd, t.initiator, s.address, t.to_address, 'out',
                       false
                FROM transfers t JOIN pt_screen_labels s ON s.chain = t.chain AND s.address = t.from_address
                WHERE {real} AND t.initiator = t.from_address)
            SELECT f.*, v.address IS NOT NULL AS other_is_service, coalesce(o.scam, false) AS other_is_scam
            FROM flows f
            LEFT JOIN pt_services v ON v.chain = f.chain AND v.address = f.other
            LEFT JOIN pt_screen_labels o ON o.chain = f.chain AND o.address = f.other"""
        )
        # One row per (address, role) to report, with the flows that prove it.
        con.execute(
            """CREATE OR REPLACE TEMP TABLE pt_screen_roles AS
            WITH people AS (SELECT * FROM pt_screen_flows WHERE NOT other_is_service AND NOT other_is_scam),
            net AS (
                SELECT chain, hit, other, sum(usd) FILTER (WHERE dir = 'in') AS paid_in,
                       coalesce(sum(usd) FILTER (WHERE dir = 'out'), 0) AS paid_back,
                       bool_or(dir = 'in' AND sent_by_other) AS sent_themselves
                FROM people GROUP BY ALL),
            collecting AS (SELECT DISTINCT chain, hit FROM people WHERE dir = 'in')
            SELECT f.chain, f.hit AS address, 'scam_collection' AS role, f.hit, f.tx_hash, f.log_index, f.time
            FROM people f JOIN pt_screen_labels s ON s.chain = f.chain AND s.address = f.hit
            WHERE s.scam AND f.dir = 'in'
            UNION ALL
            SELECT f.chain, f.hit, 'scam_operator', f.hit, f.tx_hash, f.log_index, f.time
            FROM pt_screen_flows f JOIN pt_screen_labels s ON s.chain = f.chain AND s.address = f.hit
            WHERE s.scam AND f.dir = 'out'
              AND NOT EXISTS (SELECT 1 FROM collecting c WHERE c.chain = f.chain AND c.hit = f.hit)
            UNION ALL
            SELECT f.chain, f.other, 'victim', f.hit, f.tx_hash, f.log_index, f.time
            FROM people f JOIN pt_screen_labels s ON s.chain = f.chain AND s.address = f.hit
            JOIN net n ON n.chain = f.chain AND n.hit = f.hit AND n.other = f.other
            WHERE s.scam AND f.dir = 'in' AND n.sent_themselves AND n.paid_in > n.paid_back
            UNION ALL
            SELECT f.chain, f.hit, 'cash_out', f.hit, f.tx_hash, f.log_index, f.time
            FROM pt_screen_flows f JOIN pt_screen_labels s ON s.chain = f.chain AND s.address = f.hit
            WHERE s.sanctioned AND NOT s.scam AND f.dir = 'in' AND f.other_is_scam"""
        )
        hits = rows(
            con,
            f"""SELECT r.chain, r.address, r.role, r.hit, s.labels, s.confidence, {EVIDENCE_SQL}
                FROM pt_screen_roles r
                JOIN pt_screen_labels s ON s.chain = r.chain AND s.address = r.hit
                JOIN transfers t ON t.chain = r.chain AND t.tx_hash = r.tx_hash AND t.log_index = r.log_index
                LEFT JOIN pt_token_info ti ON ti.chain = t.chain AND ti.token = t.token
                QUALIFY row_number() OVER (PARTITION BY r.chain, r.address, r.role ORDER BY t.time, t.tx_hash, t.log_index) <= 20
                ORDER BY t.time, t.tx_hash, t.log_index""",
        )
        return _findings(hits, self.id, self.help)


_NOTES = {
    "scam_collection": "payment into labelled scam address {hit}",
    "scam_operator": "sent by labelled scam address {hit}",
    "victim": "payment to labelled scam address {hit}",
    "cash_out": "labelled scam money into sanctioned address {hit}",
}
_BASE = {"scam_collection": 0.6, "scam_operator": 0.5, "victim": 0.5, "cash_out": 0.6}


def _findings(hits: list[dict[str, Any]], typology: str, help_text: str) -> list[Finding]:
    acc = FindingSet(typology, help_text)
    for h in hits:
        role, hit = h["role"], h["hit"]
        usd = f"{h['usd']:,.2f} USD" if h["usd"] is not None else "value"
        reason = (f"tx {h['tx_hash']}: {h['from_address']} sent {usd} to {h['to_address']}; "
                  f"{hit} is labelled {h['labels']}")
        acc.add(h["chain"], h["address"], role, _BASE[role] + 0.35 * h["confidence"], f"label:{hit}", h["time"],
                reason, transfer_item(h, _NOTES[role].format(hit=hit)))
    return acc.findings()


DETECTORS = [ScreeningHits]
