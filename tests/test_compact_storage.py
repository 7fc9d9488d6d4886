"""Compact ledger storage on real data: the text views give back exactly what was ingested, every address
and hash is stored once, and a warehouse of the old text schema is upgraded without losing a row."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pigtrace.ingest.etl import ingest_etl
from pigtrace.ingest.trongrid import ingest_trongrid
from pigtrace.store.compact import HASH_COLUMN
from pigtrace.store.schema import PRIMARY_KEYS, TABLES
from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace

FIXTURES = Path(__file__).parent / "fixtures"
LEDGER = list(HASH_COLUMN)


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    keys = ", ".join(PRIMARY_KEYS[table])
    return con.execute(f"SELECT * FROM {table} ORDER BY {keys}").fetchall()


@pytest.fixture
def real(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path / "w.duckdb")
    ingest_etl(con, FIXTURES / "etl_mainnet_17173049")
    ingest_trongrid(con, FIXTURES / "trongrid_TL24LCps")
    return con


def test_each_address_and_hash_is_stored_once_across_tables_and_chains(real):
    con = real
    distinct = con.execute(
        """SELECT count(*) FROM (
             SELECT chain, from_address a FROM transfers UNION SELECT chain, to_address FROM transfers
             UNION SELECT chain, token FROM transfers UNION SELECT chain, initiator FROM transfers
             UNION SELECT chain, from_address FROM transactions UNION SELECT chain, to_address FROM transactions
             UNION SELECT chain, owner FROM approvals UNION SELECT chain, spender FROM approvals
             UNION SELECT chain, token FROM approvals UNION SELECT chain, contract FROM approvals
             UNION SELECT chain, initiator FROM approvals
             UNION SELECT chain, pool FROM swaps UNION SELECT chain, sender FROM swaps
             UNION SELECT chain, recipient FROM swaps UNION SELECT chain, initiator FROM swaps
             UNION SELECT chain, token_in FROM swaps UNION SELECT chain, token_out FROM swaps) WHERE a IS NOT NULL"""
    ).fetchall()[0][0]
    stored, unique = con.execute("SELECT count(*), count(DISTINCT (chain, address)) FROM addresses").fetchall()[0]
    assert stored == unique == distinct
    hashes = con.execute(
        "SELECT count(*) FROM (SELECT chain, hash FROM transactions UNION SELECT chain, tx_hash FROM transfers "
        "UNION SELECT chain, tx_hash FROM approvals UNION SELECT chain, tx_hash FROM swaps)"
    ).fetchall()[0][0]
    assert con.execute("SELECT count(*), count(DISTINCT ref) FROM tx_hashes").fetchall()[0] == (hashes, hashes)
    assert {c for (c,) in con.execute("SELECT DISTINCT chain FROM addresses").fetchall()} == {"ethereum", "tron"}


def test_ingesting_again_changes_nothing_and_the_views_keep_every_value(real, tmp_path):
    con = real
    before = {t: _rows(con, t) for t in LEDGER}
    dictionaries = [con.execute(f"SELECT count(*) FROM {d}").fetchall()[0][0] for d in ("addresses", "tx_hashes")]
    assert ingest_etl(con, FIXTURES / "etl_mainnet_17173049")["transfers"] == 0
    assert ingest_trongrid(con, FIXTURES / "trongrid_TL24LCps")["transfers"] == 0
    assert {t: _rows(con, t) for t in LEDGER} == before
    assert [con.execute(f"SELECT count(*) FROM {d}").fetchall()[0][0] for d in ("addresses", "tx_hashes")] == dictionaries
    # the same rows in a second warehouse, ingested in the other order, read back identically
    other = connect(tmp_path / "other.duckdb")
    ingest_trongrid(other, FIXTURES / "trongrid_TL24LCps")
    ingest_etl(other, FIXTURES / "etl_mainnet_17173049")
    assert {t: _rows(other, t) for t in LEDGER} == before
    assert before["transfers"] and before["transactions"]


def _schema1_warehouse(path: Path, rows: dict[str, list[tuple]]) -> None:
    """A warehouse as pigtrace wrote it before compact storage: text ledger tables, schema_version 1."""
    con = duckdb.connect(str(path))
    for name, columns in TABLES.items():
        con.execute(f"CREATE TABLE {name} ({columns})")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("CREATE INDEX transfers_from ON transfers(from_address)")
    for table, table_rows in rows.items():
        if table_rows:
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(table_rows[0]))})", table_rows)
    con.close()


def test_a_schema1_warehouse_is_refused_by_reads_and_upgraded_whole(real, tmp_path):
    before = {t: _rows(real, t) for t in LEDGER}
    old = tmp_path / "old.duckdb"
    _schema1_warehouse(old, before)

    refused = pigtrace("status", "--db", str(old))
    assert refused.returncode != 0 and "pigtrace upgrade" in refused.stderr and "schema 1" in refused.stderr

    done = pigtrace("upgrade", "--db", str(old))
    assert done.returncode == 0, done.stderr
    con = connect(old, read_only=True)
    assert {t: _rows(con, t) for t in LEDGER} == before
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [("2",)]
    assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%schema1'").fetchall()[0][0]
    con.close()
    assert pigtrace("status", "--db", str(old)).returncode == 0


def test_one_view_read_twice_in_one_query_gives_each_read_its_own_columns(real):
    """DuckDB 2.0's common-subplan optimizer once answered the receivers half of this union with the senders
    (the warehouse's connections turn it off): both halves must match what each column alone holds."""
    con = real
    where = "WHERE from_address <> to_address AND kind = 'erc20'"
    union = con.execute(
        f"""SELECT count(DISTINCT a) FROM (SELECT from_address a FROM transfers {where}
                                           UNION ALL SELECT to_address FROM transfers {where})"""
    ).fetchall()[0][0]
    senders = {a for (a,) in con.execute(f"SELECT from_address FROM transfers {where}").fetchall()}
    receivers = {a for (a,) in con.execute(f"SELECT to_address FROM transfers {where}").fetchall()}
    assert receivers - senders and union == len(senders | receivers)


def test_two_ingests_of_the_same_pages_number_every_address_and_hash_alike(real, tmp_path):
    """Refs are numbered in address (and hash) order within each batch an ingest merges, not in the order
    DuckDB's threads produced the batch, so two warehouses of the same pages are the same warehouse, refs
    included; the flow store's tie-breaks and node numbers read refs, and findings did differ between two
    such warehouses of a simulated Tron world."""
    other = connect(tmp_path / "again.duckdb")
    ingest_etl(other, FIXTURES / "etl_mainnet_17173049")
    ingest_trongrid(other, FIXTURES / "trongrid_TL24LCps")
    for dictionary in ("addresses", "tx_hashes"):
        query = f"SELECT * FROM {dictionary} ORDER BY ref"
        assert other.execute(query).fetchall() == real.execute(query).fetchall()
    # the first batch (the Ethereum transactions' hashes) in hash order
    first = [h for (h,) in real.execute("SELECT hash FROM tx_hashes WHERE chain = 'ethereum' ORDER BY ref").fetchall()]
    assert len(first) > 100 and first == sorted(first)
