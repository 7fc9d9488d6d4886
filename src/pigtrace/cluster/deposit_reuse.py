"""Exchange deposit-account reuse (Victor 2020, "Address clustering heuristics for Ethereum"): an exchange
gives each customer a deposit address of their own and sweeps what arrives there to its hot wallet, so the
wallets that pay into one deposit address are that customer's own wallets (or one ring's, when the account
is a mule's): they and the deposit account are one cluster."""

from __future__ import annotations

from pigtrace.cluster.base import Heuristic

# A deposit account paid by more than this many distinct wallets is not one customer's: it is an OTC desk's,
# a merchant's or a guarantee marketplace's account that strangers pay into (or an exchange forwarder
# collecting many deposit accounts' sweeps). One person, or one ring's handful of laundering wallets,
# stays below; such an account links none of its payers.
MAX_PAYERS = 5
# A wallet that pays into more than this many distinct deposit accounts is paying other people (payroll,
# a payout wallet paying "profits" to victims' exchange accounts, an OTC desk settling with its customers),
# not topping up its owner's own accounts; none of its payments links it.
MAX_ACCOUNTS = 2
# A wallet that has paid more than this many distinct addresses is a business or a service nobody labelled
# (an exchange's hot wallet paying withdrawals into other exchanges' deposit accounts), not a customer.
MAX_PAYEES = 100
# Below this a transfer is dust or poisoning spam, not a deposit.
MIN_USD = 1.0


class DepositReuse(Heuristic):
    id = "deposit_reuse"
    help = (
        "Exchange deposit-account reuse: an exchange deposit account (the entities table's: an address that "
        "sends nearly all it sends to an exchange's hot wallets, labelled or recognised by behaviour) is one "
        f"customer's; each wallet that paid it (a transfer of at least ${MIN_USD:g} the wallet sent itself) is "
        "linked to it."
    )
    guard = (
        f"A deposit account paid by more than {MAX_PAYERS} distinct wallets is a shared account (OTC desk, "
        f"merchant, forwarder) and links none of them; a wallet paying more than {MAX_ACCOUNTS} deposit "
        f"accounts, or that has paid more than {MAX_PAYEES} distinct addresses, is paying other people "
        "(payroll, a payout wallet, an unlabelled hot wallet) and is linked to none; services, exchange hot "
        "wallets and other deposit accounts are never payers; pulls by a third party (transferFrom) do not "
        "count, since they do not show who controls the sender."
    )

    def edges_sql(self) -> str:
        return f"""
            WITH pays AS (
                SELECT DISTINCT v.from_ref AS payer, v.to_ref AS account
                FROM pt_cl_value v SEMI JOIN pt_cl_deposits d ON d.ref = v.to_ref
                WHERE v.initiator_ref = v.from_ref AND v.usd >= {MIN_USD}
                  AND v.from_ref NOT IN (SELECT ref FROM pt_cl_services)
                  AND v.from_ref NOT IN (SELECT ref FROM pt_cl_exchange)
                  AND v.from_ref NOT IN (SELECT ref FROM pt_cl_deposits)),
            own AS (SELECT account FROM pays GROUP BY account HAVING count(*) <= {MAX_PAYERS}),
            topping_up AS (SELECT payer FROM pays GROUP BY payer HAVING count(*) <= {MAX_ACCOUNTS}),
            busy AS (
                SELECT from_ref AS payer FROM pt_cl_value WHERE from_ref IN (SELECT payer FROM topping_up)
                GROUP BY from_ref HAVING count(DISTINCT to_ref) > {MAX_PAYEES})
            SELECT payer AS a, account AS b FROM pays
            WHERE account IN (SELECT account FROM own) AND payer IN (SELECT payer FROM topping_up)
              AND payer NOT IN (SELECT payer FROM busy)"""
