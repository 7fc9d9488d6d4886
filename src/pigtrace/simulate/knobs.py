"""The simulator's named knobs (`pigtrace simulate --vary KNOB=VALUE`, `--list-knobs`).

Every structural choice a scam ring or an exchange makes is a knob. Under ``style=random`` (the default)
each ring draws every knob it has not been given from the knob's whole range, so no two rings share the
same tells; ``style=fixed`` reproduces the simulator as it was before knobs (the tells the detectors were
first written against). A knob given with ``--vary`` holds for every ring and every exchange. The values a
ring actually used are recorded in truth.json (``rings[].knobs``), an exchange's under
``params.exchanges``.

This module holds no amounts, prices or thresholds of the detectors: only the choices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pigtrace.errors import PigtraceError


@dataclass(frozen=True)
class Knob:
    name: str
    values: tuple[str, ...]  # the allowed values; ("0..1",) for a share
    default: str  # under the default style (random), "random" means drawn per ring
    fixed: str  # the value under style=fixed
    help: str
    chains: tuple[str, ...] = ("ethereum", "tron")  # the chains whose worlds it changes

    @property
    def is_share(self) -> bool:
        return self.values == ("0..1",)


KNOBS: tuple[Knob, ...] = (
    Knob("style", ("fixed", "random"), "random", "fixed",
         "fixed: every ring makes the choices the simulator made before knobs; random: every structural choice "
         "below is drawn per ring (per exchange for sweeps) from its whole range"),
    Knob("labelled_hot_wallets", ("0..1",), "0.6", "0.6",
         "share of the world's exchange hot wallets written to its TagPack (tagpack.yaml); the rest stay "
         "unlabelled, as most real hot wallets are to a new investigator"),
    Knob("paybacks", ("onchain", "none", "mixed"), "random", "onchain",
         "fake-platform 'profit withdrawals' and drain 'interest': paid on chain, shown only inside the fake "
         "app (none), or on chain for some victims (mixed)"),
    Knob("round_amounts", ("yes", "no"), "random", "yes",
         "fake-platform deposits and 'taxes' in round figures, or not (taxes within +-10% of a round figure)"),
    Knob("payment_route", ("self_custody", "exchange", "relay", "mixed"), "random", "mixed",
         "how a fake-platform victim pays: from their own wallet, straight from an exchange account (the "
         "exchange's hot wallet sends), through a fresh relay wallet the scammer asked for, or a mix "
         "(style=fixed: own wallet or exchange, as before)"),
    Knob("deposit_wallets", ("shared", "per_victim", "mixed"), "random", "mixed",
         "fake-platform deposit wallets shared by the ring's victims, one per victim, or some of each "
         "(style=fixed: shared or per victim per ring, as before)"),
    Knob("deposit_addresses", ("reused", "per_payment"), "reused", "reused",
         "a fake platform's victims pay each deposit wallet again and again (reused), or the platform shows a "
         "fresh address for every payment, as a payment gateway's per-order addresses (per_payment); made to "
         "break the detectors' rule that a wallet splitting its money over one-off wallets is a collection "
         "wallet sweeping through hops; not drawn by style=random"),
    Knob("growth", ("monotone", "noisy"), "random", "monotone",
         "fake-platform deposits grow, or grow with setbacks (some deposits smaller than the one before)"),
    Knob("laundering_mixing", ("0..1",), "random", "0",
         "share of clean money (exchange withdrawals, business receipts) mixed into the ring's laundering "
         "wallets before they pass money on"),
    Knob("wallet_reuse", ("yes", "no"), "random", "no",
         "laundering wallets reused across rings and also used by ordinary business, or fresh per ring"),
    Knob("sweeps", ("direct", "multi_hop"), "random", "direct",
         "collection wallets sweep straight to consolidation, and exchange deposit accounts straight to a hot "
         "wallet (direct), or through an intermediate/forwarder wallet, exchanges sweeping in batches (multi_hop)"),
    Knob("gas", ("dedicated_funder", "exchange", "mixed"), "random", "dedicated_funder",
         "where the ring's wallets get gas: a shared dedicated funder, exchange withdrawals, or some of each"),
    Knob("gas_payee", ("no", "yes"), "no", "no",
         "a ring wallet gets its gas from the ring wallet it first pays (a collection wallet from the "
         "consolidation wallet it sweeps to), as an exchange's hot wallet tops up the accounts that sweep to it "
         "(yes); made to break the detectors' exchange-gas rules; not drawn by style=random"),
    Knob("pace", ("fast", "slow"), "random", "fast",
         "how long the ring's wallets hold money before passing it on: hours to a few days (fast), or days to "
         "weeks (slow: sweeps and laundering hops wait 5-20 times longer)"),
    Knob("collection_hold", ("hours", "days", "months"), "random", "hours",
         "how long the ring's collection wallets keep victims' money before sweeping it: hours to two days as "
         "before (hours), a day to a week, swept in batches of up to a week (days), or weeks to months, swept "
         "in batches of up to two months or not before the world ends (months)"),
    Knob("victim_banks", ("any", "one"), "any", "any",
         "where a fake platform's victims who pay straight from an exchange account bank: each at their own "
         "exchange (any), or all at one exchange, as a ring working one country's market (one); made to break the "
         "detectors' rule that a wallet paid mostly by withdrawals from one or two exchanges, which nobody paid "
         "half of all they sent and which was in use for months, is its owner's own; not drawn by style=random"),
    Knob("lenders", ("none", "shared"), "none", "none",
         "a relative or friend lends money to two of a fake platform's victims who pay the same deposit wallet "
         "from their own wallets, and each passes the loan on to the platform within hours with their next "
         "deposit (shared); made to break the detectors' rule that wallets a person paid in turn, each payment "
         "passed on within the day to the same place, are a ring's rotating deposit wallets; not drawn by "
         "style=random"),
    Knob("desk_customers", ("none", "yes"), "none", "none",
         "the ring's consolidation wallets also buy coins from a few people, as an OTC desk does: each withdraws from "
         "an exchange and pays a consolidation wallet two to four times while the ring sweeps into it, and is paid "
         "in cash (yes); made to break the detectors' rule that a wallet only exchanges paid, which passed "
         "everything on in payments to laundering wallets alone, is a ring's deposit wallet; not drawn by "
         "style=random"),
    Knob("hop_cover", ("none", "yes"), "none", "none",
         "each wallet the ring's laundering pays on (split, peel and swap hops) first gets a small exchange "
         "withdrawal of its own, tens to a few hundred dollars, hours to days before the ring's money arrives (yes); "
         "made to break the detectors' rule that an exchange account only hops that nothing but the ring's wallets "
         "ever paid is a mule's, whatever share of scam money the walk traced to it; not drawn by style=random"),
    Knob("exchange_use", ("onramp", "mixed"), "onramp", "onramp",
         "what customers do at the exchanges: buy and withdraw to their wallets at every exchange (onramp), or "
         "at about half of them (at least one) only deposit to sell for cash, so that exchange pays no "
         "withdrawals, only its deposit accounts' gas (mixed: the off-ramps pig-butchering mules cash out at); "
         "not drawn by style=random"),
    Knob("exchange_gas", ("hot_wallets", "gas_wallet"), "hot_wallets", "hot_wallets",
         "who tops up the gas of an exchange's deposit accounts before their first sweep: one of its hot wallets "
         "(hot_wallets), or a gas wallet of its own that a hot wallet funds and that receives no sweeps "
         "(gas_wallet); not drawn by style=random"),
    Knob("payment_gateway", ("none", "per_order"), "none", "none",
         "a benign payment gateway that shows its customers a fresh address for every order, repeat customers "
         "paying from their wallets or straight from their exchange accounts, its gas wallet fuelling the "
         "order addresses and a refund wallet bankrolled from an exchange (per_order): the honest twin of "
         "deposit_addresses=per_payment, made to break the detectors' per-payment rules; not drawn by "
         "style=random"),
    Knob("density", ("normal", "sparse"), "normal", "normal",
         "how often people transact: the scale's number of people (normal), or three times as many over the same "
         "number of transfers (sparse), so that what a customer paid a shop or a payment processor is most of "
         "all they ever sent, as a victim's savings are all they paid a scam; made to break the detectors' "
         "rule that people who gave a wallet most of what they had are its victims; not drawn by style=random"),
)
# How a Tron world reaches its reader (`--chain tron`): the pages an investigator crawling TronGrid gets.
CRAWL_KNOBS: tuple[Knob, ...] = (
    Knob("tron_detail", ("0..1",), "1.0", "1.0",
         "tron only: share of TRC-20 rows carrying the optional 'detail' object (signer, block, called "
         "contract); the rest are bare rows as TronGrid's trc20 endpoint gives them", chains=("tron",)),
    Knob("tron_account_history", ("0..1",), "1.0", "1.0",
         "tron only: share of accounts whose transaction history (/v1/accounts/{address}/transactions: TRX "
         "transfers, contract calls with their signer) was crawled; 0 writes TRC-20 pages only", chains=("tron",)),
    Knob("crawl_overlap", ("0..1",), "0.3", "0",
         "tron only: share of TRC-20 rows (and TRX transfers) listed a second time, under the receiver's "
         "account as well as the sender's, as a per-account crawl of both parties lists them", chains=("tron",)),
)
KNOBS = KNOBS + CRAWL_KNOBS
LATE_KNOBS = ("pace",)  # drawn from Knobs.late
HOLD_KNOBS = ("collection_hold",)  # drawn from Knobs.hold
BY_NAME = {k.name: k for k in KNOBS}
# the range style=random draws laundering_mixing from
MIXING_DRAWS = (0.0, 0.0, 0.1, 0.25, 0.4, 0.6)


def parse_vary(items: list[str] | None) -> dict[str, str]:
    """``["KNOB=VALUE", ...]`` -> {knob: value}, validated (an error names the knob and its values)."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise PigtraceError(f"--vary {item!r}: expected KNOB=VALUE (see `pigtrace simulate --list-knobs`)")
        knob = BY_NAME.get(name)
        if knob is None:
            raise PigtraceError(f"--vary {item!r}: unknown knob {name!r}; knobs: {', '.join(BY_NAME)}")
        if knob.is_share:
            try:
                share = float(value)
            except ValueError:
                share = -1.0
            if not 0.0 <= share <= 1.0:
                raise PigtraceError(f"--vary {item!r}: {name} is a share between 0 and 1")
            value = repr(share)
        elif value not in knob.values:
            raise PigtraceError(f"--vary {item!r}: {name} is one of {', '.join(knob.values)}")
        if name in out and out[name] != value:
            raise PigtraceError(f"--vary {name} given twice with different values")
        out[name] = value
    return out


class Knobs:
    """The knob settings of one world: what was given, the style, and per-ring draws."""

    def __init__(self, given: dict[str, str], rng: np.random.Generator) -> None:
        self.given = dict(given)
        self.style = given.get("style", BY_NAME["style"].default)
        self.rng = rng
        # knobs added later draw from their own stream (spawned from the world's seed without drawing from
        # it), so a world that does not use them is the same world it was before they existed
        self.late = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
        self.hold = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])  # the next child: its own stream
        self.exchange = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])  # which exchanges are off-ramps
        self.gateway = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])  # payment_gateway=per_order
        self.lend = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])  # lenders=shared
        self.desk = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])  # desk_customers=yes
        self.cover = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])  # hop_cover=yes

    def share(self, name: str) -> float:
        """A share knob that is not drawn per ring (labelled_hot_wallets, the Tron crawl's shares)."""
        knob = BY_NAME[name]
        return float(self.given.get(name, knob.fixed if self.style == "fixed" else knob.default))

    def pick(self, name: str) -> str:
        """The value of a categorical knob for one ring or exchange: given, fixed, or drawn."""
        knob = BY_NAME[name]
        if name in self.given:
            return self.given[name]
        if self.style == "fixed":
            return knob.fixed
        if knob.default != "random":  # a knob style=random does not draw
            return knob.default
        stream = self.late if name in LATE_KNOBS else self.hold if name in HOLD_KNOBS else self.rng
        return str(stream.choice(knob.values))

    def mixing(self) -> float:
        if "laundering_mixing" in self.given:
            return float(self.given["laundering_mixing"])
        if self.style == "fixed":
            return 0.0
        return float(self.rng.choice(MIXING_DRAWS))

    def ring(self, names: tuple[str, ...]) -> dict:
        """One ring's draws of ``names`` (laundering_mixing as a float)."""
        return {n: (self.mixing() if n == "laundering_mixing" else self.pick(n)) for n in names}


def knob_rows() -> list[dict]:
    """`--list-knobs` rows: name, values, default, what it changes, the chains whose worlds it changes."""
    return [{"name": k.name, "values": "|".join(k.values), "default": k.default, "fixed": k.fixed, "help": k.help,
             "chains": list(k.chains)} for k in KNOBS]
