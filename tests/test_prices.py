"""`pigtrace prices import FILE.csv`: prices by asset and day re-value the ingested transfers of those assets on
those days (usd_source names the file); a bad line names the file, line and field and changes nothing;
importing twice gives the same table; gas top-ups are judged in native coin, so a price does not move them."""

from __future__ import annotations

import duckdb

from pigtrace.chains.registry import PRICE_SOURCE
from pigtrace.detect.gas import gas_topup_sql
from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace
from tests.ledger_builder import Ledger


def _world(db) -> tuple[Ledger, str]:
    led = Ledger()
    led.transfer("alice", "bob", 0.5, token="native")  # day 1
    day = led.now.date().isoformat()
    led.wait(days=2)
    led.transfer("alice", "carol", 0.5, token="native")  # another day: no price for it
    led.transfer("alice", "carol", 100, token="USDT")
    led.write(connect(db)).close()
    return led, day


def _values(db) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT to_address, token, usd, usd_source FROM transfers ORDER BY time, to_address").fetchall()
    finally:
        con.close()


def test_import_revalues_that_day_and_names_the_file(tmp_path):
    db = tmp_path / "w.duckdb"
    led, day = _world(db)
    before = _values(db)
    assert before[0][2] == 0.5 * 2500 and before[0][3] == PRICE_SOURCE  # the registry's reference price
    csv = tmp_path / "eth-prices.csv"
    csv.write_text(f"date,asset,usd\n{day},ETH,3100.5\n")
    out = pigtrace("prices", "import", str(csv), "--db", str(db), "--format", "json", check=True).stdout
    assert '"transfers_revalued": 1' in out
    after = _values(db)
    assert after[0][:2] == before[0][:2] and after[0][2] == 0.5 * 3100.5
    assert after[0][3] == "price file eth-prices.csv"
    assert after[1:] == before[1:]  # the other day's ETH and the USDT keep their values
    listing = pigtrace("prices", "--db", str(db), "--format", "csv", check=True).stdout
    # ETH is the coin of every ETH chain in the registry
    assert f"{day},ETH,ethereum,native,3100.5,eth-prices.csv" in listing.splitlines()
    assert f"{day},ETH,arbitrum,native,3100.5,eth-prices.csv" in listing.splitlines()
    # importing the same file again changes nothing
    table = duckdb.connect(str(db), read_only=True)
    rows = table.execute("SELECT * FROM prices ORDER BY ALL").fetchall()
    table.close()
    again = pigtrace("prices", "import", str(csv), "--db", str(db), "--format", "json", check=True).stdout
    assert '"transfers_revalued": 0' in again
    table = duckdb.connect(str(db), read_only=True)
    assert table.execute("SELECT * FROM prices ORDER BY ALL").fetchall() == rows
    table.close()
    assert _values(db) == after


def test_a_bad_line_names_file_line_and_field_and_changes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    led, day = _world(db)
    before = _values(db)
    cases = {
        f"date,asset,usd\n{day},ETH,3000\n{day},WETH,abc\n": ("prices.csv:3", "field 'usd'"),
        f"date,asset,usd\n{day},ETH,3000\n2024-13-01,ETH,3000\n": ("prices.csv:3", "field 'date'"),
        f"date,asset,usd\n{day},DOGE,0.1\n": ("prices.csv:2", "field 'asset'"),
        f"date,asset,usd\n{day},ethereum:0x12,0.1\n": ("prices.csv:2", "field 'asset'"),
        f"date,asset,usd\n{day},ETH,3000\n{day},ETH,3001\n": ("prices.csv:3", "line 2"),
        "day,asset,price\n": ("prices.csv:1", "date, usd"),
    }
    csv = tmp_path / "prices.csv"
    for text, (where, what) in cases.items():
        csv.write_text(text)
        r = pigtrace("prices", "import", str(csv), "--db", str(db))
        assert r.returncode != 0 and where in r.stderr and what in r.stderr, (text, r.stderr)
        assert _values(db) == before
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM prices").fetchone()[0] == 0
    con.close()


def test_a_token_by_chain_and_address():
    led = Ledger()
    led.transfer("alice", "bob", 2, token="WETH")
    con = led.write(duckdb.connect())
    from pigtrace.chains.prices import import_prices

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "weth.csv"
        weth = led.token_address("WETH")
        f.write_text(f"date,asset,usd,comment\n{led.now.date()},ethereum:{weth.upper().replace('0X', '0x')},1000,x\n")
        assert import_prices(con, f)["transfers_revalued"] == 1
    assert con.execute("SELECT usd, usd_source FROM transfers").fetchone() == (2000.0, "price file weth.csv")


def test_gas_top_ups_are_native_amounts_not_usd():
    con = duckdb.connect()
    con.execute("""CREATE TABLE v AS SELECT * FROM (VALUES
        ('ethereum', 'native', 50000000000000000::UHUGEINT, true),     -- 0.05 ETH
        ('ethereum', 'native', 200000000000000000::UHUGEINT, false),   -- 0.2 ETH
        ('ethereum', '0xtoken', 1::UHUGEINT, false),
        ('tron', 'native', 1000000000::UHUGEINT, true),                -- 1000 TRX
        ('tron', 'native', 2000000000::UHUGEINT, false),
        ('nochain', 'native', 1::UHUGEINT, false)) t(chain, token, amount, gas)""")
    got = con.execute(f"SELECT gas, {gas_topup_sql('v')} FROM v").fetchall()
    assert all(want == have for want, have in got), got


def test_an_ingest_after_the_import_values_new_transfers_at_the_price(tmp_path):
    db = tmp_path / "w.duckdb"
    led, day = _world(db)
    pigtrace("export", "parquet", str(tmp_path / "tables"), "--db", str(db), check=True)
    fresh = tmp_path / "fresh.duckdb"
    connect(fresh).close()
    csv = tmp_path / "p.csv"
    csv.write_text(f"date,asset,usd\n{day},ETH,4000\n")
    pigtrace("prices", "import", str(csv), "--db", str(fresh), check=True)
    pigtrace("ingest", "parquet", str(tmp_path / "tables"), "--db", str(fresh), check=True)
    values = _values(fresh)
    assert values[0][2:] == (0.5 * 4000, "price file p.csv")
    assert values[1][2:] == (0.5 * 2500, PRICE_SOURCE)
