"""`pigtrace evaluate --labels FILE.csv` (and the period and score options shared with --truth): the
counts per role worked out by hand on a small warehouse with findings written directly, the address
forms a labels file may use, and one-line errors naming file, line and field."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from pigtrace.chains.addresses import to_checksum, tron_base58_to_hex
from pigtrace.errors import PigtraceError
from pigtrace.evaluation.common import parse_date
from pigtrace.evaluation.labels_score import evaluate_labels
from pigtrace.simulate.evaluate import evaluate
from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace
from tests.ledger_builder import Ledger

DAY0 = datetime(2024, 1, 1)


def _world(tmp_path):
    """Addresses a..h active on ethereum from day 0 (a, b, c, d) or day 20 (e, f, g, h), one tron address;
    findings written by hand."""
    led = Ledger()
    for i, name in enumerate("abcd"):
        led.transfer("funder", name, 100 + i, at=timedelta(hours=i))
    for i, name in enumerate("efgh"):
        led.transfer("late_funder", name, 100 + i, at=timedelta(days=20, hours=i))
    led.transfer("funder", "late_funder", 1000, at=timedelta(days=19))
    tron = Ledger("tron")
    tron.transfer("tron_funder", "t", 50)
    con = connect(tmp_path / "w.duckdb")
    led.write(con)
    tron.write(con)
    A = {n: led.addr(n) for n in ["a", "b", "c", "d", "e", "f", "g", "h", "funder", "late_funder"]}
    A["t"] = tron.addr("t")
    rows = [
        (A["a"], "scam_collection", 0.9),   # labelled scam_collection: TP
        (A["b"], "scam_collection", 0.4),   # labelled normal: FP (only at min score <= 0.4)
        (A["c"], "victim", 0.8),            # labelled scam_collection, flagged victim: FP victim, FN collection
        (A["d"], "laundering", 0.7),        # labelled scam_operator: FP laundering, FN operator, TP scam_any
        (A["e"], "victim", 0.9),            # labelled victim: TP
        (A["funder"], "scam_operator", 0.9),      # unlabelled, first seen day 0
        (A["late_funder"], "cash_out", 0.9),      # unlabelled, first seen day 19 (funder paid it)
        (A["g"], "scam_collection", 0.9),   # unlabelled, first seen day 20
    ]
    con.executemany("INSERT INTO findings (chain, address, role, typology, score) VALUES ('ethereum', ?, ?, 'x', ?)", rows)
    con.execute("INSERT INTO findings (chain, address, role, typology, score) VALUES ('tron', ?, 'scam_collection', 'x', 0.9)",
                [A["t"]])
    return con, A


def _labels(tmp_path, A, extra: str = "") -> str:
    body = (
        "address,label\n"
        f"{to_checksum(A['a'])},scam_collection\n"       # EIP-55 form, normalised
        f"{A['b'].upper().replace('0X', '0x')},normal\n"  # upper-case hex
        f"{A['c']},scam_collection\n"
        f"{A['d']},scam_operator\n"
        f"{A['e']},victim\n"
        f"{A['f']},normal\n"
        f"0x{'9' * 40},scam_collection\n"               # not in the ledger: a miss
        f"{A['a']},scam_collection\n"                    # the same again: one row
    ) + extra
    path = tmp_path / "labels.csv"
    path.write_text(body)
    return str(path)


def _row(result, role):
    return next(r for r in result["roles"] if r["role"] == role)


def _counts(row):
    return tuple(row[k] for k in ("truth", "found", "tp", "fp", "fn", "unlabelled_flagged"))


def test_counts_per_role_by_hand(tmp_path):
    con, A = _world(tmp_path)
    res = evaluate_labels(con, _labels(tmp_path, A))
    assert (res["labelled"], res["scored"], res["scored_in_ledger"]) == (7, 7, 6)
    assert res["scored_by_label"] == {"normal": 2, "scam_collection": 3, "scam_operator": 1, "victim": 1}
    #                                              truth found tp fp fn unlabelled
    assert _counts(_row(res, "scam_collection")) == (3, 2, 1, 1, 2, 1)  # g on ethereum; tron's t not counted
    assert _counts(_row(res, "victim")) == (1, 2, 1, 1, 0, 0)
    assert _counts(_row(res, "scam_operator")) == (1, 0, 0, 0, 1, 1)
    assert _counts(_row(res, "laundering")) == (0, 1, 0, 1, 0, 0)
    assert _counts(_row(res, "cash_out")) == (0, 0, 0, 0, 0, 1)
    # scam_any: a (TP), b (FP, labelled normal), d (TP) flagged with a scam-side role; c and e only as victims
    assert _counts(_row(res, "scam_any")) == (4, 3, 2, 1, 2, 3)
    assert _counts(_row(res, "all")) == (5, 5, 2, 3, 3, 3)
    sc = _row(res, "scam_collection")
    assert (sc["precision"], sc["recall"], sc["f1"]) == (0.5, pytest.approx(0.3333, abs=1e-4), pytest.approx(0.4, abs=1e-4))
    assert _row(res, "cash_out")["precision"] is None


def test_min_score_and_period(tmp_path):
    con, A = _world(tmp_path)
    path = _labels(tmp_path, A)
    res = evaluate_labels(con, path, min_score=0.5)
    assert _counts(_row(res, "scam_collection")) == (3, 1, 1, 0, 2, 1)  # b's 0.4 finding left out
    # first seen from day 10 on: e, f, g only (labelled e and f; g unlabelled); the missing address is undatable
    res = evaluate_labels(con, path, since=DAY0 + timedelta(days=10))
    assert res["scored_by_label"] == {"normal": 1, "victim": 1}
    assert _counts(_row(res, "scam_collection")) == (0, 0, 0, 0, 0, 1)
    assert _counts(_row(res, "victim")) == (1, 1, 1, 0, 0, 0)
    assert _row(res, "scam_operator")["unlabelled_flagged"] == 0  # funder was first seen on day 0
    res = evaluate_labels(con, path, until=DAY0 + timedelta(days=10))
    assert res["scored_by_label"] == {"normal": 1, "scam_collection": 2, "scam_operator": 1}
    assert (_row(res, "scam_operator")["unlabelled_flagged"], _row(res, "cash_out")["unlabelled_flagged"]) == (1, 0)
    assert _row(res, "scam_collection")["unlabelled_flagged"] == 0


def test_chain_column_and_tron_forms(tmp_path):
    con, A = _world(tmp_path)
    hex41 = tron_base58_to_hex(A["t"])
    path = tmp_path / "l.csv"
    path.write_text(f"Label,Chain,Address,note\nscam_collection,tron,{hex41},x\nnormal,,{A['a'][2:]}0,y\n")
    with pytest.raises(PigtraceError, match=r"l\.csv: line 3: field address: .* not an EVM"):
        evaluate_labels(con, path)
    path.write_text(f"Label,Chain,Address,note\nscam_collection,tron,{hex41},x\nnormal,ethereum,{A['a'][2:]},y\n"
                    f"normal,,{A['b']},z\n")
    res = evaluate_labels(con, path)
    # the tron finding counts now (the file names tron); a and b are labelled normal; g is unlabelled
    assert _counts(_row(res, "scam_collection")) == (1, 3, 1, 2, 0, 1)
    # unlabelled with a scam-side role: funder, late_funder, g and d (c is only a victim)
    assert _counts(_row(res, "scam_any")) == (1, 3, 1, 2, 0, 4)
    assert res["scored_by_label"] == {"normal": 2, "scam_collection": 1}


@pytest.mark.parametrize("body, where", [
    ("address,role\n0x" + "1" * 40 + ",normal\n", "line 1: missing column 'label'"),
    ("address,label\n0x" + "1" * 40 + ",normal\n0x" + "2" * 40 + ",scammer\n", "line 3: field label: 'scammer'"),
    ("address,label\n\n0x" + "1" * 40 + ",normal\n0x" + "2" * 39 + ",normal\n", "line 4: field address"),
    ("address,label\n,normal\n", "line 2: field address: empty"),
    ("address,label,chain\n0x" + "1" * 40 + ",normal,solana\n", "line 2: field chain: unknown chain 'solana'"),
    ("address,label\nbc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh,normal\n", "line 2: field address"),
    ("address,label\n0x8589427373D6D84E98730D7795D8f6f8731FDA17,normal\n", "line 2: field address: .*checksum"),
    ("address,label\n0x" + "1" * 40 + ",normal\n0x" + "a" * 40 + ",victim\n0X" + "A" * 40 + ",normal\n",
     "line 4: field label: 0x" + "a" * 40 + " is labelled 'normal' here but 'victim' on line 3"),
    ("address,label\n0x" + "1" * 40 + ",normal,extra\n", "not a readable CSV"),
    ("address,label\n", "no labelled addresses"),
])
def test_bad_rows_are_named(tmp_path, body, where):
    con, _ = _world(tmp_path)
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(PigtraceError, match=where) as e:
        evaluate_labels(con, path)
    assert str(e.value).startswith(str(path)) and "\n" not in str(e.value)


def test_truth_mode_period_and_min_score(tmp_path):
    con, A = _world(tmp_path)
    truth = {"chain": "ethereum", "rings": [],
             "roles": [{"address": A["a"], "role": "scam_collection"}, {"address": A["e"], "role": "victim"},
                       {"address": A["h"], "role": "victim"}]}
    full = evaluate(con, truth)
    assert (_row(full, "victim")["tp"], _row(full, "victim")["fp"], _row(full, "victim")["fn"]) == (1, 1, 1)
    late = evaluate(con, truth, since=DAY0 + timedelta(days=10))
    assert _row(late, "scam_collection")["truth"] == 0 and _row(late, "scam_collection")["fp"] == 1  # g only
    assert (_row(late, "victim")["tp"], _row(late, "victim")["fp"], _row(late, "victim")["fn"]) == (1, 0, 1)
    early = evaluate(con, truth, until=DAY0 + timedelta(days=10), min_score=0.5)
    assert (_row(early, "scam_collection")["tp"], _row(early, "scam_collection")["fp"]) == (1, 0)
    assert _row(early, "all")["truth"] == 1


def test_cli_labels_table_csv_json_and_option_errors(tmp_path):
    con, A = _world(tmp_path)
    path = _labels(tmp_path, A)
    con.close()
    db = str(tmp_path / "w.duckdb")
    out = pigtrace("evaluate", "--labels", path, "--db", db, "-f", "csv", check=True).stdout.splitlines()
    assert out[0] == "role,truth,found,tp,fp,fn,precision,recall,f1,unlabelled_flagged"
    assert [line.split(",")[0] for line in out[1:]] == ["victim", "scam_collection", "scam_operator", "laundering",
                                                        "cash_out", "scam_any", "all"]
    assert out[2] == "scam_collection,3,2,1,1,2,0.5,0.3333,0.4,1"
    res = json.loads(pigtrace("evaluate", "--labels", path, "--db", db, "--since", "2024-01-10", "-f", "json",
                              check=True).stdout)[0]
    assert res["since"].startswith("2024-01-10") and res["scored"] == 2
    table = pigtrace("evaluate", "-l", path, "--db", db, check=True).stdout
    assert "7 of 7 labelled addresses scored" in table
    for args, msg in [((), "exactly one of --truth"), (("--labels", path, "--truth", path), "exactly one of --truth"),
                      (("--labels", path, "--since", "2024-02-30"), "--since '2024-02-30': not an ISO date"),
                      (("--labels", path, "--since", "2024-02-01", "--until", "2024-01-01"), "is not before --until"),
                      (("--labels", str(tmp_path / "missing.csv")), "missing.csv: cannot read")]:
        proc = pigtrace("evaluate", *args, "--db", db)
        assert proc.returncode != 0 and msg in proc.stderr, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1


def test_parse_date():
    assert parse_date("2018-01-01", "--since") == datetime(2018, 1, 1)
    assert parse_date("2018-01-01T06:00:00+02:00", "--since") == datetime(2018, 1, 1, 4)
    assert parse_date(None, "--since") is None
