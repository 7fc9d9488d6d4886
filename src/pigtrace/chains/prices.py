"""Prices by asset and day. ``pigtrace prices import FILE.csv`` reads ``date,asset,usd`` rows into the
warehouse's ``prices`` table and re-values the already ingested transfers of those assets on those days;
every ingest re-values what it added the same way (``revalue``), so a transfer on a priced day carries that
price whenever it arrived. A transfer no imported price covers keeps the value ingest gave it: the asset
registry's reference price (``chains.registry.usd_price``: stablecoins at par, ETH, TRX and the other coins
at a static typical level). ``transfers.usd_source`` says which price a value came from: ``price file
NAME`` or the registry's source text.

Flow: CSV -> every line parsed and checked (the first error names the file, line and field, and nothing is
written) -> one transaction: the prices upserted by (chain, token, day), then one set-wise UPDATE of the
compact ledger table behind the ``transfers`` view (``store.compact``). Importing a file again changes
nothing; a later file's price for the same asset and day replaces the earlier one.

``asset`` is a registry symbol (``ETH``, ``WETH``, ``TRX`` ...: every chain's asset of that symbol; symbols
outside the registry are refused, since anyone can name a token ``USDT``) or ``chain:token-address``
(``chain:native`` for the chain's coin), whose decimals come from the registry or the warehouse's tokens."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pigtrace.chains.addresses import normalize
from pigtrace.chains.registry import NATIVE, assets, find_asset, get_chain
from pigtrace.errors import InvalidAddress, PigtraceError
from pigtrace.store.warehouse import atomic
from pigtrace.store.warehouse import dict_rows

COLUMNS = ("date", "asset", "usd")
VALUED_KINDS = ("erc20", "trc20", "native")


@dataclass(frozen=True)
class Price:
    chain: str
    token: str
    day: date
    usd: float
    asset: str
    decimals: int
    line: int


def source_text(source: str) -> str:
    """``usd_source`` of a value from an imported price file."""
    return f"price file {source}"


def read_prices(path: str | Path, con: duckdb.DuckDBPyConnection) -> list[Price]:
    """Every price in the CSV at ``path``, one per (chain, token, day); raises PigtraceError naming the
    file, line and field of the first bad value."""
    path = Path(path)
    if not path.is_file():
        raise PigtraceError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise PigtraceError(f"{path}: cannot read it as UTF-8 text ({e})") from None
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise PigtraceError(f"{path}:1: header {','.join(header) or '(empty)'} lacks column(s) "
                            f"{', '.join(missing)} (expected {','.join(COLUMNS)})")
    at = {c: header.index(c) for c in COLUMNS}
    resolved: dict[str, list[tuple[str, str, int]]] = {}
    seen: dict[tuple[str, str, date], Price] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise PigtraceError(f"{path}:{line}: {len(row)} field(s), the header has {len(header)}")
        value = {c: row[i].strip() for c, i in at.items()}
        try:
            day = date.fromisoformat(value["date"])
        except ValueError:
            raise PigtraceError(f"{path}:{line}: field 'date': {value['date']!r} is not a date (YYYY-MM-DD)") from None
        try:
            usd = float(value["usd"])
        except ValueError:
            usd = math.nan
        if not math.isfinite(usd) or usd <= 0:
            raise PigtraceError(f"{path}:{line}: field 'usd': {value['usd']!r} is not a positive number")
        asset = value["asset"]
        if asset not in resolved:
            try:
                resolved[asset] = _resolve(asset, con)
            except PigtraceError as e:
                raise PigtraceError(f"{path}:{line}: field 'asset': {e}") from None
        for chain, token, decimals in resolved[asset]:
            p = Price(chain, token, day, usd, asset, decimals, line)
            earlier = seen.get((chain, token, day))
            if earlier is not None and earlier.usd != usd:
                raise PigtraceError(f"{path}:{line}: field 'usd': {usd:g} for {asset} on {day}, but line "
                                    f"{earlier.line} gives {earlier.usd:g} for the same asset and day")
            seen[(chain, token, day)] = p
    return list(seen.values())


def _resolve(asset: str, con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(chain, token, decimals) for each asset ``asset`` names."""
    if not asset:
        raise PigtraceError("empty (a registry symbol such as ETH, or chain:token-address)")
    if ":" not in asset:
        found = [(a.chain, a.address, a.decimals) for a in assets() if a.symbol.upper() == asset.upper()]
        if not found:
            symbols = ", ".join(sorted({a.symbol for a in assets()}))
            raise PigtraceError(f"{asset!r} is not a registry symbol ({symbols}); name a token as chain:address")
        return found
    chain, token = (part.strip() for part in asset.split(":", 1))
    c = get_chain(chain)  # raises naming the known chains
    if token.lower() == NATIVE:
        return [(c.name, NATIVE, c.native_decimals)]
    try:
        token = normalize(token, c.name)
    except InvalidAddress as e:
        raise PigtraceError(f"{asset!r}: {e}") from None
    registered = find_asset(c.name, token)
    if registered is not None:
        return [(c.name, token, registered.decimals)]
    row = con.execute("SELECT decimals FROM tokens WHERE chain = ? AND address = ?", [c.name, token]).fetchone()
    if row is None or row[0] is None:
        raise PigtraceError(f"{asset!r}: decimals unknown (not in the asset registry, and the warehouse's tokens "
                            "table has no decimals for it: ingest the token's metadata first)")
    return [(c.name, token, int(row[0]))]


def import_prices(con: duckdb.DuckDBPyConnection, path: str | Path) -> dict:
    """Read ``path`` and, in one transaction, upsert its prices and re-value the transfers they cover;
    returns the counts."""
    prices = read_prices(path, con)
    source = Path(path).name
    con.execute("CREATE OR REPLACE TEMP TABLE pt_price_rows (chain VARCHAR, token VARCHAR, day DATE, usd DOUBLE, "
                "asset VARCHAR, decimals INTEGER)")
    con.executemany("INSERT INTO pt_price_rows VALUES (?, ?, ?, ?, ?, ?)",
                    [(p.chain, p.token, p.day, p.usd, p.asset, p.decimals) for p in prices])
    try:
        with atomic(con):
            con.execute("""INSERT OR REPLACE INTO prices (chain, token, day, usd, asset, decimals, source)
                           SELECT chain, token, day, usd, asset, decimals, ? FROM pt_price_rows""", [source])
            revalued = revalue(con)
    finally:
        con.execute("DROP TABLE IF EXISTS pt_price_rows")
    return {"prices": len(prices), "assets": len({(p.chain, p.token) for p in prices}),
            "days": len({p.day for p in prices}), "transfers_revalued": revalued}


def revalue(con: duckdb.DuckDBPyConnection) -> int:
    """Value every transfer of a priced asset on a priced day at that price (only rows whose value or
    source differs are written); returns how many changed. Runs inside the caller's transaction."""
    if not con.execute("SELECT count(*) FROM prices").fetchone()[0]:
        return 0
    value = "t.amount::DOUBLE / pow(10, p.decimals) * p.usd"
    return con.execute(
        f"""UPDATE ledger_transfers AS t
            SET usd = {value}, usd_source = 'price file ' || p.source
            FROM prices p JOIN addresses a ON a.chain = p.chain AND a.address = p.token
            WHERE t.chain = p.chain AND t.token_ref = a.ref AND CAST(t.time AS DATE) = p.day
              AND t.kind IN {VALUED_KINDS} AND t.amount IS NOT NULL
              AND (t.usd IS DISTINCT FROM {value} OR t.usd_source IS DISTINCT FROM 'price file ' || p.source)"""
    ).fetchone()[0]


def list_prices(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The imported prices (none in a warehouse from before prices, opened read-only)."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'prices' AND NOT temporary"
                       ).fetchone()[0]:
        return []
    cur = con.execute("SELECT day AS date, asset, chain, token, usd, source FROM prices ORDER BY day, chain, token")
    return dict_rows(cur)
