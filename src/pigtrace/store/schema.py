"""Canonical tables (DESIGN.md data contract). Primary keys make every ingest idempotent.

Raw token amounts are exact: ``amount`` is an unsigned 128-bit integer; the rare value that does not fit
(unlimited approvals are 2**256-1, spam tokens mint absurd supplies) keeps ``amount`` NULL and its exact
decimal text in ``amount_text``. ``usd`` is derived (stablecoins at par, others from ``usd_source``).
Native coin movements live in ``transfers`` with ``token = 'native'`` and ``log_index = -1``.

The ledger tables (blocks, transactions, transfers, approvals, swaps) have logical keys (``PRIMARY_KEYS``)
that ``store.warehouse.merge_staged`` enforces with an anti-join on every write; they carry no index
constraint because maintaining one costs more than the whole rest of an ingest (bench/ingest.py).

The columns below are what readers see. ``transactions``, ``transfers``, ``approvals`` and ``swaps`` are
stored compactly (``store.compact``: addresses and hashes as integer refs into dictionary tables) and
read through views of these exact columns.
"""

# 1: ledger addresses and hashes stored as text. 2: compact ledger tables behind text views.
SCHEMA_VERSION = 2

TABLES: dict[str, str] = {
    "blocks": """
        chain VARCHAR NOT NULL, number BIGINT NOT NULL, hash VARCHAR, parent_hash VARCHAR,
        time TIMESTAMP, miner VARCHAR, transaction_count INTEGER, base_fee_per_gas UHUGEINT""",
    "transactions": """
        chain VARCHAR NOT NULL, hash VARCHAR NOT NULL, block_number BIGINT, transaction_index INTEGER,
        time TIMESTAMP, from_address VARCHAR, to_address VARCHAR, value UHUGEINT, value_text VARCHAR,
        gas BIGINT, gas_price UHUGEINT, status SMALLINT, method_id VARCHAR, nonce BIGINT""",
    "transfers": """
        chain VARCHAR NOT NULL, tx_hash VARCHAR NOT NULL, log_index INTEGER NOT NULL, block_number BIGINT,
        time TIMESTAMP, token VARCHAR NOT NULL, kind VARCHAR NOT NULL, from_address VARCHAR, to_address VARCHAR,
        amount UHUGEINT, amount_text VARCHAR, token_id VARCHAR, initiator VARCHAR, usd DOUBLE, usd_source VARCHAR""",
    "approvals": """
        chain VARCHAR NOT NULL, tx_hash VARCHAR NOT NULL, log_index INTEGER NOT NULL, block_number BIGINT,
        time TIMESTAMP, token VARCHAR NOT NULL, kind VARCHAR NOT NULL, owner VARCHAR, spender VARCHAR,
        amount UHUGEINT, amount_text VARCHAR, unlimited BOOLEAN, approved BOOLEAN, expiration BIGINT,
        contract VARCHAR, initiator VARCHAR""",
    "swaps": """
        chain VARCHAR NOT NULL, tx_hash VARCHAR NOT NULL, log_index INTEGER NOT NULL, block_number BIGINT,
        time TIMESTAMP, pool VARCHAR, protocol VARCHAR, sender VARCHAR, recipient VARCHAR, initiator VARCHAR,
        token_in VARCHAR, amount_in UHUGEINT, token_out VARCHAR, amount_out UHUGEINT""",
    "tokens": """
        chain VARCHAR NOT NULL, address VARCHAR NOT NULL, symbol VARCHAR, name VARCHAR, decimals INTEGER,
        total_supply VARCHAR, PRIMARY KEY (chain, address)""",
    "ingest_log": """
        id BIGINT PRIMARY KEY, source VARCHAR, location VARCHAR, chain VARCHAR, started TIMESTAMP,
        finished TIMESTAMP, rows_added JSON""",
    "rpc_checkpoints": """
        url VARCHAR NOT NULL, chain VARCHAR NOT NULL, from_block BIGINT NOT NULL, to_block BIGINT NOT NULL,
        next_block BIGINT NOT NULL, updated TIMESTAMP, PRIMARY KEY (url, chain, from_block, to_block)""",
    "meta": "key VARCHAR PRIMARY KEY, value VARCHAR",
    # GraphSense TagPack fields plus provenance: `pack` names the pack (shipped or user), `origin` is
    # 'shipped' or 'user'. One row per (pack, chain, address, label).
    "labels": """
        chain VARCHAR NOT NULL, address VARCHAR NOT NULL, label VARCHAR NOT NULL, source VARCHAR,
        confidence VARCHAR, category VARCHAR, abuse VARCHAR, concepts VARCHAR[], actor VARCHAR, tx_hash VARCHAR,
        lastmod DATE, is_cluster_definer BOOLEAN, context VARCHAR, pack VARCHAR NOT NULL, origin VARCHAR,
        PRIMARY KEY (pack, chain, address, label)""",
    # One row per (chain, address, role), combined from every detector's rows in ``detector_findings``;
    # evidence and reasons are JSON lists.
    "findings": """
        chain VARCHAR NOT NULL, address VARCHAR NOT NULL, role VARCHAR NOT NULL, typology VARCHAR, score DOUBLE,
        first_seen TIMESTAMP, last_seen TIMESTAMP, reasons JSON, evidence JSON, ring VARCHAR, run_id BIGINT,
        PRIMARY KEY (chain, address, role)""",
    # Services and service accounts (pigtrace.entities): one row per (chain, address), rebuilt by
    # `pigtrace analyze` and `pigtrace entities --build`; reasons is a JSON list of plain-words strings.
    # Warehouses written before it get the (empty) table from ensure_schema when next opened for writing.
    "entities": """
        chain VARCHAR NOT NULL, address VARCHAR NOT NULL, kind VARCHAR NOT NULL, entity VARCHAR,
        source VARCHAR NOT NULL, category VARCHAR, score DOUBLE, reasons JSON, PRIMARY KEY (chain, address)""",
    # Each detector's own findings from its latest run (before findings are combined): ``analyze --only``
    # replaces one detector's rows and combines ``findings`` again from all of them. ``seq`` keeps the
    # order the detector gave them in.
    "detector_findings": """
        detector VARCHAR NOT NULL, seq INTEGER NOT NULL, chain VARCHAR NOT NULL, address VARCHAR NOT NULL,
        role VARCHAR NOT NULL, typology VARCHAR, score DOUBLE, first_seen TIMESTAMP, last_seen TIMESTAMP,
        reasons JSON, evidence JSON, ring VARCHAR, run_id BIGINT, PRIMARY KEY (detector, chain, seq)""",
    # When each detector last ran, over which chains (``scope``: a chain, or '*' for all) and on what inputs
    # (``inputs``: a fingerprint of the ledger, labels and prices; detect.stored).
    "detector_runs": """
        detector VARCHAR NOT NULL, scope VARCHAR NOT NULL, run_id BIGINT, finished TIMESTAMP,
        behaviour_only BOOLEAN, inputs VARCHAR, findings INTEGER, PRIMARY KEY (detector, scope)""",
    # USD prices by asset and day (`pigtrace prices import`); transfers of a priced asset on a priced day
    # are valued at it, others at the registry's reference price (chains.registry.usd_price).
    "prices": """
        chain VARCHAR NOT NULL, token VARCHAR NOT NULL, day DATE NOT NULL, usd DOUBLE NOT NULL, asset VARCHAR,
        decimals INTEGER, source VARCHAR, PRIMARY KEY (chain, token, day)""",
    # Rings (detect/collection_evidence): wallets one operation runs, grouped by operational links (a shared
    # consolidation wallet, gas funder or payer), with the role each plays and the link that joined it.
    # Replaced whenever the detector that finds them runs.
    "rings": """
        chain VARCHAR NOT NULL, ring VARCHAR NOT NULL, address VARCHAR NOT NULL, role VARCHAR NOT NULL,
        link VARCHAR, run_id BIGINT, PRIMARY KEY (chain, ring, address, role)""",
    "analysis_runs": """
        id BIGINT PRIMARY KEY, started TIMESTAMP, finished TIMESTAMP, detectors JSON, findings INTEGER,
        behaviour_only BOOLEAN""",
}

# Columns added after a table was first shipped: ``ensure_schema`` adds them to older warehouses.
# analysis_runs.behaviour_only: the run read no scam, phishing or sanction label (`analyze --behaviour-only`).
ADDED_COLUMNS: list[tuple[str, str, str]] = [
    ("analysis_runs", "behaviour_only", "BOOLEAN"),
]

ROLES = ("victim", "scam_collection", "scam_operator", "laundering", "cash_out")

# The tables exchanged as Parquet (`pigtrace ingest parquet` / `pigtrace export parquet`).
CANONICAL = ["blocks", "transactions", "transfers", "approvals", "swaps", "tokens"]

PRIMARY_KEYS: dict[str, list[str]] = {
    "blocks": ["chain", "number"],
    "transactions": ["chain", "hash"],
    "transfers": ["chain", "tx_hash", "log_index"],
    "approvals": ["chain", "tx_hash", "log_index"],
    "swaps": ["chain", "tx_hash", "log_index"],
    "tokens": ["chain", "address"],
}
