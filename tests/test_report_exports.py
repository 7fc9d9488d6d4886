"""Exports for other tools, from the session's simulated, analysed world: a case's STIX 2.1 bundle and the
findings' (they validate with stix2 and parse back the same), the case's flow graph as GraphML (networkx reads
the same nodes, edges and amounts), the case's TagPack, and findings, cases and rings in `export parquet`."""

from __future__ import annotations

import json

import pytest

from tests.cli_run import copy_warehouse, pigtrace


@pytest.fixture(scope="module")
def world(tmp_path_factory, analysed_template):
    """(warehouse, saved case): the case of the victim with the most payments, saved by `pigtrace case`."""
    import duckdb

    _world, db = analysed_template
    db = copy_warehouse(db, tmp_path_factory.mktemp("exports"))
    con = duckdb.connect(str(db), read_only=True)
    victim = con.execute(
        """SELECT f.address FROM findings f JOIN transfers t ON t.from_address = f.address AND t.chain = f.chain
           WHERE f.role = 'victim' GROUP BY f.address ORDER BY count(*) DESC, f.address LIMIT 1""").fetchone()[0]
    con.close()
    case = json.loads(pigtrace("case", victim, "--db", str(db), "-f", "json", check=True).stdout)
    assert case["id"] == 1 and case["graph"]["edges"]
    return db, case


def _parse(text: str):
    import stix2

    return stix2.parse(text, allow_custom=False)


def test_case_stix_bundle_validates_and_parses_back(world, tmp_path):
    db, case = world
    out = tmp_path / "case.stix.json"
    pigtrace("report", "1", "--format", "stix", "--out", str(out), "--db", str(db), check=True)
    bundle = _parse(out.read_text())
    again = _parse(bundle.serialize())
    assert [o.id for o in again.objects] == [o.id for o in bundle.objects]
    by_type: dict[str, list] = {}
    for o in bundle.objects:
        by_type.setdefault(o.type, []).append(o)
    assert len(by_type["identity"]) == 1 and len(by_type["campaign"]) == 1
    source = by_type["identity"][0].id
    assert all(o.created_by_ref == source for o in bundle.objects if o.type != "identity")
    patterns = {o.pattern for o in by_type["indicator"]}
    for w in case["collection_wallets"] + case["laundering"]:
        assert f"[cryptocurrency-wallet:value = '{w['address']}']" in patterns
    victims = {case["subject"]} | {v["address"] for v in case["co_victims"]}
    assert not any(v in p for v in victims for p in patterns)  # victims are never indicators
    ids = {o.id for o in bundle.objects}
    assert all(r.source_ref in ids and r.target_ref in ids and r.relationship_type == "indicates"
               for r in by_type["relationship"])
    assert len(by_type["relationship"]) == len(by_type["indicator"])
    assert all("pig-butchering" in o.labels or "drainer" in o.labels for o in by_type["indicator"])


def test_findings_stix_bundle(world, tmp_path):
    import duckdb

    db, _case = world
    out = tmp_path / "findings.stix.json"
    pigtrace("findings", "--format", "stix", "--out", str(out), "--db", str(db), check=True)
    bundle = _parse(out.read_text())
    con = duckdb.connect(str(db), read_only=True)
    scam = {a for (a,) in con.execute("SELECT DISTINCT address FROM findings WHERE role <> 'victim'").fetchall()}
    victims = {a for (a,) in con.execute("SELECT address FROM findings WHERE role = 'victim'").fetchall()} - scam
    rings = con.execute("SELECT count(DISTINCT (chain, ring)) FROM rings").fetchone()[0]
    con.close()
    patterns = [o.pattern for o in bundle.objects if o.type == "indicator"]
    wallets = {p.split("'")[1] for p in patterns if p.startswith("[cryptocurrency-wallet")}
    assert scam <= wallets and not (victims & wallets)
    assert any(p.startswith("[domain-name:value = ") for p in patterns)  # the block lists' pig-butchering sites
    assert sum(o.type == "campaign" for o in bundle.objects) == rings
    from pigtrace.report.stix import bundle_text, findings_bundle

    con = duckdb.connect(str(db), read_only=True)
    again = _parse(bundle_text(findings_bundle(con)))
    con.close()
    assert [o.id for o in again.objects] == [o.id for o in bundle.objects]  # made twice: the same ids


def test_graphml_loads_in_networkx_with_the_case_graph(world, tmp_path):
    import networkx as nx

    db, case = world
    out = tmp_path / "case.graphml"
    pigtrace("report", "1", "--format", "graphml", "--out", str(out), "--db", str(db), check=True)
    g = nx.read_graphml(out)
    assert g.is_directed()
    assert g.number_of_nodes() == len(case["graph"]["nodes"])
    assert g.number_of_edges() == len(case["graph"]["edges"])
    for n in case["graph"]["nodes"]:
        assert g.nodes[n["id"]]["role"] == n["role"]
    for e in case["graph"]["edges"]:
        got = g.edges[e["from"], e["to"]]
        assert got["usd"] == e["usd"] and got["transfers"] == e["transfers"]
    assert sum(d["usd"] for _a, _b, d in g.edges(data=True)) == pytest.approx(sum(e["usd"] for e in case["graph"]["edges"]))


def test_case_tagpack_reads_back(world, tmp_path):
    from pigtrace.labels.tagpack import read_tagpack

    db, case = world
    out = tmp_path / "case.yaml"
    pigtrace("report", "1", "--format", "tagpack", "--out", str(out), "--db", str(db), check=True)
    name, rows = read_tagpack(out)
    assert name == "pigtrace-case-1"
    got = {r["address"]: r for r in rows}
    ring = {w["address"] for w in case["collection_wallets"] + case["laundering"] + case["operators"]}
    assert ring <= set(got)
    assert {c["address"] for c in case["cash_out"] if c["kind"] == "exchange_deposit"} <= set(got)
    assert not ({case["subject"]} | {v["address"] for v in case["co_victims"]}) & (set(got) - ring)
    for w in case["collection_wallets"]:
        assert got[w["address"]]["concepts"] == ["pig_butchering", "collection_wallet"]
        assert json.loads(got[w["address"]]["context"])["case"] == 1


def test_export_parquet_has_findings_cases_and_rings(world, tmp_path):
    import duckdb
    import pyarrow.parquet as pq

    db, _case = world
    out = tmp_path / "tables"
    pigtrace("export", "parquet", str(out), "--db", str(db), check=True)
    con = duckdb.connect(str(db), read_only=True)
    for table in ("findings", "cases", "rings"):
        t = pq.read_table(out / f"{table}.parquet")
        assert t.num_rows == con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0
    body = pq.read_table(out / "cases.parquet").column("body").to_pylist()[0]
    assert json.loads(body)["subject"] == _case["subject"]
    con.close()


def test_explorer_links_per_chain():
    from pigtrace.chains.registry import address_url, tx_url

    h = "0x" + "ab" * 32
    assert tx_url("ethereum", h) == f"https://etherscan.io/tx/{h}"
    assert tx_url("tron", h) == f"https://tronscan.org/#/transaction/{'ab' * 32}"  # Tronscan takes hashes without 0x
    assert address_url("tron", "TJaGqiPBzFmHVsKkSzQ1KeUm9s6DfumC6s") == \
        "https://tronscan.org/#/address/TJaGqiPBzFmHVsKkSzQ1KeUm9s6DfumC6s"
    assert tx_url("nochain", h) is None
