"""A synthetic world with complete ground truth (`pigtrace simulate`) and the scoring of findings against
it (`pigtrace evaluate`).

Flow: ``world.build`` draws everything from one seed — ``economy`` (services and the benign economy,
including look-alikes of every scam pattern), ``scams`` (rings), ``laundering`` (what rings do with the
money) — into a columnar ``ledger``; ``ledger.freeze`` orders it into blocks; ``etl_writer`` writes an
ethereum-etl export (or ``tron_writer`` TronGrid v1 JSON); ``truth`` writes ``truth.json``; the world
writes ``tagpack.yaml``, the service labels an investigator would have. ``evaluate`` compares a
warehouse's ``findings`` with that truth. ``world.simulate(out_dir, seed=, users=, days=, scale=, chain=,
vary=)`` does it all and returns a summary dict; ``knobs`` names every structural choice ``vary`` can hold.

The simulator is an adversary of the detectors, not their mirror: it reads none of pigtrace's label packs,
price tables or detector constants. Its exchanges, hot wallets, forwarders, DEX, bridge and OTC desks are
its own addresses (the token contracts are the real ones, facts of the chain), its native-coin price is
drawn per world, and only a ``labelled_hot_wallets`` share of its hot wallets is in ``tagpack.yaml``.

truth.json::

    {"seed": int, "chain": "ethereum" | "tron",
     "params": {..., "style", "vary", "native_usd", "exchanges": [{"name", "hot_wallets", "sweeps", "offramp" (exchange_use=mixed)}],
                "tagpack": {"hot_wallets", "labelled", "share", "file"}},
     "roles":    [{"address", "role", "ring", "typology"}],        # one entry per scam-related address
     "rings":    [{"id", "typology", "params", "knobs": {knob: value drawn}, "victims": [{"address", "lost_raw", "token", "symbol",
                   "lost_usd", "paid_from", "payments": [tx hash], "refunds": [tx hash], "on_chain"}],
                   "cash_out": [{"address", "exchange", "received_usd"}]}],
     "services": [{"address", "kind", "name"}],                     # never a role
     "benign":   [{"address", "kind"}]}                             # benign actors, look-alikes included

Role assignment rules (each address has exactly one true role; the first one given stands):

- ``victim``: an address that lost money to a ring: a fake platform's depositor (its self-custody wallet,
  or — when the victim pays straight from an exchange account, so the on-chain sender is the exchange's
  hot wallet — the victim's own exchange deposit account, which also receives the inducement payment, or
  the fresh relay wallet the scammer had the victim open),
  a drained wallet, a poisoning target that later paid the look-alike. Poisoning targets that never paid
  are not victims and have no role; nor has a victim who pays from an exchange account and is never paid
  back, since no transfer ties that account to the ring: it is listed among its ring's ``victims`` (its
  loss counts) with ``on_chain: false``. ``lost_raw`` is net: paid to the ring minus inducement / "interest"
  received back from it, exact raw integer of ``token``; ``paid_from`` is ``self_custody``, ``exchange`` or ``relay``;
  ``payments`` are the transactions that moved the victim's money to the ring (for exchange-paid victims
  sent by the hot wallet), ``refunds`` the inducement / "interest" payments (or poisoning dust) back, so that
  sum(payments) - sum(refunds) = lost_raw in the ingested transfers.
- ``scam_collection``: receives victims' money directly: fake platform deposit wallets, the drain
  receivers (the ``to`` of the draining transferFrom), look-alike addresses that were paid.
- ``scam_operator``: approval spenders (EOA or contract), the EOA that sends drains through a spender
  contract, inducement and "interest" payers, poisoners (tx.from of zero-value transferFroms and fake-token
  transfers), look-alikes that were never paid (some of them sent real dust), the fake token contracts,
  and gas funders (a gas funder can serve several rings; its ``ring`` is the first).
- ``laundering``: consolidation wallets and every intermediate wallet: sweep, split, peel-chain and swap
  hops. With ``wallet_reuse`` a laundering wallet can serve several rings (its ``ring`` is the first) and
  also take ordinary customers' payments.
- ``cash_out``: exchange deposit accounts that received a ring's money (mules; swept to the hot wallet
  like any deposit account), and OTC desks that received it. The exchange's hot wallet, the DEX router
  and pool, the bridge and the token contracts are ``services``; money reaching the bridge leaves the
  chain and is not counted as cashed out.

Typology of a role entry: the ring's typology (``fake_platform``, ``approval_drain``,
``address_poisoning``) for victims, collection and operators; ``laundering`` and ``cash_out`` for those
roles. ``services`` kinds: token, exchange_hot_wallet, exchange_forwarder, exchange_gas_wallet, exchange_deposit, dex_router, dex_pool,
bridge, otc_desk, mint. ``benign`` kinds: retail, saver, payroll, merchant, payment_processor, airdrop,
market_maker, fund, fund_investor, rosca, otc_customer, solver, subscription, bridge_user, treasury,
family_support (a user's most specific kind; plain ``retail`` otherwise). ``received_usd`` of a cash-out
is this ring's money at that address (WETH at the world's price; with ``laundering_mixing`` only the ring's
share of what arrived); a ring's stolen value may partly leave through the bridge.

Ledger rule the tests check: no address except services and scam-issued fake tokens ever holds less
than zero of any asset at any point in time; every victim's loss appears as transfers.
"""
