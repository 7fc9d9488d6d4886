"""Shared test fixtures: paths to the real-data fixtures and a fresh warehouse file per test."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def warehouse(tmp_path):
    from pigtrace.store.warehouse import connect

    con = connect(tmp_path / "test.duckdb")
    yield con
    con.close()
