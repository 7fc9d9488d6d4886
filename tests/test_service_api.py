"""The HTTP API (`pigtrace serve`) on a simulated, analysed world: its answers are the library's, writes
need a key and go through one writer, reads never wait for an analysis, and bad requests get a 4xx that
names the field."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from fastapi.testclient import TestClient

from pigtrace.cli.common import to_jsonable
from pigtrace.labels.screen import screen
from pigtrace.store.warehouse import connect
from tests.service_world import API_KEY, free_port, service_app

KEY = {"X-API-Key": API_KEY}


@pytest.fixture(scope="module")
def served(analysed_template, tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("PIGTRACE_API_KEYS", API_KEY)
    app, db = service_app(analysed_template[1], tmp_path_factory.mktemp("api"))
    with TestClient(app) as client:
        yield client, app, db
    app.state.warehouse.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _library(db, items, **kw) -> list[dict]:
    con = connect(db, read_only=True)
    try:
        return json.loads(json.dumps(to_jsonable(screen(con, items, **kw))))
    finally:
        con.close()


def test_screening_answers_are_the_librarys(served, analysed_template):
    client, app, _ = served
    con = connect(analysed_template[1], read_only=True)
    flagged = [a for (a,) in con.execute("SELECT DISTINCT address FROM findings ORDER BY 1 LIMIT 60").fetchall()]
    plain = [a for (a,) in con.execute(
        "SELECT address FROM addresses WHERE address NOT IN (SELECT address FROM findings) ORDER BY 1 LIMIT 60").fetchall()]
    con.close()
    odd = ["0x" + "ab" * 20, flagged[0].upper().replace("0X", "0x"), "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
           "  " + plain[0] + " "]
    items = flagged + plain + odd
    expected = _library(analysed_template[1], items)
    got = [client.get(f"/v1/screen/{a.strip()}").json() for a in items]
    for item, want, have in zip(items, expected, got):
        if item != item.strip():
            want["address"] = have["address"]  # a path segment cannot carry the spaces
        assert have == want, item
    batch = client.post("/v1/screen", json={"addresses": items}).json()
    assert batch["results"] == expected
    assert sum(batch["counts"].values()) == len(items) and batch["counts"]["high"] >= 1
    # another hop count goes to the library directly, with the same answer
    assert client.get(f"/v1/screen/{flagged[0]}?hops=1").json() == _library(analysed_template[1], [flagged[0]], hops=1)[0]


def test_bad_requests_get_a_4xx_naming_the_field(served):
    client, _, _ = served
    cases = [
        (client.get("/v1/screen/0xnothex"), 400, "not a recognised address form"),
        (client.get("/v1/screen/" + "a" * 300), 422, "address"),
        (client.get("/v1/screen/0x" + "ab" * 20 + "?hops=9"), 422, "hops"),
        (client.post("/v1/screen", json={"addresses": []}), 422, "addresses"),
        (client.post("/v1/screen", json={"addresses": ["0x" + "ab" * 20] * 1001}), 422, "addresses"),
        (client.post("/v1/screen", json={"addresses": ["x"], "colour": "red"}), 422, "colour"),
        (client.post("/v1/screen", content=b"{not json", headers={"content-type": "application/json"}), 422, ""),
        (client.post("/v1/screen", json={"addresses": ["0x" + "ab" * 20], "chain": "narnia"}), 400, "narnia"),
        (client.get("/v1/findings?limit=0"), 422, "limit"),
        (client.get("/v1/cases/999"), 404, "case 999"),
        (client.get("/v1/cases/abc"), 422, "case_id"),
        (client.get("/v1/trace/0x" + "ab" * 20), 400, "not in the warehouse"),
        (client.get("/v1/trace/0x" + "ab" * 20 + "?method=guess"), 422, "method"),
        (client.get("/v1/addresses/0x" + "ab" * 20 + "/flows"), 404, "not in the warehouse"),
        (client.get("/v1/jobs/77"), 404, "job 77"),
        (client.post("/v1/screen", content=b"x" * 6_000_000, headers={"content-type": "application/json"}), 413,
         "larger than"),
    ]
    for response, status, words in cases:
        body = response.json()
        assert response.status_code == status, (response.request.url, body)
        assert words in body["error"] and "Traceback" not in response.text


def test_writes_need_a_valid_key_and_change_what_reads_see(served):
    client, app, _ = served
    victim = client.get("/v1/findings?role=victim&limit=1").json()["items"][0]["address"]
    assert client.post("/v1/cases", json={"address": victim}).status_code == 401
    assert client.post("/v1/cases", json={"address": victim}, headers={"X-API-Key": API_KEY + "x"}).status_code == 401
    made = client.post("/v1/cases", json={"address": victim}, headers={"Authorization": f"Bearer {API_KEY}"})
    assert made.status_code == 201, made.text
    case = made.json()
    assert case["subject"] == victim and case["loss_usd"] > 0 and case["id"] >= 1
    saved = client.get(f"/v1/cases/{case['id']}").json()
    assert saved["loss_usd"] == case["loss_usd"] and saved["graph"] == case["graph"]
    assert any(c["id"] == case["id"] for c in client.get("/v1/cases").json()["cases"])
    report = client.get(f"/v1/cases/{case['id']}/report?format=html")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert all(p["tx_hash"] in report.text for p in case["payments"] if p.get("tx_hash"))
    stix = client.get(f"/v1/cases/{case['id']}/report?format=stix").json()
    assert stix["type"] == "bundle" and any(o["type"] == "indicator" for o in stix["objects"])

    # a label import is seen by screening as soon as the write returns (the index is rebuilt after it)
    target = client.get("/v1/findings?role=victim&limit=1&offset=1").json()["items"][0]["address"]
    before = client.get(f"/v1/screen/{target}").json()
    pack = (f"title: api test pack\ncreator: tests\nnetwork: ethereum\nlastmod: 2026-12-01\ntags:\n"
            f"  - address: '{target}'\n    label: reported fake trading platform\n    category: scam\n"
            f"    abuse: scam\n    source: a victim's report\n")
    refused = client.post("/v1/labels", json={"tagpack": pack})
    assert refused.status_code == 401
    done = client.post("/v1/labels", json={"tagpack": pack}, headers=KEY)
    assert done.status_code == 201 and done.json() == {"pack": "api test pack", "labels": 1}
    after = client.get(f"/v1/screen/{target}").json()
    assert before["risk"] not in ("high", "severe") and after["risk"] == "high"
    assert any("reported fake trading platform" in r for r in after["reasons"])
    exported = client.get("/v1/labels/packs/api test pack/tagpack")
    assert exported.status_code == 200 and target in exported.text
    broken = client.post("/v1/labels", json={"tagpack": "title: x\ntags:\n  - address: [unclosed\n"}, headers=KEY)
    assert broken.status_code == 400 and "tagpack: line 4: not valid YAML" in broken.json()["error"]
    assert client.get("/v1/labels/packs/api test pack/tagpack").text == pack  # the imported text, as it came


def test_an_analysis_runs_behind_screening(served):
    client, app, _ = served
    job = client.post("/v1/analyses", json={}, headers=KEY)
    assert job.status_code == 202
    job_id = job.json()["id"]
    answered_while_running = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        state = client.get(f"/v1/jobs/{job_id}").json()["state"]
        if state in ("done", "failed"):
            break
        started = time.perf_counter()
        assert client.get("/v1/screen/0x" + "cd" * 20).status_code == 200
        if state == "running" and time.perf_counter() - started < 1.0:
            answered_while_running += 1
    final = client.get(f"/v1/jobs/{job_id}").json()
    assert final["state"] == "done", final
    assert final["result"]["findings"] > 0 and answered_while_running > 0
    assert client.get("/v1/health").json()["latest_analysis"]["id"] == final["result"]["run_id"]


def test_reads_need_a_key_beyond_loopback_and_read_only_refuses_writes(analysed_template, tmp_path, monkeypatch):
    monkeypatch.setenv("PIGTRACE_API_KEYS", API_KEY)
    app, _ = service_app(analysed_template[1], tmp_path, reads_open=False, read_only=True)
    with TestClient(app) as client:
        assert client.get("/v1/health").status_code == 401
        assert client.get("/v1/health", headers=KEY).json()["read_only"] is True
        refused = client.post("/v1/analyses", json={}, headers=KEY)
        assert refused.status_code == 403 and "read-only" in refused.json()["error"]
    app.state.warehouse.close()


def test_short_keys_are_refused(monkeypatch, analysed_template, tmp_path):
    from pigtrace.errors import PigtraceError

    monkeypatch.setenv("PIGTRACE_API_KEYS", "short")
    with pytest.raises(PigtraceError, match="at least 16 characters"):
        service_app(analysed_template[1], tmp_path)


def test_serve_listens_on_loopback_and_answers(analysed_template, tmp_path):
    from tests.cli_run import copy_warehouse

    db = copy_warehouse(analysed_template[1], tmp_path)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pigtrace", "serve", "--db", str(db), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2))
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.3)
        assert health["status"] == "ok" and health["warehouse"] == str(db)
        spec = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=5))
        assert {"/v1/screen", "/v1/screen/{address}", "/v1/cases", "/v1/audit/{address}"} <= set(spec["paths"])
        listening = [c for c in __import__("psutil").Process(proc.pid).net_connections() if c.status == "LISTEN"]
        assert listening and all(c.laddr.ip == "127.0.0.1" for c in listening)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in out
