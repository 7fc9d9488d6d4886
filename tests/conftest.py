"""Shared test fixtures: paths to the real-data fixtures, a fresh warehouse file per test, and the expensive
inputs several modules start from, built once per run and only read afterwards.

pyproject.toml runs the suite on two pytest-xdist workers with --dist loadfile: a module's tests all run
on one worker, so module fixtures are built once; the inputs below are built once for all workers."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

# The slowest modules (seconds of work each, a few tests), dispatched to the workers first so that none
# of them is left to run alone at the end. Only the order changes; a module missing here runs after them.
SLOW_MODULES = ("test_cli_hardening", "test_ingest_hardening", "test_read_only", "test_ingest_kill",
                "test_detect_platform", "test_real_blocks", "test_simulate_knobs", "test_analyze",
                "test_behaviour_only", "test_ingest_rpc_faults", "test_ingest_rpc", "test_detect_launder")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOW_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable: the rest keep their order


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """Folder ``name`` in this run's base temporary folder, made by ``build(folder)`` exactly once: with
    xdist, the first worker to ask builds it while any other waits, then all read it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above the workers' own
    folder = base / name
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder


@pytest.fixture
def warehouse(tmp_path):
    from pigtrace.store.warehouse import connect

    con = connect(tmp_path / "test.duckdb")
    yield con
    con.close()


@pytest.fixture(scope="session")
def analysed_template(tmp_path_factory) -> tuple[Path, Path]:
    """(world folder, warehouse) of a small simulated world, ingested and analysed by the CLI. Shared by the
    whole run: nothing may write to it; a module or test takes its own copy (``cli_run.copy_warehouse``)."""
    from tests.cli_run import analysed_world

    root = built_once(tmp_path_factory, "analysed", analysed_world)
    return root / "world", root / "w.duckdb"


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> Callable[..., tuple[Path, Path]]:
    """``small_world(seed, knobs, chain)``: (world folder, warehouse) of ``cli_run.analysed_small_world``, built
    once per run for each seed, knobs and chain (modules that test the same world share it), and only read."""
    from tests.cli_run import analysed_small_world

    def get(seed: int, vary: tuple[str, ...], chain: str = "ethereum") -> tuple[Path, Path]:
        name = "-".join(["small", chain, str(seed), *(v.replace("=", "_") for v in vary)])
        root = built_once(tmp_path_factory, name, lambda folder: analysed_small_world(folder, seed, vary, chain))
        return root / "world", root / "w.duckdb"

    return get


@pytest.fixture(scope="session")
def big_world(tmp_path_factory) -> Path:
    """A simulated export of about 70,000 transfers, long enough to ingest that a test can interrupt the
    ingest midway. Shared by the whole run and only read."""
    from tests.cli_run import pigtrace

    def build(root: Path) -> None:
        pigtrace("simulate", "--out", str(root / "world"), "--scale", "60000", "--seed", "5", check=True)

    return built_once(tmp_path_factory, "big", build) / "world"


@pytest.fixture(scope="session")
def _scam_world_analysed():
    import duckdb

    from pigtrace.detect.run import analyze
    from tests.test_detect_platform_worlds import findings, scam_world

    led, truth = scam_world()
    con = led.write(duckdb.connect())
    analyze(con)
    yield led, truth, con, findings(con, led)
    con.close()


@pytest.fixture
def scam_world_analysed(_scam_world_analysed):
    """The hand-made fake-platform world (``test_detect_platform_worlds.scam_world()``) as it is, written to
    an in-memory warehouse and analysed by every detector, once per worker: (ledger, truth, connection,
    ledger names found per role). Tests only read the connection; truth and findings are their own copies."""
    import copy

    led, truth, con, got = _scam_world_analysed
    return led, copy.deepcopy(truth), con, copy.deepcopy(got)
