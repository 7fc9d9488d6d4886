"""Tracing: where money went from a wallet, a victim or a transaction.

- ``methods``: how one wallet passes traced money on (fifo, haircut, poison), per wallet history;
- ``endpoints``: where a trace stops (labelled services, exchange deposit accounts, DEX pools);
- ``walk``: the hop-by-hop walk over the flow store (graph/flows) from any ``Seeds``;
- ``run``: `pigtrace trace` (sources, seeds, the report);
- ``case``: `pigtrace case` from one victim, over the latest findings.

Building on it (case rebuild, cash-out attribution): ``store = load_flows(con)``, ``ends =
load_endpoints(con, store)``, then ``walk(store, ends, Seeds(edges, tokens, value))`` with any edge ids
(say, a victim's payments to the collection wallets: ``store.out_edges(node)`` filtered by receiver)
gives the USD each followed edge carried and the USD at each (endpoint node, kind).
"""
