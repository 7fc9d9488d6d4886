"""The set-based part of the approval-drain detector: DuckDB SQL over the whole ledger.

``find_drains(ctx)`` leaves these temporary tables for ``approval_drain`` to turn into findings:

- ``pt_drain_pulls``: every third-party pull (an ERC-20 transfer out of an owner in a transaction the owner
  did not send, under an allowance the owner granted to the transaction's sender or the contract it
  called), with the owner's balance before it, whether anything came back in that transaction, and
  whether the same spender pulls the same amount repeatedly or from several owners (a subscription).
  On a chain whose source has no approval records at all (TronGrid's TRC-20 transfers) the pull itself
  is the proof of an allowance (``approval_kind = 'implied'``, see ``_implied_pulls``).
- ``pt_drains``: the pulls judged to be drains, with their supporting signals and ``ring`` (the spender).
- ``pt_drain_interest``: small payments into drained owners between their approval and the drain from
  the scam's side (``payer``), the "interest" that keeps a victim topping up.

Thresholds, and why (each is a property of the typology, not of one simulated world):

- ``EMPTIES = 0.9``: the usual drain empties the balance (the drainer calls transferFrom for all it can
  see); with one more signal (several owners, interest, an EOA spender) that is a drain.
- ``MOST_OF_BALANCE = 0.5``: a drain "takes most of the balance" -- more than half by definition; a
  subscription or a trade pull takes a slice. A pull between half and 90% needs the scam's own mark,
  "interest" paid to the owner beforehand, plus one more signal.
- ``ONWARD_HOURS = 72``, ``ONWARD_SHARE = 0.5``: the receiver passing at least half of what it took on
  within three days is the scam sweeping to consolidation (a merchant or vault keeps what it charges).
- Custody: when the tokens go to the very contract the transaction called (a vault, bridge or escrow),
  the pull is that contract doing its job unless the owner was paid "interest" first; a drainer pays
  the money out to the scam's own accounts.
- ``PLAN_OWNERS = 3``: the same spender pulling the very same amount (to the smallest unit) from three
  or more owners is charging a price (a subscription plan), not emptying balances, which differ from
  owner to owner; a pull repeated with the same amount from the same owner is a subscription too.
- ``INTEREST_SHARE = 0.2``: "interest" is small beside what is finally taken (single-digit percent daily
  yields in the scripts victims are shown); a payment above a fifth of the drain is a top-up or a trade.
- several owners = 2: one spender pulling most of the balance of two unrelated owners without giving
  anything back is already a pattern no merchant or settlement contract shows.
- A payer is on the scam's side when it is the spender, the sender of the drain or the receiver; when
  it paid two or more drained owners and those owners are at least half of everyone it ever paid
  (an exchange hot wallet also pays victims, but among thousands of other customers); or when it paid
  one drained owner repeatedly (an interest schedule) and nobody else.
"""

from __future__ import annotations

from pigtrace.chains.addresses import ZERO_ADDRESSES
from pigtrace.detect.base import AnalysisContext
from pigtrace.detect.drain_services import chain_filter
from pigtrace.detect.flow_services import rows_touching

MOST_OF_BALANCE = 0.5
EMPTIES = 0.9
INTEREST_SHARE = 0.2
SEVERAL_OWNERS = 2
PLAN_OWNERS = 3
ONWARD_HOURS = 72
ONWARD_SHARE = 0.5
ZEROS = ", ".join(f"'{z}'" for z in ZERO_ADDRESSES)


def _amount(alias: str) -> str:
    return f"coalesce({alias}.amount::DOUBLE, TRY_CAST({alias}.amount_text AS DOUBLE))"


def find_drains(ctx: AnalysisContext) -> int:
    """Build the drain tables; returns the number of drains found."""
    con = ctx.con
    where, params = chain_filter(ctx, "t.chain")

    # Third-party pulls under an allowance: the latest approval (before the pull, same tx allowed for
    # permits) from the owner, for this token, to the tx sender or the contract it called; a Permit2
    # allowance names the real spender, so it is preferred to the owner's allowance to Permit2 itself.
    # Only (owner, token) pairs with an allowance are read from the ledger, so the scan stays cheap.
    pulls = f"""
        pulls AS (
            SELECT t.chain, t.tx_hash, t.log_index, t.block_number, t.time, t.token, t.from_address AS owner,
                   t.to_address AS receiver, t.initiator, {_amount('t')} AS amt, t.amount, t.amount_text, t.usd
            FROM {rows_touching("transfers", "from_ref", "allowed", "owner")} t
            SEMI JOIN allowed a ON a.chain = t.chain AND a.owner = t.from_address AND a.token = t.token
            WHERE {where} AND t.kind IN ('erc20', 'trc20') AND t.initiator IS NOT NULL AND t.initiator <> t.from_address
              AND (t.amount > 0 OR t.amount_text IS NOT NULL) AND t.from_address <> t.to_address
              AND t.to_address NOT IN ({ZEROS})),
        called AS (
            SELECT p.*, x.called FROM pulls p
            LEFT JOIN ({called_sql('pulls')}) x ON x.chain = p.chain AND x.hash = p.tx_hash)"""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_drain_pulls AS
        WITH allowed AS (
            SELECT DISTINCT chain, owner, token FROM approvals WHERE kind IN ('erc20', 'trc20', 'permit2') AND approved),
        {pulls}
        SELECT * EXCLUDE (approved, a_block, a_log) FROM (
            SELECT p.*, a.spender, a.tx_hash AS approval_tx, a.time AS approval_time, a.kind AS approval_kind,
                   a.unlimited OR (a.amount IS NULL AND a.amount_text IS NOT NULL) AS unlimited, a.approved,
                   a.block_number AS a_block, a.log_index AS a_log
            FROM called p JOIN approvals a
              ON a.chain = p.chain AND a.owner = p.owner AND a.token = p.token
             AND a.spender IN (p.initiator, p.called) AND a.kind IN ('erc20', 'trc20', 'permit2')
             -- in chain order; time first, as rows from bare TronGrid pages carry no block number
             AND (a.time, coalesce(a.block_number, -1), a.log_index) < (p.time, coalesce(p.block_number, -1), p.log_index)
            QUALIFY row_number() OVER (PARTITION BY p.chain, p.tx_hash, p.log_index
                                       ORDER BY (a.kind = 'permit2') DESC, a.time DESC, a.block_number DESC,
                                                a.log_index DESC) = 1)
        WHERE approved""",
        params,
    )
    _implied_pulls(ctx, pulls, where, params)
    # What rules a pull out without looking at balances: something came back to the owner in the same
    # transaction, a swap ran in it, it is a subscription (repeated amount, or a plan's price), or a
    # service is involved.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_drain_pull_facts AS
        WITH txs AS (SELECT DISTINCT chain, tx_hash FROM pt_drain_pulls),
        back AS (
            SELECT DISTINCT t.chain, t.tx_hash, t.to_address AS owner FROM transfers t
            SEMI JOIN txs p ON p.chain = t.chain AND p.tx_hash = t.tx_hash
            WHERE t.amount > 0 OR t.amount_text IS NOT NULL),
        swapped AS (SELECT DISTINCT s.chain, s.tx_hash FROM swaps s SEMI JOIN txs p ON p.chain = s.chain
                    AND p.tx_hash = s.tx_hash),
        repeats AS (
            SELECT chain, owner, spender, token, amt, count(*) AS n FROM pt_drain_pulls
            GROUP BY chain, owner, spender, token, amt),
        prices AS (
            SELECT chain, spender, token, amt, count(DISTINCT owner) AS owners FROM pt_drain_pulls
            GROUP BY chain, spender, token, amt)
        SELECT p.*,
               bk.owner IS NOT NULL AS got_back,
               sw.tx_hash IS NOT NULL AS swapped_in_tx,
               r.n >= 2 AS recurring,
               pr.owners >= {PLAN_OWNERS} AS plan_price,
               so.address IS NOT NULL AS owner_is_service,
               sr.address IS NOT NULL AS receiver_is_service,
               ss.address IS NOT NULL AS spender_is_service,
               e.address IS NOT NULL AS spender_is_eoa
        FROM pt_drain_pulls p
        LEFT JOIN back bk ON bk.chain = p.chain AND bk.tx_hash = p.tx_hash AND bk.owner = p.owner
        LEFT JOIN swapped sw ON sw.chain = p.chain AND sw.tx_hash = p.tx_hash
        LEFT JOIN repeats r ON r.chain = p.chain AND r.owner = p.owner AND r.spender = p.spender
                            AND r.token = p.token AND r.amt = p.amt
        LEFT JOIN prices pr ON pr.chain = p.chain AND pr.spender = p.spender AND pr.token = p.token
                            AND pr.amt = p.amt
        LEFT JOIN pt_services so ON so.chain = p.chain AND so.address = p.owner
        LEFT JOIN pt_services sr ON sr.chain = p.chain AND sr.address = p.receiver
        LEFT JOIN pt_services ss ON ss.chain = p.chain AND ss.address = p.spender
        LEFT JOIN pt_eoas e ON e.chain = p.chain AND e.address = p.spender"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_drain_open AS SELECT * FROM pt_drain_pull_facts
        WHERE NOT got_back AND NOT swapped_in_tx AND NOT recurring AND NOT plan_price
          AND NOT owner_is_service AND NOT receiver_is_service AND NOT spender_is_service"""
    )
    # Owner balances just before each remaining pull, from every transfer of that (owner, token).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_drain_balance AS
        WITH keys AS (SELECT DISTINCT chain, owner, token FROM pt_drain_open),
        legs AS (
            SELECT t.chain, t.to_address AS owner, t.token, t.tx_hash, t.time, t.block_number, t.log_index, 1 AS side,
                   {_amount('t')} AS delta
            FROM {rows_touching("transfers", "to_ref", "keys", "owner")} t
            JOIN keys k ON k.chain = t.chain AND k.owner = t.to_address AND k.token = t.token
            UNION ALL
            SELECT t.chain, t.from_address, t.token, t.tx_hash, t.time, t.block_number, t.log_index, 0,
                   -{_amount('t')}
            FROM {rows_touching("transfers", "from_ref", "keys", "owner")} t
            JOIN keys k ON k.chain = t.chain AND k.owner = t.from_address AND k.token = t.token),
        running AS (
            SELECT *, sum(delta) OVER (PARTITION BY chain, owner, token ORDER BY time, block_number, log_index, side
                                       ROWS UNBOUNDED PRECEDING) AS balance_after
            FROM legs)
        SELECT chain, owner, tx_hash, log_index, balance_after - delta AS balance_before, balance_after
        FROM running WHERE side = 0"""
    )
    # Candidates: pulls that take most of the balance (or more than the ledger shows the owner got),
    # before the signals that need other drains (ring, interest).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_drain_cand AS
        SELECT * FROM (
            SELECT p.*, b.balance_before, b.balance_after,
                   CASE WHEN b.balance_before >= p.amt * (1 - 1e-9) AND b.balance_before > 0
                        THEN p.amt / b.balance_before END AS fraction
            FROM pt_drain_open p
            LEFT JOIN pt_drain_balance b ON b.chain = p.chain AND b.owner = p.owner AND b.tx_hash = p.tx_hash
                                         AND b.log_index = p.log_index)
        WHERE fraction IS NULL OR fraction >= {MOST_OF_BALANCE}"""
    )
    _interest(ctx)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_drains AS
        WITH ring AS (SELECT chain, spender, count(DISTINCT owner) AS owners FROM pt_drain_cand GROUP BY ALL),
        rring AS (SELECT chain, receiver, count(DISTINCT owner) AS owners FROM pt_drain_cand GROUP BY ALL),
        paid AS (SELECT DISTINCT chain, owner, spender FROM pt_drain_interest),
        onward AS (
            SELECT c.chain, c.tx_hash, c.log_index, sum({_amount('t')}) AS moved
            FROM pt_drain_cand c
            JOIN {rows_touching("transfers", "from_ref", "pt_drain_cand", "receiver")} t
              ON t.chain = c.chain AND t.from_address = c.receiver AND t.token = c.token
            WHERE t.time >= c.time AND t.time <= c.time + INTERVAL {ONWARD_HOURS} HOUR AND t.tx_hash <> c.tx_hash
            GROUP BY ALL),
        scored AS (
            SELECT c.*, greatest(r.owners, rr.owners) AS ring_owners, pd.owner IS NOT NULL AS interest_paid,
                   coalesce(o.moved >= {ONWARD_SHARE} * c.amt, false) AS moved_on,
                   (greatest(r.owners, rr.owners) >= {SEVERAL_OWNERS})::INT + (pd.owner IS NOT NULL)::INT
                   + c.spender_is_eoa::INT + coalesce(o.moved >= {ONWARD_SHARE} * c.amt, false)::INT AS support
            FROM pt_drain_cand c
            JOIN ring r ON r.chain = c.chain AND r.spender = c.spender
            JOIN rring rr ON rr.chain = c.chain AND rr.receiver = c.receiver
            LEFT JOIN paid pd ON pd.chain = c.chain AND pd.owner = c.owner AND pd.spender = c.spender
            LEFT JOIN onward o ON o.chain = c.chain AND o.tx_hash = c.tx_hash AND o.log_index = c.log_index)
        SELECT *, 'drain:' || spender AS ring FROM scored
        WHERE ((fraction >= {EMPTIES} AND support >= 1)
               OR (fraction >= {MOST_OF_BALANCE} AND interest_paid AND support >= 2)
               OR (fraction IS NULL AND support >= 2))
          -- the contract the owner's transaction was sent to kept the tokens itself (a vault, bridge or
          -- escrow taking custody); drains pay out to the scam's own accounts
          AND NOT (receiver = called AND NOT interest_paid
                   AND NOT EXISTS (SELECT 1 FROM pt_eoas e WHERE e.chain = scored.chain AND e.address = receiver))"""
    )
    return con.execute("SELECT count(*) FROM pt_drains").fetchone()[0]


def called_sql(keys: str) -> str:
    """The contract each transaction of relation ``keys`` (columns chain, tx_hash) called: (chain, hash,
    called). Read from the compact ledger (store.compact) by ref, so only those transactions' hashes and
    callees are turned back into text: the analysis does not copy the transactions table."""
    return f"""SELECT h.chain, h.hash, a.address AS called
               FROM main.tx_hashes h SEMI JOIN {keys} k ON k.chain = h.chain AND k.tx_hash = h.hash
               JOIN main.ledger_transactions x ON x.tx_ref = h.ref
               LEFT JOIN main.addresses a ON a.ref = x.to_ref"""


def implied_chains(ctx: AnalysisContext) -> list[str]:
    """Chains whose source carries token transfers but no approval records at all (TronGrid's TRC-20
    transfer feed): there a third-party pull is the only trace of an allowance."""
    con = ctx.con
    where, params = chain_filter(ctx)
    have = {r[0] for r in con.execute(f"SELECT DISTINCT chain FROM approvals WHERE {where}", params).fetchall()}
    # both are cheap (tens of milliseconds on 10M transactions); a chain with approvals keeps the
    # approval-led path above unchanged and is never scanned for implied pulls
    chains = [r[0] for r in con.execute(
        f"SELECT DISTINCT chain FROM main.ledger_transactions WHERE {where}", params).fetchall()]
    return sorted(c for c in chains if c not in have)


def _implied_pulls(ctx: AnalysisContext, pulls: str, where: str, params: list) -> None:
    """Add to ``pt_drain_pulls`` the pulls on chains without approval records (``implied_chains``).

    A token transfer out of an owner in a transaction someone else signed (``initiator``), that is not
    the called contract moving its own tokens, can only be a ``transferFrom`` under an allowance: the
    first such pull implies the owner approved the signer -- or the contract the signer called, when that
    is a contract and not the token itself. The implied allowance is dated from the owner's first
    receipt of the token (the approval is not on record, and there is nothing to pull before), so
    'interest' payments before the drain are still seen; ``approval_tx`` is the first pull. An owner
    that never received the token before the "pull" is left out: its transfer is an event a
    counterfeit token made up (address poisoning), not a transferFrom.
    """
    chains = implied_chains(ctx)
    if not chains:
        return
    con = ctx.con
    marks = ", ".join("?" for _ in chains)
    con.execute(
        f"""INSERT INTO pt_drain_pulls BY NAME
        WITH allowed AS (
            SELECT DISTINCT t.chain, t.from_address AS owner, t.token FROM transfers t
            WHERE {where} AND t.chain IN ({marks}) AND t.kind IN ('erc20', 'trc20') AND t.initiator IS NOT NULL
              AND t.initiator <> t.from_address),
        {pulls},
        implied AS (
            SELECT p.*, CASE WHEN p.called IS NOT NULL AND p.called NOT IN (p.token, p.initiator)
                              AND NOT EXISTS (SELECT 1 FROM pt_eoas e WHERE e.chain = p.chain AND e.address = p.called)
                             THEN p.called ELSE p.initiator END AS spender
            FROM called p
            -- the contract the transaction called moving its own tokens (a pool paying out, a settlement
            -- contract forwarding) is no pull; neither is a token contract's own balance
            WHERE p.owner IS DISTINCT FROM p.called
              AND NOT EXISTS (SELECT 1 FROM tokens k WHERE k.chain = p.chain AND k.address = p.owner)),
        first_in AS (
            SELECT t.chain, t.to_address AS owner, t.token, min(t.time) AS first_in FROM transfers t
            SEMI JOIN (SELECT DISTINCT chain, owner, token FROM implied) o
              ON o.chain = t.chain AND o.owner = t.to_address AND o.token = t.token
            WHERE t.amount > 0 OR t.amount_text IS NOT NULL
            GROUP BY ALL)
        SELECT i.*, first_value(i.tx_hash) OVER w AS approval_tx, f.first_in AS approval_time,
               'implied' AS approval_kind, NULL::BOOLEAN AS unlimited
        FROM implied i JOIN first_in f ON f.chain = i.chain AND f.owner = i.owner AND f.token = i.token
        -- a "transfer" out of an address that never received the token is no pull under an allowance but
        -- an event a token contract made up (a counterfeit token's fake transfers, address poisoning)
        WHERE f.first_in <= i.time
        WINDOW w AS (PARTITION BY i.chain, i.owner, i.token, i.spender ORDER BY i.time, i.tx_hash, i.log_index)""",
        params + chains + params,
    )


def _interest(ctx: AnalysisContext) -> None:
    """Small payments into candidate owners between approval and pull, from the scam's side."""
    con = ctx.con
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_drain_inflow AS
        SELECT c.chain, c.owner, c.spender, c.initiator, c.receiver, t.from_address AS payer,
               t.tx_hash, t.time, t.token, t.log_index, t.usd
        FROM pt_drain_cand c
        JOIN {rows_touching("transfers", "to_ref", "pt_drain_cand", "owner")} t ON t.chain = c.chain AND t.to_address = c.owner
        WHERE t.time >= c.approval_time AND t.time <= c.time AND t.tx_hash <> c.tx_hash
          AND t.from_address <> c.owner AND t.initiator = t.from_address
          AND (t.amount > 0 OR t.amount_text IS NOT NULL)
          AND CASE WHEN t.usd IS NOT NULL AND c.usd IS NOT NULL THEN t.usd <= {INTEREST_SHARE} * c.usd
                   WHEN t.token = c.token THEN {_amount('t')} <= {INTEREST_SHARE} * c.amt
                   ELSE false END
          AND NOT EXISTS (SELECT 1 FROM pt_services s WHERE s.chain = t.chain AND s.address = t.from_address)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_drain_interest AS
        WITH owners AS (SELECT DISTINCT chain, owner FROM pt_drain_cand),
        payer_victims AS (
            SELECT chain, payer, count(DISTINCT owner) AS victims FROM pt_drain_inflow GROUP BY ALL),
        payer_owner AS (
            SELECT chain, payer, owner, count(DISTINCT tx_hash) AS payments FROM pt_drain_inflow GROUP BY ALL),
        payer_all AS (
            SELECT t.chain, t.from_address AS payer, count(DISTINCT t.to_address) AS recipients
            FROM {rows_touching("transfers", "from_ref", "payer_victims", "payer")} t
            JOIN payer_victims v ON v.chain = t.chain AND v.payer = t.from_address
            WHERE t.initiator = t.from_address AND (t.amount > 0 OR t.amount_text IS NOT NULL)
            GROUP BY ALL),
        scam_side AS (
            SELECT DISTINCT chain, spender AS address FROM pt_drain_cand
            UNION SELECT DISTINCT chain, initiator FROM pt_drain_cand
            UNION SELECT DISTINCT chain, receiver FROM pt_drain_cand)
        SELECT i.* FROM pt_drain_inflow i
        JOIN payer_victims v ON v.chain = i.chain AND v.payer = i.payer
        JOIN payer_all a ON a.chain = i.chain AND a.payer = i.payer
        JOIN payer_owner po ON po.chain = i.chain AND po.payer = i.payer AND po.owner = i.owner
        WHERE i.payer IN (i.spender, i.initiator, i.receiver)
           OR (po.payments >= 2 AND a.recipients = v.victims
               AND NOT EXISTS (SELECT 1 FROM owners o WHERE o.chain = i.chain AND o.owner = i.payer))
           OR (v.victims >= 2 AND a.recipients <= 2 * v.victims
               AND NOT EXISTS (SELECT 1 FROM owners o WHERE o.chain = i.chain AND o.owner = i.payer))
           OR EXISTS (SELECT 1 FROM scam_side s WHERE s.chain = i.chain AND s.address = i.payer)"""
    )
