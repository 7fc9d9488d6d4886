"""`pigtrace simulate`: build a whole synthetic world from a seed and write it with its ground truth.

Order of construction: services and assets (``services``) → retail users → benign look-alikes → retail traffic sized
to reach the requested number of transfers → scam rings (which pick their victims and poisoning
targets among the users; each ring draws its knobs, ``knobs``) → the rings' gas funders → ordinary
business through reused laundering wallets → a per-order payment gateway where asked (``gateway``) → exchange
deposit sweeps → one time-ordered ledger →
ethereum-etl files (or TronGrid JSON) → tagpack.yaml → truth.json.
"""

from __future__ import annotations

import json
import time as _time
from pathlib import Path

import numpy as np

from pigtrace.errors import PigtraceError
from pigtrace.progress import Progress, quiet
from pigtrace.simulate import economy, gateway, scams, services
from pigtrace.simulate.addressbook import AddressBook
from pigtrace.simulate.knobs import Knobs
from pigtrace.simulate.context import DAY, World
from pigtrace.simulate.ledger import LOG_TRANSFER, Ledger
from pigtrace.simulate.spending import Spends

SCALES = {"small": 30_000, "medium": 1_000_000, "large": 10_000_000}
START = 1_736_121_600  # 2025-01-06 00:00:00 UTC
FIRST_BLOCK = 21_570_000  # an Ethereum mainnet block height of that time
SPARSE_PEOPLE = 3  # density=sparse: this many times the people (and their economy), the same rings and retail budget


def target_transfers(scale: str | int) -> int:
    if isinstance(scale, int) or str(scale).isdigit():
        n = int(scale)
        if n < 1000:
            raise PigtraceError(f"--scale {scale}: at least 1000 transfers (or small, medium, large)")
        return n
    if scale not in SCALES:
        raise PigtraceError(f"--scale {scale!r}: expected small, medium, large or a number of transfers")
    return SCALES[scale]


def build(seed: int = 7, users: int | None = None, days: int = 90, scale: str | int = "small",
          chain: str = "ethereum", vary: dict[str, str] | None = None, progress: Progress = quiet) -> World:
    """The world in memory (ledger not yet frozen); ``vary``: knob settings (``knobs.parse_vary``);
    ``progress`` hears each phase as it starts."""
    if chain not in ("ethereum", "tron"):
        raise PigtraceError(f"--chain {chain!r}: simulate writes ethereum (ethereum-etl) or tron (TronGrid JSON)")
    if days < 14:
        raise PigtraceError(f"--days {days}: at least 14 days (scams need weeks to play out)")
    target = target_transfers(scale)
    n_users = users if users is not None else int(np.clip(target // 50, 300, 200_000))
    people = SPARSE_PEOPLE if (vary or {}).get("density") == "sparse" else 1
    n_users *= people
    if n_users < 50:
        raise PigtraceError(f"--users {n_users}: at least 50")
    rng = np.random.default_rng(seed)
    w = World(rng=rng, book=AddressBook(rng), ledger=Ledger(), chain=chain, t0=START, t1=START + days * DAY,
              knobs=Knobs(vary or {}, rng))
    progress("services and users")
    service_params = services.setup_services(w)
    services.create_users(w, n_users)
    spends = Spends(w)
    u = n_users
    progress("the ordinary economy")
    economy.payroll_and_savers(w, spends, int(np.clip(u // 100, 2, 400)))
    economy.merchants(w, spends, int(np.clip(u // 60, 3, 2000)), int(np.clip(u // 10, 10, 80)))
    economy.airdrop(w, int(np.clip(u // 3, 50, 20_000)))
    economy.market_makers(w, int(np.clip(u // 300, 2, 100)))
    economy.funds(w, spends, int(np.clip(u // 300, 1, 100)))
    economy.roscas(w, spends, int(np.clip(u // 120, 2, 500)))
    economy.otc_trades(w, spends, int(np.clip(u // 20, 10, 60)))
    economy.solvers(w, spends, int(np.clip(u // 3, 20, 50_000)))
    economy.bridge_users(w, spends, int(np.clip(u // 15, 10, 20_000)))
    economy.subscriptions(w, spends, int(np.clip(u // 250, 2, 200)), int(np.clip(u // 20, 10, 60)))
    economy.treasuries(w, int(np.clip(u // 150, 2, 200)))
    economy.growing_payers(w, spends, int(np.clip(u // 40, 5, 5000)))
    spends.emit()
    so_far = _transfer_count(w.ledger)
    retail_events = int(max(0, (target - so_far * 1.3) / 1.62))
    progress("retail traffic")
    economy.retail(w, spends, retail_events)
    spends.emit()
    progress("scam rings")
    gas = scams.GasFunders(w)
    ring_u = n_users // people  # a sparse world's rings are those of the normal world: only its people are more
    max_v = int(np.clip(ring_u // 40, 6, 40))
    for _ in range(int(np.clip(ring_u // 150, 4, 300))):
        scams.fake_platform(w, gas, max_v)
    for _ in range(int(np.clip(ring_u // 200, 3, 200))):
        scams.approval_drain(w, gas, max_v)
    for _ in range(int(np.clip(ring_u // 250, 3, 150))):
        scams.address_poisoning(w, gas, max_v * 2)
    progress("gas funders and exchange sweeps")
    gas.fund()
    economy.reused_wallet_business(w, spends)
    spends.emit()
    if w.knobs.pick("payment_gateway") == "per_order":
        gateway.per_order(w, w.knobs.gateway, int(np.clip(u // 10, 10, 2000)), int(np.clip(u // 100, 3, 200)))
    services.sweeps(w)
    w.params = {"users": n_users, "days": days, "scale": str(scale), "target_transfers": target,
                "start": START, "first_block": FIRST_BLOCK, "style": w.knobs.style, "vary": dict(w.knobs.given),
                **service_params}
    return w


def _transfer_count(ledger: Ledger) -> int:
    txs, logs = ledger.batches()
    return sum(int((b["kind"] == LOG_TRANSFER).sum()) for b in logs) + sum(int((b["value"] > 0).sum()) for b in txs)


def simulate(out_dir: str | Path, seed: int = 7, users: int | None = None, days: int = 90,
             scale: str | int = "small", chain: str = "ethereum", vary: dict[str, str] | None = None,
             progress: Progress = quiet) -> dict:
    """Simulate a world and write it to ``out_dir``: the chain data, ``tagpack.yaml`` (the labels an
    investigator would have) and ``truth.json``. Returns a summary. ``progress`` hears each phase of
    building the world, then "ordering the ledger in time", "writing <files>" and "writing truth.json"."""
    from pigtrace.simulate.truth import build_truth

    clock = [_time.perf_counter()]
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        clock.append(_time.perf_counter())
        timings[name] = round(clock[-1] - clock[-2], 2)

    out = Path(out_dir)
    w = build(seed=seed, users=users, days=days, scale=scale, chain=chain, vary=vary, progress=progress)
    lap("build")
    progress("ordering the ledger in time")
    frozen = w.ledger.freeze(w.t0, FIRST_BLOCK)
    lap("freeze")
    out.mkdir(parents=True, exist_ok=True)
    if chain == "tron":
        from pigtrace.simulate.tron_writer import write_trongrid

        progress("writing TronGrid pages")
        counts = write_trongrid(out, frozen, w, salt=seed)
    else:
        from pigtrace.simulate.etl_writer import write_etl

        progress("writing ethereum-etl files")
        counts = write_etl(out, frozen, w.book.raw(), _token_rows(w), salt=seed)
    lap("write")
    progress("writing truth.json and tagpack.yaml")
    truth = build_truth(w, seed, frozen)
    truth["params"]["tagpack"] = _write_tagpack(out, w)
    big = len(truth["roles"]) + len(truth["benign"]) > 20_000
    (out / "truth.json").write_text(json.dumps(truth, indent=None if big else 1))
    lap("truth")
    by_typ: dict[str, int] = {}
    for r in truth["rings"]:
        by_typ[r["typology"]] = by_typ.get(r["typology"], 0) + 1
    return {
        "out": str(out), "seed": seed, "chain": chain, "users": w.params["users"], "days": days,
        "transfers": frozen.n_transfers, "transactions": len(frozen.tx["time"]), "files": counts,
        "rings": by_typ, "victims": sum(len(r["victims"]) for r in truth["rings"]),
        "stolen_usd": round(sum(v["lost_usd"] for r in truth["rings"] for v in r["victims"]), 2),
        "scam_addresses": len(truth["roles"]), "knobs": {"style": w.knobs.style, **w.knobs.given},
        "labelled_hot_wallets": f"{truth['params']['tagpack']['labelled']} of {truth['params']['tagpack']['hot_wallets']}",
        "seconds": round(clock[-1] - clock[0], 2), "timings": timings,
    }


def _token_rows(w: World) -> list[dict]:
    rows = []
    for t in w.tokens.values():
        if t.entity >= 0:
            rows.append({"entity": t.entity, "symbol": t.symbol, "name": t.name, "decimals": t.decimals})
    rows += w.extra_tokens
    return [{"address": w.book.hex(r["entity"]), "symbol": r["symbol"], "name": r["name"], "decimals": r["decimals"],
             "total_supply": None, "block_number": FIRST_BLOCK} for r in rows]


def _write_tagpack(out: Path, w: World) -> dict:
    """``OUT/tagpack.yaml``: a GraphSense TagPack of the services an investigator would have labelled (a
    ``labelled_hot_wallets`` share of the exchange hot wallets, the DEX and bridge contracts). Written
    here with plain YAML: the simulator shares no code or data with pigtrace's label packs."""
    import yaml

    from pigtrace.simulate.truth import lazy_address_text

    rows, summary = services.tagpack_rows(w, lazy_address_text(w))
    network = "tron" if w.chain == "tron" else "ethereum"
    doc = {"title": "Services of a simulated world (pigtrace simulate)", "creator": "pigtrace simulate",
           "description": f"{summary['labelled']} of {summary['hot_wallets']} exchange hot wallets "
                          f"(labelled_hot_wallets={summary['share']}), DEX and bridge contracts",
           "is_public": False, "network": network,
           "source": "pigtrace simulate (synthetic world)", "confidence": "ownership", "lastmod": "2025-01-06",
           "tags": [{"address": r["address"], "label": r["label"], "category": r["category"],
                     **({"actor": r["actor"]} if "actor" in r else {})} for r in rows]}
    (out / "tagpack.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, width=120))
    return {**summary, "file": "tagpack.yaml"}
