"""The economics of taking money, per wallet: the features the scam-collection evidence model scores.

Place in the flow: flow_services (value transfers, services, deposit accounts) -> **collection_features**
-> collection_evidence (the score, rings, victims). The training script (scripts/train_collection_model.py)
reads the same features from simulated worlds, so the detector and its weights never disagree on what a
feature means.

A scam wallet takes money from people who pay it much of what they have, over and over, and gives almost
nothing back; the money came to those people from an on-ramp (an exchange) and leaves the scam wallet soon,
mostly to one place the ring controls, often shared with the ring's other wallets. None of this depends on
the asset, the typology, round amounts or paybacks, and none of it is required: each is one feature.

``pt_cf`` holds one row per candidate wallet (a non-service wallet that received value from anyone), with
the columns named in ``FEATURES`` plus ``chain``, ``address``, ``first_seen``, ``last_seen``, ``in_usd``,
``payers`` and ``top_dst`` (the wallet it sent most to, for rings).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from pigtrace.detect.base import AnalysisContext
from pigtrace.detect.flow_services import rows_touching
from pigtrace.detect.gas import gas_topup_sql

# name -> plain words for a finding's reasons (the value is filled in)
FEATURES: dict[str, str] = {
    "payers": "{:.0f} different wallets paid it",
    "devoted": "{:.0f} of its payers sent it at least half of all they ever sent",
    "devoted_share": "{:.0%} of its payers sent it at least half of all they ever sent",
    "repeat": "{:.0f} payers (an exchange counting as one) paid it three times or more",
    "growing": "{:.0f} payers paid it again with larger amounts",
    "onramp": "its payers' money came {:.0%} from exchanges and other services",
    "withdrawals": "{:.0f} payments reached it straight from exchanges",
    "back": "it paid {:.1%} of what it took back to its payers",
    "passed": "it passed on {:.0%} of what it received",
    "hold_d": "money stayed with it a median {:.1f} days",
    "life_d": "active for {:.0f} days",
    "top_share": "{:.0%} of what it sent went to one wallet",
    "to_services": "{:.0%} of what it sent went straight to services",
}
FEATURE_INDEX = {name: j for j, name in enumerate(FEATURES)}
# The direction economics gives each feature: +1 raises the odds of a scam wallet, -1 lowers them. The
# fit may not turn a feature around (a simulated benign economy must not teach that having many payers
# is innocent); "to_services" (sending straight to exchanges or other services) counts against: that is
# what a merchant or saver does, while a ring keeps victims' money apart until it is laundered.
SIGNS: dict[str, int] = {
    "payers": 1, "devoted": 1, "devoted_share": 1, "repeat": 1, "growing": 1, "onramp": 1, "withdrawals": 1, "back": -1,
    "passed": 1, "hold_d": -1, "life_d": -1, "top_share": 1, "to_services": -1,
}
# features entering the model as log(1 + x): counts and durations
LOG_FEATURES = ("payers", "devoted", "repeat", "growing", "withdrawals")
# Durations enter in days, capped: the model learns "within days, not months", not the minutes a
# simulated sweep takes (real phishing wallets held money for days and still passed it all on).
CAPS = {"hold_d": 30.0, "life_d": 180.0}
DEVOTED_SHARE = 0.5  # a payer devoted to a wallet sent it at least this share of everything it sent


def build(ctx: AnalysisContext) -> None:
    """Create ``pt_cf`` (see the module docstring) from ``pt_value``."""
    con = ctx.con
    # only the columns its readers use: at 10M transfers a copy of pt_value's transaction hashes and amounts
    # here pushed the analysis' temp tables further past its memory
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_cf_service AS
        SELECT chain, address FROM pt_services UNION SELECT chain, address FROM pt_deposits""")
    # on the address refs alone, the sender's service flag matched on them too: at 10M transfers a text match
    # hashes every row, and the text made the table gigabytes, spilled to disk (readers of a few wallets' rows
    # get the text back through flow_touching)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_cf_flow AS
        SELECT v.time, v.usd, s.ref IS NOT NULL AS src_service, v.src_ref, v.dst_ref
        FROM pt_value v
        LEFT JOIN (SELECT a.ref FROM pt_cf_service k JOIN addresses a ON a.chain = k.chain AND a.address = k.address) s
               ON s.ref = v.src_ref
        WHERE NOT {gas_topup_sql("v")}""")
    # grouped on the integer refs, the text joined back per pair (at 10.7M transfers 4.2 s -> 2.7 s)
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_cf_pair AS
        WITH p AS (SELECT src_ref, dst_ref, any_value(src_service) AS src_service, count(*) AS n, sum(usd) AS usd,
                          arg_min(usd, (time, usd)) AS first_usd, arg_max(usd, (time, usd)) AS last_usd
                   FROM pt_cf_flow GROUP BY src_ref, dst_ref)
        SELECT a.chain, a.address AS src, b.address AS dst, p.src_service, p.n, p.usd, p.first_usd, p.last_usd,
               p.src_ref, p.dst_ref
        FROM p JOIN addresses a ON a.ref = p.src_ref JOIN addresses b ON b.ref = p.dst_ref""")
    # per wallet, keyed on its address ref (one per chain and address); the text is joined back at the end
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_cf_node AS
        WITH o AS (SELECT src_ref AS ref, sum(usd) AS out_usd, min(time) AS t0, max(time) AS t1
                   FROM pt_cf_flow GROUP BY ALL),
             i AS (SELECT dst_ref AS ref, sum(usd) AS in_usd, sum(usd) FILTER (WHERE src_service) AS svc_in,
                          count(*) FILTER (WHERE src_service) AS withdrawals, min(time) AS t0, max(time) AS t1
                   FROM pt_cf_flow GROUP BY ALL)
        SELECT a.chain, a.address, coalesce(o.out_usd, 0) AS out_usd, coalesce(i.in_usd, 0) AS in_usd,
               coalesce(i.svc_in, 0) AS svc_in, coalesce(i.withdrawals, 0) AS withdrawals,
               least(coalesce(o.t0, i.t0), coalesce(i.t0, o.t0)) AS t0,
               greatest(coalesce(o.t1, i.t1), coalesce(i.t1, o.t1)) AS t1, ref
        FROM o FULL OUTER JOIN i USING (ref) JOIN addresses a USING (ref)""")
    # money's stay: for each receipt, the hours to the wallet's next payment (ASOF: the first one at or after)
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_cf_hold AS
        WITH held AS (SELECT i.dst_ref AS ref, median(date_diff('second', i.time, o.time) / 3600.0) AS hold_h
                      FROM (SELECT dst_ref, time FROM pt_cf_flow) i
                      ASOF LEFT JOIN (SELECT src_ref, time FROM pt_cf_flow) o
                        ON o.src_ref = i.dst_ref AND o.time >= i.time
                      GROUP BY i.dst_ref)
        SELECT a.chain, a.address, h.hold_h, ref FROM held h JOIN addresses a USING (ref)""")
    # per wallet on its ref, as pt_cf_node
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_cf AS
        WITH svc AS (SELECT a.ref FROM pt_cf_service k JOIN addresses a ON a.chain = k.chain AND a.address = k.address),
        payer AS (
            SELECT p.dst_ref AS ref, count(*) AS payers,
                   count(*) FILTER (WHERE p.usd >= {DEVOTED_SHARE} * n.out_usd) AS devoted,
                   sum(p.usd * least(n.svc_in / nullif(n.in_usd, 0), 1)) / nullif(sum(p.usd), 0) AS onramp
            FROM pt_cf_pair p JOIN pt_cf_node n ON n.ref = p.src_ref
            WHERE NOT p.src_service GROUP BY ALL),
        -- an exchange paying a wallet again and again is a customer paying it from their account
        again AS (
            SELECT dst_ref AS ref, count(*) FILTER (WHERE n >= 3) AS repeat,
                   count(*) FILTER (WHERE n >= 2 AND last_usd > first_usd) AS growing
            FROM pt_cf_pair GROUP BY ALL),
        back AS (
            SELECT p.dst_ref AS ref, sum(r.usd) AS back_usd
            FROM pt_cf_pair p JOIN pt_cf_pair r ON r.src_ref = p.dst_ref AND r.dst_ref = p.src_ref
            WHERE NOT p.src_service GROUP BY ALL),
        dest AS (
            SELECT p.src_ref AS ref, arg_max(p.dst, (p.usd, p.dst)) AS top_dst, max(p.usd) AS top_usd,
                   sum(p.usd) FILTER (WHERE s.ref IS NOT NULL) AS svc_usd
            FROM pt_cf_pair p LEFT JOIN svc s ON s.ref = p.dst_ref
            GROUP BY ALL),
        base AS (
            SELECT n.chain, n.address, n.t0 AS first_seen, n.t1 AS last_seen, n.in_usd,
                   coalesce(y.payers, 0) AS payers, coalesce(y.devoted, 0) AS devoted,
                   coalesce(y.devoted / nullif(y.payers, 0), 0) AS devoted_share,
                   coalesce(g.repeat, 0) AS repeat, coalesce(g.growing, 0) AS growing,
                   coalesce(y.onramp, 0) AS onramp, n.withdrawals,
                   least(coalesce(b.back_usd, 0) / n.in_usd, 2) AS back,
                   least(n.out_usd / n.in_usd, 1) AS passed,
                   coalesce(h.hold_h / 24.0, 365) AS hold_d,
                   date_diff('second', n.t0, n.t1) / 86400.0 AS life_d,
                   coalesce(d.top_usd / nullif(n.out_usd, 0), 0) AS top_share,
                   coalesce(d.svc_usd / nullif(n.out_usd, 0), 0) AS to_services,
                   CASE WHEN s.address IS NULL THEN d.top_dst END AS top_dst
            FROM pt_cf_node n
            LEFT JOIN payer y USING (ref)
            LEFT JOIN again g USING (ref)
            LEFT JOIN back b USING (ref)
            LEFT JOIN pt_cf_hold h USING (ref)
            LEFT JOIN dest d USING (ref)
            LEFT JOIN pt_cf_service s ON s.chain = n.chain AND s.address = d.top_dst
            WHERE n.in_usd > 0 AND NOT EXISTS (SELECT 1 FROM svc x WHERE x.ref = n.ref))
        SELECT * FROM base""")


def flow_touching(ref_col: str, keys: str, col: str) -> str:
    """SQL relation: the rows of ``pt_cf_flow`` whose ``ref_col`` (src_ref or dst_ref) is the ref of an address
    of relation ``keys`` (columns chain, ``col``), with ``chain``, ``src`` and ``dst`` as text."""
    return f"""(SELECT a.chain, a.address AS src, b.address AS dst, f.*
                FROM {rows_touching("pt_cf_flow", ref_col, keys, col)} f
                JOIN addresses a ON a.ref = f.src_ref JOIN addresses b ON b.ref = f.dst_ref)"""


def matrix(con: duckdb.DuckDBPyConnection) -> tuple[np.ndarray, np.ndarray]:
    """(keys 'chain:address', raw values): one row per candidate of ``pt_cf``, columns in FEATURES order."""
    cols = ", ".join(f"coalesce({c}, 0)::DOUBLE AS {c}" for c in FEATURES)
    rows = con.execute(f"SELECT chain || ':' || address AS key, {cols} FROM pt_cf ORDER BY key").fetchnumpy()
    if not len(rows["key"]):
        return np.zeros(0, dtype=object), np.zeros((0, len(FEATURES)))
    raw = np.column_stack([np.asarray(rows[c], dtype=np.float64) for c in FEATURES])
    return np.asarray(rows["key"], dtype=object), raw


def transform(raw: np.ndarray) -> np.ndarray:
    """The model's input: counts as log(1 + x), durations in capped days, shares as they are."""
    X = raw.copy()
    for j, name in enumerate(FEATURES):
        if name in LOG_FEATURES:
            X[:, j] = np.log1p(np.maximum(X[:, j], 0))
        elif name in CAPS:
            X[:, j] = np.minimum(X[:, j], CAPS[name])
    return X


def score(ctx: AnalysisContext) -> None:
    """Build the features and ``pt_collection_p`` (chain, address, p): every candidate's probability under
    the shipped evidence model, for collection_evidence and for the typology detectors to check their
    wallets against (a typology's tells raise confidence; economics that contradict them veto)."""
    from pigtrace.detect import evidence_model

    build(ctx)
    keys, raw = matrix(ctx.con)
    p = evidence_model.load("collection").score(transform(raw)) if len(keys) else np.zeros(0)
    split = [k.split(":", 1) for k in keys.tolist()]
    table = pa.table({"chain": pa.array([c for c, _ in split], pa.string()),
                      "address": pa.array([a for _, a in split], pa.string()), "p": pa.array(p, pa.float64())})
    ctx.con.register("pt_cf_arrow", table)
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE pt_collection_p AS SELECT * FROM pt_cf_arrow")
    ctx.con.unregister("pt_cf_arrow")


def drop(con: duckdb.DuckDBPyConnection) -> None:
    for t in ("pt_cf_flow", "pt_cf_service", "pt_cf_pair", "pt_cf_node", "pt_cf_hold", "pt_cf", "pt_collection_p"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
