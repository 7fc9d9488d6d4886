"""The state every generator of the synthetic world shares: the random stream, the address book, the
ledger, the assets, the exchanges and the growing ground truth (roles, services, benign actors).

Generators (``economy``, ``scams``, ``laundering``) only append to the ledger through the helpers here,
which keep one rule that makes the truth checkable: an actor never sends more than it has received
before, except services (exchange hot wallets, pools, token contracts), whose balances are off-ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pigtrace.simulate.addressbook import AddressBook
from pigtrace.simulate.knobs import Knobs
from pigtrace.simulate.ledger import Ledger

DAY = 86_400
HOUR = 3_600
MINUTE = 60


@dataclass(frozen=True)
class SimToken:
    entity: int
    symbol: str
    name: str
    decimals: int
    scale: int  # stored units are 10**scale raw units (see ledger)
    usd: float  # reference price of one whole token
    address: str


@dataclass
class Exchange:
    name: str
    hot: list[int]  # hot wallet entities
    sweeps: str = "direct"  # "direct" or "multi_hop" (deposit accounts -> forwarders -> hot wallets, in batches)
    forwarders: list[int] = field(default_factory=list)
    offramp: bool = False  # customers only deposit here (exchange_use=mixed): it pays no withdrawals
    gas: int = -1  # the wallet topping up its deposit accounts' gas (exchange_gas=gas_wallet); -1: a hot wallet


@dataclass
class World:
    rng: np.random.Generator
    book: AddressBook
    ledger: Ledger
    chain: str
    t0: int
    t1: int
    knobs: Knobs
    tokens: dict[str, SimToken] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    # ground truth, by entity
    roles: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # entity -> (role, ring, typology)
    services: dict[int, tuple[str, str]] = field(default_factory=dict)  # entity -> (kind, name)
    benign: dict[int, str] = field(default_factory=dict)  # entity -> kind
    rings: list[dict] = field(default_factory=list)
    # exchange deposit accounts: entity -> exchange index (their receipts are swept to a hot wallet)
    deposit_exchange: dict[int, int] = field(default_factory=dict)
    # named services and actors the generators share
    named: dict[str, int] = field(default_factory=dict)
    groups: dict[str, list[int]] = field(default_factory=dict)  # e.g. "otc_desk" -> desk entities
    # per retail user: self-custody wallet entity and its own exchange deposit account (-1 when none)
    users: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    user_deposit: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    # recent retail token payments (tx time, sender, recipient, token symbol, stored amount): poisoning targets
    payments: dict[str, np.ndarray] = field(default_factory=dict)
    extra_tokens: list[dict] = field(default_factory=list)  # fake tokens: entity, symbol, name, decimals
    next_ring: int = 1

    # -- amounts ---------------------------------------------------------------------------------------

    def units(self, symbol: str, usd) -> np.ndarray:
        """Stored units (see ledger) of ``symbol`` worth ``usd`` dollars, rounded down, at least 1."""
        t = self.tokens[symbol]
        per_usd = 10 ** (t.decimals - t.scale) / t.usd
        return np.atleast_1d(np.maximum(np.floor(np.asarray(usd, dtype=np.float64) * per_usd), 1).astype(np.int64))

    def usd(self, symbol: str, stored) -> np.ndarray:
        t = self.tokens[symbol]
        return np.asarray(stored, dtype=np.float64) * t.usd / 10 ** (t.decimals - t.scale)

    def raw_text(self, symbol: str, stored: int) -> str:
        """Exact raw integer text of a stored amount."""
        return str(int(stored) * 10 ** self.tokens[symbol].scale)

    # -- registries ------------------------------------------------------------------------------------

    def new_ring(self, typology: str, params: dict) -> dict:
        ring = {"id": f"ring-{self.next_ring}", "typology": typology, "params": params, "victims": [], "cash_out": []}
        self.next_ring += 1
        self.rings.append(ring)
        return ring

    def role(self, entities, role: str, ring: str, typology: str) -> None:
        """Record the true role of scam-related addresses; the first role given to an address stands."""
        for e in np.atleast_1d(entities):
            self.roles.setdefault(int(e), (role, ring, typology))

    def service(self, entity: int, kind: str, name: str) -> int:
        self.services.setdefault(int(entity), (kind, name))
        return entity

    def mark_benign(self, entities, kind: str) -> None:
        """Record benign actors; a specific kind (saver, otc_customer, ...) replaces plain 'retail'."""
        for e in np.atleast_1d(entities):
            e = int(e)
            if self.benign.get(e, "retail") == "retail":
                self.benign[e] = kind

    def named_list(self, group: str) -> list[int]:
        return self.groups.get(group, [])

    def deposit_accounts(self, n: int, exchange: int) -> np.ndarray:
        """``n`` new customer deposit accounts at ``exchange``; whatever they receive is swept to its hot wallet."""
        ids = self.book.random(n)
        for e in ids:
            self.deposit_exchange[int(e)] = exchange
            self.service(int(e), "exchange_deposit", self.exchanges[exchange].name)
        return ids

    def hot_wallet(self, exchange: int | None = None) -> int:
        ex = self.exchanges[int(self.rng.integers(len(self.exchanges))) if exchange is None else exchange]
        return ex.hot[int(self.rng.integers(len(ex.hot)))]

    def onramp_hot_wallet(self, rng: np.random.Generator) -> int:
        """A hot wallet of an exchange that is not an off-ramp (where a person buys and withdraws), drawn from
        ``rng``: a knob's own stream."""
        onramps = [e for e in self.exchanges if not e.offramp]
        hots = onramps[int(rng.integers(len(onramps)))].hot
        return int(hots[int(rng.integers(len(hots)))])

    # -- money movements -------------------------------------------------------------------------------

    def send(self, time, frm, to, symbol: str, stored, sender=None) -> np.ndarray:
        """Token (or native, symbol 'ETH'/'TRX') payments; tx.from is ``sender`` or the payer itself."""
        t = self.tokens[symbol]
        if symbol == self.native:
            return self.ledger.native(time, frm, to, stored)
        return self.ledger.token_transfer(time, frm if sender is None else sender, t.entity, frm, to, stored, t.scale)

    def withdraw(self, time, to, symbol: str, stored, exchange: int | None = None) -> np.ndarray:
        """Exchange withdrawals (buying at an exchange and withdrawing): a hot wallet pays ``to``; without
        ``exchange``, one of an exchange that is not an off-ramp."""
        to = np.atleast_1d(to)
        if exchange is None:
            hot = self.hot_array()[self.rng.integers(0, len(self.hot_array()), size=len(to))]
        else:
            hots = np.asarray(self.exchanges[exchange].hot)
            hot = hots[self.rng.integers(0, len(hots), size=len(to))]
        return self.send(time, hot, to, symbol, stored)

    def hot_array(self) -> np.ndarray:
        if "_hot" not in self.__dict__:
            self.__dict__["_hot"] = np.array([h for ex in self.exchanges if not ex.offramp for h in ex.hot],
                                             dtype=np.int32)
        return self.__dict__["_hot"]

    @property
    def native(self) -> str:
        return "TRX" if self.chain == "tron" else "ETH"

    def gas_topups(self, funder: int, first_sends: dict[int, int], usd_each: tuple[float, float] = (3.0, 25.0)) -> float:
        """The funder sends native coin for gas to each wallet shortly before that wallet's first transaction.
        Returns the USD value sent (so the caller can fund the funder)."""
        if not first_sends:
            return 0.0
        ents = np.fromiter(first_sends.keys(), dtype=np.int32)
        firsts = np.fromiter(first_sends.values(), dtype=np.int64)
        usd = self.rng.uniform(*usd_each, size=len(ents))
        lead = self.rng.integers(10 * MINUTE, 6 * HOUR, size=len(ents))
        self.send(np.maximum(firsts - lead, self.t0 + MINUTE), funder, ents, self.native, self.units(self.native, usd))
        return float(usd.sum())

    def clamp(self, t) -> np.ndarray:
        return np.clip(np.asarray(t, dtype=np.int64), self.t0 + MINUTE, self.t1 - MINUTE)
