"""Common gas funder: a wallet that holds tokens needs a little native coin (ETH, TRX) to move them, and
whoever sends it that first top-up is usually whoever runs it. The scam's wallets get their gas from the
same funder; the funder and the wallets it topped up are one cluster."""

from __future__ import annotations

from pigtrace.cluster.base import Heuristic
from pigtrace.detect.gas import describe as gas_limits, gas_topup_sql

# Topping up one's own wallets is most of what a gas funder does: at least this share of the wallets it
# ever paid got their first native coin from it. An exchange's withdrawal wallet nobody labelled pays
# hundreds of customers, of whom a few get their first coin from it (a fifth or less); a person who once
# paid a friend's first gas pays many others besides. Neither is the owner of the wallets it funded.
FOCUS = 0.5
# A funder that was the first funder of more than this many wallets is a service nobody labelled (an
# exchange's gas station topping up its deposit accounts, a faucet, a bridge relayer paying gas on arrival).
MAX_FUNDED = 200


class GasFunder(Heuristic):
    id = "gas_funder"
    help = (
        "Common gas funder: a wallet's first native-coin transfer in (by block and position) is a top-up of "
        f"at most {gas_limits()} that came before its first token move of its own (a token transfer it sent "
        "itself); the funder (the sender of that top-up's transaction) is linked to the wallet, so the wallets "
        "one funder topped up are one cluster."
    )
    guard = (
        "The funder must not be a service, an exchange hot wallet or an exchange deposit account (neither as "
        "the top-up's sender nor as its transaction's sender): an exchange withdrawal is not a common owner. "
        f"A funder whose fundings are less than {FOCUS:.0%} of the wallets it ever paid is paying the public "
        f"(an unlabelled exchange, or someone paying a friend) and links none, as does one that first-funded more "
        f"than {MAX_FUNDED} wallets (a gas station, faucet or relayer). Only the first native coin counts, and "
        "only before the wallet's first own token move, so a later payment in native coin links nobody; "
        "services and deposit accounts are never funded wallets."
    )

    def edges_sql(self) -> str:
        excluded = ("(SELECT ref FROM pt_cl_services UNION SELECT ref FROM pt_cl_exchange "
                    "UNION SELECT ref FROM pt_cl_deposits)")
        gas = gas_topup_sql("f", native="f.kind = 'native'")
        return f"""
            WITH first_in AS (
                SELECT to_ref AS wallet, from_ref, coalesce(initiator_ref, from_ref) AS funder, usd,
                       block_number, tx_ref, chain, amount, kind
                FROM pt_cl_value WHERE kind = 'native'
                QUALIFY row_number() OVER (PARTITION BY to_ref ORDER BY block_number, tx_ref, log_index) = 1),
            first_move AS (
                SELECT from_ref AS wallet, min((block_number, tx_ref)) AS at FROM pt_cl_value
                WHERE kind <> 'native' AND initiator_ref = from_ref
                  AND from_ref IN (SELECT wallet FROM first_in f WHERE {gas})
                GROUP BY from_ref),
            funded AS (
                SELECT f.wallet, f.funder FROM first_in f JOIN first_move m ON m.wallet = f.wallet
                WHERE f.amount > 0 AND {gas} AND (f.block_number, f.tx_ref) < m.at
                  AND f.funder <> f.wallet
                  AND f.from_ref NOT IN {excluded} AND f.funder NOT IN {excluded}
                  AND f.wallet NOT IN {excluded}),
            payees AS (
                SELECT coalesce(initiator_ref, from_ref) AS funder, count(DISTINCT to_ref) AS n FROM pt_cl_value
                WHERE coalesce(initiator_ref, from_ref) IN (SELECT funder FROM funded) GROUP BY ALL),
            funders AS (
                SELECT f.funder FROM funded f JOIN payees p USING (funder) GROUP BY f.funder, p.n
                HAVING count(*) <= {MAX_FUNDED} AND count(*) >= {FOCUS} * p.n)
            SELECT wallet AS a, funder AS b FROM funded WHERE funder IN (SELECT funder FROM funders)"""
