"""Parquet export and re-ingest: the canonical tables round-trip exactly, idempotently."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from pigtrace.errors import IngestError
from pigtrace.ingest.etl import ingest_etl
from pigtrace.ingest.parquet import export_parquet, ingest_parquet
from pigtrace.ingest.trongrid import ingest_trongrid
from pigtrace.store.schema import CANONICAL
from pigtrace.store.warehouse import connect
from tests.conftest import FIXTURES


def _all(con):
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in CANONICAL}


def test_round_trip(warehouse, tmp_path):
    ingest_etl(warehouse, FIXTURES / "etl_mainnet_17173049")
    ingest_trongrid(warehouse, FIXTURES / "trongrid_TL24LCps")
    written = export_parquet(warehouse, tmp_path / "pq")
    assert written["transfers"] == 433
    other = connect(tmp_path / "other.duckdb")
    assert ingest_parquet(other, tmp_path / "pq")["transfers"] == 433
    assert _all(other) == _all(warehouse)
    assert set(ingest_parquet(other, tmp_path / "pq").values()) == {0}
    assert _all(other) == _all(warehouse)


def test_spark_style_part_folders(warehouse, tmp_path):
    ingest_etl(warehouse, FIXTURES / "etl_mainnet_17173049")
    export_parquet(warehouse, tmp_path / "pq")
    table = pq.read_table(tmp_path / "pq" / "transfers.parquet")
    parts = tmp_path / "spark" / "transfers"
    parts.mkdir(parents=True)
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), parts / "part-00000.parquet")
    pq.write_table(table.slice(half), parts / "part-00001.parquet")
    other = connect(tmp_path / "other.duckdb")
    assert ingest_parquet(other, tmp_path / "spark") == {"transfers": table.num_rows}


def test_missing_column_is_named(warehouse, tmp_path):
    ingest_etl(warehouse, FIXTURES / "etl_mainnet_17173049")
    export_parquet(warehouse, tmp_path / "pq")
    path = tmp_path / "pq" / "transfers.parquet"
    pq.write_table(pq.read_table(path).drop(["initiator"]), path)
    other = connect(tmp_path / "other.duckdb")
    with pytest.raises(IngestError, match=r"transfers\.parquet: missing column\(s\) initiator"):
        ingest_parquet(other, tmp_path / "pq")
    assert sum(len(v) for v in _all(other).values()) == 0  # the tables before it were rolled back too
