"""Detectors as stages: the plan comes from what each stage declares it reads and writes (a missing
producer or a cycle is an error naming the table), any valid order gives the same findings, each
detector's findings are stored on their own, and `analyze --only ID` replaces only that detector's rows."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pigtrace.detect.base import Detector, Stage
from pigtrace.detect.plan import plan
from pigtrace.detect.registry import DETECTORS, STAGES
from pigtrace.detect.run import analyze, stage_tables
from pigtrace.errors import PigtraceError
from tests.cli_run import pigtrace
from tests.test_detect_platform_worlds import scam_world


@pytest.fixture(scope="module")
def analysed_file(tmp_path_factory):
    """The scam world written to a warehouse file and analysed once: (ledger, file, the run's summary)."""
    led, _truth = scam_world()
    path = tmp_path_factory.mktemp("stages") / "w.duckdb"
    con = led.write(duckdb.connect(str(path)))
    summary = analyze(con)
    con.close()
    return led, path, summary


@pytest.fixture
def analysed(analysed_file, tmp_path):
    """(ledger, connection to this test's own copy of the analysed warehouse, the first run's summary)."""
    led, path, summary = analysed_file
    shutil.copy(path, tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield led, con, summary
    con.close()


def _findings(con) -> list[tuple]:
    return con.execute("SELECT * EXCLUDE (run_id) FROM findings ORDER BY chain, address, role").fetchall()


def _rows(con, detector: str) -> list[tuple]:
    return con.execute("SELECT * EXCLUDE (run_id) FROM detector_findings WHERE detector = ? ORDER BY chain, seq",
                       [detector]).fetchall()


def test_plan_runs_every_writer_before_its_readers():
    order = plan(STAGES)
    pos = {s.id: i for i, s in enumerate(order)}
    assert set(pos) == {s.id for s in STAGES}
    for s in order:
        for table in s.reads:
            writers = [w for w in STAGES if table in w.writes]
            assert all(pos[w.id] < pos[s.id] for w in writers), (s.id, table)
    # every detector declares the findings it writes, and only shared stages write pt_ tables
    for d in DETECTORS:
        assert d.writes == (f"findings:{d.id}",), d.id
    # asking for one detector plans it and what it reads, nothing else
    only = [s.id for s in plan(STAGES, wanted=[d for d in DETECTORS if d.id == "poisoning"])]
    assert only == ["flow_services", "eoas", "token_info", "poisoning"] or set(only) == {
        "flow_services", "token_info", "poisoning"}


@pytest.mark.parametrize("detector", [d.id for d in DETECTORS])
def test_each_detector_runs_on_what_it_declares(detector, analysed):
    """With the findings it reads stored, `--only` runs a detector after exactly the shared stages its own
    reads plan: reading a table it did not declare would fail (the table is missing) or build it itself
    (the runner refuses); and it finds what it found in the full run."""
    _led, con, _summary = analysed
    before, rows = _findings(con), _rows(con, detector)
    steps: list[str] = []
    summary = analyze(con, only=[detector], progress=steps.append)
    assert summary["ran"] == [detector]
    shared = {s.id for s in STAGES if not issubclass(s, Detector)}
    wanted = {t for t in next(d for d in DETECTORS if d.id == detector).reads}
    ran_stages = {step.split()[1] for step in steps if step.startswith("stage ")}
    assert ran_stages == {s.id for s in plan(STAGES, wanted=[d for d in DETECTORS if d.id == detector],
                                             available=[t for t in wanted if t.startswith("findings:")])} & shared
    assert _rows(con, detector) == rows and _findings(con) == before


def test_a_table_nobody_writes_is_an_error_naming_it():
    class Orphan(Detector):
        id = "orphan"
        reads = ("transfers", "pt_nowhere")
        writes = ("findings:orphan",)

    with pytest.raises(PigtraceError, match=r"'orphan' reads 'pt_nowhere', which no stage writes"):
        plan([*STAGES, Orphan])


def test_a_cycle_is_an_error_naming_its_tables():
    class A(Stage):
        id = "a"
        reads = ("pt_b",)
        writes = ("pt_a",)

    class B(Stage):
        id = "b"
        reads = ("pt_a",)
        writes = ("pt_b",)

    with pytest.raises(PigtraceError, match=r"cycle: .*'pt_b'.*'pt_a'|cycle: .*'pt_a'.*'pt_b'"):
        plan([A, B])

    class Twin(Stage):
        id = "twin"
        writes = ("pt_a",)

    with pytest.raises(PigtraceError, match=r"'pt_a' is written by both 'a' and 'twin'"):
        plan([A, B, Twin])


def test_any_valid_order_gives_the_same_findings():
    led, _truth = scam_world()
    first = led.write(duckdb.connect())
    analyze(first)
    other = led.write(duckdb.connect())
    reverse = [s.id for s in plan(STAGES, last_first=True)]
    assert reverse != [s.id for s in plan(STAGES)]
    analyze(other, order=reverse)
    assert _findings(first) == _findings(other) and _findings(first)
    # an order that runs a reader before its writer is refused
    bad = [s.id for s in plan(STAGES)]
    bad.remove("laundering")
    bad.insert(bad.index("screening_hits"), "laundering")
    with pytest.raises(PigtraceError, match="'laundering' runs before"):
        analyze(led.write(duckdb.connect()), order=bad)


def test_analyze_twice_gives_identical_findings(analysed):
    _led, con, _summary = analysed
    before = _findings(con)
    rows = con.execute("SELECT * EXCLUDE (run_id) FROM detector_findings ORDER BY ALL").fetchall()
    analyze(con)
    assert _findings(con) == before
    assert con.execute("SELECT * EXCLUDE (run_id) FROM detector_findings ORDER BY ALL").fetchall() == rows


def _rounded(rows: list[tuple]) -> list[tuple]:
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in rows]


def test_a_script_reads_a_shared_stages_tables_as_analyze_computes_them():
    """The collection model's training reads the features through stage_tables: the rows analyze scores, and
    nothing of the analysis left behind (the training script once went stale when analyze began to read
    the ledger through its own copy)."""
    led, _truth = scam_world()
    con = led.write(duckdb.connect())
    seen: dict[str, list[tuple]] = {}

    def keep_features(step: str) -> None:
        if step == "detector collection_evidence":
            seen["analyze"] = con.execute("SELECT * FROM pt_cf ORDER BY chain, address").fetchall()

    analyze(con, progress=keep_features)
    with stage_tables(con, "collection_scores") as ctx:
        assert ctx.con is con
        rows = con.execute("SELECT * FROM pt_cf ORDER BY chain, address").fetchall()
    assert len(rows) > 10 and _rounded(rows) == _rounded(seen["analyze"])
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM transfers").fetchone()[0] == len(led.transfers)
    with pytest.raises(PigtraceError, match="no shared stage 'fake_platform'.*collection_scores"):
        with stage_tables(con, "fake_platform"):
            pass


def _label_a_scam(led, con) -> str:
    """Label a wallet the ledger shows being paid as a scam address (changes the labels, so every stored
    detector is stale)."""
    payee = led.addr("ln_mule0")
    con.execute("""INSERT INTO labels (chain, address, label, source, confidence, category, concepts, pack, origin)
                   VALUES ('ethereum', ?, 'reported scam wallet', 'test', 'high', 'scam', ['scam', 'pig_butchering'],
                           'late-pack', 'user')""", [payee])
    return payee


def test_only_replaces_that_detectors_findings(analysed):
    led, con, full = analysed
    assert full["ran"] == [d.id for d in DETECTORS]
    others = {d.id: _rows(con, d.id) for d in DETECTORS if d.id != "screening_hits"}
    assert not _rows(con, "screening_hits")
    payee = _label_a_scam(led, con)
    summary = analyze(con, only=["screening_hits"])
    assert summary["ran"] == ["screening_hits"] and summary["reused"] == []
    assert "laundering" in summary["stale"]  # its stored rows predate the new label
    assert {d: _rows(con, d) for d in others} == others
    assert (payee, "scam_collection") in {(r[3], r[4]) for r in _rows(con, "screening_hits")}
    # findings combine the new rows with everyone else's
    roles = {(a, r) for a, r in con.execute("SELECT address, role FROM findings").fetchall()}
    assert (payee, "scam_collection") in roles
    assert all(typ in {r[0] for r in con.execute("SELECT typology FROM findings").fetchall()}
               for typ in ("fake_platform", "laundering", "mule_deposit"))


def test_only_a_flow_detector_reuses_what_it_reads_when_fresh_and_reruns_it_when_stale(analysed):
    led, con, _summary = analysed
    before = _findings(con)
    summary = analyze(con, only=["mule_deposit"])
    assert summary["ran"] == ["mule_deposit"]
    assert {"fake_platform", "laundering", "victim_fed_laundering"} <= set(summary["reused"])
    assert _findings(con) == before  # nothing changed, so the same findings
    _label_a_scam(led, con)
    summary = analyze(con, only=["laundering"])
    # laundering reads the four scam detectors' findings: stale after the label, so they run again
    reads = next(d for d in DETECTORS if d.id == "laundering").reads
    assert summary["ran"] == [d.id for d in DETECTORS if f"findings:{d.id}" in reads] + ["laundering"]
    assert {"gas_funder", "mule_deposit"} <= set(summary["stale"])


def test_only_on_a_new_warehouse_runs_what_it_reads_and_writes_those():
    led, truth = scam_world()
    con = led.write(duckdb.connect())
    summary = analyze(con, only=["mule_deposit"])
    assert "fake_platform" in summary["ran"] and "otc_cash_out" not in summary["ran"]
    assert {r[0] for r in con.execute("SELECT address FROM findings WHERE role = 'cash_out'").fetchall()} == {
        led.addr(m) for m in truth["mules"]}
    assert not con.execute("SELECT count(*) FROM detector_findings WHERE detector = 'otc_cash_out'").fetchone()[0]


def test_findings_of_an_older_pigtrace_make_only_run_everything(tmp_path):
    from pigtrace.store.warehouse import connect

    led, _truth = scam_world()
    con = led.write(connect(tmp_path / "w.duckdb"))
    analyze(con)
    before = _findings(con)
    for table in ("detector_findings", "detector_runs", "prices"):  # as a warehouse of an older pigtrace
        con.execute(f"DROP TABLE {table}")
    con.close()
    con = connect(tmp_path / "w.duckdb")  # opening it for writing adds the new tables
    summary = analyze(con, only=["poisoning"])
    assert summary["ran"] == [d.id for d in DETECTORS]
    assert _findings(con) == before


def test_cli_detectors_lists_reads_and_writes():
    import json

    listing = json.loads(pigtrace("detectors", "--format", "json", check=True).stdout)
    by_id = {d["id"]: d for d in listing}
    assert "findings:fake_platform" in by_id["laundering"]["reads"]
    assert by_id["laundering"]["writes"] == "findings:laundering"
    assert by_id["flow_services"]["kind"] == "stage" and "pt_value" in by_id["flow_services"]["writes"]
    table = pigtrace("detectors", check=True).stdout
    assert "findings_read" in table and "laundering" in table


def test_evidence_amount_is_the_display_amount_with_raw_and_decimals(analysed):
    import json
    from decimal import Decimal

    _led, con, _summary = analysed
    items = [e for (ev,) in con.execute("SELECT evidence FROM findings").fetchall() for e in json.loads(ev)]
    with_raw = [e for e in items if e.get("raw") is not None and e.get("amount") != "unlimited"]
    assert len(with_raw) > 20
    for e in with_raw:
        assert "decimals" in e, e
        assert Decimal(e["amount"]) == Decimal(e["raw"]).scaleb(-e["decimals"]), e


def test_an_analysis_of_one_chain_replaces_only_that_chains_rows():
    from tests.ledger_builder import Ledger

    led, _truth = scam_world()
    con = led.write(duckdb.connect())
    tron = Ledger("tron")
    tron.label("tron_scam", "reported scam wallet", "scam", concepts=["scam", "pig_butchering"])
    tron.transfer("tron_victim", "tron_scam", 900)
    tron.write(con)
    analyze(con)
    both = _findings(con)
    assert {r[0] for r in both} == {"ethereum", "tron"}
    eth = [r for r in both if r[0] == "ethereum"]
    summary = analyze(con, chain="tron")
    assert summary["ran"] == [d.id for d in DETECTORS]
    assert _findings(con) == both
    assert [r for r in _findings(con) if r[0] == "ethereum"] == eth
    scopes = con.execute("SELECT DISTINCT scope FROM detector_runs").fetchall()
    assert scopes == [("tron",)]
    # nothing is stored for all chains now: a later --only over all chains runs every detector once
    summary = analyze(con, only=["laundering"])
    assert summary["ran"] == [d.id for d in DETECTORS] and _findings(con) == both
