"""Co-spending on an account chain. Bitcoin's multi-input heuristic (the inputs of one transaction are signed
by one owner) has no direct twin here: an EVM or Tron transaction has exactly one signer, its sender. Money
leaves several addresses in one transaction only when the sender may move it: its own balance, balances it
holds an allowance over (the owners are strangers: a drainer's batch pull, a DEX aggregator, a settlement
contract), or contracts that obey it (smart-contract wallets, forwarder and sweeper contracts). Only the
last is common ownership, so co-spending here means: one sender, in one transaction, spends from two or
more of the addresses it controls, where a contract counts as controlled when it never signed anything, nobody
holds an allowance over its tokens, and no other sender has ever moved its money."""

from __future__ import annotations

from pigtrace.cluster.base import Heuristic

# A sender that co-spends with more than this many distinct contracts runs a service's sweeper (an
# exchange collecting its customers' deposit contracts in batches), not its own wallets.
MAX_CONTRACTS = 20


class CoSpending(Heuristic):
    id = "co_spending"
    help = (
        "Co-spending in one transaction: a transaction moves value (tokens or coin with a known USD price) out "
        "of two or more addresses, each either the transaction's sender itself or a contract only that sender "
        "ever moved money out of; each such contract is linked to the sender."
    )
    guard = (
        "An address that ever sent a transaction (an account: only an allowance lets someone else move its "
        "money) or that approved anyone is never a co-spent input, so a drainer pulling from several victims "
        "in one batch links nobody; services (labelled, tokens, DEX pools, routers), exchange deposit accounts "
        "and a sender that is a service are left out; a contract moved by more than one sender is shared "
        f"infrastructure (a vault, a pool); a sender co-spending with more than {MAX_CONTRACTS} contracts is "
        "a service's sweeper and links none."
    )

    def edges_sql(self) -> str:
        # Only a transaction that moves money out of an address other than its sender can co-spend, so the
        # contracts are found among those moves first and the whole ledger is read only for their transactions.
        return f"""
            WITH moved AS (
                SELECT tx_ref, initiator_ref AS sender, from_ref AS spender FROM pt_cl_value
                WHERE initiator_ref IS NOT NULL AND from_ref <> initiator_ref AND usd > 0),
            obeying AS (
                SELECT spender FROM moved
                WHERE spender NOT IN (SELECT ref FROM pt_cl_services)
                  AND spender NOT IN (SELECT ref FROM pt_cl_deposits)
                  AND spender NOT IN (SELECT owner_ref FROM ledger_approvals WHERE owner_ref IS NOT NULL)
                GROUP BY spender HAVING count(DISTINCT sender) = 1),
            contracts AS (
                SELECT spender FROM obeying
                WHERE spender NOT IN (SELECT from_ref FROM ledger_transactions WHERE from_ref IS NOT NULL)
                  AND spender NOT IN (SELECT initiator_ref FROM ledger_transfers WHERE initiator_ref IS NOT NULL)),
            txs AS (SELECT DISTINCT tx_ref FROM moved WHERE spender IN (SELECT spender FROM contracts)),
            inputs AS (
                SELECT DISTINCT v.tx_ref, v.initiator_ref AS sender, v.from_ref AS spender
                FROM pt_cl_value v SEMI JOIN txs USING (tx_ref)
                WHERE v.usd > 0 AND (v.from_ref = v.initiator_ref OR v.from_ref IN (SELECT spender FROM contracts))
                  AND v.initiator_ref NOT IN (SELECT ref FROM pt_cl_services)
                  AND v.initiator_ref NOT IN (SELECT ref FROM pt_cl_deposits)),
            joint AS (SELECT tx_ref FROM inputs GROUP BY tx_ref HAVING count(DISTINCT spender) >= 2),
            links AS (SELECT DISTINCT spender AS a, sender AS b FROM inputs
                      WHERE spender <> sender AND tx_ref IN (SELECT tx_ref FROM joint))
            SELECT a, b FROM links
            WHERE b IN (SELECT b FROM links GROUP BY b HAVING count(*) <= {MAX_CONTRACTS})"""
