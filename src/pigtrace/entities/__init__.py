"""Services and service accounts as one persisted table every consumer shares: the ``entities`` table.

Place in the flow: store (ledger tables, ``labels``) -> **entities** -> detect (``flow_services`` builds
its service, exchange and deposit tables from it), trace (``endpoints`` maps it to flow-store nodes),
the CLI (``pigtrace entities``) and, later, the API.

One row per (chain, address) that is a service or a service's account, with ``kind`` (``KINDS``), the
``entity`` it belongs to (an exchange's or service's name from its label, or a behaviour id such as
``hub:0xabc...`` grouping an unlabelled hot wallet with its deposit accounts), ``source`` (``label`` or
``behaviour``), the label ``category`` or behaviour rule that made it, a ``score`` and ``reasons`` in
plain words.

- ``labelled``: service labels (never an abuse label: a scam, phishing or sanction list never makes or
  unmakes a service, so a behaviour-only analysis reads the same entities);
- ``behaviour``: what the ledger shows: token contracts, DEX pools and routers, contracts that pull their
  callers' tokens (bridges, vaults), the zero address; unlabelled exchange hot wallets (hubs), their
  forwarders and the deposit accounts that sweep to them;
- ``table``: builds the table (``build``: the first step of ``pigtrace analyze`` and ``pigtrace entities
  --build``) and gives consumers the entities of the warehouse as it is now (``current``: the stored
  table when it matches the ledger and labels, else the same rules computed into a temp table, so a
  read-only warehouse, or one never analysed, still gets them).
"""

KINDS = ("exchange_hot_wallet", "exchange_deposit", "otc_desk", "bridge", "dex", "mixer", "token_contract",
         "other_service")
