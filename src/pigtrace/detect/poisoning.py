"""Address poisoning: detector and findings.

Right after an owner's real transfer, a third party plants a look-alike of the counterparty (same first
and last characters) in the owner's history -- a zero-value ``transferFrom`` "from" the owner, dust, or a
fake token -- hoping the owner copies it next time. ``poison_sql`` finds the planted transfers and the
later payments set-based; this module turns them into findings: owners who then paid a look-alike
(victim), the look-alikes that were paid (scam_collection), and the poisoners and their unpaid
look-alikes (scam_operator). Owners who merely received the dust are not findings.
"""

from __future__ import annotations

from typing import Any

from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.drain_evidence import EVIDENCE_SQL, FindingSet, rows, transfer_item
from pigtrace.detect.poison_sql import DUST_USD, MIN_END, MIN_MATCH, WINDOW_DAYS, find_poisoning


class AddressPoisoning(Detector):
    id = "poisoning"
    concept = "address_poisoning"
    help = (
        "Address poisoning: within "
        f"{WINDOW_DAYS} days after an owner's real transfer with a counterparty, someone other than the owner "
        f"made a transfer of no value (zero, dust under {DUST_USD:g} USD, or a token outside the asset registry) "
        "between the owner and an address that imitates that counterparty's first and last characters "
        f"({MIN_END}+ at each end, {MIN_MATCH}+ in all: 1 chance in 268 million; on Tron in the base58 text "
        "after the fixed 'T' or in the address's 20 bytes written in hex), so that the look-alike shows "
        "in the owner's history. Owners who then paid the look-alike are victims and the paid look-alike a "
        "scam collection wallet; the senders of the planted transfers, look-alikes nobody paid and fake "
        "tokens made for the planting (an unregistered token with a real token's symbol, or one that moves "
        "mostly in planted transfers) are scam operators. Owners who only received the dust are not findings."
    )
    severity = "high"
    confidence = "high"
    roles = ("victim", "scam_collection", "scam_operator")
    reads = ("transfers", "tokens", "pt_services", "pt_token_info", "pt_registry_tokens")
    writes = ("findings:poisoning",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        if not find_poisoning(ctx):
            return []
        con = ctx.con
        events = rows(
            con,
            f"""WITH ranked AS (
                    SELECT e.*, row_number() OVER (PARTITION BY e.chain, e.lookalike ORDER BY e.time) AS n_l,
                           row_number() OVER (PARTITION BY e.chain, e.initiator ORDER BY e.time) AS n_i
                    FROM pt_poison_events e)
                SELECT e.chain, e.owner, e.lookalike, e.initiator, e.imitated, e.how, e.outgoing,
                       e.head, e.tail, e.form,
                       f.token AS fake_token, f.symbol AS fake_symbol, f.impersonates, {EVIDENCE_SQL}
                FROM ranked e
                JOIN transfers t ON t.chain = e.chain AND t.tx_hash = e.tx_hash AND t.log_index = e.log_index
                LEFT JOIN pt_token_info ti ON ti.chain = t.chain AND ti.token = t.token
                LEFT JOIN pt_poison_fake_tokens f ON f.chain = e.chain AND f.token = e.token
                WHERE e.n_l <= 20 OR e.n_i <= 20 OR f.token IS NOT NULL
                   OR EXISTS (SELECT 1 FROM pt_poison_paid p WHERE p.chain = e.chain AND p.lookalike = e.lookalike)
                ORDER BY t.time, t.tx_hash, t.log_index""",
        )
        paid = rows(
            con,
            f"""SELECT p.chain, p.owner, p.lookalike, {EVIDENCE_SQL}
                FROM pt_poison_paid p
                JOIN transfers t ON t.chain = p.chain AND t.tx_hash = p.tx_hash AND t.log_index = p.log_index
                LEFT JOIN pt_token_info ti ON ti.chain = t.chain AND ti.token = t.token
                ORDER BY t.time, t.tx_hash, t.log_index""",
        )
        genuine = rows(
            con,
            f"""WITH wanted AS (SELECT DISTINCT e.chain, e.owner, e.imitated FROM pt_poison_events e
                                JOIN pt_poison_paid p ON p.chain = e.chain AND p.owner = e.owner
                                                     AND p.lookalike = e.lookalike)
                SELECT w.chain, w.owner, w.imitated, {EVIDENCE_SQL}
                FROM wanted w JOIN pt_poison_real r ON r.chain = w.chain AND r.owner = w.owner AND r.other = w.imitated
                JOIN transfers t ON t.chain = r.chain AND t.tx_hash = r.tx_hash AND t.log_index = r.log_index
                LEFT JOIN pt_token_info ti ON ti.chain = t.chain AND ti.token = t.token
                QUALIFY row_number() OVER (PARTITION BY w.chain, w.owner, w.imitated ORDER BY t.time, t.tx_hash, t.log_index) <= 3""",
        )
        return _findings(events, paid, genuine, self.id, self.help)


def _findings(events: list[dict[str, Any]], paid: list[dict[str, Any]], genuine: list[dict[str, Any]],
              typology: str, help_text: str) -> list[Finding]:
    acc = FindingSet(typology, help_text)
    paid_looks = {(p["chain"], p["lookalike"]) for p in paid}
    paid_pairs = {(p["chain"], p["owner"], p["lookalike"]) for p in paid}
    imitated: dict[tuple[str, str, str], str] = {}
    for e in events:
        chain, look = e["chain"], e["lookalike"]
        imitated[(chain, e["owner"], look)] = e["imitated"]
        head, tail = e["head"], e["tail"]
        chars = "hex characters of the address bytes" if e["form"] == "hex" else "characters"
        ring = f"poison:{e['initiator']}"
        direction = "from the owner to it" if e["outgoing"] else "from it to the owner"
        detail = (f"tx {e['tx_hash']}: {e['initiator']} made a {e['how']} transfer {direction}; {look} imitates "
                  f"{e['imitated']} (first {head} and last {tail} {chars}), a real counterparty of {e['owner']}")
        note = f"planted {e['how']} transfer: {look} imitates {e['imitated']}"
        ev = transfer_item(e, note)
        strength = min(0.15, 0.03 * (head + tail - MIN_MATCH))
        if (chain, look) in paid_looks:
            acc.add(chain, look, "scam_collection", 0.85 + strength, ring, e["time"], detail, ev)
        else:
            acc.add(chain, look, "scam_operator", 0.75 + strength, ring, e["time"], detail, ev)
        if e["fake_token"]:
            why = (f"an unregistered token named {e['fake_symbol']!r} like a real asset" if e["impersonates"]
                   else "an unregistered token that moves mostly in planted transfers")
            acc.add(chain, e["fake_token"], "scam_operator", 0.75, ring, e["time"],
                    f"{e['fake_token']} is {why}, used to plant look-alikes: {detail}", ev)
        if (chain, e["owner"], look) in paid_pairs:
            acc.add(chain, e["owner"], "victim", 0.9, ring, e["time"], detail, ev)
        if e["initiator"] not in (look, e["owner"]):
            acc.add(chain, e["initiator"], "scam_operator", 0.8 + strength, ring, e["time"],
                    f"{e['initiator']} sent look-alike transfers to owners: {detail}", ev)
    rings = {(f.chain, f.address): f.ring for f in acc.items.values()}
    for g in genuine:
        acc.add(g["chain"], g["owner"], "victim", 0.9, rings.get((g["chain"], g["owner"])), g["time"],
                f"{g['owner']} really dealt with {g['imitated']}",
                transfer_item(g, "the genuine counterparty being imitated"))
    for p in paid:
        chain, look = p["chain"], p["lookalike"]
        real = imitated.get((chain, p["owner"], look), "?")
        ring = rings.get((chain, look))
        detail = (f"tx {p['tx_hash']}: {p['owner']} paid the look-alike {look} instead of its real "
                  f"counterparty {real}")
        ev = transfer_item(p, f"payment to the look-alike of {real}")
        acc.add(chain, p["owner"], "victim", 0.95, ring, p["time"], detail, ev)
        acc.add(chain, look, "scam_collection", 0.95, ring, p["time"], detail, ev)
    victims = {(p["chain"], p["owner"]) for p in paid}
    return [f for f in acc.findings() if f.role != "victim" or (f.chain, f.address) in victims]


DETECTORS = [AddressPoisoning]
