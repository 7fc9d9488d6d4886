"""Set-based features of fake investment platforms, computed in DuckDB from ``pt_value``
(see flow_services):

- ``pt_pf_pairs``: every (sender, receiver) pair with repeated payments over more than a day into a
  candidate (a receiver with a victim-like sender), with the sequence's length, span, first/median/largest
  payment and round late payments; a pair is *victim-like* when the sender paid at least MIN_PAYMENTS
  times over at least MIN_SPAN_DAYS, the largest payment is at least GROWTH times the first, and the first
  is no larger than the median. ``pt_pf_pay`` numbers the payments of these pairs.
- ``pt_pf_ring``: candidate receivers (those with a victim-like sender) joined into rings through the
  wallets they sweep to (connected components), so platforms that give each victim a fresh deposit
  address are judged together.
- ``pt_pf_back``: payments back to a victim-like sender after its first payment, by the receiver or by
  the ring's payout wallet (``pt_pf_side``); paybacks to the payers of a receiver that banks at an exchange
  (``pt_pf_banks``: a business, whose payers are its customers) make no wallet the ring's payout wallet.
- ``pt_pf_wallets``: per candidate, the ring-level counts that decide (victim-like senders, share of
  repeat senders that are victim-like, share with early paybacks, share with round late payments, how
  much was ever paid back) and how fast the wallet forwards what it gets.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from pigtrace.detect import flow_services
from pigtrace.detect.flow_services import is_service_sql
from pigtrace.detect.gas import gas_topup_sql

# A victim's sequence: at least three payments over at least three days (the scam runs for weeks; a
# shorter span is a shop or a one-off), the largest at least twice the first and the first no larger
# than the median (the first deposit is a small test; what follows grows, then "taxes" of any size).
MIN_PAYMENTS = 3
MIN_SPAN_DAYS = 3
GROWTH = 2.0
# A victim is a person: a sender that is itself paid by more distinct wallets than this is a business
# (a shop paying its supplier, a processor settling with a merchant), not a victim-like sender.
PERSON_MAX_PAYERS = 200
# Nor is a victim a wallet that people pay into: a sender with MIN_VICTIMS or more payers devoted to it (each
# sent it at least half of all they sent; collection_features' ``devoted``), at least PERSON_DEVOTED_SHARE of
# its payers, is a deposit wallet whose growing payments are its sweeps to the consolidation wallet. Measured on
# victim-like senders: the second generator's victims and people had 0-2 devoted payers (1,525 senders), 33 of its
# deposit wallets 3 or more; the simulator's victims with 3-5 had 64 payers or more.
PERSON_DEVOTED_SHARE = 0.5
# A "round" payment: a whole multiple of 100 USD (taxes, fees and unlock charges are quoted round).
ROUND_USD = 100
# An inducement: a payment back while the victim is still paying in, at most this share of what the
# victim had paid so far (a "profit withdrawal", not a refund or a friend settling up).
SMALL_BACK = 0.5
# A payout wallet: at least a fifth of the people it pays are the ring's victims, and at least 80% of
# those payments reach them before their last payment in.
SIDE_SHARE = 0.2
SIDE_EARLY = 0.8
# A platform's deposit wallets sweep to shared consolidation wallets: a wallet that forwards at least
# FORWARDED of what it receives, SWEEP_FOCUS of it to at most two wallets, is tied into a ring with each
# destination taking at least RING_SHARE of its outflow. People spending their money (many payees, or
# keeping it) are never tied together this way.
FORWARDED = 0.8
SWEEP_FOCUS = 0.8
RING_SHARE = 0.2

# Thresholds the platform detectors share (fake_platform, platform_exchange_paid): a platform needs
# MIN_VICTIMS victim-pattern payers (gas top-ups: detect.gas).
MIN_VICTIMS = 3
# A deposit wallet of a found platform: passes at least this share of what it gets on to the platform's
# consolidation wallets (and gets nothing back from the ring). The same share defines an exchange-fed
# deposit wallet (paid by exchanges, sweeping to a consolidation wallet that little else feeds).
SIBLING_FOCUS = 0.8
# A payout wallet pays each victim one or a few small "profits"; more than this is a relationship.
MAX_PROFIT_PAYMENTS = 3
# Paybacks are money back to a victim who pays with its own (bought at its exchange, earned, saved): a
# victim-like sender that could not have paid what it sent without the money of wallets paying two or more of
# the ring's victim-like senders (what it got from everyone else falls short of FED_NEED of what it sent, and
# those wallets' money is at least FED_SHARE of it) is not paid back but paid into: a rotating deposit wallet
# sweeping to the consolidation wallet, paid by victims who each paid several of the pool.
FED_NEED = 0.95
FED_SHARE = 0.1

TABLES = ("pt_pf_busy", "pt_pf_seq", "pt_pf_pay", "pt_pf_pairs", "pt_pf_cands", "pt_pf_sweeps", "pt_pf_ring", "pt_pf_back_all",
          "pt_pf_banks", "pt_pf_reach", "pt_pf_side", "pt_pf_paying", "pt_pf_back", "pt_pf_hold", "pt_pf_flags", "pt_pf_wallets")


def build(con: duckdb.DuckDBPyConnection) -> None:
    _pairs(con)
    _rings(con)
    _paybacks(con)
    _wallets(con)


def _pairs(con: duckdb.DuckDBPyConnection) -> None:
    # pairs are aggregated straight from the ledger, on the integer refs, services dropped per pair rather
    # than per payment, and the median asked only of the pairs that pass the shape's other tests (at 10.7M
    # transfers 3.5 s -> 2.3 s); the numbered sequence (pt_pf_pay, a window over each pair's payments) is
    # kept only for pairs into candidates, the only ones evidence and paybacks read the sequences' shape
    # first; whether a sender is a business (paid by more than PERSON_MAX_PAYERS wallets) is asked only of
    # the senders whose sequence has the victim shape, not of every receiver
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_seq AS
            WITH pair AS (
                SELECT src_ref, dst_ref, count(*) AS n, min(time) AS first_t, max(time) AS last_t,
                       arg_min(usd, (time, log_index, usd)) AS first_usd, max(usd) AS max_usd, sum(usd) AS total_usd
                FROM pt_value GROUP BY src_ref, dst_ref
                HAVING count(*) >= 2 AND max(time) > min(time) + INTERVAL 1 DAY)
            SELECT a.chain, a.address AS s, b.address AS c, p.* EXCLUDE (src_ref, dst_ref),
                   (n >= {MIN_PAYMENTS} AND last_t >= first_t + INTERVAL {MIN_SPAN_DAYS} DAY
                    AND max_usd >= {GROWTH} * first_usd) AS victim_like, p.src_ref, p.dst_ref
            FROM pair p JOIN addresses a ON a.ref = p.src_ref JOIN addresses b ON b.ref = p.dst_ref
            WHERE NOT EXISTS (SELECT 1 FROM pt_services x WHERE x.chain = a.chain AND x.address = b.address)
              AND NOT EXISTS (SELECT 1 FROM pt_services x WHERE x.chain = a.chain AND x.address = a.address)
              AND NOT EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = a.chain AND d.address = b.address)"""
    )
    con.execute(
        """UPDATE pt_pf_seq q SET victim_like = q.first_usd <= m.median_usd
           FROM (SELECT v.src_ref, v.dst_ref, median(v.usd) AS median_usd FROM pt_value v
                 SEMI JOIN (SELECT src_ref, dst_ref FROM pt_pf_seq WHERE victim_like) k
                        ON k.src_ref = v.src_ref AND k.dst_ref = v.dst_ref
                 GROUP BY ALL) m
           WHERE q.victim_like AND m.src_ref = q.src_ref AND m.dst_ref = q.dst_ref"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_busy AS
            SELECT v.chain, v.dst AS address
            FROM {flow_services.value_of("(SELECT DISTINCT chain, s FROM pt_pf_seq WHERE victim_like)", "s", "dst")} v
            GROUP BY ALL HAVING count(DISTINCT v.src_ref) > {PERSON_MAX_PAYERS}"""
    )
    con.execute(
        f"""UPDATE pt_pf_seq x SET victim_like = false
           WHERE victim_like AND (EXISTS (SELECT 1 FROM pt_pf_busy b WHERE b.chain = x.chain AND b.address = x.s)
                                  OR EXISTS (SELECT 1 FROM pt_cf f WHERE f.chain = x.chain AND f.address = x.s
                                             AND f.devoted >= {MIN_VICTIMS}
                                             AND f.devoted_share >= {PERSON_DEVOTED_SHARE}))"""
    )
    con.execute("CREATE OR REPLACE TEMP TABLE pt_pf_cands AS SELECT DISTINCT chain, c FROM pt_pf_seq WHERE victim_like")
    # every reader asks about pairs into a candidate only: the other pairs (most of them) are dropped here
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_pf_seq AS
                   SELECT q.* FROM pt_pf_seq q SEMI JOIN pt_pf_cands k ON k.chain = q.chain AND k.c = q.c""")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_pf_pay AS
            SELECT v.chain, v.src AS s, v.dst AS c, v.time, v.usd, v.tx_hash, v.token, v.amount,
                   row_number() OVER w AS k, q.n, sum(v.usd) OVER w AS paid_so_far
            FROM pt_value v JOIN pt_pf_seq q ON q.src_ref = v.src_ref AND q.dst_ref = v.dst_ref
            WINDOW w AS (PARTITION BY v.src_ref, v.dst_ref ORDER BY v.time, v.log_index)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_pairs AS
            SELECT q.* EXCLUDE (victim_like), coalesce(r.late_round, 0) AS late_round, q.victim_like
            FROM pt_pf_seq q LEFT JOIN (
                SELECT chain, s, c, count(*) FILTER (WHERE 2 * k > n AND usd >= {ROUND_USD}
                                                     AND abs(usd - round(usd / {ROUND_USD}) * {ROUND_USD}) < 0.01) AS late_round
                FROM pt_pf_pay GROUP BY ALL) r ON r.chain = q.chain AND r.s = q.s AND r.c = q.c"""
    )


def _rings(con: duckdb.DuckDBPyConnection) -> None:
    """pt_pf_ring (chain, c, ring): candidates that sweep (see FORWARDED, SWEEP_FOCUS) joined through
    the wallets they sweep to, as weakly connected components named by their smallest address."""
    svc_dst = is_service_sql("v", "dst")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_sweeps AS
            WITH outs AS (
                SELECT v.chain, v.src AS c, v.dst, sum(v.usd) AS usd FROM {flow_services.value_of("pt_pf_cands", "c", "src")} v
                SEMI JOIN pt_pf_cands k ON k.chain = v.chain AND k.c = v.src
                WHERE NOT {svc_dst}
                  AND NOT EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = v.chain AND d.address = v.dst)
                  AND NOT EXISTS (SELECT 1 FROM pt_pf_pairs p WHERE p.chain = v.chain AND p.c = v.src
                                  AND p.s = v.dst)
                GROUP BY ALL),
            ranked AS (
                SELECT *, sum(usd) OVER (PARTITION BY chain, c) AS out_usd,
                       row_number() OVER (PARTITION BY chain, c ORDER BY usd DESC) AS rk
                FROM outs),
            forwarders AS (
                SELECT r.chain, r.c FROM ranked r
                JOIN (SELECT v.chain, v.dst AS c, sum(v.usd) AS in_usd FROM {flow_services.value_of("pt_pf_cands", "c", "dst")} v
                      SEMI JOIN pt_pf_cands k ON k.chain = v.chain AND k.c = v.dst GROUP BY ALL) i
                  ON i.chain = r.chain AND i.c = r.c
                GROUP BY r.chain, r.c, i.in_usd
                HAVING any_value(r.out_usd) >= {FORWARDED} * i.in_usd
                   AND sum(r.usd) FILTER (WHERE r.rk <= 2) >= {SWEEP_FOCUS} * any_value(r.out_usd))
            SELECT r.chain, r.c, r.dst FROM ranked r SEMI JOIN forwarders f ON f.chain = r.chain AND f.c = r.c
            WHERE r.usd >= {RING_SHARE} * r.out_usd"""
    )
    nodes = con.sql(
        """SELECT chain, address, (row_number() OVER (ORDER BY chain, address) - 1)::BIGINT AS i FROM (
               SELECT chain, c AS address FROM pt_pf_cands UNION SELECT chain, dst FROM pt_pf_sweeps)"""
    ).to_arrow_table()
    con.register("pt_pf_nodes_arrow", nodes)
    e = con.execute(
        """SELECT a.i AS s, b.i AS d FROM pt_pf_sweeps w
           JOIN pt_pf_nodes_arrow a ON a.chain = w.chain AND a.address = w.c
           JOIN pt_pf_nodes_arrow b ON b.chain = w.chain AND b.address = w.dst"""
    ).fetchnumpy()
    n = nodes.num_rows
    s, d = np.asarray(e["s"], dtype=np.int64), np.asarray(e["d"], dtype=np.int64)
    g = sp.csr_matrix((np.ones(len(s)), (s, d)), shape=(n, n))
    _, label = connected_components(g, directed=True, connection="weak")
    con.register("pt_pf_label_arrow", pa.table({"i": np.arange(n, dtype=np.int64), "comp": label.astype(np.int64)}))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_pf_ring AS
           WITH named AS (
               SELECT n.chain, n.address, min(n.address) OVER (PARTITION BY n.chain, l.comp) AS ring
               FROM pt_pf_nodes_arrow n JOIN pt_pf_label_arrow l USING (i))
           SELECT k.chain, k.c, x.ring FROM pt_pf_cands k JOIN named x ON x.chain = k.chain AND x.address = k.c"""
    )
    con.unregister("pt_pf_nodes_arrow")
    con.unregister("pt_pf_label_arrow")


def _paybacks(con: duckdb.DuckDBPyConnection) -> None:
    svc_src = is_service_sql("v", "src")
    # early: before the sender's last payment, and small: at most SMALL_BACK of what it had paid so far.
    # The ASOF join matches a pair on a 64-bit hash of (chain, sender, receiver) (as pt_cf_hold does): it
    # costs half of matching on the three strings.
    # A ring wallet's sweep to its own consolidation wallet (pt_pf_sweeps) is never a payback, even when
    # that wallet goes on to pay a downstream hop (an OTC desk, a mule) in something like the victim
    # pattern: the money flows away from the ring, not back to a payer.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_back_all AS
            WITH back AS (
                SELECT p.chain, p.s, p.c, r.ring, v.src AS payer, v.time, v.usd, v.tx_hash, v.token, v.amount,
                       v.time <= p.last_t AS before_last, p.total_usd, hash(p.chain, p.s, p.c) AS k
                FROM pt_pf_pairs p JOIN pt_pf_ring r ON r.chain = p.chain AND r.c = p.c
                JOIN {flow_services.value_of("(SELECT chain, s FROM pt_pf_pairs WHERE victim_like)", "s", "dst")} v
                  ON v.chain = p.chain AND v.dst = p.s
                WHERE p.victim_like AND v.time > p.first_t AND v.src <> p.s AND NOT {svc_src}
                  AND NOT EXISTS (SELECT 1 FROM pt_pf_sweeps w
                                  WHERE w.chain = v.chain AND w.c = v.src AND w.dst = p.s))
            SELECT b.* EXCLUDE (before_last, k),
                   b.before_last AND b.usd <= {SMALL_BACK} * q.paid_so_far AS early
            FROM back b ASOF JOIN (SELECT hash(chain, s, c) AS k, time, paid_so_far FROM pt_pf_pay) q
              ON q.k = b.k AND q.time < b.time"""
    )
    con.execute(
        f"""DELETE FROM pt_pf_back_all x USING (
               WITH multi AS (SELECT chain, ring, payer FROM pt_pf_back_all GROUP BY ALL HAVING count(DISTINCT s) >= 2),
               fed AS (SELECT DISTINCT b.chain, b.s, b.payer, b.tx_hash, b.usd FROM pt_pf_back_all b
                       SEMI JOIN multi m ON m.chain = b.chain AND m.ring = b.ring AND m.payer = b.payer),
               fed_s AS (SELECT chain, s, sum(usd) AS fed_usd FROM fed GROUP BY ALL),
               got AS (SELECT v.chain, v.dst AS s, sum(v.usd) AS in_usd FROM {flow_services.value_of("fed_s", "s", "dst")} v
                       SEMI JOIN fed_s f ON f.chain = v.chain AND f.s = v.dst WHERE NOT {gas_topup_sql("v")} GROUP BY ALL),
               sent AS (SELECT v.chain, v.src AS s, sum(v.usd) AS out_usd FROM {flow_services.value_of("fed_s", "s", "src")} v
                        SEMI JOIN fed_s f ON f.chain = v.chain AND f.s = v.src WHERE NOT {gas_topup_sql("v")} GROUP BY ALL)
               SELECT f.chain, f.s FROM fed_s f JOIN got g USING (chain, s) JOIN sent o USING (chain, s)
               WHERE g.in_usd - f.fed_usd < {FED_NEED} * o.out_usd AND f.fed_usd >= {FED_SHARE} * o.out_usd) f
           WHERE f.chain = x.chain AND f.s = x.s"""
    )
    # The platform's side: the receiver itself, or a payout wallet: it pays two or more victim-like
    # senders of the same ring, at least SIDE_SHARE of the people it pays are such senders, and it pays
    # them while they are still paying in (a payroll or airdrop that happens to reach two victims pays
    # many others, and keeps paying after the victims stop). Decided twice: the first pass finds the
    # ring's paying victims (victim-like senders that got an early payback from the platform side,
    # pt_pf_paying); a ring wallet that is such a victim (a victim topping up from their exchange and
    # paying on is tied into the ring by that payment) is not a platform wallet, so the people paying it
    # (friends, an employer) are left out of the second pass.
    cand_sql = """SELECT chain, ring, payer, count(DISTINCT s) AS victims, avg(early::INT) AS early_share
                FROM pt_pf_back_all b
                WHERE NOT EXISTS (SELECT 1 FROM pt_pf_paying y WHERE y.chain = b.chain AND y.s = b.c AND y.ring = b.ring)
                  AND NOT EXISTS (SELECT 1 FROM pt_pf_banks k WHERE k.chain = b.chain AND k.c = b.c)
                GROUP BY ALL HAVING count(DISTINCT s) >= 2"""
    side_sql = f"""CREATE OR REPLACE TEMP TABLE pt_pf_side AS
            WITH cand AS ({cand_sql})
            SELECT c.* FROM cand c JOIN pt_pf_reach r USING (chain, payer)
            WHERE c.victims >= {SIDE_SHARE} * r.payees AND c.early_share >= {SIDE_EARLY}"""
    # how many wallets each possible payout wallet pays, counted once for both passes: the second pass
    # only leaves rows out, so its candidates are among the first pass's
    reach_sql = f"""CREATE OR REPLACE TEMP TABLE pt_pf_reach AS
            WITH cand AS ({cand_sql})
            SELECT v.chain, v.src AS payer, count(DISTINCT v.dst_ref) AS payees FROM {flow_services.value_of("cand", "payer", "src")} v
            SEMI JOIN cand c ON c.chain = v.chain AND c.payer = v.src GROUP BY ALL"""
    back_sql = """CREATE OR REPLACE TEMP TABLE pt_pf_back AS
           SELECT b.* FROM pt_pf_back_all b
           WHERE b.payer = b.c OR EXISTS (SELECT 1 FROM pt_pf_side x WHERE x.chain = b.chain AND x.ring = b.ring
                                                              AND x.payer = b.payer)"""
    con.execute("CREATE OR REPLACE TEMP TABLE pt_pf_paying (chain VARCHAR, s VARCHAR, ring VARCHAR)")
    _banks(con)
    con.execute(reach_sql)
    con.execute(side_sql)
    con.execute(back_sql)
    # A wallet is judged by its larger side: one that is paid in the pattern (with paybacks) by more
    # wallets than it pays so is a platform whose sweeps happen to look alike, not a victim.
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_pf_paying AS
                   WITH induced AS (
                       SELECT DISTINCT p.chain, p.s, p.c, r.ring FROM pt_pf_pairs p
                       JOIN pt_pf_ring r ON r.chain = p.chain AND r.c = p.c
                       WHERE p.victim_like AND EXISTS (SELECT 1 FROM pt_pf_back b WHERE b.chain = p.chain
                                                       AND b.s = p.s AND b.c = p.c AND b.early)),
                   paid AS (SELECT chain, c, count(*) AS n FROM induced GROUP BY ALL)
                   SELECT i.chain, i.s, i.ring FROM induced i
                   LEFT JOIN paid r ON r.chain = i.chain AND r.c = i.s
                   GROUP BY i.chain, i.s, i.ring HAVING count(*) >= max(coalesce(r.n, 0))""")
    con.execute(side_sql)
    con.execute(back_sql)


def _banks(con: duckdb.DuckDBPyConnection) -> None:
    """pt_pf_banks (chain, c): receivers that bank most of what they send (the largest payee by value) at an
    exchange deposit account or another service: a business (an OTC desk, a merchant, a fund), not a
    platform, which sweeps to its own consolidation wallets. Its payers are its customers: whoever pays them
    back is not a platform's payout wallet for that, and fake_platform never names it a platform. Asked of
    the receivers that paid-back senders paid (pt_pf_back_all), the only ones either reader asks about."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_banks AS
            WITH r AS (SELECT DISTINCT chain, c FROM pt_pf_back_all),
            sent AS (SELECT v.chain, v.src, v.dst, sum(v.usd) AS usd FROM {flow_services.value_of("r", "c", "src")} v
                     SEMI JOIN r ON r.chain = v.chain AND r.c = v.src GROUP BY ALL),
            top AS (SELECT chain, src, arg_max(dst, (usd, dst)) AS dst FROM sent GROUP BY ALL)
            SELECT t.chain, t.src AS c FROM top t
            WHERE EXISTS (SELECT 1 FROM pt_deposits d WHERE d.chain = t.chain AND d.address = t.dst)
               OR EXISTS (SELECT 1 FROM pt_services s WHERE s.chain = t.chain AND s.address = t.dst)"""
    )


def _wallets(con: duckdb.DuckDBPyConnection) -> None:
    # how long a candidate holds what it gets: per receipt, the time to its next payment out (ASOF on the
    # address ref)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_hold AS
           WITH i AS (SELECT v.chain, v.dst AS c, v.dst_ref AS k, v.time FROM {flow_services.value_of("pt_pf_cands", "c", "dst")} v),
                o AS (SELECT v.src_ref AS k, v.time FROM {flow_services.value_of("pt_pf_cands", "c", "src")} v)
           SELECT i.chain, i.c,
                  median(coalesce(epoch(o.time - i.time) / 3600.0, 1e9)) AS hold_hours
           FROM i ASOF LEFT JOIN o ON i.k = o.k AND o.time >= i.time
           GROUP BY i.chain, i.c"""
    )
    # Pairs left out of a ring's statistics (neither for nor against it): sweeps between the ring's own
    # wallets (the sender is a ring wallet whose own payers got paybacks), pure pass-throughs of
    # exchange money that got nothing back (the platform's own exchange-paid deposit wallets look so),
    # and payments to a victim of the ring (the receiver itself pays a ring wallet in the victim pattern
    # and got paybacks from the platform side: a victim who tops up from their exchange and pays on is
    # tied into the ring by that payment, and their friends' or the payout wallet's payments to them
    # say nothing about the platform).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_pf_flags AS
            WITH flags AS (
                SELECT p.chain, p.s, p.c, r.ring, p.n, p.victim_like, p.total_usd, p.late_round > 0 AS late_round,
                       EXISTS (SELECT 1 FROM pt_pf_back b WHERE b.chain = p.chain AND b.s = p.s AND b.c = p.c
                               AND b.early) AS induced,
                       (SELECT coalesce(sum(b.usd), 0) FROM pt_pf_back b
                        WHERE b.chain = p.chain AND b.s = p.s AND b.c = p.c) AS paid_back
                FROM pt_pf_pairs p JOIN pt_pf_ring r ON r.chain = p.chain AND r.c = p.c
                WHERE p.n >= 3),
            own AS (
                SELECT chain, c, count(*) FILTER (WHERE victim_like AND induced) AS own_induced FROM flags GROUP BY ALL),
            sender_in AS (
                SELECT v.chain, v.dst AS s, sum(v.usd) AS in_usd,
                       sum(v.usd) FILTER (WHERE EXISTS (SELECT 1 FROM pt_exchange x WHERE x.chain = v.chain
                                                        AND x.address = v.src)) AS ex_usd
                FROM {flow_services.value_of("flags", "s", "dst")} v SEMI JOIN flags f ON f.chain = v.chain AND f.s = v.dst GROUP BY ALL)
            SELECT f.*, (EXISTS (SELECT 1 FROM own o JOIN pt_pf_ring r ON r.chain = o.chain AND r.c = o.c
                                 WHERE o.chain = f.chain AND o.c = f.s AND r.ring = f.ring AND o.own_induced >= 1)
                         OR (NOT f.induced AND f.paid_back = 0 AND i.ex_usd >= {FORWARDED} * i.in_usd
                             AND f.total_usd >= {FORWARDED} * i.in_usd)) AS internal,
                   EXISTS (SELECT 1 FROM pt_pf_paying y WHERE y.chain = f.chain AND y.s = f.c AND y.ring = f.ring) AS to_victim
            FROM flags f LEFT JOIN sender_in i ON i.chain = f.chain AND i.s = f.s"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE pt_pf_wallets AS
           WITH ring AS (
               SELECT chain, ring,
                      count(DISTINCT s) FILTER (WHERE victim_like) AS victims,
                      count(DISTINCT s) AS repeat_senders,
                      avg(induced::INT) FILTER (WHERE victim_like) AS induced_share,
                      avg(late_round::INT) FILTER (WHERE victim_like) AS round_share,
                      sum(paid_back) FILTER (WHERE victim_like)
                          / nullif(sum(total_usd) FILTER (WHERE victim_like), 0) AS returned_ratio,
                      count(DISTINCT c) AS wallets
               FROM pt_pf_flags WHERE NOT internal AND NOT to_victim GROUP BY ALL),
           own AS (
               SELECT chain, c, count(*) FILTER (WHERE victim_like) AS own_victims,
                      count(*) FILTER (WHERE victim_like AND induced) AS own_induced
               FROM pt_pf_flags GROUP BY ALL HAVING NOT bool_or(to_victim))
           SELECT r.chain, r.c, r.ring, own.own_victims, own.own_induced, g.victims, g.repeat_senders,
                  g.victims / g.repeat_senders AS victim_share, coalesce(g.induced_share, 0) AS induced_share,
                  coalesce(g.round_share, 0) AS round_share, coalesce(g.returned_ratio, 0) AS returned_ratio,
                  g.wallets, h.hold_hours
           FROM pt_pf_ring r JOIN ring g ON g.chain = r.chain AND g.ring = r.ring
           JOIN own ON own.chain = r.chain AND own.c = r.c
           LEFT JOIN pt_pf_hold h ON h.chain = r.chain AND h.c = r.c"""
    )


def drop(con: duckdb.DuckDBPyConnection) -> None:
    for t in TABLES:
        con.execute(f"DROP TABLE IF EXISTS {t}")
