"""Gas top-ups: a native-coin transfer small enough to be money for a few transactions' fees rather than a
payment. The detectors (and clustering) leave such transfers out of flows and use them to find common gas
funders; ``gas_topup_sql`` is the one SQL test for it.

The limit is an amount of the chain's native coin, not a USD value: what a wallet needs for fees is counted
in coin (a few dozen token transfers' gas), so the test does not change when a price is imported or the
coin's price moves, and a transfer with no USD value is still judged. The figures equal the former 250 USD
at the registry's reference prices (chains.registry.REFERENCE_USD). These are the detectors' constants: the
simulator draws its own coin price and gas amounts and shares none of them."""

from __future__ import annotations

from decimal import Decimal

from pigtrace.chains.registry import chains

# The most native coin a gas top-up carries, per native coin symbol.
GAS_MAX: dict[str, Decimal] = {
    "ETH": Decimal("0.1"),   # ~0.001-0.005 ETH per token transfer on mainnet: dozens of transfers
    "BNB": Decimal("0.45"),
    "POL": Decimal("500"),
    "TRX": Decimal("1250"),  # a TRC-20 transfer burns ~14-30 TRX of energy without staked resources
}


def limits() -> dict[str, int]:
    """Chain -> the most a gas top-up carries, in the native coin's smallest unit (chains whose coin has no
    limit here have no gas top-ups)."""
    return {c.name: int(GAS_MAX[c.native_symbol].scaleb(c.native_decimals)) for c in chains()
            if c.native_symbol in GAS_MAX}


def gas_topup_sql(alias: str, native: str | None = None) -> str:
    """SQL predicate: the transfer row ``alias`` (columns chain, amount, and token or ``native``, an SQL test
    that it moves native coin) is a gas top-up. Never NULL."""
    is_native = native or f"{alias}.token = 'native'"
    cases = " ".join(f"WHEN '{chain}' THEN CAST('{limit}' AS UHUGEINT)" for chain, limit in sorted(limits().items()))
    return f"({is_native} AND coalesce({alias}.amount <= CASE {alias}.chain {cases} END, false))"


def describe() -> str:
    """The limits in words, for help texts."""
    return ", ".join(f"{v.normalize():f} {k}" for k, v in GAS_MAX.items())
