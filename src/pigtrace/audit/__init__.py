"""`pigtrace audit ADDRESS`: the wallet owner's view, like Revoke.cash, for EVM chains and Tron.

Flow (``wallet.audit_wallet`` runs it; the CLI and, later, the API's audit endpoint call only that):

    warehouse tables
      -> allowances   (outstanding allowances: Approval / Permit2 / ApprovalForAll events replayed in time
                       order with the spender's later transferFrom pulls)
      -> tokens       (symbol, decimals and USD price of each token, as of the audit time)
      -> balances     (the owner's balance per token, as the warehouse saw it)
      -> spender_risk (risk level of each spender, with named reasons)
      -> payments     (payments to flagged wallets; exchanges the money reached)
      -> lookalikes   (address poisoning in the wallet's history)
      -> revoke       (the exact call that removes each allowance)
      -> advice       (plain sentences for a frightened, non-technical owner; whom to report to)

Every module reads the warehouse only (no writes), so the audit runs on a read-only warehouse.
"""
