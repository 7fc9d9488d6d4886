"""Hand-made ledgers for detector tests, written straight into the canonical warehouse tables.

A test describes a few wallets and what they did, in token units and readable names, and gets a DuckDB
warehouse shaped exactly as ``pigtrace ingest`` would leave it (transactions with ``tx.from`` and method
selector, transfers with ``initiator`` and USD for known assets, approvals, swaps, tokens, labels)::

    led = Ledger("ethereum")
    alice, shop = led.addr("alice"), led.addr("shop")
    led.transfer("exchange_hot", alice, 1000)                 # 1000 USDT; names become addresses
    led.approve(alice, "drainer")                             # unlimited USDT allowance
    led.wait(days=3)
    h = led.tx("drainer", to="USDT", method="transferFrom")   # one transaction sent by the spender ...
    led.transfer(alice, "collector", 1000, tx=h)              # ... moving alice's tokens
    con = led.write(duckdb.connect())                         # or led.write(connect(tmp_path / "w.duckdb"))

Names: any string that is not already an address is turned into a stable address (``addr(name)``), so a
test can say ``"drainer"`` everywhere. ``lookalike(real, seed)`` makes an address sharing the first and
last characters of ``real``. Tokens: ``"USDT"``/``"USDC"``/... resolve to the chain's registry asset,
``"ETH"``/``"native"`` to the native coin; ``token(name, symbol, decimals)`` declares any other (e.g. a fake
"USDT"). Time: every new transaction is one ``step`` after the previous one unless ``at=`` (a datetime or
an offset from ``start``) is given; ``wait(...)`` moves the clock on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import duckdb

from pigtrace.chains.addresses import tron_hex_to_base58
from pigtrace.chains.registry import NATIVE, assets, get_chain, usd_price
from pigtrace.store.warehouse import ensure_schema, insert_rows

UNLIMITED = 2**256 - 1
SELECTORS = {
    "transfer": "0xa9059cbb",
    "transferFrom": "0x23b872dd",
    "approve": "0x095ea7b3",
    "permit": "0xd505accf",
    "settle": "0x13d79a0b",  # CoW GPv2Settlement.settle
    "execute": "0x3593564c",  # Uniswap universal router
    "swap": "0x38ed1739",  # swapExactTokensForTokens
    "multicall": "0xac9650d8",
}


@dataclass
class _Token:
    address: str
    symbol: str
    decimals: int
    price: float | None
    price_source: str | None


@dataclass
class Ledger:
    chain: str = "ethereum"
    start: datetime = datetime(2024, 1, 1)
    step: timedelta = timedelta(minutes=1)
    transactions: list[tuple] = field(default_factory=list)
    transfers: list[tuple] = field(default_factory=list)
    approvals: list[tuple] = field(default_factory=list)
    swaps: list[tuple] = field(default_factory=list)
    labels: list[tuple] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._family = get_chain(self.chain).family
        self._clock = self.start
        self._block = 1_000_000
        self._txs: dict[str, dict] = {}
        self._logs: dict[str, int] = {}
        self._tokens: dict[str, _Token] = {}
        self._names: dict[str, str] = {}
        for a in assets(self.chain):
            price, source = usd_price(a)
            tok = _Token(a.address, a.symbol, a.decimals, price, source)
            self._tokens[a.symbol] = tok
            self._tokens[a.address] = tok
        self._tokens["native"] = self._tokens[get_chain(self.chain).native_symbol]

    # ---------------------------------------------------------------- names, addresses, tokens, time
    def addr(self, name: str) -> str:
        """The address for ``name`` (stable across runs); an address passed in is returned as it is."""
        if self._is_address(name):
            return name
        if name not in self._names:
            body = hashlib.sha256(f"{self.chain}:{name}".encode()).hexdigest()[:40]
            self._names[name] = self._from_body(body)
        return self._names[name]

    def lookalike(self, real: str, seed: str = "poison", prefix: int = 4, suffix: int = 4) -> str:
        """An address whose first ``prefix`` and last ``suffix`` hex digits equal those of ``real``."""
        body = self._body(self.addr(real))
        filler = hashlib.sha256(f"{real}:{seed}".encode()).hexdigest()[: 40 - prefix - suffix]
        out = body[:prefix] + filler + body[40 - suffix:]
        if out == body:  # astronomically unlikely, but a look-alike must differ
            out = body[:prefix] + ("0" if filler[0] != "0" else "1") + filler[1:] + body[40 - suffix:]
        return self._from_body(out)

    def token(self, name: str, symbol: str | None = None, decimals: int = 18, usd: float | None = None) -> str:
        """Declare a token not in the asset registry (a fake USDT, an airdrop token); returns its address."""
        address = self.addr("token:" + name)
        tok = _Token(address, symbol or name, decimals, usd, "test price" if usd is not None else None)
        self._tokens[name] = tok
        self._tokens[address] = tok
        return address

    def token_address(self, token: str) -> str:
        return self._token(token).address

    def wait(self, **delta: float) -> None:
        """Move the clock on, e.g. ``wait(days=3)`` or ``wait(minutes=5)``."""
        self._clock += timedelta(**delta)

    @property
    def now(self) -> datetime:
        return self._clock

    # ---------------------------------------------------------------- records
    def tx(self, sender: str, to: str | None = None, method: str | None = None,
           value: int | float | str | Decimal = 0,
           at: datetime | timedelta | None = None, status: int = 1) -> str:
        """Open a transaction sent by ``sender`` (tx.from); records added with ``tx=`` join it.

        ``to`` may be a token name (the token contract), a name or an address; ``method`` a name from
        SELECTORS or a 0x selector; ``value`` native coin in whole units (it becomes a native transfer)."""
        self._advance(at)
        self._block += 1
        h = "0x" + hashlib.sha256(f"{self.chain}:{self.start.isoformat()}:tx:{len(self._txs)}".encode()).hexdigest()
        to_addr = None
        if to is not None:
            known = to in self._tokens and self._tokens[to].address != NATIVE
            to_addr = self._tokens[to].address if known else self.addr(to)
        sel = SELECTORS.get(method, method) if method else None
        raw_value = self._raw(value, self._tokens["native"].decimals)
        self._txs[h] = {"block": self._block, "time": self._clock, "sender": self.addr(sender)}
        self._logs[h] = 0
        self.transactions.append(
            (self.chain, h, self._block, 0, self._clock, self.addr(sender), to_addr, raw_value, None, 21000,
             10**9, status, sel, len(self.transactions))
        )
        if raw_value and status == 1 and to_addr is not None:
            self._add_transfer(h, -1, NATIVE, "native", self.addr(sender), to_addr, raw_value)
        return h

    def transfer(self, frm: str, to: str, amount: int | float | str | Decimal, token: str = "USDT", *,
                 tx: str | None = None, initiator: str | None = None, raw: bool = False,
                 at: datetime | timedelta | None = None) -> str:
        """A token transfer of ``amount`` token units (``raw=True``: smallest units) from ``frm`` to ``to``.

        Without ``tx`` a new transaction is opened, sent by ``initiator`` (default ``frm``): a plain
        ``transfer`` when the owner sends it, ``transferFrom`` when someone else does. Native coin
        (``token="ETH"``/``"native"``) without ``tx`` is a plain value transaction. Returns the tx hash."""
        tok = self._token(token)
        frm_a, to_a = self.addr(frm), self.addr(to)
        amt = int(amount) if raw else self._raw(amount, tok.decimals)
        if tok.address == NATIVE:
            if tx is None:
                if initiator is None or self.addr(initiator) == frm_a:
                    return self.tx(frm_a, to=to_a, value=Decimal(amt).scaleb(-tok.decimals), at=at)
                return self._native_internal(frm_a, to_a, amt, initiator, at)
            self._add_transfer(tx, -1 - self._internal_count(tx), NATIVE, "native", frm_a, to_a, amt)
            return tx
        if tx is None:
            sender = self.addr(initiator) if initiator else frm_a
            tx = self.tx(sender, to=tok.address, method="transfer" if sender == frm_a else "transferFrom", at=at)
        self._add_transfer(tx, self._next_log(tx), tok.address, "erc20", frm_a, to_a, amt)
        return tx

    def nft(self, frm: str, to: str, collection: str, token_id: int, *, tx: str | None = None,
            initiator: str | None = None) -> str:
        """An ERC-721 transfer (kind erc721, amount 1)."""
        address = self.addr("nft:" + collection)
        if tx is None:
            sender = self.addr(initiator) if initiator else self.addr(frm)
            tx = self.tx(sender, to=address, method="transferFrom")
        self._add_transfer(tx, self._next_log(tx), address, "erc721", self.addr(frm), self.addr(to), 1,
                           token_id=str(token_id))
        return tx

    def approve(self, owner: str, spender: str, amount: int | float | str | Decimal | None = None,
                token: str = "USDT", *, kind: str = "erc20", tx: str | None = None,
                initiator: str | None = None, raw: bool = False, contract: str | None = None,
                at: datetime | timedelta | None = None) -> str:
        """An allowance from ``owner`` to ``spender``; ``amount=None`` is unlimited (2**256-1).

        ``kind`` erc20 (the token's Approval), permit2 (``contract`` is the Permit2 contract) or
        approval_for_all. Without ``tx`` the owner sends an ``approve`` transaction (a ``permit`` one
        when ``initiator`` is someone else: a signed permit submitted by the spender)."""
        tok = self._token(token)
        owner_a, spender_a = self.addr(owner), self.addr(spender)
        if amount is None:
            amt, text, unlimited = None, str(UNLIMITED), True
        else:
            amt = int(amount) if raw else self._raw(amount, tok.decimals)
            text, unlimited = None, False
            if amt >= 2**128:
                amt, text = None, str(amt)
        contract_a = self.addr(contract) if contract else tok.address
        if tx is None:
            sender = self.addr(initiator) if initiator else owner_a
            tx = self.tx(sender, to=contract_a, method="approve" if sender == owner_a else "permit", at=at)
        approved = amount is None or (amt is not None and amt > 0) or (amt is None and text is not None)
        self.approvals.append(
            (self.chain, tx, self._next_log(tx), self._txs[tx]["block"], self._txs[tx]["time"], tok.address,
             kind, owner_a, spender_a, amt, text, unlimited, approved, None, contract_a, self._sender(tx))
        )
        return tx

    def swap(self, trader: str, pool: str, token_in: str, amount_in: float | int | str,
             token_out: str, amount_out: float | int | str, *, tx: str | None = None,
             recipient: str | None = None, router: str | None = None) -> str:
        """A DEX swap: ``trader`` pays ``token_in`` into ``pool`` and ``recipient`` (default trader)
        receives ``token_out`` from it, in one transaction the trader sends (to ``router`` if given)."""
        t_in, t_out = self._token(token_in), self._token(token_out)
        pool_a, trader_a = self.addr(pool), self.addr(trader)
        recipient_a = self.addr(recipient) if recipient else trader_a
        if tx is None:
            tx = self.tx(trader_a, to=router or pool_a, method="execute" if router else "swap")
        a_in, a_out = self._raw(amount_in, t_in.decimals), self._raw(amount_out, t_out.decimals)
        self._add_transfer(tx, self._next_log(tx), t_in.address, "erc20", trader_a, pool_a, a_in)
        self._add_transfer(tx, self._next_log(tx), t_out.address, "erc20", pool_a, recipient_a, a_out)
        self.swaps.append(
            (self.chain, tx, self._next_log(tx), self._txs[tx]["block"], self._txs[tx]["time"], pool_a,
             "uniswap_v2", self.addr(router) if router else trader_a, recipient_a, self._sender(tx),
             t_in.address, a_in, t_out.address, a_out)
        )
        return tx

    def label(self, address: str, label: str, category: str, *, abuse: str | None = None,
              concepts: list[str] | None = None, source: str = "test", confidence: str = "high",
              pack: str = "test-pack", actor: str | None = None, cluster_definer: bool = False) -> None:
        """A user label (labelling the same address with the same label twice keeps one);
        ``cluster_definer``: the TagPack ``is_cluster_definer`` flag."""
        if any(r[1] == self.addr(address) and r[2] == label and r[13] == pack for r in self.labels):
            return
        self.labels.append(
            (self.chain, self.addr(address), label, source, confidence, category, abuse, concepts or [category],
             actor, None, None, cluster_definer, None, pack, "user")
        )

    # ---------------------------------------------------------------- output
    def write(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        """Create the schema if needed and insert everything; returns ``con``."""
        ensure_schema(con)
        for table, rows in [("transactions", self.transactions), ("transfers", self.transfers),
                            ("approvals", self.approvals), ("swaps", self.swaps), ("labels", self.labels)]:
            if rows:
                columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
                insert_rows(con, table, [dict(zip(columns, row)) for row in rows])
        tokens = {t.address: t for t in self._tokens.values() if t.address != NATIVE}
        insert_values(con, "INSERT OR IGNORE INTO tokens",
                [(self.chain, t.address, t.symbol, t.symbol, t.decimals, None) for t in tokens.values()])
        return con

    # ---------------------------------------------------------------- internals
    def _is_address(self, s: str) -> bool:
        if self._family == "tron":
            return len(s) == 34 and s.startswith("T")
        return len(s) == 42 and s.startswith("0x")

    def _from_body(self, body: str) -> str:
        return tron_hex_to_base58("41" + body) if self._family == "tron" else "0x" + body

    def _body(self, address: str) -> str:
        if self._family == "tron":
            from pigtrace.chains.addresses import tron_base58_to_hex

            return tron_base58_to_hex(address)[-40:]
        return address[2:]

    def _token(self, token: str) -> _Token:
        if token in self._tokens:
            return self._tokens[token]
        raise KeyError(f"unknown token {token!r}: declare it with Ledger.token()")

    def _advance(self, at: datetime | timedelta | None) -> None:
        if isinstance(at, timedelta):
            self._clock = self.start + at
        elif isinstance(at, datetime):
            self._clock = at
        else:
            self._clock += self.step

    @staticmethod
    def _raw(amount: int | float | str | Decimal, decimals: int) -> int:
        return int(Decimal(str(amount)) * (Decimal(10) ** decimals))

    def _next_log(self, tx: str) -> int:
        self._logs[tx] += 1
        return self._logs[tx] - 1

    def _internal_count(self, tx: str) -> int:
        return sum(1 for t in self.transfers if t[1] == tx and t[2] < 0)

    def _native_internal(self, frm: str, to: str, amt: int, initiator: str, at) -> str:
        h = self.tx(initiator, to=frm, method="multicall", at=at)
        self._add_transfer(h, -1 - self._internal_count(h), NATIVE, "native", frm, to, amt)
        return h

    def _sender(self, tx: str) -> str:
        return self._txs[tx]["sender"]

    def _add_transfer(self, tx: str, log_index: int, token: str, kind: str, frm: str, to: str, amt: int,
                      token_id: str | None = None) -> None:
        tok = self._tokens.get(token)
        amount, text = (amt, None) if amt < 2**128 else (None, str(amt))
        usd = None
        if kind in ("erc20", "native") and tok is not None and tok.price is not None and amount is not None:
            usd = amount / 10**tok.decimals * tok.price
        info = self._txs[tx]
        self.transfers.append(
            (self.chain, tx, log_index, info["block"], info["time"], token, kind, frm, to, amount, text, token_id,
             self._sender(tx), usd, tok.price_source if usd is not None else None)
        )


def insert_values(con: duckdb.DuckDBPyConnection, insert: str, rows: list[tuple], chunk: int = 500) -> None:
    """``insert`` VALUES rows, many rows per statement (DuckDB's executemany runs one statement per row,
    seconds for a few hundred rows); the parameters are bound to the table's column types as before."""
    for i in range(0, len(rows), chunk):
        part = rows[i:i + chunk]
        row = "(" + ", ".join("?" * len(part[0])) + ")"
        con.execute(f"{insert} VALUES {', '.join([row] * len(part))}", [v for r in part for v in r])
