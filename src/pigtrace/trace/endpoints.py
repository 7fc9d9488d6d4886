"""Where a trace stops: which addresses are services (endpoints) and of what kind, per flow-store node.

Place in the flow: labels table + graph/flows -> **trace/endpoints** -> trace/walk (stops there) and
trace/run (reports kind and entity). Case building and clustering can read the same ``Endpoints``.

Kinds (the ``kind`` of ``pigtrace trace`` endpoints):

- ``exchange``: a labelled exchange or other custodial service (category exchange, wallet_service,
  payment_processor, stablecoin_issuer, mining_service, gambling, marketplace); ``entity`` is the
  exchange's name ("Binance 14" -> "Binance"), else the label's actor or text.
- ``exchange_deposit``: an unlabelled address that sends nearly all it sends (90% of the USD, 75% of the
  transfers) to labelled exchange addresses and never swaps on a DEX itself: the exchange sweeping its
  customer's deposit account; ``entity`` is the exchange it swept to most. An address like that which itself collects the sweeps of at least
  ``FORWARDER_FEEDERS`` wallets that each send it nearly everything is the exchange's own forwarder: it
  becomes ``exchange`` and those wallets ``exchange_deposit`` of the same exchange.
- an unlabelled address that collects the sweeps of at least ``HUB_FEEDERS`` wallets (each sending it
  nearly all it sends; a wallet's main receiver is the one its latest payment went to), directly or through
  forwarders that collect as many, and pays at least ``HUB_PAYEES`` different addresses is taken for an exchange's
  hot wallet nobody labelled: ``exchange`` without an entity, and the wallets sweeping to it its
  ``exchange_deposit`` accounts (also without an entity).
- ``bridge``, ``dex`` (defi_dex, defi, defi_lending, and the pools and routers seen in swaps), ``mixer``
  (mixing_service), ``otc`` (otc_desk, guarantee_marketplace): by label category or concept.
An address a label calls a wrongdoer (scam, phishing, sanction, ...) is never a service, except a mixer
(sanctioned mixers stay mixers). ``held`` and ``unknown`` are not properties of an address; the walk gives
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np

from pigtrace.graph.flows import FlowStore
from pigtrace.labels import taxonomy
from pigtrace.labels.attribution import exchange_name

KINDS = ("exchange_deposit", "exchange", "otc", "bridge", "dex", "mixer", "held", "unknown")
K = {k: i for i, k in enumerate(KINDS)}
NONE = -1

_CATEGORY_KIND = {
    "exchange": "exchange", "wallet_service": "exchange", "payment_processor": "exchange",
    "stablecoin_issuer": "exchange", "mining_service": "exchange", "gambling": "exchange", "marketplace": "exchange",
    "bridge": "bridge", "defi_bridge": "bridge",
    "defi_dex": "dex", "defi": "dex", "defi_lending": "dex",
    "mixing_service": "mixer",
    "otc_desk": "otc", "guarantee_marketplace": "otc",
}
# When an address has labels of several kinds, the first kind here wins.
_PRIORITY = ("mixer", "exchange", "bridge", "otc", "dex")
_WRONGDOER = taxonomy.HIGH_CONCEPTS | taxonomy.SEVERE_CONCEPTS

# A deposit account sends (nearly) everything to its exchange: a wallet taken for one ends the trace, so the
# bar is high (the detectors' cash-out evidence uses half).
DEPOSIT_USD_SHARE = 0.9
DEPOSIT_COUNT_SHARE = 0.75
FORWARDER_FEEDERS = 10  # wallets sweeping (nearly) all they send to one address make it a forwarder
FEEDER_SHARE = 0.9
HUB_FEEDERS = 10  # an unlabelled hot wallet: this many wallets sweep to it (directly or through forwarders) ...
HUB_PAYEES = 20  # ... and it pays this many different addresses


@dataclass
class Endpoints:
    kind: np.ndarray  # int8 per node: index into KINDS, or NONE
    entity: np.ndarray  # int32 per node: index into names, or -1
    names: list[str] = field(default_factory=list)
    key: str = ""

    def kind_of(self, node: int) -> str | None:
        k = int(self.kind[node])
        return KINDS[k] if k >= 0 else None

    def entity_of(self, node: int) -> str | None:
        e = int(self.entity[node])
        return self.names[e] if e >= 0 else None


def label_state(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "SELECT count(*), coalesce(sum(hash(chain, address, label, category, actor)), 0) FROM labels"
    ).fetchall()[0]
    return f"labels={row[0]}:{row[1]}"


def load_endpoints(con: duckdb.DuckDBPyConnection, store: FlowStore) -> Endpoints:
    """Endpoints for ``store`` under the warehouse's current labels (kept with the store per label state)."""
    key = label_state(con)
    hit = store.derived.get("endpoints")
    if hit is not None and hit.key == key:
        return hit
    ep = classify(con, store)
    ep.key = key
    store.derived["endpoints"] = ep
    return ep


def classify(con: duckdb.DuckDBPyConnection, store: FlowStore) -> Endpoints:
    ep = Endpoints(kind=np.full(store.n_nodes, NONE, dtype=np.int8), entity=np.full(store.n_nodes, -1, dtype=np.int32))
    _labelled(con, store, ep)
    dex = store.dex_nodes[ep.kind[store.dex_nodes] == NONE]
    ep.kind[dex] = K["dex"]
    if store.n_edges:
        sends = _Sends.of(store)
        _hubs(store, ep, sends)
        _deposits(store, ep, sends)
    return ep


def _labelled(con, store: FlowStore, ep: Endpoints) -> None:
    rows = con.execute("SELECT chain, address, category, concepts, actor, label, abuse FROM labels").fetchall()
    by_chain: dict[str, list] = {}
    ids: dict[str, int] = {}
    for r in rows:
        by_chain.setdefault(r[0], []).append(r)
    for chain, items in by_chain.items():
        nodes = store.nodes_of(chain, [r[1] for r in items])
        best: dict[int, tuple[int, str | None]] = {}
        wrongdoer: set[int] = set()
        for node, (_c, _a, category, concepts, actor, label, abuse) in zip(nodes.tolist(), items):
            if node < 0:
                continue
            concepts = set(concepts or [])
            k = _CATEGORY_KIND.get(category or "")
            if k is None:
                k = next((_CATEGORY_KIND[c] for c in sorted(concepts) if c in _CATEGORY_KIND), None)
            if (category in taxonomy.ABUSE_CATEGORIES or concepts & _WRONGDOER
                    or (abuse or "") in _WRONGDOER) and k != "mixer":
                wrongdoer.add(node)
                continue
            if k is None:
                continue
            rank = _PRIORITY.index(k)
            name = (exchange_name(label) if k == "exchange" and label else None) or actor or label
            if node not in best or rank < best[node][0]:
                best[node] = (rank, name)
        for node, (rank, name) in best.items():
            if node in wrongdoer and _PRIORITY[rank] != "mixer":
                continue
            ep.kind[node] = K[_PRIORITY[rank]]
            if name:
                if name not in ids:
                    ids[name] = len(ep.names)
                    ep.names.append(name)
                ep.entity[node] = ids[name]


@dataclass
class _Sends:
    """What each address sends: USD and transfers in all, and its main receiver (the receiver of its latest
    payment) with the share of its sends that went there. Computed once per classification, in O(edges)."""
    usd: np.ndarray
    out_usd: np.ndarray
    out_n: np.ndarray
    main: np.ndarray  # node id, -1 for an address that never sends
    main_usd: np.ndarray
    main_n: np.ndarray

    @classmethod
    def of(cls, store: FlowStore) -> "_Sends":
        n = store.n_nodes
        usd = np.where(np.isfinite(store.usd), store.usd, 0.0)
        out_n = np.bincount(store.src, minlength=n)
        main = np.full(n, -1, dtype=np.int64)
        sends = out_n > 0
        main[sends] = store.dst[store.out_idx[store.out_ptr[1:][sends] - 1]]
        to_main = store.dst == main[store.src]
        return cls(usd, np.bincount(store.src, weights=usd, minlength=n), out_n, main,
                   np.bincount(store.src, weights=usd * to_main, minlength=n),
                   np.bincount(store.src, weights=to_main, minlength=n))

    def feeds(self, eligible: np.ndarray) -> np.ndarray:
        """Per address, how many ``eligible`` wallets send it nearly all (FEEDER_SHARE) they send."""
        feeder = eligible & (self.main >= 0) & (self.main_usd >= FEEDER_SHARE * self.out_usd) \
            & (self.main_n >= FEEDER_SHARE * self.out_n)
        return np.bincount(self.main[feeder], minlength=len(self.main)), feeder


def _hubs(store: FlowStore, ep: Endpoints, sends: _Sends) -> None:
    """Unlabelled exchange hot wallets, by what only a hot wallet does: it collects the sweeps of at least
    HUB_FEEDERS wallets that each send it nearly all they send, directly or through forwarders (wallets
    that collect as many sweeps themselves and sweep them on), and pays at least HUB_PAYEES different
    addresses (withdrawals). A scam's consolidation wallet collects from many wallets too, but pays few."""
    n, kind = store.n_nodes, ep.kind
    fed, feeder = sends.feeds(kind == NONE)
    forwarding = feeder & (fed >= HUB_FEEDERS)
    behind = fed + np.bincount(sends.main[forwarding], weights=fed[forwarding], minlength=n).astype(np.int64)
    cand = np.flatnonzero((kind == NONE) & (behind >= HUB_FEEDERS) & (sends.out_n >= HUB_PAYEES))
    if not len(cand):
        return
    out = np.concatenate([store.out_edges(int(c)) for c in cand])
    pairs = np.unique(store.src[out].astype(np.int64) * n + store.dst[out])
    payees = np.bincount(pairs // n, minlength=n)
    kind[cand[payees[cand] >= HUB_PAYEES]] = K["exchange"]


def _deposits(store: FlowStore, ep: Endpoints, sends: _Sends) -> None:
    """Exchange deposit accounts and forwarders, from what each address sends (vectorised)."""
    n = store.n_nodes
    kind = ep.kind
    exchange = kind == K["exchange"]
    if not exchange.any():
        return
    usd, out_usd, out_n = sends.usd, sends.out_usd, sends.out_n
    to_ex = exchange[store.dst]
    ex_usd = np.bincount(store.src[to_ex], weights=usd[to_ex], minlength=n)
    ex_n = np.bincount(store.src[to_ex], minlength=n)
    swapper = np.zeros(n, dtype=bool)  # a custodial deposit address never trades on a DEX itself
    swapper[store.src[store.link_pay]] = True
    deposit = ((kind == NONE) & ~swapper & (ex_n > 0) & (ex_usd >= DEPOSIT_USD_SHARE * out_usd)
               & (ex_n >= DEPOSIT_COUNT_SHARE * out_n))
    if not deposit.any():
        return
    # the exchange each deposit account swept to most (by USD; by count when no USD is known)
    sweep = np.flatnonzero(to_ex & deposit[store.src])
    s, e, w = store.src[sweep].astype(np.int64), ep.entity[store.dst[sweep]].astype(np.int64), usd[sweep] + 1e-9
    m = len(ep.names) + 1
    uniq, inv = np.unique(s * m + (e + 1), return_inverse=True)
    total = np.bincount(inv, weights=w)
    u_src, u_ent = uniq // m, uniq % m - 1
    best = np.lexsort((-total, u_src))
    u_src, u_ent = u_src[best], u_ent[best]
    first = np.concatenate(([True], u_src[1:] != u_src[:-1]))
    kind[u_src[first]] = K["exchange_deposit"]
    ep.entity[u_src[first]] = u_ent[first]
    # forwarders: deposit-like addresses that collect the sweeps of many wallets sending them nearly all
    fed, feeder = sends.feeds(kind == NONE)
    forwarder = deposit & (fed >= FORWARDER_FEEDERS)
    if not forwarder.any():
        return
    kind[forwarder] = K["exchange"]
    fed_by = np.flatnonzero(feeder & forwarder[np.maximum(sends.main, 0)])
    kind[fed_by] = K["exchange_deposit"]
    ep.entity[fed_by] = ep.entity[sends.main[fed_by]]
