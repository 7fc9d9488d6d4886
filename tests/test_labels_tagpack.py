"""TagPack YAML: validation errors that name file, line, tag and field; export and re-import without loss."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pigtrace.cli import app
from pigtrace.labels.shipped import ensure_loaded
from pigtrace.labels.store import list_packs, pack_rows, replace_pack
from pigtrace.labels.tagpack import TagPackError, read_tagpack, write_tagpack
from pigtrace.store.warehouse import connect

GOOD = """\
title: my-case-42
creator: analyst@example.org
description: wallets from one victim report
is_public: false
source: https://example.org/case/42
confidence: forensic
lastmod: 2025-03-01
tags:
  - label: Fake platform deposit wallet
    address: TJaGqiPBzFmHVsKkSzQ1KeUm9s6DfumC6s
    network: TRX
    category: scam
    abuse: pig_butchering
    concepts: [pig_butchering, collection_wallet]
    actor: fake-platform-x
    tx_hash: '0xabc'
    is_cluster_definer: true
    context: '{"note": "victim paid 3 times"}'
  - label: Consolidation wallet
    address: '0x2B639ab21e8404B8da81F50089D3377054Ea7ecF'
    currency: ETH
    concepts: [pig_butchering]
    lastmod: 2025-04-02
"""


def _write(tmp_path: Path, text: str, name="pack.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_header_defaults_and_canonical_addresses(tmp_path):
    name, rows = read_tagpack(_write(tmp_path, GOOD))
    assert name == "my-case-42"
    first, second = rows
    assert first["chain"] == "tron" and first["confidence"] == "forensic"
    assert first["source"] == "https://example.org/case/42" and first["lastmod"] == date(2025, 3, 1)
    assert first["is_cluster_definer"] is True and first["tx_hash"] == "0xabc"
    assert second["chain"] == "ethereum" and second["address"] == "0x2b639ab21e8404b8da81f50089d3377054ea7ecf"
    assert second["lastmod"] == date(2025, 4, 2)  # a tag's own field beats the header's


@pytest.mark.parametrize("change, field, words", [
    (("confidence: forensic", "confidence: pretty_sure"), "confidence", "unknown level 'pretty_sure'"),
    (("    network: TRX", "    network: NOPE"), "network", "unknown network 'NOPE'"),
    (("address: TJaGqiPBzFmHVsKkSzQ1KeUm9s6DfumC6s", "address: TJaGqiPBzFmHVsKkSzQ1KeUm9s6DfumC6t"), "address",
     "checksum"),
    (("concepts: [pig_butchering, collection_wallet]", "concepts: [pig_butchering, romance]"), "concepts",
     "'romance' is not a concept"),
    (("    category: scam", "    category: baddies"), "category", "'baddies' is not in the taxonomy"),
    (("    actor: fake-platform-x", "    colour: red"), "colour", "is not a TagPack tag field"),
    (("    is_cluster_definer: true", "    is_cluster_definer: maybe"), "is_cluster_definer", "true or false"),
])
def test_validation_errors_name_file_line_tag_and_field(tmp_path, change, field, words):
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(TagPackError) as e:
        read_tagpack(path)
    msg = str(e.value)
    assert str(path) in msg
    assert "line 9 tag 1 (label 'Fake platform deposit wallet')" in msg
    assert f"field '{field}'" in msg and words in msg


def test_missing_fields_and_bad_yaml(tmp_path):
    text = GOOD.replace("  - label: Consolidation wallet\n", "  - actor: nobody\n")
    with pytest.raises(TagPackError) as e:
        read_tagpack(_write(tmp_path, text))
    assert "tag 2 (label None): field 'label' is missing" in str(e.value)
    with pytest.raises(TagPackError) as e:
        read_tagpack(_write(tmp_path, "title: x\ncreator: y\ntags:\n  - label: [unclosed\n", "bad.yaml"))
    assert "bad.yaml: line" in str(e.value) and "not valid YAML" in str(e.value)
    with pytest.raises(TagPackError) as e:
        read_tagpack(_write(tmp_path, "title: x\ntags: []\n", "nocreator.yaml"))
    assert "header: field 'creator' is missing" in str(e.value)


def _all_rows(con, pack):
    rows = pack_rows(con, pack)
    for r in rows:
        r.pop("origin")
        r["concepts"] = sorted(r["concepts"] or [])
    return rows


def test_export_and_reimport_round_trip_without_loss(tmp_path):
    con = connect(":memory:")
    ensure_loaded(con)
    _, rows = read_tagpack(_write(tmp_path, GOOD))
    replace_pack(con, "my-case-42", rows)
    packs = ["my-case-42", "ofac-sdn", "sophos-pig-butchering", "forta-etherscan-malicious"]
    out = tmp_path / "export"
    out.mkdir()
    for p in packs:
        write_tagpack(out / f"{p}.yaml", p, pack_rows(con, p))
    fresh = connect(":memory:")
    for p in packs:
        name, back = read_tagpack(out / f"{p}.yaml")
        assert name == p
        replace_pack(fresh, name, back)
        assert _all_rows(fresh, p) == _all_rows(con, p), p
    assert len(_all_rows(fresh, "ofac-sdn")) == 750


def test_cli_import_export_list(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "w.duckdb")
    src = _write(tmp_path, GOOD)
    out = runner.invoke(app, ["labels", "import", str(src), "--db", db, "-f", "json"])
    assert out.exit_code == 0, out.output
    assert '"labels": 2' in out.stdout
    out = runner.invoke(app, ["labels", "list", "--db", db, "-f", "csv"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert any(line.startswith("my-case-42,user,2,") for line in lines)
    assert any(line.startswith("ofac-sdn,shipped,750,") for line in lines)
    target = tmp_path / "mine.yaml"
    out = runner.invoke(app, ["labels", "export", str(target), "--db", db])
    assert out.exit_code == 0, out.output
    name, rows = read_tagpack(target)
    assert name == "my-case-42" and len(rows) == 2
    # a broken file is refused as a whole, with the reason on stderr and a non-zero exit
    bad = _write(tmp_path, GOOD.replace("network: TRX", "network: NOPE"), "bad.yaml")
    out = runner.invoke(app, ["labels", "import", str(src), str(bad), "--db", db])
    assert out.exit_code != 0
    assert "bad.yaml" in out.output and "field 'network'" in out.output
    con = connect(db, read_only=True)
    assert [p["labels"] for p in list_packs(con) if p["pack"] == "my-case-42"] == [2]


def test_cli_import_merges_files_into_one_pack(tmp_path):
    a = _write(tmp_path, GOOD, "a.yaml")
    b = _write(tmp_path, GOOD.replace("Consolidation wallet", "Second hop wallet"), "b.yaml")
    db = str(tmp_path / "w.duckdb")
    out = CliRunner().invoke(app, ["labels", "import", str(a), str(b), "--pack", "merged", "--db", db, "-f", "csv"])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[1].endswith(",merged,3")  # the shared tag collapses, the two others stay
    con = connect(db, read_only=True)
    assert {r["label"] for r in pack_rows(con, "merged")} == {"Fake platform deposit wallet", "Consolidation wallet",
                                                               "Second hop wallet"}


EVERY_FIELD = """\
title: every-field
creator: analyst@example.org
description: a pack that sets every TagPack field
is_public: true
confidence: forensic
lastmod: 2025-03-01
tags:
  - label: Fake platform deposit wallet
    address: 0x2B639ab21e8404B8da81F50089D3377054Ea7ecF
    source: https://example.org/case/42
    currency: ETH
    category: scam
    abuse: pig_butchering
    concepts: [pig_butchering, collection_wallet]
    actor: fake-platform-x
    tx_hash: 0x9f1c4a3c0e1d2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978877665544332211aabb
    lastmod: 2025-04-02
    is_cluster_definer: true
    context: '{"note": "victim paid 3 times"}'
  - label: Tron collection wallet
    address: TJaGqiPBzFmHVsKkSzQ1KeUm9s6DfumC6s
    source: https://example.org/case/43
    network: TRX
    confidence: authority_data
    category: perpetrator
    abuse: approval_phishing
    concepts: [approval_phishing]
    actor: drainer-kit-y
    tx_hash: abcdef
    is_cluster_definer: false
    context: '{"note": "second report"}'
"""


def test_unquoted_hex_is_read_as_text(tmp_path):
    _, rows = read_tagpack(_write(tmp_path, EVERY_FIELD))
    evm = rows[0]
    assert evm["address"] == "0x2b639ab21e8404b8da81f50089d3377054ea7ecf" and evm["chain"] == "ethereum"
    assert evm["tx_hash"] == "0x9f1c4a3c0e1d2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978877665544332211aabb"  # not an integer
    from pigtrace.labels.tagpack import load_yaml

    assert load_yaml("n: 12\nh: 0x1f\n") == {"n": 12, "h": "0x1f"}  # other integers read as before


def test_an_address_read_as_a_number_says_how_to_fix_it(tmp_path):
    path = _write(tmp_path, GOOD.replace("address: TJaGqiPBzFmHVsKkSzQ1KeUm9s6DfumC6s", "address: 1234567"))
    with pytest.raises(TagPackError) as e:
        read_tagpack(path)
    msg = str(e.value)
    assert str(path) in msg and "line 9 tag 1" in msg and "field 'address'" in msg
    assert "quote the address" in msg


def test_every_field_round_trips_through_import_and_export(tmp_path):
    from pigtrace.labels.tagpack import load_yaml

    runner = CliRunner()
    db = str(tmp_path / "w.duckdb")
    src = _write(tmp_path, EVERY_FIELD)
    assert runner.invoke(app, ["labels", "import", str(src), "--db", db]).exit_code == 0
    out = tmp_path / "back.yaml"
    got = runner.invoke(app, ["labels", "export", str(out), "--pack", "every-field", "--db", db])
    assert got.exit_code == 0, got.output
    assert load_yaml(out.read_text()) == load_yaml(EVERY_FIELD)  # every field, creator and description included
    assert out.read_text() == EVERY_FIELD  # the file as imported, byte for byte
    assert read_tagpack(out) == read_tagpack(src)


def test_a_renamed_or_merged_pack_keeps_its_header_and_every_tag_field(tmp_path):
    from pigtrace.labels.tagpack import load_yaml

    runner = CliRunner()
    db = str(tmp_path / "w.duckdb")
    src = _write(tmp_path, EVERY_FIELD)
    assert runner.invoke(app, ["labels", "import", str(src), "--pack", "renamed", "--db", db]).exit_code == 0
    out = tmp_path / "back.yaml"
    assert runner.invoke(app, ["labels", "export", str(out), "--pack", "renamed", "--db", db]).exit_code == 0
    doc, orig = load_yaml(out.read_text()), load_yaml(EVERY_FIELD)
    for field in ("title", "creator", "description", "is_public"):
        assert doc[field] == orig[field], field
    assert sorted(read_tagpack(out, "renamed")[1], key=str) == sorted(read_tagpack(src, "renamed")[1], key=str)
