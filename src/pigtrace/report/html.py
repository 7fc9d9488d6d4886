"""The case report as one self-contained HTML file: styles, pictures (inline SVG) and a small script
(hover text, click a node to highlight its links, wheel to zoom and drag to pan the flow graph) all inside
it; nothing is fetched. The same HTML, read by WeasyPrint, is the PDF (report/pdf): print styles lay it
out on A4 with page numbers, and the script does not run there.

Place in the flow: report/gather (the dict) + report/svg (pictures) -> **report/html** -> a file, or
report/pdf. Everything shown is escaped here (``html.escape``); hashes and addresses are printed whole, in
a monospace column wide enough that a PDF keeps each on one line (so ``pdftotext`` gives them back).
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any, Iterable

from pigtrace.report import svg

TIMELINE_ROWS = 60  # all payments in the timeline table up to this many; beyond, the marked ones and paybacks
HELD_ROWS = 15

CSS = """
:root { --ink:#1b1b1b; --muted:#5f6368; --line:#d0d4d9; --band:#f3f5f7; --accent:#1f4e79; }
* { box-sizing: border-box; }
body { font-family: 'DejaVu Sans', Arial, Helvetica, sans-serif; color: var(--ink); font-size: 10.5pt;
       line-height: 1.38; max-width: 1180px; margin: 0 auto; padding: 18px 26px 60px; }
h1 { font-size: 19pt; margin: 0 0 2px; color: var(--accent); }
h2 { font-size: 13pt; margin: 26px 0 8px; padding-bottom: 3px; border-bottom: 2px solid var(--accent);
     color: var(--accent); break-after: avoid; }
h3 { font-size: 11pt; margin: 16px 0 6px; break-after: avoid; }
p { margin: 5px 0; }
.sub { color: var(--muted); font-size: 9pt; }
.lead { background: var(--band); border-left: 4px solid var(--accent); padding: 8px 12px; margin: 12px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 8.6pt; }
th { text-align: left; background: var(--band); border-bottom: 1px solid #9aa0a6; padding: 3px 5px;
     font-weight: 600; }
td { border-bottom: 1px solid var(--line); padding: 2px 5px; vertical-align: top; }
tr { break-inside: avoid; }
td.num, th.num { text-align: right; white-space: nowrap; }
span.mono { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; }
td.mono { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 7.4pt; word-break: break-all; }
table.kv { width: auto; font-size: 9.5pt; }
table.kv th { background: none; border: none; font-weight: 600; padding: 1px 14px 1px 0; white-space: nowrap; }
table.kv td { border: none; padding: 1px 0; }
a { color: var(--accent); text-decoration: none; }
figure { margin: 8px 0 14px; break-inside: avoid; }
figure svg { width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
figcaption { font-size: 8.5pt; color: var(--muted); margin-top: 3px; }
.legend { font-size: 8.5pt; margin: 3px 0; }
.legend .key { margin-right: 12px; white-space: nowrap; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.mark { color: #8a3a00; }
.service { break-inside: avoid; margin-bottom: 10px; }
svg .dim { opacity: 0.08; }
svg .hot { stroke-opacity: 0.9 !important; }
svg.graph { cursor: grab; }
.notes li { margin: 2px 0; }
table.evidence { table-layout: fixed; }
table.evidence { font-size: 7.6pt; }
table.evidence td.mono { font-size: 6.6pt; word-break: normal; white-space: nowrap; }
td.addr, th.addr { width: 64mm; }
td.addr { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 6.9pt; white-space: nowrap; }
td.when { white-space: nowrap; }
table.labels { table-layout: fixed; }
table.labels td { overflow-wrap: anywhere; }
td.lab span.mono { font-size: 6.9pt; white-space: nowrap; }
section.wide { page: wide; break-before: page; break-after: page; }
@page wide { size: A4 landscape; margin: 12mm 10mm 14mm 10mm; }
.subject { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 14pt; }
@media print { body { max-width: none; padding: 0; font-size: 9.5pt; } a { color: var(--ink); } }
@page { size: A4; margin: 15mm 12mm 16mm 12mm;
        @bottom-left { content: "pigtrace case report"; font-size: 7.5pt; color: #777; }
        @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 7.5pt; color: #777; } }
"""

SCRIPT = """
(function () {
  function link(svgEl, nodeSel, edgeSel) {
    svgEl.querySelectorAll(nodeSel).forEach(function (n) {
      n.addEventListener('click', function (ev) {
        ev.stopPropagation();
        var id = n.getAttribute('data-id'), on = n.classList.toggle('picked');
        svgEl.querySelectorAll(nodeSel).forEach(function (m) { if (m !== n) m.classList.remove('picked'); });
        svgEl.querySelectorAll(edgeSel).forEach(function (e) {
          var mine = e.getAttribute('data-a') === id || e.getAttribute('data-b') === id;
          e.classList.toggle('dim', on && !mine); e.classList.toggle('hot', on && mine);
        });
      });
    });
    svgEl.addEventListener('click', function () {
      svgEl.querySelectorAll(edgeSel).forEach(function (e) { e.classList.remove('dim', 'hot'); });
    });
  }
  document.querySelectorAll('svg.sankey').forEach(function (s) { link(s, '.node', '.band'); });
  document.querySelectorAll('svg.graph').forEach(function (s) {
    link(s, '.node', '.edge');
    var vb = s.viewBox.baseVal, drag = null;
    s.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var k = ev.deltaY > 0 ? 1.15 : 1 / 1.15, r = s.getBoundingClientRect();
      var px = vb.x + (ev.clientX - r.left) / r.width * vb.width, py = vb.y + (ev.clientY - r.top) / r.height * vb.height;
      vb.x = px - (px - vb.x) * k; vb.y = py - (py - vb.y) * k; vb.width *= k; vb.height *= k;
    }, {passive: false});
    s.addEventListener('mousedown', function (ev) { drag = [ev.clientX, ev.clientY]; });
    window.addEventListener('mouseup', function () { drag = null; });
    s.addEventListener('mousemove', function (ev) {
      if (!drag) return;
      var r = s.getBoundingClientRect();
      vb.x -= (ev.clientX - drag[0]) / r.width * vb.width; vb.y -= (ev.clientY - drag[1]) / r.height * vb.height;
      drag = [ev.clientX, ev.clientY];
    });
  });
})();
"""


def e(v: Any) -> str:
    """A value as text for the page, escaped."""
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, str) and len(v) == 19 and v[4] == "-" and v[10] == "T":
        return v.replace("T", " ")
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, (list, tuple)):
        return escape(", ".join(str(x) for x in v))
    return escape(str(v))


def money(v) -> str:
    return "" if v is None else f"{float(v):,.2f}"


def link(url: str | None, text: str, cls: str = "mono") -> str:
    inner = f"<span class='{cls}'>{escape(text)}</span>" if cls else escape(text)
    return f"<a href='{escape(url, quote=True)}'>{inner}</a>" if url else inner


class Page:
    """Helpers bound to one report's explorer links."""

    def __init__(self, data: dict):
        self.chain = data["case"]["chain"]
        self.tx_page = data["explorer"]["tx"]
        self.address_page = data["explorer"]["address"]

    def tx(self, h: str | None) -> str:
        if not h:
            return ""
        return link(self.tx_page.replace("{}", h[2:] if self.chain == "tron" and h.startswith("0x") else h)
                    if self.tx_page else None, h)

    def tx_short(self, h: str | None) -> str:
        """A hash shortened (0x1234…abcd), linked; the full hash is in the evidence table."""
        if not h:
            return ""
        return link(self.tx_page.replace("{}", h[2:] if self.chain == "tron" and h.startswith("0x") else h)
                    if self.tx_page else None, f"{h[:10]}…{h[-6:]}")

    def addr(self, a: str | None) -> str:
        if not a:
            return ""
        return link(self.address_page.replace("{}", a) if self.address_page else None, a)


def table(rows: Iterable[dict], cols: list[tuple[str, str, Any]]) -> str:
    """``cols``: (heading, css class, cell function of the row returning HTML)."""
    head = "".join(f"<th class='{c}'>{escape(h)}</th>" for h, c, _ in cols)
    body = "".join("<tr>" + "".join(f"<td class='{c}'>{f(r)}</td>" for _h, c, f in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def kv(pairs: list[tuple[str, str]]) -> str:
    return "<table class='kv'>" + "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in pairs) + "</table>"


def render_html(data: dict, static: bool = False) -> str:
    """The report as HTML text; ``static``: for the PDF (no script)."""
    case, s, p = data["case"], data["summary"], Page(data)
    parts = [_head(data), _summary(data, p), _timeline(data, p), _flows(data), _cash_out(data, p),
             _ring(data, p), _evidence(data, p), _method(data), _labels(data, p)]
    script = "" if static else f"<script>{SCRIPT}</script>"
    title = f"pigtrace case {case.get('id') or ''}: {s['subject']}"
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<meta name='generator' content='pigtrace {escape(data['version'])}'>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}{script}</body></html>")


def _head(data: dict) -> str:
    case = data["case"]
    saved = f"case {case['id']}" if case.get("id") else "unsaved case"
    created = f", built {e(case.get('created'))}" if case.get("created") else ""
    return (f"<h1>Case report: {escape(case['subject_kind'])}<br><span class='subject'>{escape(case['subject'])}</span></h1>"
            f"<p class='sub'>{saved}{created}; report generated {e(data['generated'])} UTC by pigtrace "
            f"{escape(data['version'])} from the public {escape(case['chain'])} ledger held in the warehouse. "
            "Amounts in USD at the prices of section 7; every transaction can be checked on the block explorer "
            "(links).</p>"
            "<p class='lead'>What follows is a reconstruction from public blockchain data. Wallet roles "
            "(collection, laundering, operator) are pigtrace's findings and the trace's reading of where the "
            "money went, not a court's; each comes with the transactions that show it. Addresses are pseudonymous: "
            "who controls an exchange deposit account is known to the exchange, not to this report.</p>")


def _summary(data: dict, p: Page) -> str:
    s, case = data["summary"], data["case"]
    victim = s["subject_kind"] == "victim"
    pairs = [
        ("subject", p.addr(s["subject"]) + f" ({escape(s['chain'])}, as {escape(s['subject_kind'])})"),
        ("loss" if victim else "money received", f"<b>{money(s['loss_usd'])} USD</b>" + (
            f" = {money(s['paid_usd'])} paid in {s['payments']} payments less {money(s['paid_back_usd'])} paid back "
            f"in {s['paybacks']}" if victim else "")),
        ("dates", f"{e(s['first'])} to {e(s['last'])}" if s["first"] else "no payment on record"),
        ("ring", (", ".join(s["rings"]) + " (analyze's rings)") if s["rings"] else "no ring of analyze's"),
        ("ring wallets", f"{s['collection_wallets']} collection, {s['laundering']} laundering, {s['operators']} operator"),
        ("other victims", f"{s['co_victims']} wallets or service payments paid the same collection wallets"),
        ("cash-out", f"{money(s['cash_out_usd'])} USD of this case's money reached {s['cash_out_accounts']} service "
                     f"accounts in {len(data['services'])} exchanges or services (section 4)"),
        ("not yet cashed out", f"{money(s['held_usd'])} USD still in wallets, {money(s['unknown_usd'])} USD where the "
                               "trace ran out of hops"),
        ("method", f"{escape(data['method']['method_text'])}; up to {data['method']['hops']} hops; transfers carrying "
                   f"under {data['method']['min_usd']:g} USD not followed; basis: "
                   f"{escape(s['basis'].replace('+', ' and '))}"),
    ]
    notes = "".join(f"<li>{escape(n)}</li>" for n in data["notes"])
    return ("<h2>1. Summary</h2>" + kv(pairs) + (f"<h3>Notes</h3><ul class='notes'>{notes}</ul>" if notes else ""))


def _timeline(data: dict, p: Page) -> str:
    rows = data["timeline"]
    if not rows:
        return "<h2>2. Victim timeline</h2><p>The case has no payments of a victim (a scam address was its subject).</p>"
    shown = rows
    if len(rows) > TIMELINE_ROWS:
        rounds = [r for r in rows if any(m.startswith("round sum") for m in r["marks"])]
        keep = {id(r) for r in rounds[:TIMELINE_ROWS // 2]}
        shown = [r for r in rows if r["direction"] != "paid" or id(r) in keep
                 or any(not m.startswith("round sum") for m in r["marks"])]
    more = "" if len(shown) == len(rows) else (
        f"<p class='sub'>{len(shown)} of {len(rows)} payments: the first, largest and last, every payback and drain, "
        f"and the first round sums after the largest payment; all {len(rows)} are in the evidence table "
        "(section 6).</p>")
    tab = table(shown, [
        ("time", "when", lambda r: e(r["time"])),
        ("what happened", "", lambda r: escape(r["event"]) + "".join(
            f"<br><span class='mark'>{escape(m)}</span>" for m in r["marks"])),
        ("amount", "num", lambda r: f"{e(r['amount'])} {e(r['asset'])}"),
        ("USD", "num", lambda r: money(r["usd"])),
        ("net loss so far", "num", lambda r: money(r["net_loss_usd"])),
        ("transaction", "when", lambda r: p.tx_short(r["tx_hash"])),
    ])
    return ("<h2>2. Victim timeline</h2><figure>" + svg.timeline(rows) +
            "<figcaption>Each bar is one payment (up: to the scam; down: back from it). Marks say what the data "
            "shows: a round sum paid after the largest payment is where scams usually demand 'taxes' or 'fees' "
            "before a withdrawal; a payment sent by someone else than the victim (transferFrom) is an approval "
            "drain.</figcaption></figure>" + more + tab)


def _flows(data: dict) -> str:
    sankey = svg.sankey(data["sankey"])
    graph = svg.flow_graph(data["graph"])
    kinds = sorted({n["role"] for n in data["graph"].get("nodes", [])})
    boxes = sorted({n["kind"] for n in data["sankey"].get("nodes", [])})
    out = ["<h2>3. Where the money went</h2>"]
    if sankey:
        out.append("<figure>" + sankey + svg.legend(boxes) + "<figcaption>The victim's traced money hop by hop (columns), as the trace "
                   f"followed it from {money(data['sankey'].get('input_usd'))} USD of payments: boxes are wallets "
                   "and services, band widths are USD. The largest wallets of each hop are drawn on their own, the "
                   "rest as 'other wallets' or 'other services'. Hover for amounts; click a box to highlight its "
                   "bands.</figcaption></figure>")
    if graph:
        out.append("<figure>" + graph + svg.legend(kinds) + "<figcaption>The ring around this case: the victims who "
                   "paid its collection wallets, the laundering wallets, and the services where the ring's money "
                   "stopped (edges: USD of all the ring's victims between two wallets). In the HTML: wheel to zoom, "
                   "drag to pan, click a wallet to highlight its links.</figcaption></figure>")
    return "".join(out)


def _cash_out(data: dict, p: Page) -> str:
    out = ["<h2>4. Cash-out per exchange or service</h2>",
           "<p>Where this case's money stopped at a service, grouped by exchange (by name where a label gives "
           "one, else by the hot wallet its deposit accounts sweep to). <b>This case</b>: the victim's money "
           "traced there; <b>whole ring</b>: all the ring's victims' money. These are the accounts to freeze or "
           "to ask about (<code>--format packets</code> writes one request per exchange).</p>"]
    if not data["services"]:
        out.append("<p>None of this case's money reached an exchange or other service in the trace.</p>")
    for g in data["services"]:
        out.append(f"<div class='service'><h3>{escape(g['name'])}: {money(g['usd'])} USD "
                   f"<span class='sub'>(whole ring {money(g['ring_usd'])} USD; {escape(', '.join(g['kinds']))})</span></h3>")
        out.append(table(g["accounts"], [
            ("account", "addr", lambda r: p.addr(r["address"])),
            ("this case USD", "num", lambda r: money(r["usd"])),
            ("whole ring USD", "num", lambda r: money(r["ring_usd"])),
            ("first", "", lambda r: e(r["first_time"])),
            ("last", "", lambda r: e(r["last_time"])),
            ("hops", "num", lambda r: str(len(r["path"])) if r["path"] else ""),
        ]) + "</div>")
    held = data["held"]
    if held:
        total = sum(h["usd"] for h in held)
        out.append(f"<h3>Not at a service: {money(total)} USD in {len(held)} wallets</h3>"
                   "<p class='sub'>Wallets outside the ring still holding the money ('held') or where the trace ran "
                   "out of hops ('unknown'): an OTC desk or a mule nobody labelled looks like that. The largest "
                   f"{min(len(held), HELD_ROWS)}:</p>")
        out.append(table(held[:HELD_ROWS], [
            ("wallet", "addr", lambda r: p.addr(r["address"])), ("kind", "", lambda r: e(r["kind"])),
            ("this case USD", "num", lambda r: money(r["usd"])), ("whole ring USD", "num", lambda r: money(r["ring_usd"])),
            ("last", "", lambda r: e(r["last_time"]))]))
    return "".join(out)


def _ring(data: dict, p: Page) -> str:
    case = data["case"]
    out = ["<h2>5. Key nodes and the ring</h2>",
           "<p>Ring wallets ranked by all the ring's victims' money through them.</p>",
           table(case["key_nodes"], [("wallet", "addr", lambda r: p.addr(r["address"])),
                                     ("role", "", lambda r: e(r["role"])),
                                     ("victim money through it, USD", "num", lambda r: money(r["victim_usd"]))])]
    if case["collection_wallets"]:
        out.append("<h3>Collection wallets</h3>" + table(case["collection_wallets"], [
            ("wallet", "addr", lambda r: p.addr(r["address"])), ("found", "", lambda r: e(r["found"])),
            ("ring", "", lambda r: e(r.get("ring"))), ("victim payments", "num", lambda r: e(r["victim_payments"])),
            ("USD", "num", lambda r: money(r["usd"]))]))
    if case["operators"]:
        out.append("<h3>Operators</h3>" + table(case["operators"], [
            ("wallet", "addr", lambda r: p.addr(r["address"])), ("why", "", lambda r: e(r["why"]))]))
    if case["co_victims"]:
        out.append(f"<h3>Other victims ({len(case['co_victims'])})</h3><p class='sub'>Addresses and amounts only; an "
                   "exchange's payment stands for a customer the exchange knows.</p>" + table(case["co_victims"], [
                       ("address", "addr", lambda r: p.addr(r["address"])),
                       ("paid from", "", lambda r: e(r["paid_from"]) + (f" ({e(r['entity'])})" if r.get("entity") else "")),
                       ("payments", "num", lambda r: e(r["payments"])), ("USD", "num", lambda r: money(r["usd"])),
                       ("first", "", lambda r: e(r["first_paid"])), ("last", "", lambda r: e(r["last_paid"]))]))
    return "".join(out)


def _evidence(data: dict, p: Page) -> str:
    rows = data["evidence"]
    widths = "".join(f"<col style='width:{w}'>" for w in ("10%", "9%", "36%", "22.5%", "9.5%", "6.5%", "6.5%"))
    body = table(rows, [
        ("time", "", lambda r: e(r["time"])),
        ("what", "", lambda r: e(r["what"])),
        ("transaction", "mono", lambda r: p.tx(r["tx_hash"])),
        ("from / to", "mono", lambda r: p.addr(r["from"]) + ("<br>" + p.addr(r["to"]) if r.get("to") else "")),
        ("amount", "num", lambda r: f"{e(r['amount'])}<br>{e(r['asset'])}" if r.get("amount") else ""),
        ("USD", "num", lambda r: money(r["usd"])),
        ("traced", "num", lambda r: money(r["traced_usd"])),
    ]).replace("<table><thead>", f"<table class='evidence'><colgroup>{widths}</colgroup><thead>", 1)
    return (f"<section class='wide'><h2>6. Evidence: {len(rows)} transfers</h2>"
            "<p>Every transaction this report relies on: the victim's payments and paybacks, payments of other "
            "victims sent by a service, and the transfers on the path from the victim's payment to each cash-out "
            "account (at each wallet the transfer that carried the most of the traced money). <b>USD</b> is the "
            "transfer's whole value; <b>traced</b> the part of it that was this victim's money.</p>"
            + body + "</section>")


def _method(data: dict) -> str:
    m = data["method"]
    pairs = [("spending rule", escape(m["method_text"])), ("hops", f"at most {m['hops']} transfers from the payment"),
             ("minimum", f"a transfer carrying under {m['min_usd']:g} USD of traced money is not followed"),
             ("basis", escape(m["basis"]))]
    prices = table(m["prices"], [
        ("asset", "", lambda r: e(r["asset"])), ("reference USD", "num", lambda r: e(r["reference_usd"])),
        ("source", "", lambda r: e(r["source"])),
        ("USD per unit in the evidence", "num", lambda r: f"{r['observed_min']:g} – {r['observed_max']:g}"),
        ("transfers", "num", lambda r: e(r["transfers"]))]) if m["prices"] else "<p>No priced transfer.</p>"
    return ("<h2>7. How it was traced</h2><p>The victim's payments to the scam were followed forward in time over "
            "every transfer of every token (a wallet's payment carries traced money only after that money arrived) "
            "until a service, a wallet that kept it, or the hop limit. A swap is followed into what it paid back. "
            "The case is built by <code>pigtrace case</code>; the ring's other wallets and victims come from the money around "
            "the collection wallets (README, section Case).</p>" + kv(pairs) +
            "<h3>Prices used</h3><p class='sub'>Each transfer's USD value is taken when it is ingested: stablecoins at "
            "par, other assets at an imported daily price or the registry's reference price.</p>" + prices)


def _labels(data: dict, p: Page) -> str:
    rows = data["labels"]
    if not rows:
        return ("<h2>8. Labels relied on</h2><p>No label of any pack is on an address of this case: wallet roles come "
                "from pigtrace's findings and the money alone, services from their behaviour (entities).</p>")
    return ("<h2>8. Labels relied on</h2><p>Every label on an address of this case, with where it comes from.</p>" +
            table(rows, [
                ("address / label", "lab", lambda r: p.addr(r["address"]) + "<br>" + e(r["label"])),
                ("category / concepts", "", lambda r: e(r["category"]) + (f"<br>{e(r['concepts'])}" if r["concepts"] else "")),
                ("pack / snapshot / confidence", "", lambda r: f"{e(r['pack'])} ({e(r['origin'])})<br>{e(r['snapshot'])}"
                 f"<br>{e(r['confidence'])}"),
                ("source / licence", "", lambda r: f"{e(r['source'])}<br><span class='sub'>licence: {e(r['licence'])}</span>"),
            ]).replace("<table>", "<table class='labels'><colgroup><col style='width:37%'><col style='width:15%'>"
                       "<col style='width:16%'><col style='width:32%'></colgroup>", 1))
