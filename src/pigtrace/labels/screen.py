"""Address screening (``pigtrace screen``): risk level, named reasons, matched labels and exposure.

Flow for a batch: each input is parsed to its canonical form and chain (guessed from the form when no
chain is given; a malformed input gets risk 'error' and an ``error`` message, the batch goes on), then
one DuckDB join matches the whole batch against the ``labels`` and ``findings`` tables, and the exposure
walk (``labels/exposure.py``) adds value from/to risky addresses within N hops.

Risk, worst reason wins:
``severe``  OFAC-sanctioned (concept ``sanction``), with the SDN entity name;
``high``    a scam / phishing / hacker / issuer-blocked label, a scam-role finding of ``pigtrace analyze``,
            or direct exposure to a sanctioned address;
``medium``  a mixer or OTC label, or direct exposure to a high-risk address;
``low``     direct exposure to a mixer, indirect exposure (2..N hops) to any risky address, or a 'victim'
            finding;
``none``    nothing risky: unlabelled, or a service such as an exchange hot wallet (labelled, not risky;
            a service's own exposure is reported but does not raise its risk).
"""

from __future__ import annotations

import gc
import json
import re

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pigtrace.chains.addresses import normalize_evm
from pigtrace.errors import InvalidAddress, PigtraceError
from pigtrace.labels.addressing import canonical, check_chain, family, guess_network, tron_checksum_ok
from pigtrace.labels.exposure import exposure
from pigtrace.labels.taxonomy import (HIGH_CONCEPTS, MEDIUM_CONCEPTS, RISK_ORDER, SERVICE_CATEGORIES,
                                      SEVERE_CONCEPTS, label_concepts_sql)

_EVM_PLAIN = re.compile(r"^0x(?:[0-9a-f]{40}|[0-9A-F]{40})$")
_RANK = {4: "severe", 3: "high", 2: "medium", 1: "low", 0: "none"}
_FORM_NAMES = "EVM 0x..., Tron T..., Bitcoin, Litecoin, Bitcoin Cash, Monero, Dash, Zcash, XRP, Solana, ..."


def parse_one(raw: str, chain: str | None) -> tuple[str, str]:
    """(canonical address, chain) of one input; raises InvalidAddress naming the problem."""
    a = raw.strip()
    if not a:
        raise InvalidAddress("empty address")
    if chain:
        if family(chain) == "evm" and _EVM_PLAIN.match(a):
            return a.lower(), chain
        return canonical(a, chain), chain
    if _EVM_PLAIN.match(a):
        return a.lower(), "ethereum"
    if len(a) == 34 and a[0] == "T":
        if tron_checksum_ok(a):
            return a, "tron"
        raise InvalidAddress(f"{raw!r}: base58check checksum does not match (mistyped Tron address?)")
    net = guess_network(a)
    if net is None:
        raise InvalidAddress(f"{raw!r}: not a recognised address form ({_FORM_NAMES})")
    if net == "evm":
        return normalize_evm(a), "ethereum"
    return canonical(a, net), net


def _label_rows(con: duckdb.DuckDBPyConnection, table: pa.Table) -> list[tuple]:
    con.register("_screen_in", table)
    try:
        return con.execute(
            f"""SELECT idx, chain, label, source, confidence, concepts, category, pack, actor,
                       CASE WHEN list_has_any(risky, {_lst(SEVERE_CONCEPTS)}) THEN context END AS context,
                       CASE WHEN list_has_any(risky, {_lst(SEVERE_CONCEPTS)}) THEN 4
                            WHEN list_has_any(risky, {_lst(HIGH_CONCEPTS)}) THEN 3
                            WHEN list_has_any(risky, {_lst(MEDIUM_CONCEPTS)}) THEN 2 ELSE 0 END AS rank, risky
                FROM (SELECT i.idx, l.*, {label_concepts_sql('l')} AS risky
                      FROM _screen_in i JOIN labels l ON l.address = i.address)
                ORDER BY idx, rank DESC, pack, label"""
        ).fetchall()
    finally:
        con.unregister("_screen_in")


def _finding_rows(con: duckdb.DuckDBPyConnection, table: pa.Table) -> list[tuple]:
    con.register("_screen_in", table)
    try:
        return con.execute(
            """SELECT i.idx, f.chain, f.role, f.typology, f.score, f.reasons
               FROM _screen_in i JOIN findings f ON f.address = i.address ORDER BY i.idx, f.score DESC"""
        ).fetchall()
    finally:
        con.unregister("_screen_in")


def _lst(values) -> str:
    return "[" + ", ".join(f"'{v}'" for v in sorted(values)) + "]"


def screen(con: duckdb.DuckDBPyConnection, items: list[str], chain: str | None = None, hops: int = 2) -> list[dict]:
    """Screen ``items`` against the labels and findings in ``con``; one result dict per input, in order."""
    # A batch builds hundreds of thousands of small dicts that hold no cycles; pausing the cyclic garbage
    # collector while building them halves the time.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _screen(con, items, chain, hops)
    finally:
        if paused:
            gc.enable()


def _parse_batch(items: list[str], chain: str | None) -> tuple[list[dict], list[int], list[str]]:
    """Result skeletons for every input, plus the indexes and canonical addresses of the valid ones.

    Plain (all-lower or all-upper) EVM addresses are recognised and lower-cased columnar with Arrow; the
    others go through ``parse_one`` (checksums, Tron, Bitcoin and the other forms)."""
    arr = pc.utf8_trim_whitespace(pa.array(items, pa.string()))
    evm_ok = chain is None or family(chain) == "evm"
    plain = pc.match_substring_regex(arr, _EVM_PLAIN.pattern).to_pylist() if evm_ok else [False] * len(items)
    lowered = pc.utf8_lower(arr).to_pylist()
    default_chain = chain or "ethereum"
    results: list[dict] = []
    idx: list[int] = []
    addrs: list[str] = []
    for i, (raw, is_plain, low) in enumerate(zip(items, plain, lowered)):
        if is_plain:
            address, ch = low, default_chain
        else:
            try:
                address, ch = parse_one(raw, chain)
            except PigtraceError as e:
                results.append({"address": raw, "chain": chain, "risk": "error", "labels": [], "reasons": [],
                                "exposure": None, "error": str(e)})
                continue
        results.append({"address": address, "chain": ch, "risk": "none", "labels": [], "reasons": [],
                        "exposure": None})
        idx.append(i)
        addrs.append(address)
    return results, idx, addrs


def _screen(con: duckdb.DuckDBPyConnection, items: list[str], chain: str | None, hops: int) -> list[dict]:
    if chain:
        check_chain(chain)  # an unknown chain name fails the whole batch, once
    results, idx, addrs = _parse_batch(items, chain)
    if not idx:
        return results
    table = pa.table({"idx": pa.array(idx, pa.int32()), "address": pa.array(addrs, pa.string())})
    ranks = [0] * len(results)
    services: set[int] = set()
    for i, lchain, label, source, confidence, concepts, category, pack, actor, context, rank, risky in \
            _label_rows(con, table):
        r = results[i]
        r["labels"].append({"label": label, "source": source, "confidence": confidence,
                            "concepts": list(concepts or []), "category": category, "chain": lchain, "pack": pack,
                            "actor": actor})
        if category in SERVICE_CATEGORIES:
            services.add(i)
        if rank:
            ranks[i] = max(ranks[i], rank)
            r["reasons"].append(_label_reason(label, source, category, risky, pack, context, rank))
        elif category in SERVICE_CATEGORIES and not any(x.startswith("service:") for x in r["reasons"]):
            r["reasons"].append(f"service: {category.replace('_', ' ')} '{label}' ({pack}); labelled, not risky")
    for i, fchain, role, typology, score, reasons in _finding_rows(con, table):
        rank = 1 if role == "victim" else 3
        ranks[i] = max(ranks[i], rank)
        what = f"pigtrace analyze found it as {role}" + (f" ({typology}, score {score:.2f})" if typology else "")
        results[i]["reasons"].append(what)
        results[i].setdefault("findings", []).append({"role": role, "typology": typology, "score": score,
                                                      "reasons": json.loads(reasons) if reasons else []})
    exp = exposure(con, addrs, hops)
    for i in idx:
        r = results[i]
        e = exp.get(r["address"])
        if e is None:
            r["exposure"] = {"hops": hops, "incoming": {"direct_usd": 0.0, "indirect_usd": 0.0, "transfers": 0,
                                                        "counterparties": []},
                             "outgoing": {"direct_usd": 0.0, "indirect_usd": 0.0, "transfers": 0,
                                          "counterparties": []}}
        else:
            r["exposure"] = e
            # a service's counterparties say nothing about the service itself
            if i not in services or ranks[i] >= 2:
                ranks[i] = max(ranks[i], _exposure_reasons(e, r["reasons"]))
        r["risk"] = _RANK[ranks[i]]
        if r["labels"]:
            _settle_chain(r, chain)
    return results


def _exposure_reasons(e: dict, reasons: list[str]) -> int:
    """Append one reason per risky counterparty; returns the risk rank the exposure carries."""
    worst_rank = 0
    for direction, verb in (("incoming", "received from"), ("outgoing", "sent to")):
        for c in e[direction]["counterparties"]:
            rank = {"severe": 3, "high": 2, "medium": 1}[c["risk"]] if c["hop"] == 1 else 1
            worst_rank = max(worst_rank, rank)
            hop = "directly" if c["hop"] == 1 else f"within {c['hop']} hops"
            reasons.append(f"{verb} {c['risk']}-risk address {c['address']} {hop}: "
                           f"{c['usd']:,.2f} USD in {c['transfers']} transfers ({c['why']})")
    return worst_rank


def _settle_chain(r: dict, given: str | None) -> None:
    """Report the chain the labels are on when the form alone could not tell."""
    if given:
        return
    chains = {lab["chain"] for lab in r["labels"]}
    if r["chain"] == "ethereum":
        if "ethereum" not in chains and len(chains) == 1 and family(next(iter(chains))) == "evm":
            r["chain"] = next(iter(chains))
    elif r["chain"] not in chains and family(r["chain"]) not in ("evm", "tron"):
        r["chain"] = r["labels"][0]["chain"]  # e.g. a '1...' address listed for Bitcoin SV


def _label_reason(label, source, category, concepts, pack, context, rank) -> str:
    concepts = list(concepts or [])
    if rank == 4:
        ctx = json.loads(context) if context else {}
        programs = ", ".join(ctx.get("programs") or [])
        listed = f", listed {ctx['entry_date']}" if ctx.get("entry_date") else ""
        return f"sanctioned: OFAC SDN entry '{label}'" + (f" ({programs}{listed})" if programs else "")
    what = ", ".join(c for c in concepts if c not in ("scam",)) or category or "risky"
    return f"labelled {what}: '{label}' ({pack})"


def risk_counts(results: list[dict]) -> dict[str, int]:
    counts = {k: 0 for k in sorted(RISK_ORDER, key=RISK_ORDER.get, reverse=True)}
    counts["error"] = 0
    for r in results:
        counts[r["risk"]] = counts.get(r["risk"], 0) + 1
    return counts

