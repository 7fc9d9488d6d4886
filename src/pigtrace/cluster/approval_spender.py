"""Approvals to the same spender, read for what they prove. An owner approving a spender says nothing about
who owns the owner: the owners that approved one drainer are its victims, strangers to each other, and are
never linked (not to each other, not to the spender). What an allowance does prove shows when it is used:
the spender's own account sends the ``transferFrom`` (it signs the transaction, so it is an account, not a
contract) and chooses where the owner's tokens go. The spender and the wallets that receive what it pulls
are run by the same people: the drainer's operator cluster."""

from __future__ import annotations

from pigtrace.cluster.base import Heuristic

# A spender that pulls into more than this many distinct wallets is a service settling for many
# merchants (a payment processor, a subscription platform), not one operator sending loot home.
MAX_RECEIVERS = 10


class ApprovalSpender(Heuristic):
    id = "approval_spender"
    help = (
        "Approvals to the same spender: when an account holding an owner's allowance (approved before, or in "
        "the same block) itself sends the transaction that pulls that owner's tokens (transferFrom), the "
        "wallet receiving them is linked to the spender: the spender decides where the money goes."
    )
    guard = (
        "Owners who approved a spender are its victims and are never linked, neither to each other nor to "
        "the spender, and a receiver that also approved the spender is a victim too; services (labelled, "
        "tokens, DEX pools and routers) are neither spenders nor receivers; a pull sent by someone other "
        "than the spender (a contract spender) links nothing; a spender pulling into more than "
        f"{MAX_RECEIVERS} distinct wallets is a payment service and links none."
    )

    def edges_sql(self) -> str:
        return f"""
            WITH allowed AS (
                SELECT owner_ref, spender_ref, token_ref, min(block_number) AS since
                FROM ledger_approvals WHERE approved AND owner_ref IS NOT NULL AND spender_ref IS NOT NULL
                GROUP BY ALL),
            pulls AS (
                SELECT DISTINCT v.initiator_ref AS spender, v.to_ref AS receiver
                FROM pt_cl_value v JOIN allowed a
                  ON a.owner_ref = v.from_ref AND a.spender_ref = v.initiator_ref AND a.token_ref = v.token_ref
                WHERE v.kind <> 'native' AND a.since <= v.block_number AND v.to_ref <> v.initiator_ref
                  AND v.initiator_ref NOT IN (SELECT ref FROM pt_cl_services)
                  AND v.to_ref NOT IN (SELECT ref FROM pt_cl_services)
                  AND NOT EXISTS (SELECT 1 FROM allowed o
                                  WHERE o.owner_ref = v.to_ref AND o.spender_ref = v.initiator_ref)),
            operators AS (SELECT spender FROM pulls GROUP BY spender HAVING count(*) <= {MAX_RECEIVERS})
            SELECT receiver AS a, spender AS b FROM pulls WHERE spender IN (SELECT spender FROM operators)"""
