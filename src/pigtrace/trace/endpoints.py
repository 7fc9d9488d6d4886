"""Where a trace stops: which addresses are services (endpoints) and of what kind, per flow-store node.

Place in the flow: entities (the warehouse's ``entities`` table, or the same rules computed on demand)
+ labels + graph/flows -> **trace/endpoints** -> trace/walk (stops there) and trace/run (reports kind and
entity). Case building reads the same ``Endpoints``.

Kinds (the ``kind`` of ``pigtrace trace`` endpoints), from the entities (pigtrace.entities):

- ``exchange``: exchange hot wallets and forwarders (labelled, or recognised by behaviour: hubs that
  collect many wallets' sweeps and pay many customers) and other custodial services a label names (wallet
  services, payment processors, stablecoin issuers, mining pools, gambling sites, marketplaces);
- ``exchange_deposit``: exchange deposit accounts (an address that sends nearly all it sends to an
  exchange's hot wallets and never trades on a DEX itself);
- ``bridge`` (labelled bridges), ``dex`` (labelled DEXes, and the pools and routers seen in swaps),
  ``mixer``, ``otc`` (labelled OTC desks and guarantee marketplaces).
``entity`` is the exchange's or service's name where one is known (a label's, or for hot wallets found by
behaviour the name of labelled hot wallets that share their deposit accounts); a behaviour id
(``hub:0x...``) is not shown. Token contracts, contracts that pull their callers' tokens and the zero
address are services to the detectors but not endpoints: money sent there stays where it is (``held``).
An address a label calls a wrongdoer (scam, phishing, sanction, ...) is never a service by its labels,
except a mixer (sanctioned mixers stay mixers: the entities leave abuse labels out, so trace adds them).
``held`` and ``unknown`` are not properties of an address; the walk gives them.

Works on any warehouse, also one opened read-only or never analysed: ``entities.current`` then computes
the entities for this connection without writing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np

from pigtrace.arrays import distinct
from pigtrace.entities import table as entities
from pigtrace.entities.labelled import CATEGORY_KIND, CUSTODIAL
from pigtrace.graph.flows import FlowStore
from pigtrace.labels import taxonomy

KINDS = ("exchange_deposit", "exchange", "otc", "bridge", "dex", "mixer", "held", "unknown")
K = {k: i for i, k in enumerate(KINDS)}
NONE = -1

_WRONGDOER = sorted(taxonomy.HIGH_CONCEPTS | taxonomy.SEVERE_CONCEPTS)


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


# entity kind (and for other services the label category) -> trace kind
_KIND_SQL = f"""CASE WHEN kind = 'exchange_hot_wallet' THEN 'exchange'
                     WHEN kind = 'other_service' AND source = 'label' AND category IN ({_in(CUSTODIAL)}) THEN 'exchange'
                     WHEN kind = 'exchange_deposit' THEN 'exchange_deposit'
                     WHEN kind = 'otc_desk' THEN 'otc'
                     WHEN kind = 'bridge' AND source = 'label' THEN 'bridge'
                     WHEN kind IN ('dex', 'mixer') THEN kind END"""
_WRONGDOER_SQL = (f"(coalesce(category, '') IN ({_in(taxonomy.ABUSE_CATEGORIES)})"
                  f" OR list_has_any(coalesce(concepts, []::VARCHAR[]), [{_in(_WRONGDOER)}])"
                  f" OR coalesce(abuse, '') IN ({_in(_WRONGDOER)}))")
# a label row naming a mixer (by its category, else by its concepts), whatever else it says
_MIXER_SQL = (f"(category = 'mixing_service' OR (coalesce(category, '') NOT IN ({_in(CATEGORY_KIND)})"
              " AND list_contains(coalesce(concepts, []::VARCHAR[]), 'mixing_service')))")


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


def load_endpoints(con: duckdb.DuckDBPyConnection, store: FlowStore) -> Endpoints:
    """Endpoints for ``store`` under the warehouse's current entities (kept with the store per state)."""
    key = entities.state_key(con)
    hit = store.derived.get("endpoints")
    if hit is not None and hit.key == key:
        return hit
    ep = classify(con, store)
    ep.key = key
    store.derived["endpoints"] = ep
    return ep


def classify(con: duckdb.DuckDBPyConnection, store: FlowStore) -> Endpoints:
    """Each node's endpoint kind and entity, from the entities (mapped to flow-store nodes)."""
    ep = Endpoints(kind=np.full(store.n_nodes, NONE, dtype=np.int8), entity=np.full(store.n_nodes, -1, dtype=np.int32))
    rel = entities.current(con)
    rows = con.execute(
        f"""WITH wrong AS (SELECT DISTINCT chain, address FROM labels WHERE {_WRONGDOER_SQL} AND NOT {_MIXER_SQL}),
            mixers AS (SELECT chain, address, arg_min(coalesce(actor, label), (label, coalesce(actor, label))) AS entity FROM labels
                       WHERE {_MIXER_SQL} GROUP BY ALL),
            e AS (SELECT chain, address, {_KIND_SQL} AS k,
                         CASE WHEN NOT starts_with(coalesce(entity, ''), 'hub:') THEN entity END AS entity, source
                  FROM {rel})
            SELECT chain, address, 'mixer' AS k, coalesce(entity, '') AS entity FROM mixers
            UNION ALL
            SELECT e.chain, e.address, e.k, coalesce(e.entity, '') FROM e
            WHERE e.k IS NOT NULL AND (chain, address) NOT IN (SELECT chain, address FROM mixers)
              AND NOT (e.source = 'label' AND (chain, address) IN (SELECT chain, address FROM wrong))
            ORDER BY 1, 2"""
    ).fetchnumpy()
    if not len(rows["chain"]):
        return ep
    chains, addresses = rows["chain"].astype(str), rows["address"].astype(str)
    names = rows["entity"].astype(str)
    uniq, inv = np.unique(names, return_inverse=True)
    ep.names = [str(u) for u in uniq if u]
    inv = inv - (1 if len(uniq) and uniq[0] == "" else 0)  # '' (no entity) sorts first and becomes -1
    k_uniq, k_inv = np.unique(rows["k"].astype(str), return_inverse=True)
    kind = np.array([K[k] for k in k_uniq], dtype=np.int8)[k_inv]
    for chain in distinct(chains):
        sel = np.flatnonzero(chains == chain)
        nodes = store.nodes_of(str(chain), addresses[sel])
        ok = nodes >= 0
        ep.kind[nodes[ok]] = kind[sel[ok]]
        ep.entity[nodes[ok]] = inv[sel[ok]]
    return ep
