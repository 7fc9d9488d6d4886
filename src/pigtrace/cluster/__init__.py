"""Clustering for account chains: which addresses one owner (a person, a ring, a service) controls.

Place in the flow: store -> cluster -> (trace, case, reports, API). It reads the compact ledger
(``ledger_*`` tables, integer address refs) and ``labels``, and writes the ``clusters`` table.

- ``ground``: services, exchange hot wallets, accounts (EOAs) and deposit accounts, as ref tables;
- one module per heuristic (``deposit_reuse``, ``gas_funder``, ``approval_spender``, ``co_spending``,
  ``tagpack_definer``), each a ``base.Heuristic`` with its rule, its guard and one SQL query of links;
- ``registry``: the heuristics in the order their links are applied, and choosing among them;
- ``union``: connected components over the links, with the size cap against giant clusters;
- ``tree``: which link joined each member (a spanning tree of each cluster, most certain links first);
- ``build``: the run (``build_clusters``); ``store``: the ``clusters`` table and its queries.
"""
