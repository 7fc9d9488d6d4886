"""Approval drain ("DeFi savings / liquidity mining" pig butchering): detector and findings.

The victim grants a token allowance to a spender, receives small "interest" payments, tops up, and is
finally emptied by a ``transferFrom`` that the spender (or its operator) sends. ``drain_sql`` finds the
drains set-based over the whole ledger; this module turns the flagged addresses into findings:
the drained owners (victim), the receivers (scam_collection), and the spenders, drain senders,
interest payers (scam_operator). Their gas funders are found by laundering's gas_funder detector, which
runs after every scam detector.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.drain_evidence import EVIDENCE_SQL, FindingSet, rows, token_units, transfer_item
from pigtrace.detect.drain_sql import (EMPTIES, INTEREST_SHARE, MOST_OF_BALANCE, ONWARD_HOURS, ONWARD_SHARE,
                                      PLAN_OWNERS, find_drains)

MAX_INTEREST_SHOWN = 5  # interest payments listed per (owner, payer): enough to show the schedule


class ApprovalDrain(Detector):
    id = "approval_drain"
    concept = "approval_phishing"
    help = (
        "Approval drain: an owner granted a token allowance to a spender, and later a transferFrom sent by "
        "the spender (or its operator, not the owner) took most of the owner's balance of that token while "
        "nothing came back to the owner in that transaction (a solver-settled swap or trade returns the "
        "bought token), no swap ran in it, and the tokens did not stay with the contract the transaction "
        "called (a vault or bridge taking custody), unless the owner was paid 'interest' first. "
        "Subscriptions are left out: the same amount pulled again from "
        f"the same owner, or from {PLAN_OWNERS} or more owners (a plan's price). Further signals: the spender "
        "or receiver did this to several owners; the owner got small 'interest' payments (at most "
        f"{INTEREST_SHARE:.0%} of the drain) from the scam side between approval and drain; the spender is a "
        f"plain account rather than a contract; the receiver passed at least {ONWARD_SHARE:.0%} of it on within "
        f"{ONWARD_HOURS} hours (a sweep to consolidation). A pull that empties the balance ({EMPTIES:.0%} or "
        f"more) needs one of them; one that takes more than {MOST_OF_BALANCE:.0%} needs the interest payments and "
        "another. The drained owner is a victim, the receiver a scam collection wallet, the spender, drain "
        "sender and interest payers scam operators. Where the source has no approval records at all (TronGrid's "
        "TRC-20 transfers), a transfer out of an owner signed by someone else is itself the proof of an "
        "allowance: the first such pull implies the owner approved the signer (or the contract it called), "
        "dated from the owner's first receipt of the token, and the same rules apply."
    )
    severity = "high"
    confidence = "high"
    roles = ("victim", "scam_collection", "scam_operator")
    reads = ("transfers", "approvals", "transactions", "swaps", "tokens", "pt_services", "pt_eoas", "pt_token_info")
    writes = ("findings:approval_drain",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        if not find_drains(ctx):
            return []
        con = ctx.con
        drains = rows(
            con,
            f"""SELECT d.chain, d.owner, d.receiver, d.spender, d.initiator, d.ring, d.fraction, d.support,
                       d.ring_owners, d.interest_paid, d.spender_is_eoa, d.moved_on, d.approval_tx, d.approval_time,
                       d.unlimited, d.approval_kind, {EVIDENCE_SQL}
                FROM pt_drains d
                JOIN transfers t ON t.chain = d.chain AND t.tx_hash = d.tx_hash AND t.log_index = d.log_index
                LEFT JOIN pt_token_info ti ON ti.chain = t.chain AND ti.token = t.token
                ORDER BY t.time, t.tx_hash, t.log_index""",
        )
        approvals = rows(
            con,
            """SELECT DISTINCT a.chain, a.tx_hash, a.time, a.owner AS from_address, a.spender AS to_address,
                      a.token, a.unlimited OR (a.amount IS NULL AND a.amount_text IS NOT NULL) AS unlimited,
                      coalesce(a.amount::VARCHAR, a.amount_text) AS raw_amount, ti.decimals, ti.symbol,
                      NULL::DOUBLE AS usd
               FROM approvals a
               JOIN (SELECT DISTINCT chain, approval_tx FROM pt_drains) d
                 ON d.chain = a.chain AND d.approval_tx = a.tx_hash
               LEFT JOIN pt_token_info ti ON ti.chain = a.chain AND ti.token = a.token""",
        )
        interest = rows(
            con,
            f"""WITH shown AS (
                    SELECT DISTINCT chain, owner, payer, spender, tx_hash, log_index, time FROM pt_drain_interest i
                    WHERE EXISTS (SELECT 1 FROM pt_drains d WHERE d.chain = i.chain AND d.owner = i.owner
                                  AND d.spender = i.spender)
                    QUALIFY row_number() OVER (PARTITION BY chain, owner, payer ORDER BY time, tx_hash, log_index) <= {MAX_INTEREST_SHOWN})
                SELECT i.chain, i.owner, i.payer, i.spender, {EVIDENCE_SQL}
                FROM shown i
                JOIN transfers t ON t.chain = i.chain AND t.tx_hash = i.tx_hash AND t.log_index = i.log_index
                LEFT JOIN pt_token_info ti ON ti.chain = t.chain AND ti.token = t.token
                ORDER BY t.time, t.tx_hash, t.log_index""",
        )
        return _findings(drains, approvals, interest, self.id, self.help)


def _score(d: dict[str, Any]) -> float:
    s = 0.55 + 0.12 * d["support"]
    if d["fraction"] is not None and d["fraction"] >= EMPTIES:
        s += 0.1
    return s


def _findings(drains, approvals, interest, typology: str, help_text: str) -> list[Finding]:
    acc = FindingSet(typology, help_text)
    approval_ev = {}
    for a in approvals:
        amount = "unlimited" if a["unlimited"] else token_units(a["raw_amount"], a["decimals"])
        approval_ev[(a["chain"], a["tx_hash"])] = {
            **transfer_item(a, f"{a['from_address']} approved {a['to_address']} to spend its "
                               f"{a['symbol'] or a['token']}"),
            "amount": amount,
        }
    rings: dict[tuple[str, str], str] = {}
    owner_score: dict[tuple[str, str], float] = defaultdict(float)
    for d in drains:
        chain, share = d["chain"], d["fraction"]
        took = f"{share:.0%} of its balance" if share is not None else "more than the ledger shows it received"
        what = f"{token_units(d['raw_amount'], d['decimals'])} {d['symbol'] or d['token']}"
        if d["usd"] is not None:
            what += f" (~{d['usd']:,.0f} USD)"
        signals = [s for s, on in [
            (f"the spender or receiver took from {d['ring_owners']} owners", d["ring_owners"] >= 2),
            ("the owner got 'interest' payments from the scam side first", d["interest_paid"]),
            ("the spender is a plain account, not a contract", d["spender_is_eoa"]),
            ("the receiver passed the money on within days", d["moved_on"]),
        ] if on]
        implied = d["approval_kind"] == "implied"
        detail = f"tx {d['tx_hash']}: {d['initiator']} moved {what} out of {d['owner']} to {d['receiver']}, {took}; " \
                 f"nothing came back; " + "; ".join(signals)
        if implied:
            detail += "; the allowance is implied by the pull (the source has no approval records)"
        score = _score(d)
        how = (f"; no approval is on record for this chain: a pull signed by someone other than the owner proves "
               f"{d['owner']} had allowed {d['spender']}") if implied else ""
        ev_drain = transfer_item(d, f"drain: transferFrom sent by {d['initiator']}, took {took}{how}")
        ev_approval = approval_ev.get((chain, d["approval_tx"]))
        for address, role, ev in [
            (d["owner"], "victim", [ev_approval, ev_drain]),
            (d["receiver"], "scam_collection", [ev_drain]),
            (d["spender"], "scam_operator", [ev_approval, ev_drain]),
            (d["initiator"], "scam_operator", [ev_drain]),
        ]:
            if role == "scam_operator" and address == d["owner"]:
                continue
            for e in ev:
                acc.add(chain, address, role, score, d["ring"], d["time"], detail, e)
        rings[(chain, d["owner"])] = d["ring"]
        owner_score[(chain, d["owner"])] = max(owner_score[(chain, d["owner"])], score)
    for i in interest:
        key = (i["chain"], i["owner"])
        note = f"'interest' payment from {i['payer']} to {i['owner']} before the drain"
        acc.add(i["chain"], i["owner"], "victim", owner_score[key], rings[key], i["time"],
                f"{i['owner']} received small payments from the scam side before being drained", transfer_item(i, note))
        acc.add(i["chain"], i["payer"], "scam_operator", owner_score[key], rings[key], i["time"],
                f"{i['payer']} paid small 'interest' to drained owner {i['owner']} before the drain "
                f"(tx {i['tx_hash']})",
                transfer_item(i, note))
    return acc.findings()


DETECTORS = [ApprovalDrain]
