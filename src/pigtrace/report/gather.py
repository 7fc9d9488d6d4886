"""Everything a report needs from one case and the warehouse, as one plain dict (JSON-able values, times as
datetimes): the summary, the victim's timeline, the evidence transactions, the traced flows (Sankey and
flow graph), the cash-out per exchange or service with the chain of hops that brought this case's money
there, the trace's method and prices, and the provenance of every label the case relies on.

Place in the flow: trace/case (built) or trace/case_store (saved) -> **report/gather** -> report/html,
report/pdf, report/packets, report/stix, report/graphml, report/tagpack (each only formats this dict).

The case (its ``as_dict()`` or the saved JSON) says what was found. The transfers of its paths are worked
out again here from the warehouse: the victim's payments (a scam subject's receipts) are walked forward
with the case's own method, hops and minimum, and for each place the money stopped, the path back to the
victim's payment along the transfers that carried the most of it is kept. A warehouse that no longer
holds the case's payments gives a report without paths, saying so.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import duckdb
import numpy as np

from pigtrace import __version__
from pigtrace.chains.registry import address_url, assets, tx_url, usd_price
from pigtrace.graph.flows import FlowStore, edge_rows, load_flows
from pigtrace.trace.endpoints import load_endpoints
from pigtrace.trace.run import DEFAULT_HOPS, DEFAULT_MIN_USD, as_time, priced_within
from pigtrace.trace.walk import Seeds, WalkResult, walk

CASH_KINDS = ("exchange_deposit", "exchange", "otc", "bridge", "mixer", "dex")
SANKEY_PER_LAYER = 6  # wallets drawn per hop in the Sankey; the rest of a hop is one "other wallets" box
METHOD_TEXT = {
    "fifo": "first in, first out: a wallet's receipts leave in the order they came in",
    "haircut": "haircut: every payment carries the traced share of the wallet's balance at that moment",
    "poison": "poison (conserving): traced money leaves a wallet first, each later payment carrying as much of "
              "it as is left",
}


def report_data(con: duckdb.DuckDBPyConnection, case: dict, store: FlowStore | None = None) -> dict[str, Any]:
    """The report's content for ``case`` (``Case.as_dict()`` or ``case_store.load_case``)."""
    chain = case["chain"]
    notes = list(case.get("notes") or [])
    hops = int(case.get("hops") or DEFAULT_HOPS)
    min_usd = float(case["min_usd"]) if case.get("min_usd") is not None else DEFAULT_MIN_USD
    if case.get("hops") is None:
        notes.append(f"the case was saved without its trace settings: the paths below use the defaults "
                     f"({hops} hops, {min_usd:g} USD minimum)")
    store = store or load_flows(con)
    traced = _trace_again(con, store, case, hops, min_usd, notes)
    timeline = _timeline(con, case)
    paths = traced["paths"]
    evidence = _evidence(case, timeline, traced)
    for row in evidence:
        row["tx_url"] = tx_url(chain, row["tx_hash"]) if row.get("tx_hash") else None
    hub = _entity_ids(con, chain, [c["address"] for c in case["cash_out"]])
    services = _services(case, hub, paths)
    return {
        "case": case,
        "generated": datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0),
        "version": __version__,
        "summary": _summary(case, timeline),
        "timeline": timeline,
        "evidence": evidence,
        "services": services,
        "held": [c for c in case["cash_out"] if c["kind"] not in CASH_KINDS],
        "paths": paths,
        "sankey": traced["sankey"],
        "graph": case["graph"],
        "method": _method(con, case, hops, min_usd, evidence),
        "labels": _label_provenance(con, chain, _case_addresses(case)),
        "explorer": {"tx": tx_url(chain, "{}"), "address": address_url(chain, "{}")},
        "notes": notes,
    }


# ---------------------------------------------------------------------- the victim's money, walked again
def _seed_edges(store: FlowStore, case: dict) -> np.ndarray:
    """Edge ids of the case's loss payments (a victim's "paid" rows; a scam subject's priced receipts)."""
    chain = case["chain"]
    if case["subject_kind"] != "victim":
        node = store.node_of(chain, case["subject"])
        if node is None:
            return np.zeros(0, np.int64)
        return priced_within(store, store.in_edges(node).astype(np.int64), None, None)
    want: dict[tuple, int] = {}
    for p in case["payments"]:
        if p["direction"] == "paid":
            key = (p["from"], p["to"], _epoch(p["time"]), p["asset"])
            want[key] = want.get(key, 0) + 1
    found: list[int] = []
    times = np.array(sorted({k[2] for k in want}), dtype=np.int64)
    for sender in sorted({k[0] for k in want}):
        node = store.node_of(chain, sender)
        if node is None:
            continue
        out = store.out_edges(node).astype(np.int64)
        for e in out[np.isin(store.time[out], times)].tolist():  # an exchange paying for the victim: many edges
            key = (sender, store.address(int(store.dst[e])), int(store.time[e]),
                   str(store.asset_symbol[store.asset[e]]))
            if want.get(key, 0) > 0:
                want[key] -= 1
                found.append(int(e))
    return np.array(sorted(found), dtype=np.int64)


def _trace_again(con, store: FlowStore, case: dict, hops: int, min_usd: float, notes: list[str]) -> dict:
    seeds_e = _seed_edges(store, case)
    if not len(seeds_e):
        notes.append("the warehouse does not hold the case's payments any more: the report has no hop paths")
        return {"paths": {}, "sankey": {"nodes": [], "links": []}, "hop_rows": {}}
    ends = load_endpoints(con, store)
    subject = store.node_of(case["chain"], case["subject"])
    seeds = Seeds(edges=seeds_e, tokens=store.amount[seeds_e].copy(), value=store.usd[seeds_e].copy(),
                  hop=1 if case["subject_kind"] == "victim" else 0, source=subject)
    res = walk(store, ends, seeds, method=case["method"], hops=hops, min_usd=min_usd)
    into: dict[int, list[int]] = defaultdict(list)
    for e in res.edges:
        into[int(store.dst[e])].append(e)
    ends_wanted = {c["address"] for c in case["cash_out"] if c["kind"] in CASH_KINDS}
    path_edges: dict[str, list[int]] = {}
    for (node, k), _v in res.endpoints.items():
        address = store.address(node)
        if address in ends_wanted and address not in path_edges:
            path_edges[address] = _path_to(store, res, into, node, subject, hops)
    wanted = sorted({e for p in path_edges.values() for e in p})
    detail = edge_rows(con, store, np.array(wanted, dtype=np.int64))
    hop_rows = {e: _hop_row(store, res, detail, e) for e in wanted}
    paths = {a: [hop_rows[e] for e in p] for a, p in path_edges.items()}
    roles = {**{r["address"]: "operator" for r in case["operators"]},
             **{r["address"]: "laundering" for r in case["laundering"]},
             **{r["address"]: "collection" for r in case["collection_wallets"]}}
    return {"paths": paths, "sankey": _sankey(store, ends, res, subject, roles), "hop_rows": hop_rows}


def _path_to(store: FlowStore, res: WalkResult, into: dict, node: int, subject: int | None, hops: int) -> list[int]:
    """The traced transfers from the victim's payment to ``node``: from ``node`` back, at each wallet the
    transfer into it that carried the most traced money and came no later than the one after it."""
    path: list[int] = []
    before = None
    seen = set()
    while len(path) <= hops + 1:
        cands = [e for e in into.get(node, []) if e not in seen and (before is None or e < before)]
        if not cands:
            break
        e = max(cands, key=lambda x: (res.edges[x][0], -x))
        path.append(e)
        seen.add(e)
        before = e
        node = int(store.src[e])
        if res.edges[e][1] <= 1 or node == subject:
            break
    return path[::-1]


def _hop_row(store: FlowStore, res: WalkResult, detail: dict, e: int) -> dict:
    d = detail.get(e, {})
    return {"hop": int(res.edges[e][1]), "time": as_time(int(store.time[e])),
            "from": store.address(int(store.src[e])), "to": store.address(int(store.dst[e])),
            "asset": str(store.asset_symbol[store.asset[e]]), "amount": d.get("amount"),
            "usd": round(float(store.usd[e]), 2) if np.isfinite(store.usd[e]) else None,
            "traced_usd": round(float(res.edges[e][0]), 2), "tx_hash": d.get("tx_hash")}


def _sankey(store: FlowStore, ends, res: WalkResult, subject: int | None, roles: dict[str, str]) -> dict:
    """The traced money hop by hop: a box per (wallet, hop) for the largest ``SANKEY_PER_LAYER`` wallets of
    each hop (the others of a hop as one box), links summing the traced USD between them; services are named."""
    flows: dict[tuple[int, int, int], float] = defaultdict(float)  # (src, dst, hop) -> usd
    for e, (usd, hop) in res.edges.items():
        flows[(int(store.src[e]), int(store.dst[e]), int(hop))] += usd
    got: dict[tuple[int, int], float] = defaultdict(float)  # (node, layer) -> traced USD in
    sent: dict[tuple[int, int], float] = defaultdict(float)  # (node, layer) -> traced USD out
    for (s, d, h), usd in flows.items():
        got[(d, h)] += usd
        sent[(s, h - 1)] += usd
    through = {k: max(got.get(k, 0.0), sent.get(k, 0.0)) for k in set(got) | set(sent)}
    keep: set[tuple[int, int]] = set()
    by_layer: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for (n, layer), usd in through.items():
        by_layer[layer].append((usd, n))
    for layer, items in by_layer.items():
        items.sort(key=lambda x: (-x[0], x[1]))
        keep.update((n, layer) for _u, n in items[:SANKEY_PER_LAYER] if n != subject)
        keep.update((n, layer) for _u, n in items if n == subject)
    ids: dict[tuple, int] = {}
    nodes: list[dict] = []

    def box(n: int, layer: int) -> int:
        service = ends.kind_of(n) is not None
        key = (n, layer) if (n, layer) in keep else ("other", layer, service)
        if key not in ids:
            ids[key] = len(nodes)
            if key[0] == "other":
                nodes.append({"id": f"other-{layer}-{int(service)}", "address": None, "layer": layer,
                              "kind": "other", "label": "other services" if service else "other wallets"})
            else:
                kind = ends.kind_of(n)
                name = ends.entity_of(n)
                address = store.address(n)
                role = "subject" if n == subject else (kind or roles.get(address, "wallet"))
                nodes.append({"id": f"{address}-{layer}", "address": address, "layer": layer, "kind": role,
                              "label": name or role.replace("_", " ")})
        return ids[key]

    links: dict[tuple[int, int], float] = defaultdict(float)
    for (s, d, h), usd in sorted(flows.items()):
        links[(box(s, h - 1), box(d, h))] += usd
    return {"nodes": nodes,
            "links": [{"source": a, "target": b, "usd": round(v, 2)} for (a, b), v in sorted(links.items())
                      if v > 0],
            "input_usd": round(res.input_usd, 2)}


# ---------------------------------------------------------------------- the victim's timeline
def _timeline(con, case: dict) -> list[dict]:
    """The victim's payments to the scam and what came back, in time order, each named by what happened:
    ``payment to scam``, ``payback from scam``, and marks: the first and the largest payment, round sums
    paid after the largest one (where "tax" or "fee" demands show), a payment taken by someone other than
    the victim (``transferFrom``: an approval drain), the last payment."""
    rows = [dict(p) for p in case.get("payments") or []]
    rows.sort(key=lambda r: (str(r["time"]), r.get("tx_hash") or ""))
    paid = [r for r in rows if r["direction"] == "paid"]
    taken = _taken_by_other(con, case["chain"], [r["tx_hash"] for r in paid if r.get("tx_hash")])
    largest = max(paid, key=lambda r: r["usd"] or 0) if paid else None
    net = 0.0
    for r in rows:
        r["event"] = "payment to scam" if r["direction"] == "paid" else "payback from scam"
        marks = []
        if r["direction"] == "paid":
            net += r["usd"] or 0
            if r is paid[0]:
                marks.append("first payment")
            if r is largest:
                marks.append("largest payment")
            elif largest is not None and str(r["time"]) > str(largest["time"]) and _round_sum(r.get("amount")):
                marks.append("round sum after the largest payment")
            if r.get("tx_hash") in taken:
                marks.append(f"taken by {taken[r['tx_hash']]}, not sent by the victim (transferFrom: an approval drain)")
            if r is paid[-1] and len(paid) > 1:
                marks.append("last payment")
        else:
            net -= r["usd"] or 0
        r["marks"] = marks
        r["net_loss_usd"] = round(net, 2)
    return rows


def _round_sum(amount) -> bool:
    """An amount with at most two significant digits (500, 1500, 20000, 0.5): how people pay a demanded sum."""
    try:
        d = Decimal(str(amount)).normalize()
    except (InvalidOperation, TypeError, ValueError):
        return False
    if d <= 0:
        return False
    return len(d.as_tuple().digits) <= 2 and d >= 1


def _taken_by_other(con, chain: str, hashes: list[str]) -> dict[str, str]:
    """Payments of the list whose transaction someone other than the payer sent (hash -> that sender)."""
    if not hashes:
        return {}
    try:
        rows = con.execute(
            """SELECT tx_hash, any_value(initiator) FROM transfers
               WHERE chain = ? AND tx_hash IN (SELECT unnest(?::VARCHAR[])) AND initiator IS NOT NULL
                 AND initiator <> from_address GROUP BY tx_hash""", [chain, hashes]).fetchall()
    except duckdb.Error:
        return {}
    return dict(rows)


def _epoch(t) -> int:
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    return int((t - datetime(1970, 1, 1)).total_seconds())


# ---------------------------------------------------------------------- summary, evidence, services
def _summary(case: dict, timeline: list[dict]) -> dict:
    paid = [r for r in timeline if r["direction"] == "paid"]
    back = [r for r in timeline if r["direction"] != "paid"]
    rings = sorted({c["ring"] for c in case["collection_wallets"] if c.get("ring")})
    cash = [c for c in case["cash_out"] if c["kind"] in CASH_KINDS]
    times = [r["time"] for r in timeline] or \
        [t for v in case["co_victims"] for t in (v["first_paid"], v["last_paid"])]  # a scam subject: its takings
    times = [str(t) if not isinstance(t, str) else t for t in times]
    return {
        "subject": case["subject"], "chain": case["chain"], "subject_kind": case["subject_kind"],
        "loss_usd": case["loss_usd"], "paid_usd": round(sum(r["usd"] or 0 for r in paid), 2),
        "paid_back_usd": round(sum(r["usd"] or 0 for r in back), 2), "payments": len(paid), "paybacks": len(back),
        "first": min(times) if times else None, "last": max(times) if times else None,
        "rings": rings, "collection_wallets": len(case["collection_wallets"]),
        "co_victims": len(case["co_victims"]), "laundering": len(case["laundering"]),
        "operators": len(case["operators"]),
        "cash_out_usd": round(sum(c["usd"] for c in cash), 2), "cash_out_accounts": len(cash),
        "held_usd": case["unresolved"].get("held_usd"), "unknown_usd": case["unresolved"].get("unknown_usd"),
        "method": case["method"], "basis": case["basis"],
    }


def _evidence(case: dict, timeline: list[dict], traced: dict) -> list[dict]:
    """Every transaction the report relies on, once per transfer: the victim's payments and paybacks, the
    co-victims' payments sent by a service, and the transfers on the paths to the cash-out accounts."""
    rows: list[dict] = []
    seen: set[tuple] = set()

    def add(r: dict, what: str, traced_usd=None) -> None:
        key = (r.get("tx_hash"), r["from"], r["to"], r.get("asset"), str(r.get("amount")))
        if key in seen or not r.get("tx_hash"):
            return
        seen.add(key)
        rows.append({"what": what, "tx_hash": r["tx_hash"], "time": r["time"], "from": r["from"], "to": r["to"],
                     "asset": r.get("asset"), "amount": r.get("amount"), "usd": r.get("usd"),
                     "traced_usd": traced_usd})

    for r in timeline:
        add(r, r["event"], r["usd"] if r["direction"] == "paid" else None)
    for e in sorted(traced["hop_rows"]):
        h = traced["hop_rows"][e]
        add(h, f"hop {h['hop']} towards cash-out", h["traced_usd"])
    for v in case["co_victims"]:
        if v.get("tx_hash"):
            add({"tx_hash": v["tx_hash"], "time": v["first_paid"], "from": v["address"], "to": None, "asset": None,
                 "amount": None, "usd": v["usd"]}, f"co-victim payment sent by {v['paid_from']}")
    rows.sort(key=lambda r: (str(r["time"]), r["tx_hash"]))
    return rows


def _entity_ids(con, chain: str, addresses: list[str]) -> dict[str, str]:
    """The entities table's entity (a name, or ``hub:0x...`` for a hot wallet found by behaviour) per address."""
    if not addresses:
        return {}
    try:
        return dict(con.execute(
            "SELECT address, entity FROM entities WHERE chain = ? AND address IN (SELECT unnest(?::VARCHAR[])) "
            "AND entity IS NOT NULL", [chain, addresses]).fetchall())
    except duckdb.Error:
        return {}


def _services(case: dict, hub: dict[str, str], paths: dict[str, list]) -> list[dict]:
    """Cash-out per exchange or service: the accounts where this case's money stopped, grouped by the
    service's name, else by the hot wallet their deposits sweep to, else each on its own."""
    groups: dict[str, dict] = {}
    for c in case["cash_out"]:
        if c["kind"] not in CASH_KINDS:
            continue
        known = c.get("entity")
        behaviour = hub.get(c["address"], "")
        if known:
            key, name = f"name:{known}", known
        elif behaviour.startswith("hub:"):
            key, name = behaviour, f"unnamed exchange (hot wallet {behaviour[4:]})"
        elif behaviour:
            key, name = f"name:{behaviour}", behaviour
        else:
            key, name = f"account:{c['address']}", f"unnamed {c['kind'].replace('_', ' ')} {c['address']}"
        g = groups.setdefault(key, {"name": name, "kinds": set(), "hot_wallet": behaviour[4:] if behaviour.startswith("hub:") else None,
                                    "accounts": [], "usd": 0.0, "ring_usd": 0.0})
        g["kinds"].add(c["kind"])
        g["accounts"].append({**c, "path": paths.get(c["address"], [])})
        g["usd"] += c["usd"]
        g["ring_usd"] += c.get("ring_usd") or 0.0
    out = []
    for g in groups.values():
        g["kinds"] = sorted(g["kinds"])
        g["usd"], g["ring_usd"] = round(g["usd"], 2), round(g["ring_usd"], 2)
        out.append(g)
    return sorted(out, key=lambda g: (-g["usd"], g["name"]))


def _case_addresses(case: dict) -> list[str]:
    found = [case["subject"]]
    for key in ("collection_wallets", "co_victims", "operators", "laundering", "key_nodes", "cash_out"):
        found += [r["address"] for r in case[key]]
    found += [p["to"] for p in case.get("payments") or []] + [p["from"] for p in case.get("payments") or []]
    return sorted(set(found))


# ---------------------------------------------------------------------- method, prices, label provenance
def _method(con, case: dict, hops: int, min_usd: float, evidence: list[dict]) -> dict:
    chain = case["chain"]
    seen: dict[str, list[float]] = defaultdict(list)
    for r in evidence:
        try:
            amount = float(r["amount"]) if r.get("amount") is not None else 0.0
        except ValueError:
            amount = 0.0
        if r.get("asset") and amount > 0 and r.get("usd") is not None:
            seen[r["asset"]].append(r["usd"] / amount)
    imported: dict[str, tuple] = {}
    try:
        for asset, n, lo, hi, first, last, source in con.execute(
                """SELECT asset, count(*), min(usd), max(usd), min(day), max(day), string_agg(DISTINCT source, '; ')
                   FROM prices WHERE chain = ? GROUP BY asset""", [chain]).fetchall():
            imported[str(asset)] = (n, lo, hi, first, last, source)
    except duckdb.Error:
        pass
    prices = []
    for symbol in sorted(seen):
        asset = next((a for a in assets(chain) if a.symbol == symbol), None)
        ref, source = usd_price(asset) if asset is not None else (None, None)
        if symbol in imported:
            n, lo, hi, first, last, src = imported[symbol]
            source = f"imported prices ({src or 'no source given'}): {n} days {first}..{last}, {lo:g}-{hi:g} USD; " \
                     f"other days: {source or 'no reference price'}"
        got = seen[symbol]
        prices.append({"asset": symbol, "reference_usd": ref, "source": source or "no USD price known",
                       "observed_min": round(min(got), 6), "observed_max": round(max(got), 6), "transfers": len(got)})
    return {"method": case["method"], "method_text": METHOD_TEXT.get(case["method"], case["method"]),
            "hops": hops, "min_usd": min_usd, "basis": case["basis"], "prices": prices}


def _licences() -> dict[str, str]:
    """Shipped pack -> its licence, from the packs' SOURCES.md table."""
    from pigtrace.labels.packs import DATA_DIR

    out: dict[str, str] = {}
    try:
        text = (DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    except OSError:
        return out
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`") and cells[0].endswith(".parquet`"):
            out.setdefault(cells[0].strip("`").removesuffix(".parquet"), cells[2])
    return out


def _label_provenance(con, chain: str, addresses: list[str]) -> list[dict]:
    """Every label on an address of the case, with its pack, origin, source, snapshot date and licence."""
    if not addresses:
        return []
    try:
        rows = con.execute(
            """SELECT address, label, category, concepts, confidence, pack, origin, source, lastmod FROM labels
               WHERE chain = ? AND address IN (SELECT unnest(?::VARCHAR[])) ORDER BY address, pack, label""",
            [chain, addresses]).fetchall()
    except duckdb.Error:
        return []
    licences = _licences()
    out = []
    for address, label, category, concepts, confidence, pack, origin, source, lastmod in rows:
        licence = licences.get(pack) if origin == "shipped" else None
        out.append({"address": address, "label": label, "category": category, "concepts": list(concepts or []),
                    "confidence": confidence, "pack": pack, "origin": origin, "source": source, "snapshot": lastmod,
                    "licence": licence or ("as given by whoever supplied the pack (imported TagPack)"
                                           if origin == "user" else "see the pack's source")})
    return out


__all__ = ["report_data", "CASH_KINDS"]
