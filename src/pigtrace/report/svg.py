"""The report's pictures as inline SVG text, drawn here without any library: the victim's timeline, the
Sankey of the traced flows and the case's flow graph. Each node and band carries a ``<title>`` (hover text
in a browser) and ``data-`` attributes the HTML's small script uses to highlight a node's links; the PDF
shows the same SVG as a static picture.

Place in the flow: report/gather (the dict) -> **report/svg** -> report/html (embeds the pictures).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from html import escape

COLOURS = {
    "subject": "#1f4e79", "victim": "#5b9bd5", "collection": "#c00000", "operator": "#7030a0",
    "laundering": "#ed7d31", "exchange_deposit": "#2e7d32", "exchange": "#1b5e20", "otc": "#827717",
    "bridge": "#00838f", "dex": "#6d4c41", "mixer": "#455a64", "wallet": "#9e9e9e", "other": "#bdbdbd",
    "held": "#9e9e9e", "unknown": "#757575",
}
FONT = "font-family='DejaVu Sans, Arial, sans-serif'"


def short(address: str | None) -> str:
    if not address:
        return ""
    return f"{address[:6]}…{address[-4:]}" if len(address) > 14 else address


def usd(v) -> str:
    return "" if v is None else f"{float(v):,.2f}"


def _time(t) -> datetime:
    return datetime.fromisoformat(t) if isinstance(t, str) else t


def _a(text) -> str:
    return escape(str(text), quote=True)


# ---------------------------------------------------------------------- timeline
def timeline(rows: list[dict], width: int = 1000, height: int = 260) -> str:
    """Payments to the scam as bars up, paybacks as bars down, on a time axis; the running net loss as a
    line (right-hand scale). Marked payments (largest, round sums after it, drains) in their own colours."""
    if not rows:
        return ""
    left, right, top, bottom = 70, 70, 20, 40
    times = [_time(r["time"]) for r in rows]
    t0, t1 = min(times), max(times)
    span = max((t1 - t0).total_seconds(), 1.0)
    plot_w, plot_h = width - left - right, height - top - bottom
    up = max([r["usd"] or 0 for r in rows if r["direction"] == "paid"] + [1.0])
    down = max([r["usd"] or 0 for r in rows if r["direction"] != "paid"] + [0.0])
    zero = top + plot_h * (up / (up + down)) if down else top + plot_h
    scale = (zero - top) / up
    net_max = max([abs(r["net_loss_usd"]) for r in rows] + [1.0])
    bar = max(1.0, min(6.0, plot_w / max(len(rows), 1) * 0.8))
    out = [f"<svg class='chart' viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg' {FONT} font-size='11'>"]
    out.append(f"<line x1='{left}' y1='{zero:.1f}' x2='{width - right}' y2='{zero:.1f}' stroke='#444' stroke-width='0.8'/>")
    for frac in (0, 0.5, 1):
        y = zero - (zero - top) * frac
        out.append(f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end' fill='#444'>{usd(up * frac)[:-3]}</text>")
        out.append(f"<text x='{width - right + 6}' y='{top + plot_h - plot_h * frac + 4:.1f}' fill='#1f4e79'>"
                   f"{usd(net_max * frac)[:-3]}</text>")
    out.append(f"<text x='{left - 6}' y='{top - 6}' text-anchor='end' fill='#444'>USD</text>")
    out.append(f"<text x='{width - right + 6}' y='{top - 6}' fill='#1f4e79'>net loss</text>")
    for frac in (0, 0.25, 0.5, 0.75, 1):
        x = left + plot_w * frac
        t = datetime.fromtimestamp(t0.timestamp() + span * frac)
        out.append(f"<text x='{x:.1f}' y='{height - 18}' text-anchor='middle' fill='#444'>{t:%Y-%m-%d}</text>")
    line = []
    for r, t in zip(rows, times):
        x = left + plot_w * (t - t0).total_seconds() / span
        v = r["usd"] or 0
        marks = " ".join(r.get("marks") or [])
        if r["direction"] == "paid":
            colour = "#c00000" if "largest" in marks else "#ed7d31" if "round sum" in marks else \
                "#7030a0" if "taken by" in marks else "#5b9bd5"
            y, h = zero - v * scale, v * scale
        else:
            colour, y, h = "#2e7d32", zero, v * scale
        tip = f"{r['time']} {r['event']}: {usd(v)} USD ({r.get('amount')} {r.get('asset')}) {marks}".strip()
        out.append(f"<rect x='{x - bar / 2:.1f}' y='{y:.1f}' width='{bar:.1f}' height='{max(h, 0.8):.1f}' "
                   f"fill='{colour}'><title>{_a(tip)}</title></rect>")
        line.append(f"{x:.1f},{top + plot_h - plot_h * max(r['net_loss_usd'], 0) / net_max:.1f}")
    out.append(f"<polyline points='{' '.join(line)}' fill='none' stroke='#1f4e79' stroke-width='1.4'/>")
    legend = [("#5b9bd5", "payment to scam"), ("#c00000", "largest payment"),
              ("#ed7d31", "round sum after the largest"), ("#7030a0", "taken by transferFrom"),
              ("#2e7d32", "payback from scam"), ("#1f4e79", "net loss (line)")]
    x = left
    for colour, text in legend:
        out.append(f"<rect x='{x}' y='{height - 10}' width='10' height='8' fill='{colour}'/>"
                   f"<text x='{x + 14}' y='{height - 2}' fill='#333'>{text}</text>")
        x += 24 + 6.2 * len(text)
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------- Sankey
def sankey(data: dict, width: int = 1000, height: int = 420) -> str:
    """Columns are hops (0: the victim), boxes wallets and services, bands the traced USD between them."""
    nodes, links = data.get("nodes") or [], data.get("links") or []
    if not nodes or not links:
        return ""
    value_in: dict[int, float] = defaultdict(float)
    value_out: dict[int, float] = defaultdict(float)
    for link in links:
        value_out[link["source"]] += link["usd"]
        value_in[link["target"]] += link["usd"]
    value = {i: max(value_in[i], value_out[i]) for i in range(len(nodes))}
    layers: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(nodes):
        layers[n["layer"]].append(i)
    n_layers = max(layers) + 1
    gap, top, label_w, node_w = 8, 10, 120, 12
    col_w = (width - label_w - node_w) / max(n_layers - 1, 1)
    scale = min(max(height - 2 * top - 12 - gap * (len(ids) - 1), 40) / max(sum(value[i] for i in ids), 1e-9)
                for ids in layers.values())
    pos: dict[int, tuple[float, float, float]] = {}  # x, y, h
    for layer, ids in layers.items():
        ids.sort(key=lambda i: (nodes[i]["kind"] == "other", -value[i]))
        y = top
        for i in ids:
            h = max(value[i] * scale, 1.5)
            pos[i] = (layer * col_w, y, h)
            y += h + gap
    out_off: dict[int, float] = defaultdict(float)
    in_off: dict[int, float] = defaultdict(float)
    svg = [f"<svg class='chart sankey' viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg' {FONT} "
           "font-size='10'>"]
    for k, link in enumerate(sorted(links, key=lambda l: (pos[l["source"]][1], pos[l["target"]][1]))):
        s, t = link["source"], link["target"]
        sx, sy, _ = pos[s]
        tx, ty, _ = pos[t]
        th = max(link["usd"] * scale, 0.6)
        y0 = sy + out_off[s] + th / 2
        y1 = ty + in_off[t] + th / 2
        out_off[s] += th
        in_off[t] += th
        x0, x1 = sx + node_w, tx
        mid = (x0 + x1) / 2
        colour = COLOURS.get(nodes[t]["kind"], "#9e9e9e")
        tip = f"{_label(nodes[s])} → {_label(nodes[t])}: {usd(link['usd'])} USD"
        svg.append(f"<path class='band' data-a='{s}' data-b='{t}' d='M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} "
                   f"{mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}' stroke='{colour}' stroke-opacity='0.35' "
                   f"stroke-width='{th:.1f}' fill='none'><title>{_a(tip)}</title></path>")
    for i, n in enumerate(nodes):
        x, y, h = pos[i]
        colour = COLOURS.get(n["kind"], "#9e9e9e")
        tip = f"{_label(n)} {n.get('address') or ''}: {usd(value[i])} USD (hop {n['layer']})"
        svg.append(f"<g class='node' data-id='{i}'><rect x='{x:.1f}' y='{y:.1f}' width='{node_w}' height='{h:.1f}' "
                   f"fill='{colour}'><title>{_a(tip)}</title></rect>")
        if h >= 10 or n["kind"] == "subject":
            text = _label(n, full=False)
            ty = y + min(h / 2, 12) + 3
            svg.append(f"<rect x='{x + node_w + 1:.1f}' y='{ty - 9:.1f}' width='{len(text) * 5.6 + 4:.1f}' height='12' "
                       f"fill='#fff' fill-opacity='0.8'/><text x='{x + node_w + 3:.1f}' y='{ty:.1f}' fill='#222'>"
                       f"{_a(text)}</text>")
        svg.append("</g>")
    for layer in range(n_layers):
        svg.append(f"<text x='{layer * col_w + 1:.1f}' y='{height - 1}' fill='#777' font-size='9'>"
                   f"{'victim' if layer == 0 else f'hop {layer}'}</text>")
    svg.append("</svg>")
    return "".join(svg)


def _label(n: dict, full: bool = True) -> str:
    """A Sankey box's name: in full for hover text, else short enough for a column (the colour gives the role)."""
    if n["kind"] == "other":
        return n["label"]
    if n["kind"] == "subject":
        return f"victim {short(n.get('address'))}" if full else "victim"
    named = n["label"] not in ("wallet", "collection", "laundering", "operator") and \
        n["label"].replace(" ", "_") != n["kind"]
    if not full:
        return n["label"][:16] if named else short(n.get("address"))
    return f"{n['label']} {short(n.get('address'))}"


# ---------------------------------------------------------------------- flow graph
COLUMN_ROLES = ("subject", "victim", "operator")
PER_COLUMN = 40
LEFT = 95  # the first column's x: its labels go to the left of the nodes


def _node_label(a: str, x: float, y: float, radius: float, first: bool) -> str:
    """The first column's labels left of the node, the others above it (edges leave to the right)."""
    if first:
        return f"<text x='{x - radius - 3:.1f}' y='{y + 3:.1f}' fill='#222' text-anchor='end'>{_a(short(a))}</text>"
    return f"<text x='{x:.1f}' y='{y - radius - 2:.1f}' fill='#222' text-anchor='middle'>{_a(short(a))}</text>"


def flow_graph(graph: dict, width: int = 1000) -> str:
    """The case's flow graph: victims on the left, then collection wallets, laundering wallets by their
    distance from the collection wallets, and the cash-out services on the right; edge width by USD."""
    nodes, edges = graph.get("nodes") or [], graph.get("edges") or []
    if not nodes:
        return ""
    role = {n["id"]: n["role"] for n in nodes}
    weight: dict[str, float] = defaultdict(float)
    nxt: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        weight[e["from"]] += e["usd"]
        weight[e["to"]] += e["usd"]
        nxt[e["from"]].append(e["to"])
    depth: dict[str, int] = {}
    frontier = [a for a, r in role.items() if r == "collection"]
    for a in frontier:
        depth[a] = 1
    while frontier:  # laundering wallets by their distance from the collection wallets
        later = []
        for a in frontier:
            for b in nxt.get(a, []):
                if b not in depth and role.get(b) == "laundering":
                    depth[b] = min(depth[a] + 1, 6)
                    later.append(b)
        frontier = later
    services = {"exchange_deposit", "exchange", "otc", "bridge", "dex", "mixer"}
    deepest = max(depth.values(), default=1)
    columns: dict[int, list[str]] = defaultdict(list)
    for a, r in role.items():
        if r in COLUMN_ROLES:
            col = 0
        elif r in services:
            col = deepest + 1
        else:
            col = depth.get(a, 2 if r == "laundering" else 1)
        columns[col].append(a)
    hidden: dict[int, int] = {}
    for col, ids in columns.items():
        ids.sort(key=lambda a: (role[a] != "subject", -weight[a], a))
        if len(ids) > PER_COLUMN:
            hidden[col] = len(ids) - PER_COLUMN
            del ids[PER_COLUMN:]
    tallest = max(len(ids) + (1 if c in hidden else 0) for c, ids in columns.items())
    height = max(260, 22 + tallest * 16)
    n_cols = max(columns) + 1
    col_w = (width - LEFT - 90) / max(n_cols - 1, 1)
    at: dict[str, tuple[float, float]] = {}
    for col, ids in columns.items():
        step = (height - 30) / max(len(ids) + (1 if col in hidden else 0), 1)
        for k, a in enumerate(ids):
            at[a] = (LEFT + col * col_w, 15 + step * (k + 0.5))
    top_usd = max([e["usd"] for e in edges] + [1.0])
    svg = [f"<svg class='chart graph' viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg' {FONT} "
           "font-size='9'><g class='viewport'>"]
    for e in edges:
        if e["from"] not in at or e["to"] not in at:
            continue
        (x0, y0), (x1, y1) = at[e["from"]], at[e["to"]]
        w = 0.5 + 4.5 * math.sqrt(e["usd"] / top_usd)
        colour = COLOURS.get(role[e["to"]], "#9e9e9e")
        mid = (x0 + x1) / 2
        tip = f"{e['from']} → {e['to']}: {usd(e['usd'])} USD in {e['transfers']} transfers"
        svg.append(f"<path class='edge' data-a='{_a(e['from'])}' data-b='{_a(e['to'])}' "
                   f"d='M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}' fill='none' "
                   f"stroke='{colour}' stroke-opacity='0.45' stroke-width='{w:.2f}'><title>{_a(tip)}</title></path>")
    for a, (x, y) in at.items():
        r = role[a]
        radius = 3 + 5 * math.sqrt(weight[a] / max(weight.values(), default=1.0) if weight else 0)
        tip = f"{r.replace('_', ' ')} {a}: {usd(weight[a])} USD through it in this graph"
        svg.append(f"<g class='node' data-id='{_a(a)}'><circle cx='{x:.1f}' cy='{y:.1f}' r='{radius:.1f}' "
                   f"fill='{COLOURS.get(r, '#9e9e9e')}' stroke='#fff' stroke-width='0.6'><title>{_a(tip)}</title>"
                   f"</circle>{_node_label(a, x, y, radius, x < LEFT + 1)}</g>")
    for col, n in hidden.items():
        ids = columns[col]
        x = LEFT + col * col_w
        svg.append(f"<text x='{x:.1f}' y='{height - 14:.1f}' fill='#555' text-anchor='middle'>+{n} more (JSON "
                   "export)</text>")
    heads = {0: "victims"}
    for col in range(1, n_cols):
        heads[col] = "collection" if col == 1 else ("cash-out" if col == deepest + 1 else f"laundering {col - 1}")
    for col, text in heads.items():
        svg.append(f"<text x='{LEFT + col * col_w:.1f}' y='{height - 3:.1f}' fill='#777' text-anchor='middle'>"
                   f"{text}</text>")
    svg.append("</g></svg>")
    return "".join(svg)


def legend(kinds: list[str]) -> str:
    names = {"subject": "victim (subject)", "wallet": "other wallet", "other": "several wallets or services"}
    items = "".join(f"<span class='key'><i style='background:{COLOURS.get(k, '#9e9e9e')}'></i>"
                    f"{escape(names.get(k, k.replace('_', ' ')))}"
                    f"</span>" for k in kinds)
    return f"<div class='legend'>{items}</div>"
