"""Plain-language advice for the wallet's owner, and whom to report to.

Place in the flow: the last step of ``wallet.audit_wallet``; it reads only the audit's own result
(allowances with risk and revoke calls, flagged payments, look-alikes, exchanges reached), so the API's
"wallet check" page and the CLI say the same thing.

Written for someone frightened and not technical: short sentences, one idea each, the riskiest thing
first, no jargon without a plain word beside it. The revoke calls are given exactly (contract, function,
calldata) for the person or helper who makes them. Report targets are real and generic: the exchange the
money reached (when the warehouse shows it), national fraud reporting (IC3 in the US, Action Fraud in the
UK, and the local police elsewhere) and the chain's block explorer. No phone numbers, no promises.
"""

from __future__ import annotations

from pigtrace.chains.registry import get_chain

SPELLED_OUT = 5  # risky allowances explained one by one; the rest are counted
EXPLORERS = {"ethereum": "Etherscan (etherscan.io)", "bsc": "BscScan (bscscan.com)",
             "polygon": "PolygonScan (polygonscan.com)", "arbitrum": "Arbiscan (arbiscan.io)",
             "optimism": "Optimism Etherscan (optimistic.etherscan.io)", "base": "BaseScan (basescan.org)",
             "tron": "Tronscan (tronscan.org)"}
STABLECOINS = {"USDT": "Tether", "USDC": "Circle"}


def short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if address and len(address) > 12 else address


def _usd(v: float | None) -> str:
    return f"about ${v:,.2f}" if v else ""


def advice(audit: dict) -> list[str]:
    """The advice sentences, in the order to act on them."""
    out: list[str] = []
    rows = audit["allowances"]
    risky = [r for r in rows if r["risk"] in ("high", "medium")]
    coin = get_chain(audit["chain"]).native_symbol
    s = audit["summary"]
    if not rows:
        out.append("We found no open approvals on this wallet in the data pigtrace holds.")
    else:
        n = len(rows)
        out.append(f"Your wallet has {n} open approval{'s' if n != 1 else ''}. An approval lets another address "
                   "take tokens from your wallet without asking you again.")
        if risky:
            danger = sum(r["risk"] == "high" for r in rows)
            if danger:
                out.append(f"{danger} of them {'look' if danger != 1 else 'looks'} dangerous. Revoke "
                           f"{'them' if danger != 1 else 'it'} now, starting with the first one below.")
            if s["value_at_risk_usd"]:
                out.append(f"Right now {_usd(s['value_at_risk_usd'])} of your tokens can be taken this way.")
    for r in risky[:SPELLED_OUT]:
        what = r["symbol"] or short(r["token"])
        usd = f" ({_usd(r['value_at_risk_usd'])})" if r["value_at_risk_usd"] else ""
        if r["kind"] == "approval_for_all":
            held = f" (you hold {r['value_at_risk']} now)" if r["value_at_risk"] else ""
            can = f"every NFT of this collection you hold or receive later{held}"
        elif r["unlimited"]:
            can = f"all the {what} you hold or receive later" + (f": {r['value_at_risk']}{usd} now"
                                                                 if r["value_at_risk"] else "")
        elif r["value_at_risk_raw"] == "0":
            can = f"up to {r['amount']} of what you receive later (your balance is 0 now)"
        else:
            can = f"{r['value_at_risk'] or r['amount']}{usd}"
        why = r["reasons"][0] if r["reasons"] else "it is not a known app"
        kind = {"permit2": "Permit2 approval", "approval_for_all": "approval for all your NFTs",
                "erc721": "NFT approval"}.get(r["kind"], "approval")
        out.append(f"Revoke the {what} {kind} to {short(r['spender'])}. It can take {can}. Why it is risky: {why}.")
        if r.get("already_taken"):
            out.append(f"It has already taken {r['already_taken']} from you with this approval.")
        c = r["revoke"]
        out.append(f"How: from this wallet, send a transaction to {c['contract']} calling {c['call']} "
                   f"(data: {c['calldata']}).")
    if len(risky) > SPELLED_OUT:
        out.append(f"Revoke the other {len(risky) - SPELLED_OUT} risky approvals listed below the same way.")
    if risky:
        out.append(f"Revoking costs a small network fee, paid in {coin}. Keep a little {coin} in this wallet for it.")
        out.append("You can also revoke with a tool you open yourself, such as revoke.cash. Never use a link "
                   "that someone sent you.")
        out.append("If anyone ever saw your recovery phrase (the 12 or 24 words), revoking is not enough. Move "
                   "what is left to a new wallet, and never share its words.")
    safe = [r for r in rows if r["risk"] == "low"]
    if safe:
        out.append(f"{len(safe)} approval{'s go' if len(safe) != 1 else ' goes'} to known or ordinary apps. "
                   "Revoke any you no longer use.")
    stolen = [t for t in audit["taken_by_others"] if t["flagged"]]
    if stolen:
        usd = _usd(s["taken_by_flagged_usd"])
        out.append(f"Scammers already took tokens out of your wallet with an approval: {usd or 'see the list'}"
                   f"{' in total' if usd else ''}. This is how approval scams steal.")
    elif audit["taken_by_others"]:
        out.append(f"{s['taken_by_others']} time{'s' if s['taken_by_others'] != 1 else ''}, someone other than you "
                   "moved tokens out of your wallet with an approval. If you did not agree to each one, report it.")
    if audit["flagged_payments"]:
        out.append(f"You sent {_usd(s['flagged_payments_usd']) or 'money'} in {s['flagged_payments']} "
                   f"payment{'s' if s['flagged_payments'] != 1 else ''} to addresses flagged for scams or crime.")
        out.append("Report it quickly. An exchange can sometimes freeze money that reaches it.")
    for lk in audit["lookalikes"][:SPELLED_OUT]:
        out.append(f"A fake address is in your history: {lk['lookalike']} looks like {lk['imitates']}, which "
                   "you really used. Scammers plant these so you copy the wrong one.")
        if lk["you_paid"]:
            out.append(f"You already sent {_usd(lk['paid_usd']) or 'money'} to the fake address. Report it.")
    if audit["lookalikes"]:
        out.append("Always check the whole address before you send. Never copy an address from your history.")
    if audit["flagged_payments"] or any(r["risk"] == "high" for r in rows) or s["lookalikes_paid"] or stolen:
        out.append("Be careful of anyone who offers to get your money back for a fee. That is a common second scam.")
        out.append("When you report, bring your wallet address, the scam addresses, the transaction hashes and "
                   "dates, and screenshots of your chats with the scammer.")
    if audit.get("other_chains"):
        names = ", ".join(audit["other_chains"])
        out.append(f"This wallet also has activity on {names} in pigtrace's data. Check it there too: each chain has "
                   "its own approvals.")
    if audit.get("data_until"):
        out.append(f"This check uses the data pigtrace holds, up to {audit['data_until'][:16]} UTC. Anything "
                   "after that, or not in its data, does not show here.")
    return out


def report_to(audit: dict) -> list[dict]:
    """Whom to report to: {who, why, how} for the exchanges the money reached, then (when anything points to
    a scam) the police and national fraud reporting, the stablecoin issuer and the block explorer."""
    out: list[dict] = []
    for e in audit["exchanges_reached"]:
        when = f" on {e['last_paid'][:10]}" if e.get("last_paid") else ""
        usd = f" ({_usd(e['usd'])})" if e.get("usd") else ""
        out.append({"who": e["exchange"],
                    "why": f"Money reached an account at {e['exchange']} ({e['account']}){when}{usd}: {e['via']}.",
                    "how": f"Contact {e['exchange']} support, say it is fraud, and give them that account address "
                           "and the transaction hashes. They may be able to freeze what is still there."})
    rows = audit["allowances"]
    scam = audit["flagged_payments"] or any(r["risk"] == "high" for r in rows) or audit["summary"]["lookalikes_paid"] \
        or any(t["flagged"] for t in audit["taken_by_others"])
    if not scam:
        return out
    out.append({"who": "The police where you live",
                "why": "Fraud is a crime, and a police report is what exchanges and stablecoin issuers act on.",
                "how": "Report it to your local police and ask for a reference number."})
    out.append({"who": "FBI Internet Crime Complaint Center (IC3), United States",
                "why": "The US national place to report online fraud, crypto scams included.",
                "how": "Report online at ic3.gov."})
    out.append({"who": "Action Fraud, United Kingdom",
                "why": "The national fraud reporting centre for England, Wales and Northern Ireland "
                       "(in Scotland, report to Police Scotland).",
                "how": "Report online at actionfraud.police.uk."})
    out.append({"who": "Your country's fraud reporting centre",
                "why": "Many countries have one, for example the Canadian Anti-Fraud Centre or ReportCyber in Australia.",
                "how": "Search your government's website for its fraud reporting service."})
    symbols = {t for p in audit["flagged_payments"] for t in (p.get("tokens") or [])} \
        | {t["symbol"] for t in audit["taken_by_others"] if t["flagged"]}
    for symbol, issuer in STABLECOINS.items():
        if symbol in symbols:
            out.append({"who": f"{issuer} (issuer of {symbol}), through the police",
                        "why": f"{symbol} can be frozen by {issuer}, usually when the police ask.",
                        "how": f"Tell the police the money was in {symbol} and give them the transaction hashes."})
    explorer = EXPLORERS.get(audit["chain"])
    if explorer:
        out.append({"who": explorer,
                    "why": "Reporting the scam address on the block explorer warns other people.",
                    "how": "Open the scam address on the explorer and use its report feature "
                           "(Etherscan and its sister sites call it 'Report/Flag Address')."
                           if audit["chain"] != "tron" else
                           "Open the scam address on Tronscan and use its contact or report options."})
    return out
