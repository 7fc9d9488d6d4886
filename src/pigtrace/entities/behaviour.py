"""Entities from behaviour: services and service accounts recognised from what the ledger shows, whether
or not anyone labelled them.

Place in the flow: the compact ledger (``ledger_*`` tables, address refs) + ``pt_en_labelled`` ->
**entities/behaviour** -> entities/table. Everything is DuckDB SQL over integer refs; no Python loop
over rows.

Contracts, by what the chain says they are (``structural``):

- ``token_contract``: in ``tokens``, or the token of a ledger transfer;
- ``dex``: DEX pools (the ``pool`` of a swap) and routers (the ``sender`` of a swap that is neither its
  recipient nor its signer, or the contract a swap transaction called);
- ``bridge``: contracts that pull tokens from whoever calls them: in a transaction sent to the contract,
  the signer's own tokens move to the contract (bridge deposits, vaults, staking); ``category`` says
  ``pulls_callers_tokens``, as a bridge cannot be told from a vault by this alone;
- ``other_service``: the zero address (mints and burns).

Accounts, by the shape of their flows (``accounts``), on the value transfers (tokens and native coin, a
positive amount, two different parties). An address's *main receiver* is the receiver of its latest
payment; a *feeder* of X sends X at least ``FEEDER_SHARE`` of what it sends (by USD and by count) and X is
its main receiver. Only addresses no label or contract rule took are candidates.

- hub (``exchange_hot_wallet``, ``category`` hub): an exchange's hot wallet nobody labelled, by either of
  two rules. (1) At least ``HUB_FEEDERS`` feeders, directly or through forwarders (feeders that have
  ``HUB_FEEDERS`` feeders of their own), making up ``SWEEPER_SHARE`` of its payers. (2) For an exchange
  with several hot wallets, whose accounts sweep to any of them: a *sweeper* sends at least
  ``FEEDER_SHARE`` of what it sends to at most ``MAX_HOT_WALLETS`` busy wallets (``HUB_PAYEES`` payees) or
  labelled ones; a busy wallet whose payers are at least ``SWEEPER_SHARE`` sweepers, with ``HUB_FEEDERS``
  wallets behind them (a forwarder counts with its feeders). Either way it pays at least ``HUB_PAYEES``
  different addresses (withdrawals), at least ``HUB_CUSTOMERS`` of whom also paid into the wallets that
  sweep to it (customers who deposit and withdraw; a scam's consolidation wallet collects from many
  wallets too, but pays few and none of its victims), and it pays at least ``HUB_PAYEE_RATIO`` times as many
  different addresses as pay it (withdrawals reach far more addresses than the accounts sweeping in; a
  consolidation wallet pays a few hops), or ``HUB_ROUND_TRIP_RATIO`` times as many when those customers number
  ``HUB_ROUND_TRIPS`` of the addresses that pay it. Hot wallets that share sweepers are one exchange:
  the entity is the name most labelled hot wallets among them carry, else ``hub:<address>`` of the first.
  (3) An off-ramp pays no withdrawals, but its hot wallets top up the gas of its deposit accounts: a wallet
  whose gas top-ups reached at least ``GAS_HUB_ACCOUNTS`` wallets that then swept (nearly) all they sent to
  known hot wallets (and to it) is a hot wallet of their exchange (``_gas_hubs``).
- ``exchange_deposit``: sends at least ``DEPOSIT_USD_SHARE`` of its USD and ``DEPOSIT_COUNT_SHARE`` of its
  transfers to exchange hot wallets (labelled, custodial services, or hubs), and never trades on a DEX
  itself; its entity is the exchange it swept to most (by USD).
- forwarder (``exchange_hot_wallet``, ``category`` forwarder): a deposit-shaped address that at least
  ``FORWARDER_FEEDERS`` wallets sweep to (sending at least ``FEEDER_SHARE`` of what they send to at most
  ``MAX_HOT_WALLETS`` deposit-shaped addresses), themselves paid by ``FORWARDER_SOURCES`` different
  addresses, and forwards in batches (``FORWARDER_BATCH``) for feeders that come back (``FORWARDER_REPEAT``
  of them swept to it on two or more days), or tops their gas up (``FORWARDER_FUELLED``): the exchange's
  batching wallet; those wallets become deposit accounts of the same entity.

OTC desks are recognised from labels only: a desk pays and is paid by many parties in round sums, as do
merchants, payment processors, market makers and payroll wallets, and nothing on the chain tells them
apart (the cash_out detector judges desk-shaped wallets that scam wallets paid, case by case).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from pigtrace.chains.addresses import ZERO_ADDRESSES
from pigtrace.cluster.union import components
from pigtrace.detect.gas import gas_topup_sql
from pigtrace.entities.labelled import CUSTODIAL

ZEROS = ", ".join(f"'{z}'" for z in ZERO_ADDRESSES)
VALUE_KINDS = "('erc20', 'trc20', 'native')"

# A feeder sends its main receiver at least this share of what it sends (USD and count): sweeping, not
# paying. Customers' deposit accounts sweep all they hold; 0.9 leaves room for a stray dust or refund.
FEEDER_SHARE = 0.9
# An unlabelled hot wallet: this many wallets sweep to it (directly or through forwarders) ... The value
# trace used before the entities table (kept); the simulator's hot wallets have 30 to 70 deposit accounts
# each, or 1-3 forwarders with dozens behind them. A scam's per-victim deposit wallets sweeping to one
# consolidation wallet reach it too (seed 7: 130 and 88), which is what the next two gates are for.
HUB_FEEDERS = 10
# ... and it pays this many different addresses (withdrawals to customers). Also the earlier value; the
# simulator's hot wallets pay 200-350 in a small world, a consolidation wallet one to a few dozen hops.
HUB_PAYEES = 20
# ... and at least this many of its payees also paid into the wallets that sweep to it (or into those
# behind its forwarders): customers who deposit and withdraw. A ring's consolidation wallet fed by
# per-victim deposit wallets passes the two gates above (seed 7, sweeps=multi_hop: 130 and 88 feeders,
# 43 and 52 payees) but pays none of its victims; the simulator's hot wallets have 12 to 57 such payees.
HUB_CUSTOMERS = 5
# ... and it pays at least this many times as many different addresses as pay it: an exchange withdraws to
# customers' wallets, other exchanges and services, far more addresses than the deposit accounts and
# forwarders that sweep to it; a consolidation wallet collects from many wallets and pays a few hops.
# Measured (small worlds, wallet_reuse seeds 1-13; 1.2 million transfers, seed 11): hot wallets 3.8-9.6,
# the one ring wallet that passed every other gate 1.5. This replaced a count of transfers out per transfer
# in (at least 1.0), which missed the single hot wallet of an exchange sweeping every deposit on its own
# (0.90; seed 9: its 170 deposit accounts, unrecognised, looked like a ring's per-victim wallets) and let that
# ring wallet through (1.14).
HUB_PAYEE_RATIO = 2.0
# ... or at least HUB_ROUND_TRIP_RATIO times as many, when the customers it paid back number at least
# HUB_ROUND_TRIPS of the addresses that pay it: an exchange whose customers mostly deposit and withdraw again.
# bench/alt_world.py's exchanges pay 1.8-2.5 times as many addresses as pay them; an unlabelled one with a
# single hot wallet (247 payers, 458 payees, 210 of them customers: 1.85 and 0.85) fell under the plain ratio,
# its customers' accounts were then taken for a ring's per-victim deposit wallets and hundreds of its
# customers for laundering. Ring wallets that pay back some of the people behind their feeders stay out: on
# the simulator's worlds a reused laundering wallet at 1.52 and 0.43 (wallet_reuse seed 9), a Tron
# consolidation wallet paying victims "profits" at 0.53 and 0.44 (style=random seed 3); 0.25 alone took both.
HUB_ROUND_TRIP_RATIO = 1.5
HUB_ROUND_TRIPS = 0.6
# ... and not both HUB_ONE_OFF or more of its payees and HUB_ONE_OFF_USD or more of what it paid out went to
# one-off pass-through wallets: fresh wallets (nothing sent before its payment, and under 1 - FEEDER_SHARE of it
# received: a gas top-up) that it paid once, at least FEEDER_SHARE of all they received, and that passed at least
# FEEDER_SHARE of it on. An exchange pays customers who live on (they hold, spend, come back); a ring's
# consolidation wallet fans most of its money out through fresh hops (a peel chain's or a fan-out's). Measured on
# kept worlds of both generators (bench/alt_world.py seeds 1-6 and 201-212; the simulator's Ethereum style=random,
# wallet_reuse, sweeps=multi_hop+gas=exchange and deposit_addresses=per_payment and Tron style=random tuning
# worlds): 534 hot wallets found by behaviour at most 0.18 of their payees and 0.25 of their money; the three ring
# wallets that passed every other gate (alt seeds 4, 204 and 209: one paying 14 of its victims "profits", two
# paying 29 and 14 of the people behind their deposit wallets) 0.35 / 0.46, 0.75 / 0.97 and 0.68 / 0.96. The
# share of payees alone is not enough: where a platform shows a fresh address for every payment and its victims
# pay from their exchange accounts (deposit_addresses=per_payment, payment_route=exchange: test_detect_exchange_
# paid_world), an exchange's hot wallet paid up to 0.39 of its payees so, 0.05 of its money. Breaks on a ring that
# pays its hops twice, or through wallets that also do other business, and on an exchange that pays a third of
# its money to fresh wallets passing it all on.
HUB_ONE_OFF, HUB_ONE_OFF_USD = 0.25, 0.35
# A deposit account sends (nearly) everything to its exchange: an address taken for one ends a trace and
# is read as a cash-out point, so the bar is high. 0.9 of the USD: a customer's deposit account sweeps all;
# 0.75 of the transfers: gas refunds and dust sent back are transfers of no value.
DEPOSIT_USD_SHARE = 0.9
DEPOSIT_COUNT_SHARE = 0.75
# Rule 2 (hot wallets sharing deposit accounts): a sweeper sends to at most this many hot wallets (the
# simulator's exchanges have 1-4; real ones a handful); a retail wallet pays more different busy wallets.
MAX_HOT_WALLETS = 5
# ... and at least this share of a hot wallet's payers are sweepers (feeders, for rule 1): a merchant's,
# payment processor's or OTC desk's payers are mostly customers paying it directly; an exchange hot wallet's
# are its deposit accounts and forwarders (seed 42: an OTC desk with 13 laundering feeders among 51 payers,
# its customers round-tripping, was taken for a hot wallet without this guard).
SWEEPER_SHARE = 0.5
# A deposit-shaped address that collects the sweeps of this many feeders is the exchange's forwarder.
FORWARDER_FEEDERS = 10
# ... whose feeders are paid by at least this many different addresses (other than the feeders): each
# feeder of a forwarder is a different customer's account; a ring's laundering wallets sweeping into one
# mule account are paid by the same few collection and splitting wallets (seed 101: 14 laundering wallets
# into a mule had 3 sources, and the mule was taken for a forwarder without this guard).
FORWARDER_SOURCES = 10
# ... and that forwards in batches: at most this many transfers out per transfer in. The simulator's
# forwarders 0.51-0.82 (seed 7) and 0.06 (seed 11, 1.2 million transfers); mule accounts that several
# laundering wallets sweep into pass each receipt on (0.96-0.98 at seed 11, taken for forwarders without it).
FORWARDER_BATCH = 0.9
# ... unless the exchange fuels them: at least this share of its feeders got gas top-ups from a wallet it pays
# (its hot wallets topping up their deposit accounts). A sparse ledger gives a forwarder too few sweeps at a
# time to batch (on year-long simulated worlds a forwarder passed 194 transfers on for 212 in, its 37 feeders
# all fuelled by the hot wallets it paid). A ring's laundering wallets get gas from its own funder, not from
# the exchange its mule account sweeps to.
FORWARDER_FUELLED = 0.5
# ... and whose feeders come back: at least this share of them swept to it on two or more days. A forwarder's
# feeders are its exchange's customers' accounts, which deposit again and again; a ring's hops pay their mule's
# account once each and are never used again. On the simulator's worlds (1,276 forwarders found over the knob,
# Tron and tuning sets of stop 44) the forwarders' share was 0.28 to 0.82; on bench/alt_world.py's worlds, whose
# rings send many one-off hops into a few mule accounts, 19 mule accounts taken for forwarders had 0 or 1 such
# feeder of 15 to 53, and their hops were named exchange accounts. A fifth, not a tenth: on its tuning seeds 7-30
# two mule accounts whose peel hops paid them twice now and then (2 of 14 feeders) were still taken for
# forwarders, 24 hops named cash-out (both chains); the simulator's 112 tuning worlds the same findings.
FORWARDER_REPEAT = 0.2
# Rule 3 (an exchange topping up its deposit accounts' gas): a wallet whose gas top-ups reached at least this
# many deposit-shaped wallets sweeping to known hot wallets. On the exchange_use=mixed tuning worlds (seeds 1-3,
# 99) 2 took in 11 of the 12 off-ramp hot wallets no label or other rule found and nothing else; 1 took in all
# 12 and nothing else, 3 took 9. Two, so a single stray top-up (a friend's gas for a wallet that then sells at an
# exchange) is not enough.
GAS_HUB_ACCOUNTS = 2
# ... found in rounds, each taking the known hot wallets of the one before: an exchange's hot wallets top up
# accounts that sweep to any of them.
GAS_HUB_ROUNDS = 5
# Rule 4 (an exchange whose accounts sweep to hot wallets no label or other rule found): the wallets of a
# group that topped up the gas of at least this many deposit-shaped wallets sweeping (nearly) all they send
# into the group. Rings seldom fuel their deposit wallets from the wallet they sweep to, and then few of them:
# the simulator's rings have up to 19 collection wallets, its exchanges 45-75 deposit accounts each in a small
# world (real ones thousands). Breaks on a ring that fuels 25 or more deposit wallets from its consolidation
# wallet (or from a wallet that wallet funds): its wallets are then taken for an exchange's.
GAS_GROUP_ACCOUNTS = 25


def structural(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``pt_en_structural(ref, kind, entity, category, score, reasons)``: token contracts, DEX pools
    and routers, contracts that pull their callers' tokens, the zero address."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_structural AS
            WITH hits AS (
                SELECT ref, 0 AS rank, 'dex' AS kind, 'pool' AS category, count(*) AS n,
                       'DEX pool: ' || count(*) || ' swap(s)' AS reason
                FROM (SELECT pool_ref AS ref FROM ledger_swaps WHERE pool_ref IS NOT NULL) GROUP BY ref
                UNION ALL
                SELECT ref, 1, 'dex', 'router', count(DISTINCT tx_ref), 'routes swaps: ' || count(DISTINCT tx_ref) || ' swap transaction(s) went through it'
                FROM (SELECT tx_ref, sender_ref AS ref FROM ledger_swaps
                      WHERE sender_ref IS DISTINCT FROM recipient_ref AND sender_ref IS DISTINCT FROM initiator_ref
                      UNION ALL
                      SELECT s.tx_ref, x.to_ref FROM ledger_swaps s JOIN ledger_transactions x ON x.tx_ref = s.tx_ref
                      WHERE x.to_ref IS DISTINCT FROM s.recipient_ref AND x.to_ref IS DISTINCT FROM s.initiator_ref)
                WHERE ref IS NOT NULL GROUP BY ref
                UNION ALL
                SELECT ref, 2, 'token_contract', 'token', 1, 'token contract'
                FROM (SELECT a.ref FROM tokens k JOIN addresses a ON a.chain = k.chain AND a.address = k.address
                      UNION SELECT token_ref FROM ledger_transfers WHERE kind <> 'native')
                UNION ALL
                SELECT t.to_ref, 3, 'bridge', 'pulls_callers_tokens', count(DISTINCT t.from_ref),
                       'takes tokens from whoever calls it (' || count(DISTINCT t.from_ref)
                       || ' caller(s)): a bridge deposit or a vault'
                FROM ledger_transfers t JOIN ledger_transactions x ON x.tx_ref = t.tx_ref
                WHERE t.kind IN ('erc20', 'trc20') AND x.to_ref = t.to_ref AND t.from_ref = x.from_ref
                GROUP BY t.to_ref
                UNION ALL
                SELECT ref, 4, 'other_service', 'zero_address', 1, 'the zero address (mints and burns)'
                FROM addresses WHERE address IN ({ZEROS}))
            SELECT ref, arg_min(kind, (rank, kind)) AS kind, NULL::VARCHAR AS entity, arg_min(category, (rank, kind)) AS category,
                   CASE WHEN arg_min(kind, (rank, kind)) = 'bridge' THEN least(1.0, 0.4 + 0.1 * arg_min(n, (rank, kind)))
                        ELSE 1.0 END::DOUBLE AS score,
                   list(reason ORDER BY rank) AS reasons
            FROM hits WHERE ref NOT IN (SELECT ref FROM pt_en_labelled) GROUP BY ref"""
    )


def accounts(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``pt_en_accounts(ref, kind, entity, category, score, reasons)``: unlabelled hot wallets (hubs),
    forwarders and exchange deposit accounts. Reads ``pt_en_labelled`` and ``pt_en_structural``."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_value AS
            SELECT from_ref AS src, to_ref AS dst, tx_ref, token_ref, coalesce(usd, 0) AS usd,
                   (coalesce(epoch_us(time), 0), coalesce(block_number, 0), log_index) AS pos
            FROM ledger_transfers
            WHERE kind IN {VALUE_KINDS} AND from_ref IS NOT NULL AND to_ref IS NOT NULL AND from_ref <> to_ref
              AND (amount > 0 OR amount_text IS NOT NULL)"""
    )
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_en_taken AS
                   SELECT ref FROM pt_en_labelled UNION SELECT ref FROM pt_en_structural""")
    # per sender: what it sends, its main receiver (the receiver of its latest payment) and its share there
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_sends AS
            WITH s AS (SELECT src, sum(usd) AS out_usd, count(*) AS out_n, arg_max(dst, (pos, dst)) AS main
                       FROM pt_en_value GROUP BY src),
            m AS (SELECT v.src, sum(v.usd) AS main_usd, count(*) AS main_n
                  FROM pt_en_value v JOIN s ON s.src = v.src AND s.main = v.dst GROUP BY v.src)
            SELECT s.*, m.main_usd, m.main_n,
                   m.main_usd >= {FEEDER_SHARE} * s.out_usd AND m.main_n >= {FEEDER_SHARE} * s.out_n AS sweeps_all,
                   s.src NOT IN (SELECT ref FROM pt_en_taken) AS free
            FROM s JOIN m USING (src)"""
    )
    _hubs(con)
    _deposits(con)
    _forwarders(con)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_en_accounts AS
           SELECT ref, 'exchange_hot_wallet' AS kind, entity, 'hub' AS category, score, reasons FROM pt_en_hubs
           UNION ALL
           SELECT ref, 'exchange_hot_wallet', entity, 'forwarder', score, reasons FROM pt_en_forwarders
           UNION ALL
           SELECT ref, 'exchange_deposit', entity, 'deposit', score, reasons FROM pt_en_deposits
           WHERE ref NOT IN (SELECT ref FROM pt_en_forwarders)"""
    )
    for t in ("pt_en_value", "pt_en_pairs", "pt_en_taken", "pt_en_sends", "pt_en_hubs", "pt_en_deposits",
              "pt_en_forwarders"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _feeds(eligible: str) -> str:
    """SQL: per address, how many ``eligible`` senders (a predicate on ``pt_en_sends``) are its feeders."""
    return f"SELECT main AS ref, count(*) AS fed FROM pt_en_sends WHERE sweeps_all AND {eligible} GROUP BY main"


def _hubs(con: duckdb.DuckDBPyConnection) -> None:
    """Unlabelled hot wallets by two rules, then one entity per exchange (``_name_hubs``)."""
    custodial = ", ".join(f"'{c}'" for c in CUSTODIAL)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_hot_labelled AS
            SELECT ref, entity FROM pt_en_labelled WHERE category IN ({custodial})"""
    )
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_en_pairs AS
                   SELECT src, dst, sum(usd) AS usd, count(*) AS n FROM pt_en_value GROUP BY src, dst""")
    # rule 1: feeders (each sending it nearly all it sends), directly or through forwarders, and many payees
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_hub_feeders AS
            WITH fed AS ({_feeds("free")}),
            fwd AS (SELECT s.main AS ref, sum(f.fed) AS via, count(*) AS forwarders
                    FROM pt_en_sends s JOIN fed f ON f.ref = s.src
                    WHERE s.sweeps_all AND s.free AND f.fed >= {HUB_FEEDERS} GROUP BY s.main)
            SELECT ref, coalesce(fed.fed, 0) AS direct, coalesce(fwd.via, 0) AS via,
                   coalesce(fwd.forwarders, 0) AS forwarders
            FROM fed FULL JOIN fwd USING (ref)
            WHERE coalesce(fed.fed, 0) + coalesce(fwd.via, 0) >= {HUB_FEEDERS}
              AND ref IN (SELECT src FROM pt_en_sends WHERE free AND out_n >= {HUB_PAYEES})
              AND coalesce(fed.fed, 0) + coalesce(fwd.forwarders, 0)
                  >= {SWEEPER_SHARE} * (SELECT count(*) FROM pt_en_pairs p WHERE p.dst = ref)"""
    )
    # rule 2: an exchange with several hot wallets sweeps each deposit account to any of them, so no one
    # wallet is a deposit account's main receiver. A *sweeper* sends at least FEEDER_SHARE of what it sends
    # (USD and count) to at most MAX_HOT_WALLETS busy wallets (HUB_PAYEES payees) or known
    # exchange wallets; a busy wallet most of whose payers (SWEEPER_SHARE) are sweepers, with HUB_FEEDERS wallets
    # behind them at least (a forwarder counts with its own feeders), is a hot wallet.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_busy AS
            WITH payees AS (SELECT src AS ref, count(*) AS payees FROM pt_en_pairs GROUP BY src),
            payers AS (SELECT dst AS ref, count(*) AS payers FROM pt_en_pairs GROUP BY dst)
            SELECT ref, payees, payers FROM payees JOIN payers USING (ref)
            WHERE payees >= {HUB_PAYEES}
              AND ref IN (SELECT src FROM pt_en_sends WHERE free)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_sweeps AS
            WITH target AS (SELECT ref FROM pt_en_busy UNION SELECT ref FROM pt_en_hot_labelled),
            per AS (SELECT p.src, count(*) AS receivers, count(*) FILTER (WHERE t.ref IS NOT NULL) AS hot,
                           sum(p.usd) AS usd, sum(p.usd) FILTER (WHERE t.ref IS NOT NULL) AS hot_usd,
                           sum(p.n) AS n, sum(p.n) FILTER (WHERE t.ref IS NOT NULL) AS hot_n
                    FROM pt_en_pairs p LEFT JOIN target t ON t.ref = p.dst GROUP BY p.src),
            sweeper AS (SELECT src FROM per JOIN pt_en_sends s USING (src)
                        WHERE s.free AND src NOT IN (SELECT ref FROM target) AND hot BETWEEN 1 AND {MAX_HOT_WALLETS}
                          AND hot_usd >= {FEEDER_SHARE} * usd AND hot_n >= {FEEDER_SHARE} * n)
            SELECT p.src, p.dst FROM pt_en_pairs p SEMI JOIN sweeper w ON w.src = p.src
            WHERE p.dst IN (SELECT ref FROM target)"""
    )
    # a sweeper that is itself fed (a forwarder) counts with the wallets behind it
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_hub_sweepers AS
            WITH fed AS ({_feeds("free")}),
            w AS (SELECT w.dst AS ref, count(*) AS sweepers, sum(1 + coalesce(f.fed, 0)) AS behind
                  FROM pt_en_sweeps w LEFT JOIN fed f ON f.ref = w.src GROUP BY w.dst)
            SELECT b.ref, w.sweepers, w.behind, b.payers FROM pt_en_busy b JOIN w USING (ref)
            WHERE w.behind >= {HUB_FEEDERS} AND w.sweepers >= {SWEEPER_SHARE} * b.payers"""
    )
    # customers: whoever pays the candidate's feeders, or the wallets that feed those (two levels, for
    # forwarders); an exchange pays withdrawals to some of the same people who deposit
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_en_cand AS
           SELECT ref FROM pt_en_hub_feeders UNION SELECT ref FROM pt_en_hub_sweepers"""
    )
    # Only customers the candidate paid count, so the third level keeps just those (at 10M transfers the
    # unfiltered third level took a minute; this takes seconds, with the same counts).
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_en_round_trips AS
           WITH paid AS (SELECT p.src AS ref, p.dst AS w FROM pt_en_pairs p SEMI JOIN pt_en_cand c ON c.ref = p.src),
           l1 AS (SELECT c.ref, p.src AS w FROM pt_en_cand c JOIN pt_en_pairs p ON p.dst = c.ref),
           l2 AS (SELECT DISTINCT l1.ref, p.src AS w FROM l1 JOIN pt_en_pairs p ON p.dst = l1.w),
           l3 AS (SELECT l2.ref, p.src AS w FROM l2 JOIN pt_en_pairs p ON p.dst = l2.w
                  SEMI JOIN paid q ON q.ref = l2.ref AND q.w = p.src),
           customers AS (SELECT ref, w FROM l2 SEMI JOIN paid q USING (ref, w) UNION SELECT ref, w FROM l3)
           SELECT ref, count(*) AS n FROM customers GROUP BY ref"""
    )
    # the candidates' one-off pass-through payees (see HUB_ONE_OFF), over their payees' transfers only
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_one_off AS
            WITH paid AS (SELECT v.src AS ref, v.dst AS w, v.usd, v.pos FROM pt_en_value v
                          SEMI JOIN pt_en_cand c ON c.ref = v.src
                          SEMI JOIN pt_en_pairs p ON p.src = v.src AND p.dst = v.dst AND p.n = 1),
            got AS (SELECT p.ref, p.w, sum(v.usd) AS usd, coalesce(sum(v.usd) FILTER (WHERE v.pos < p.pos), 0) AS before
                    FROM paid p JOIN pt_en_value v ON v.dst = p.w GROUP BY ALL),
            sent AS (SELECT p.ref, p.w, sum(v.usd) AS usd, min(v.pos) AS first
                     FROM paid p JOIN pt_en_value v ON v.src = p.w GROUP BY ALL)
            SELECT paid.ref, count(*) AS n, sum(paid.usd) AS usd FROM paid JOIN got USING (ref, w) JOIN sent USING (ref, w)
            WHERE sent.first > paid.pos AND got.before < {1 - FEEDER_SHARE} * paid.usd
              AND paid.usd >= {FEEDER_SHARE} * got.usd AND sent.usd >= {FEEDER_SHARE} * got.usd AND got.usd > 0
            GROUP BY paid.ref"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_hubs AS
            WITH payees AS (SELECT src AS ref, count(*) AS payees, sum(usd) AS out_usd FROM pt_en_pairs
                            SEMI JOIN pt_en_cand c ON c.ref = src GROUP BY src),
            receipts AS (SELECT dst AS ref, sum(n) AS in_n, count(*) AS payers FROM pt_en_pairs
                         SEMI JOIN pt_en_cand c ON c.ref = dst GROUP BY dst)
            SELECT c.ref, NULL::VARCHAR AS entity,
                   (0.5 + 0.2 * least(1.0, greatest(coalesce(f.direct + f.via, 0), coalesce(w.behind, 0))
                                             / {4 * HUB_FEEDERS})
                        + 0.15 * least(1.0, p.payees / {4 * HUB_PAYEES})
                        + 0.15 * least(1.0, r.n / {4 * HUB_CUSTOMERS}))::DOUBLE AS score,
                   list_filter([
                       CASE WHEN f.ref IS NOT NULL THEN f.direct || ' wallet(s) sweep at least {FEEDER_SHARE:.0%} of what they send to it'
                            || CASE WHEN f.forwarders > 0 THEN '; ' || f.via || ' more through ' || f.forwarders
                                    || ' forwarder(s)' ELSE '' END END,
                       CASE WHEN w.ref IS NOT NULL THEN w.sweepers || ' of its ' || w.payers || ' payers (with '
                            || w.behind || ' wallets behind them) send at least {FEEDER_SHARE:.0%} of what they send '
                            || 'to it and a few wallets like it' END,
                       'pays ' || p.payees || ' different addresses in ' || s.out_n || ' transfers (' || i.payers
                       || ' addresses paid it, in ' || i.in_n || ' transfers), ' || r.n || ' of them also paid into the '
                       || 'wallets that sweep to it (customers withdrawing): an exchange hot wallet nobody labelled'],
                       lambda x: x IS NOT NULL) AS reasons
            FROM pt_en_cand c JOIN payees p USING (ref) JOIN pt_en_round_trips r USING (ref)
            JOIN receipts i USING (ref) JOIN pt_en_sends s ON s.src = c.ref
            LEFT JOIN pt_en_hub_feeders f USING (ref) LEFT JOIN pt_en_hub_sweepers w USING (ref)
            LEFT JOIN pt_en_one_off o USING (ref)
            WHERE p.payees >= {HUB_PAYEES} AND r.n >= {HUB_CUSTOMERS} AND NOT (coalesce(o.n, 0) >= {HUB_ONE_OFF} * p.payees
                       AND coalesce(o.usd, 0) >= {HUB_ONE_OFF_USD} * p.out_usd)
              AND (p.payees >= {HUB_PAYEE_RATIO} * i.payers
                   OR (p.payees >= {HUB_ROUND_TRIP_RATIO} * i.payers AND r.n >= {HUB_ROUND_TRIPS} * i.payers))"""
    )
    _name_hubs(con)
    _gas_hubs(con)
    _gas_groups(con)
    for t in ("pt_en_busy", "pt_en_sweeps", "pt_en_hub_feeders", "pt_en_hub_sweepers", "pt_en_cand",
              "pt_en_round_trips", "pt_en_one_off"):
        con.execute(f"DROP TABLE {t}")


def _gas_hubs(con: duckdb.DuckDBPyConnection) -> None:
    """Rule 3: an exchange's hot wallet that pays no withdrawals (an off-ramp, whose customers only deposit to
    sell) still tops up its deposit accounts' gas. A wallet that sent gas top-ups to at least
    ``GAS_HUB_ACCOUNTS`` free wallets paying at most ``MAX_HOT_WALLETS`` + 1 addresses that then swept at least ``FEEDER_SHARE`` of what they sent (USD and
    count) to known hot wallets and to itself, at least half of it (USD) to the known ones, is a hot wallet of
    the exchange they swept to most. Known: labelled, hubs, or taken by this rule in an earlier round (an
    exchange tops up accounts that sweep to any of its hot wallets). Only this direction counts: a ring can
    have an exchange pay its deposit wallets' gas (withdrawing to them), not make an exchange sweep the
    wallets its own wallet topped up."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_gassed AS
            WITH sweeper AS (SELECT s.src FROM pt_en_sends s JOIN pt_en_pairs p ON p.src = s.src WHERE s.free
                             GROUP BY s.src HAVING count(*) <= {MAX_HOT_WALLETS + 1})
            SELECT DISTINCT t.from_ref AS payer, t.to_ref AS account
            FROM ledger_transfers t SEMI JOIN sweeper s ON s.src = t.to_ref
            WHERE {gas_topup_sql("t", "t.kind = 'native'")} AND t.from_ref <> t.to_ref
              AND t.from_ref NOT IN (SELECT ref FROM pt_en_taken)"""
    )
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_en_gassed_pairs AS
                   SELECT g.payer, g.account, p.dst, p.usd, p.n FROM pt_en_gassed g JOIN pt_en_pairs p ON p.src = g.account""")
    con.execute("CREATE OR REPLACE TEMP TABLE pt_en_gas_hubs (ref BIGINT, entity VARCHAR, accounts BIGINT)")
    for _ in range(GAS_HUB_ROUNDS):
        added = con.execute(
            f"""INSERT INTO pt_en_gas_hubs
                WITH known AS (SELECT ref, entity FROM pt_en_hot_labelled UNION ALL SELECT ref, entity FROM pt_en_hubs
                               UNION ALL SELECT ref, entity FROM pt_en_gas_hubs),
                per AS (SELECT g.payer, g.account, coalesce(k.entity, '') AS entity,
                               sum(g.usd) FILTER (WHERE k.ref IS NOT NULL) AS known_usd,
                               sum(g.usd) FILTER (WHERE k.ref IS NOT NULL OR g.dst = g.payer) AS swept_usd,
                               sum(g.n) FILTER (WHERE k.ref IS NOT NULL OR g.dst = g.payer) AS swept_n
                        FROM pt_en_gassed_pairs g LEFT JOIN known k ON k.ref = g.dst
                        WHERE g.payer NOT IN (SELECT ref FROM known) GROUP BY ALL),
                acct AS (SELECT p.payer, p.account, arg_max(p.entity, (p.known_usd, p.entity)) FILTER (WHERE p.known_usd > 0) AS entity
                         FROM per p JOIN pt_en_sends s ON s.src = p.account GROUP BY p.payer, p.account, s.out_usd, s.out_n
                         HAVING sum(p.known_usd) >= 0.5 * s.out_usd AND sum(p.known_usd) > 0
                            AND sum(p.swept_usd) >= {FEEDER_SHARE} * s.out_usd AND sum(p.swept_n) >= {FEEDER_SHARE} * s.out_n)
                SELECT payer, nullif(arg_max(entity, (n, entity)), ''), sum(n)::BIGINT
                FROM (SELECT payer, entity, count(*) AS n FROM acct GROUP BY ALL)
                GROUP BY payer HAVING sum(n) >= {GAS_HUB_ACCOUNTS}"""
        ).fetchone()[0]
        if not added:
            break
    con.execute(
        f"""INSERT INTO pt_en_hubs
            SELECT g.ref, g.entity, (0.5 + 0.4 * least(1.0, g.accounts / {4 * GAS_HUB_ACCOUNTS}))::DOUBLE,
                   ['sent gas top-ups to ' || g.accounts || ' wallet(s) that then swept what they held to '
                    || coalesce(g.entity, 'exchange hot wallets') || ' (and to it): an exchange topping up its deposit '
                    || 'accounts'' gas, a hot wallet nobody labelled']
            FROM pt_en_gas_hubs g"""
    )
    for t in ("pt_en_gassed", "pt_en_gassed_pairs", "pt_en_gas_hubs"):
        con.execute(f"DROP TABLE {t}")


def _register_components(con: duckdb.DuckDBPyConnection, name: str, edges_sql: str) -> bool:
    """Register ``name`` (ref, comp): the connected components of the undirected graph whose edges are the two
    ref columns ``edges_sql`` selects. False, and nothing registered, when it selects no edge."""
    edges = con.execute(edges_sql).fetchnumpy()
    a, b = (np.asarray(v, np.int64) for v in edges.values())
    if not len(a):
        return False
    refs, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    comp = components(len(refs), inv[:len(a)], inv[len(a):])
    con.register(name, pa.table({"ref": refs, "comp": comp.astype(np.int64)}))
    return True


def _gas_groups(con: duckdb.DuckDBPyConnection) -> None:
    """Rule 4: an exchange whose deposit accounts sweep to hot wallets nobody labelled and no other rule found
    (an off-ramp pays no withdrawals, and rule 3 only takes the wallets fuelling accounts that sweep to known
    hot wallets). A fueller's *sweep set* is itself and every wallet that two or more wallets it topped up
    pay; an account it fuelled (one that moves tokens: an account holding the native coin pays its own gas)
    counts when it sent at least ``FEEDER_SHARE`` of what it sends (USD and count) into that set and got
    nothing but gas from it. Fuellers with two or more such accounts, and the wallets of their sweep sets that
    two or more of them pay and ``HUB_FEEDERS`` or more such accounts sweep to, are joined into groups (an
    exchange's hot wallets each top up some of the accounts, which sweep to any of them). A group whose
    fuellers counted ``GAS_GROUP_ACCOUNTS`` accounts or more, one of whose fuellers is itself swept to or is
    funded (most of what it received) by the group, is an exchange: its wallets not yet known are hot wallets,
    named after a known one among them. Wallets swept to may be known already (labelled siblings of the
    unlabelled hot wallets), and so may a fueller that does nothing but top up gas (a gas wallet of the
    exchange's own, which rule 2 takes for a hot wallet; a hot wallet that also pays withdrawals fuels whoever
    withdraws gas money, a ring's wallets too). A ring's gas funder
    fuels its peel hops, which pay a few of the same next hops and mule accounts: too few accounts sweep to
    any one of them."""
    # services other than exchanges: never a fueller or a wallet swept to
    other = "SELECT ref FROM pt_en_taken EXCEPT SELECT ref FROM pt_en_hot_labelled"
    known = "SELECT ref FROM pt_en_hubs UNION SELECT ref FROM pt_en_hot_labelled"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_group_legs AS
            WITH sweeper AS (SELECT s.src FROM pt_en_sends s JOIN pt_en_pairs p ON p.src = s.src WHERE s.free
                             GROUP BY s.src HAVING count(*) <= {MAX_HOT_WALLETS + 1}),
            -- an account needs gas from outside to move tokens; one holding the native coin pays its own
            token_sweeper AS (SELECT DISTINCT t.from_ref AS src FROM ledger_transfers t
                              SEMI JOIN sweeper s ON s.src = t.from_ref WHERE t.kind IN ('erc20', 'trc20')),
            -- a known wallet fuels accounts here only when it does nothing else (an exchange's gas wallet);
            -- an exchange's hot wallet also withdraws gas money to anyone, a ring's wallets included
            gas_only AS (SELECT t.from_ref AS ref FROM ledger_transfers t SEMI JOIN ({known}) k ON k.ref = t.from_ref
                         WHERE t.kind IN {VALUE_KINDS} GROUP BY t.from_ref
                         HAVING count(*) FILTER (WHERE {gas_topup_sql("t", "t.kind = 'native'")}) >= {FEEDER_SHARE} * count(*)),
            gassed AS (SELECT DISTINCT t.from_ref AS payer, t.to_ref AS account
                       FROM ledger_transfers t SEMI JOIN token_sweeper s ON s.src = t.to_ref
                       WHERE {gas_topup_sql("t", "t.kind = 'native'")} AND t.from_ref <> t.to_ref
                         AND t.from_ref NOT IN ({other})
                         AND (t.from_ref NOT IN ({known}) OR t.from_ref IN (SELECT ref FROM gas_only))),
            several AS (SELECT payer FROM gassed GROUP BY payer HAVING count(*) >= 2),
            legs AS (SELECT g.payer, g.account, p.dst, p.usd, p.n FROM gassed g SEMI JOIN several b ON b.payer = g.payer
                     JOIN pt_en_pairs p ON p.src = g.account WHERE p.dst NOT IN ({other})),
            swept_set AS (SELECT payer, dst FROM legs GROUP BY ALL HAVING count(*) >= 2
                          UNION SELECT payer, payer FROM several),
            counted AS (SELECT l.payer, l.account FROM legs l JOIN pt_en_sends s ON s.src = l.account
                        LEFT JOIN swept_set w ON w.payer = l.payer AND w.dst = l.dst
                        GROUP BY l.payer, l.account, s.out_usd, s.out_n
                        HAVING sum(l.usd) FILTER (WHERE w.dst IS NOT NULL) >= {FEEDER_SHARE} * s.out_usd
                           AND sum(l.n) FILTER (WHERE w.dst IS NOT NULL) >= {FEEDER_SHARE} * s.out_n),
            -- a deposit account gets nothing but gas from its exchange; a desk's or a busy trader's customers
            -- are paid by it too
            paid AS (SELECT DISTINCT c.payer, c.account FROM counted c
                     JOIN ledger_transfers t ON t.to_ref = c.account
                     JOIN swept_set w ON w.payer = c.payer AND w.dst = t.from_ref
                     WHERE t.kind IN {VALUE_KINDS} AND NOT {gas_topup_sql("t", "t.kind = 'native'")}),
            fuellers AS (SELECT payer FROM counted ANTI JOIN paid USING (payer, account)
                         GROUP BY payer HAVING count(*) >= 2)
            SELECT l.payer, l.account, l.dst FROM legs l
            SEMI JOIN counted c ON c.payer = l.payer AND c.account = l.account
            ANTI JOIN paid p ON p.payer = l.payer AND p.account = l.account
            SEMI JOIN fuellers f ON f.payer = l.payer
            SEMI JOIN swept_set w ON w.payer = l.payer AND w.dst = l.dst"""
    )
    # a hot wallet takes the sweeps of many accounts (HUB_FEEDERS, as rule 1), whoever fuelled them
    con.execute(
        f"""DELETE FROM pt_en_group_legs WHERE dst NOT IN (
                SELECT dst FROM pt_en_group_legs GROUP BY dst HAVING count(DISTINCT account) >= {HUB_FEEDERS})"""
    )
    if not _register_components(con, "pt_en_group_arrow", """
            SELECT payer, dst FROM pt_en_group_legs GROUP BY ALL HAVING count(*) >= 2
            UNION ALL SELECT DISTINCT payer, payer FROM pt_en_group_legs"""):
        con.execute("DROP TABLE pt_en_group_legs")
        return
    con.execute(
        f"""INSERT INTO pt_en_hubs
            WITH c AS (SELECT * FROM pt_en_group_arrow),
            legs AS (SELECT c.comp, l.* FROM pt_en_group_legs l JOIN c ON c.ref = l.payer),
            members AS (SELECT comp, dst AS ref FROM legs GROUP BY comp, payer, dst HAVING count(*) >= 2),
            size AS (SELECT comp, count(DISTINCT account) AS accounts FROM legs GROUP BY comp
                     HAVING count(DISTINCT account) >= {GAS_GROUP_ACCOUNTS}),
            swept_fueller AS (SELECT DISTINCT l.comp FROM legs l SEMI JOIN members m ON m.comp = l.comp AND m.ref = l.payer),
            funded AS (SELECT l.comp, l.payer FROM (SELECT DISTINCT comp, payer FROM legs) l
                       JOIN pt_en_pairs p ON p.dst = l.payer
                       LEFT JOIN (SELECT DISTINCT comp, ref FROM members) m ON m.comp = l.comp AND m.ref = p.src
                       GROUP BY l.comp, l.payer HAVING sum(p.usd) FILTER (WHERE m.ref IS NOT NULL) >= 0.5 * sum(p.usd)),
            accepted AS (SELECT s.comp, s.accounts FROM size s
                         WHERE s.comp IN (SELECT comp FROM swept_fueller UNION SELECT comp FROM funded)),
            wallets AS (SELECT comp, ref FROM members UNION SELECT comp, payer FROM funded),
            -- the group takes the name of a labelled or named hot wallet among its fuellers
            named AS (SELECT c.comp, min(k.entity) AS name FROM c
                      JOIN (SELECT ref, entity FROM pt_en_hot_labelled UNION ALL SELECT ref, entity FROM pt_en_hubs) k
                        USING (ref) WHERE k.entity IS NOT NULL GROUP BY c.comp)
            SELECT w.ref, coalesce(any_value(n.name) OVER (PARTITION BY w.comp),
                                   'hub:' || min(a.address) OVER (PARTITION BY w.comp)),
                   (0.5 + 0.4 * least(1.0, x.accounts / {4 * GAS_GROUP_ACCOUNTS}))::DOUBLE,
                   ['one of ' || count(*) OVER (PARTITION BY w.comp) || ' wallets that ' || x.accounts
                    || ' wallets, their gas topped up by wallets of the group, swept nearly all they sent to: an '
                    || 'exchange fuelling its deposit accounts, its hot wallets nobody labelled']
            FROM (SELECT DISTINCT comp, ref FROM wallets) w JOIN accepted x USING (comp) JOIN addresses a ON a.ref = w.ref
            LEFT JOIN named n USING (comp)
            WHERE w.ref NOT IN (SELECT ref FROM pt_en_hubs UNION SELECT ref FROM pt_en_taken)"""
    )
    con.unregister("pt_en_group_arrow")
    con.execute("DROP TABLE pt_en_group_legs")


def _name_hubs(con: duckdb.DuckDBPyConnection) -> None:
    """One entity per exchange: hot wallets that share sweeping deposit accounts (``pt_en_sweeps``) are one
    exchange's. A group with labelled hot wallets takes the name most of them carry; one without takes
    ``hub:<address>`` of its first hub."""
    if not _register_components(con, "pt_en_comp_arrow", """
            SELECT w.src, w.dst FROM pt_en_sweeps w
            WHERE w.dst IN (SELECT ref FROM pt_en_hubs UNION SELECT ref FROM pt_en_hot_labelled)
            UNION ALL SELECT ref, ref FROM pt_en_hubs"""):
        return
    con.execute(
        """UPDATE pt_en_hubs SET entity = n.name FROM (
               WITH c AS (SELECT * FROM pt_en_comp_arrow),
               votes AS (SELECT c.comp, l.entity, count(*) AS n FROM c JOIN pt_en_hot_labelled l USING (ref)
                         WHERE l.entity IS NOT NULL GROUP BY ALL),
               named AS (SELECT comp, arg_max(entity, (n, entity)) AS name FROM votes GROUP BY comp),
               first AS (SELECT c.comp, 'hub:' || min(a.address) AS name FROM c JOIN pt_en_hubs h USING (ref)
                         JOIN addresses a ON a.ref = h.ref GROUP BY c.comp)
               SELECT c.ref, coalesce(named.name, first.name) AS name
               FROM c JOIN first USING (comp) LEFT JOIN named USING (comp)) n
           WHERE pt_en_hubs.ref = n.ref"""
    )
    con.unregister("pt_en_comp_arrow")


def _deposits(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_en_hot AS
                   SELECT ref, entity FROM pt_en_hot_labelled UNION ALL SELECT ref, entity FROM pt_en_hubs""")
    # a wallet that pays into a swap and is paid another token back in the same transaction trades on a DEX
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_en_swappers AS
           WITH parties AS (SELECT tx_ref, pool_ref AS ref FROM ledger_swaps WHERE pool_ref IS NOT NULL
                            UNION SELECT tx_ref, sender_ref FROM ledger_swaps
                            WHERE sender_ref IS DISTINCT FROM recipient_ref AND sender_ref IS DISTINCT FROM initiator_ref),
           pay AS (SELECT v.tx_ref, v.src AS ref, v.token_ref FROM pt_en_value v
                   SEMI JOIN parties p ON p.tx_ref = v.tx_ref AND p.ref = v.dst),
           got AS (SELECT v.tx_ref, v.dst AS ref, v.token_ref FROM pt_en_value v
                   SEMI JOIN parties p ON p.tx_ref = v.tx_ref AND p.ref = v.src)
           SELECT DISTINCT pay.ref FROM pay JOIN got ON got.tx_ref = pay.tx_ref AND got.ref = pay.ref
           WHERE got.token_ref <> pay.token_ref AND pay.ref NOT IN (SELECT ref FROM parties WHERE tx_ref = pay.tx_ref)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_deposits AS
            WITH swept AS (
                SELECT v.src AS ref, coalesce(h.entity, '') AS entity, sum(v.usd) AS usd, count(*) AS n
                FROM pt_en_value v JOIN pt_en_hot h ON h.ref = v.dst
                WHERE v.src NOT IN (SELECT ref FROM pt_en_hot) GROUP BY ALL),
            per AS (SELECT ref, sum(usd) AS ex_usd, sum(n) AS ex_n, arg_max(entity, (usd, n, entity)) AS entity
                    FROM swept GROUP BY ref)
            SELECT p.ref, nullif(p.entity, '') AS entity,
                   CASE WHEN s.out_usd > 0 THEN p.ex_usd / s.out_usd ELSE p.ex_n / s.out_n END::DOUBLE AS score,
                   ['sends ' || printf('%.0f%%', 100 * CASE WHEN s.out_usd > 0 THEN p.ex_usd / s.out_usd ELSE 1 END)
                    || ' of its outgoing USD (' || p.ex_n || ' of ' || s.out_n || ' transfers) to '
                    || coalesce(nullif(p.entity, ''), 'exchange hot wallets') || ': the exchange sweeping a customer''s deposit account']
                   AS reasons
            FROM per p JOIN pt_en_sends s ON s.src = p.ref
            WHERE s.free AND p.ex_n > 0 AND p.ex_usd >= {DEPOSIT_USD_SHARE} * s.out_usd
              AND p.ex_n >= {DEPOSIT_COUNT_SHARE} * s.out_n
              AND p.ref NOT IN (SELECT ref FROM pt_en_swappers)"""
    )
    con.execute("DROP TABLE pt_en_swappers")


def _forwarders(con: duckdb.DuckDBPyConnection) -> None:
    """Deposit-shaped addresses with many feeders of their own forward an exchange's deposit accounts in
    batches: they become hot wallets of the exchange they sweep to, and their feeders its deposit accounts."""
    # a feeder of forwarders sends at least FEEDER_SHARE of what it sends (USD and count) to at most
    # MAX_HOT_WALLETS deposit-shaped addresses (an exchange may batch each account through any of its forwarders)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_fwd_feeds AS
            WITH per AS (SELECT p.src, count(d.ref) AS k, sum(p.usd) AS usd, sum(p.n) AS n,
                                coalesce(sum(p.usd) FILTER (WHERE d.ref IS NOT NULL), 0) AS d_usd,
                                coalesce(sum(p.n) FILTER (WHERE d.ref IS NOT NULL), 0) AS d_n
                         FROM pt_en_pairs p LEFT JOIN pt_en_deposits d ON d.ref = p.dst GROUP BY p.src),
            feeder AS (SELECT per.src FROM per JOIN pt_en_sends s USING (src)
                       WHERE s.free AND per.k BETWEEN 1 AND {MAX_HOT_WALLETS} AND per.d_usd >= {FEEDER_SHARE} * per.usd
                         AND per.d_n >= {FEEDER_SHARE} * per.n
                         AND per.src NOT IN (SELECT ref FROM pt_en_deposits) AND per.src NOT IN (SELECT ref FROM pt_en_hot))
            SELECT p.src AS feeder, p.dst AS ref FROM pt_en_pairs p SEMI JOIN feeder f ON f.src = p.src
            WHERE p.dst IN (SELECT ref FROM pt_en_deposits)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_en_forwarders AS
            WITH fed AS (SELECT ref, count(*) AS fed FROM pt_en_fwd_feeds GROUP BY ref
                         HAVING count(*) >= {FORWARDER_FEEDERS}),
            sources AS (SELECT f.ref, count(DISTINCT p.src) AS sources
                        FROM pt_en_fwd_feeds f SEMI JOIN fed USING (ref) JOIN pt_en_pairs p ON p.dst = f.feeder
                        WHERE p.src <> f.ref
                          AND NOT EXISTS (SELECT 1 FROM pt_en_fwd_feeds o WHERE o.ref = f.ref AND o.feeder = p.src)
                        GROUP BY f.ref),
            gas AS (SELECT DISTINCT t.from_ref AS payer, t.to_ref AS account FROM ledger_transfers t
                    SEMI JOIN pt_en_fwd_feeds f ON f.feeder = t.to_ref
                    WHERE {gas_topup_sql("t", "t.kind = 'native'")} AND t.from_ref <> t.to_ref),
            repeat AS (SELECT ref, count(*) AS n FROM (
                           SELECT t.to_ref AS ref, t.from_ref FROM ledger_transfers t
                           SEMI JOIN pt_en_fwd_feeds f ON f.ref = t.to_ref AND f.feeder = t.from_ref
                           SEMI JOIN fed ON fed.ref = t.to_ref
                           WHERE t.usd > 0 GROUP BY ALL HAVING count(DISTINCT t.time::DATE) >= 2) GROUP BY ref),
            fuelled AS (SELECT f.ref, count(DISTINCT f.feeder) AS n FROM pt_en_fwd_feeds f
                        JOIN gas g ON g.account = f.feeder JOIN pt_en_pairs q ON q.src = f.ref AND q.dst = g.payer
                        GROUP BY f.ref)
            SELECT d.ref, d.entity, d.score, f.fed,
                   ['collects the sweeps of ' || f.fed || ' wallet(s), paid by ' || s.sources
                    || ' different addresses, and forwards them'
                    || CASE WHEN coalesce(u.n, 0) > 0 THEN ' (' || u.n || ' of them fuelled by wallets it pays)' ELSE '' END
                    || ': ' || d.reasons[1]] AS reasons
            FROM pt_en_deposits d JOIN fed f USING (ref) JOIN sources s USING (ref) JOIN pt_en_sends o ON o.src = d.ref
            LEFT JOIN fuelled u USING (ref) LEFT JOIN repeat r USING (ref)
            WHERE s.sources >= {FORWARDER_SOURCES}
              AND ((o.out_n <= {FORWARDER_BATCH} * (SELECT sum(p.n) FROM pt_en_pairs p WHERE p.dst = d.ref)
                    AND coalesce(r.n, 0) >= {FORWARDER_REPEAT} * f.fed)
                   OR coalesce(u.n, 0) >= {FORWARDER_FUELLED} * f.fed)"""
    )
    con.execute(
        """INSERT INTO pt_en_deposits
           SELECT w.feeder, arg_max(f.entity, (p.usd, f.entity)), 0.9::DOUBLE,
                  ['sends at least 90% of what it sends to exchange forwarders (' || string_agg(a.address, ', ' ORDER BY a.address) || ')']
           FROM pt_en_fwd_feeds w JOIN pt_en_forwarders f ON f.ref = w.ref JOIN addresses a ON a.ref = f.ref
           JOIN pt_en_pairs p ON p.src = w.feeder AND p.dst = w.ref
           WHERE w.feeder NOT IN (SELECT ref FROM pt_en_deposits) GROUP BY w.feeder"""
    )
    con.execute("DROP TABLE pt_en_fwd_feeds")
    con.execute("DROP TABLE pt_en_hot")
    con.execute("DROP TABLE pt_en_hot_labelled")
