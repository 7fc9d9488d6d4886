"""Freeze and subpoena packets: one folder per exchange or service that received this case's traced money,
for its compliance desk or for the legal request that goes to it, and a co-victim notification list.

Each folder holds ``packet.pdf`` (the accounts, the amounts, and for each account the chain of hops from
the victim's payment, with times, hashes and explorer links), ``accounts.csv``, ``transactions.csv`` (the
same hops, one row per transfer) and ``cover-letter.txt``, a short template to fill in. Beside the folders:
``packets.csv`` (the index) and ``co-victims.csv`` (addresses and amounts only, never personal data: an
exchange's payment stands for a customer only the exchange knows).

Place in the flow: report/gather (the dict) -> **report/packets** (+ report/html helpers, report/pdf) -> a folder.
"""

from __future__ import annotations

import csv
import re
import textwrap
from html import escape
from pathlib import Path

from pigtrace.report.html import CSS, Page, e, kv, money, table
from pigtrace.report.pdf import html_to_pdf

ACCOUNT_COLUMNS = ["account", "kind", "usd", "ring_usd", "first_time", "last_time", "explorer"]
TX_COLUMNS = ["account", "hop", "time", "tx_hash", "from", "to", "asset", "amount", "usd", "traced_usd", "explorer"]
CO_VICTIM_COLUMNS = ["address", "paid_from", "entity", "payments", "usd", "first_paid", "last_paid", "tx_hash"]


def slug(text: str, n: int) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return f"{n:02d}-{s[:60].strip('-') or 'service'}"


def write_packets(data: dict, out: Path) -> list[dict]:
    """Write the packets of ``data`` (``report_data``) into the folder ``out``; returns the index rows."""
    out.mkdir(parents=True, exist_ok=True)
    case, p = data["case"], Page(data)
    index = []
    for n, g in enumerate(data["services"], start=1):
        folder = out / slug(g["name"], n)
        folder.mkdir(exist_ok=True)
        _csv(folder / "accounts.csv", ACCOUNT_COLUMNS, [
            {"account": a["address"], "kind": a["kind"], "usd": f"{a['usd']:.2f}", "ring_usd": f"{a['ring_usd']:.2f}",
             "first_time": e(a["first_time"]), "last_time": e(a["last_time"]),
             "explorer": (data["explorer"]["address"] or "").replace("{}", a["address"])} for a in g["accounts"]])
        _csv(folder / "transactions.csv", TX_COLUMNS, [
            {"account": a["address"], **{k: h.get(k) for k in TX_COLUMNS if k in h}, "time": e(h["time"]),
             "explorer": (data["explorer"]["tx"] or "").replace("{}", h["tx_hash"] or "")}
            for a in g["accounts"] for h in a["path"]])
        (folder / "cover-letter.txt").write_text(cover_letter(data, g), encoding="utf-8")
        html_to_pdf(packet_html(data, g, p), folder / "packet.pdf")
        index.append({"folder": folder.name, "service": g["name"], "kinds": " ".join(g["kinds"]),
                      "accounts": len(g["accounts"]), "usd": f"{g['usd']:.2f}", "ring_usd": f"{g['ring_usd']:.2f}"})
    _csv(out / "packets.csv", ["folder", "service", "kinds", "accounts", "usd", "ring_usd"], index)
    _csv(out / "co-victims.csv", CO_VICTIM_COLUMNS, [
        {k: (f"{v['usd']:.2f}" if k == "usd" else e(v.get(k)) if k in ("first_paid", "last_paid") else v.get(k))
         for k in CO_VICTIM_COLUMNS} for v in case["co_victims"]])
    return index


def _csv(path: Path, cols: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if r.get(k) is None else r.get(k) for k in cols})


def packet_html(data: dict, g: dict, p: Page) -> str:
    case, s = data["case"], data["summary"]
    ref = f"pigtrace case {case.get('id') or '(unsaved)'}"
    parts = [f"<h1>Freeze / information request: {escape(g['name'])}</h1>",
             f"<p class='sub'>{escape(ref)}, {escape(case['chain'])}; prepared {e(data['generated'])} UTC by pigtrace "
             f"{escape(data['version'])}. Every transaction can be checked on the block explorer (links).</p>",
             "<p class='lead'>Money paid by a victim of a pig-butchering (investment/romance) scam was traced on the "
             "public ledger into the accounts below. We ask you to freeze or hold what remains in them and to keep "
             "the records of their owners and of the withdrawals, pending the legal request that will follow "
             "(see the cover letter).</p>",
             kv([("victim's loss" if s["subject_kind"] == "victim" else "money the scam wallet received",
                  f"{money(s['loss_usd'])} USD" + (f" in {s['payments']} payments" if s["payments"] else "")
                  + f", {e(s['first'])} to {e(s['last'])}"),
                 ("into your accounts", f"<b>{money(g['usd'])} USD</b> of this case's money in {len(g['accounts'])} "
                                        f"accounts; {money(g['ring_usd'])} USD of all the ring's victims"),
                 ("tracing", f"{escape(data['method']['method_text'])}; up to {data['method']['hops']} hops")]),
             "<h2>Accounts</h2>",
             table(g["accounts"], [("account", "addr", lambda r: p.addr(r["address"])),
                                   ("kind", "", lambda r: e(r["kind"])),
                                   ("this case, USD", "num", lambda r: money(r["usd"])),
                                   ("all victims, USD", "num", lambda r: money(r["ring_usd"])),
                                   ("first", "", lambda r: e(r["first_time"])), ("last", "", lambda r: e(r["last_time"]))]),
             "<h2>How the money got there</h2><p class='sub'>For each account, the transfers from the victim's payment "
             "to the account, at each wallet the one that carried the most of the traced money.</p>"]
    for a in g["accounts"]:
        parts.append(f"<h3>{p.addr(a['address'])}</h3>")
        if not a["path"]:
            parts.append("<p>No path: the warehouse no longer holds the transfers.</p>")
            continue
        parts.append(table(a["path"], [
            ("hop", "num", lambda h: e(h["hop"])), ("time", "", lambda h: e(h["time"])),
            ("transaction / from / to", "mono", lambda h: p.tx(h["tx_hash"]) + "<br>" + p.addr(h["from"]) + "<br>"
             + p.addr(h["to"])),
            ("amount", "num", lambda h: f"{e(h['amount'])} {e(h['asset'])}"),
            ("traced USD", "num", lambda h: money(h["traced_usd"]))]))
    css = CSS + "table { table-layout: auto; } td.mono { font-size: 6.8pt; word-break: normal; white-space: nowrap; }"
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(g['name'])}</title>"
            f"<style>{css}</style></head><body>{''.join(parts)}</body></html>")


def cover_letter(data: dict, g: dict) -> str:
    case, s = data["case"], data["summary"]
    accounts = "\n".join(f"  - {a['address']} ({a['kind'].replace('_', ' ')}): {a['usd']:,.2f} USD of this case's "
                         f"money, {e(a['first_time'])} to {e(a['last_time'])} UTC" for a in g["accounts"])
    return f"""To: [COMPLIANCE / LAW-ENFORCEMENT RESPONSE TEAM], {g['name']}
From: [NAME, ROLE, ORGANISATION, CONTACT]
Reference: [CASE OR POLICE REFERENCE]; pigtrace case {case.get('id') or '(unsaved)'}
Date: [DATE]

Subject: Request to freeze and preserve records: proceeds of a pig-butchering scam on {case['chain']}

{textwrap.fill(_what_happened(data) + f" Tracing that money on the public {case['chain']} ledger shows that "
              f"{g['usd']:,.2f} USD of it reached the following accounts at your service:", 100)}

{accounts}

The enclosed packet (packet.pdf, transactions.csv) lists, for each account, the transactions from the
victim's payment to the account, with hashes and times that can be checked on a block explorer.

We ask you to:
  1. freeze or hold the funds remaining in these accounts, as far as your terms and the law allow;
  2. preserve the records of the accounts' owners (identity documents, IP addresses, devices) and of
     their deposits and withdrawals from {e(s['first'])} onward;
  3. tell us which legal process you need to disclose them: [SUBPOENA / COURT ORDER / MLAT, TO BE SENT BY ...].

The tracing is a reconstruction from public data ({data['method']['method_text']}); the amounts are
estimates of this case's share of the money that reached each account.

[SIGNATURE]
"""


def _what_happened(data: dict) -> str:
    case, s = data["case"], data["summary"]
    if s["subject_kind"] == "victim":
        return (f"A victim of a pig-butchering (investment/romance) scam lost {s['loss_usd']:,.2f} USD between "
                f"{e(s['first'])} and {e(s['last'])} UTC.")
    return (f"The scam wallet {case['subject']} received {s['loss_usd']:,.2f} USD from victims of a pig-butchering "
            f"(investment/romance) scam between {e(s['first'])} and {e(s['last'])} UTC.")
