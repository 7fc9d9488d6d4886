"""`pigtrace ingest rpc` against a real anvil node: an approval drain played on chain, then ingested.

The node runs for the whole module; the story is played once and only read afterwards, every test
ingests into its own warehouse under tmp_path.
"""

from __future__ import annotations

import json

import pytest

from tests.evm_node import UNLIMITED, Anvil, RpcProxy, play_story
from pigtrace.errors import IngestError
from pigtrace.ingest.rpc import ingest_rpc
from pigtrace.ingest.rpc_client import public_url
from pigtrace.store.schema import CANONICAL
from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    with Anvil() as node:
        yield play_story(node.url, tmp_path_factory.mktemp("solc"))


def contents(con) -> dict[str, list]:
    return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in CANONICAL}


def test_cli_ingest_shows_the_drain_and_is_idempotent(story, tmp_path):
    db = str(tmp_path / "w.duckdb")
    run = pigtrace("ingest", "rpc", story.url, "--from-block", "0", "--to-block", str(story.last_block), "--db", db,
              "--format", "json")
    assert run.returncode == 0, run.stderr
    added = {r["table"]: r["rows_added"] for r in json.loads(run.stdout)}
    assert added["blocks"] == story.last_block + 1
    assert added["approvals"] == 1 and added["tokens"] == 1

    con = connect(db)
    approval = con.execute(
        "SELECT owner, spender, token, unlimited, amount_text, initiator FROM approvals WHERE tx_hash = ?",
        [story.approve_tx],
    ).fetchone()
    assert approval == (story.victim, story.spender, story.token, True, str(UNLIMITED), story.victim)

    drain = con.execute(
        "SELECT from_address, to_address, initiator, amount, token, kind FROM transfers WHERE tx_hash = ?",
        [story.drain_tx],
    ).fetchall()
    assert drain == [(story.victim, story.collector, story.spender, story.drained, story.token, "erc20")]

    received = con.execute(
        "SELECT sum(amount) FROM transfers WHERE token = ? AND to_address = ? AND from_address = ?",
        [story.token, story.victim, story.deployer],
    ).fetchone()[0]
    assert received == story.funding + story.interest == story.drained

    native = con.execute(
        "SELECT from_address, to_address, amount, log_index FROM transfers WHERE tx_hash = ? AND token = 'native'",
        [story.native_tx],
    ).fetchall()
    assert native == [(story.victim, story.payee, story.native, -1)]

    # the reverted call carried ETH: its transaction is stored with status 0, and no transfer comes from it
    assert con.execute("SELECT status, value FROM transactions WHERE hash = ?", [story.reverted_tx]).fetchone() == (0, 10**17)
    assert con.execute("SELECT count(*) FROM transfers WHERE tx_hash = ?", [story.reverted_tx]).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM transactions WHERE status IS DISTINCT FROM 1").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM transfers WHERE time IS NULL OR initiator IS NULL").fetchone()[0] == 0
    token = con.execute("SELECT symbol, name, decimals, total_supply FROM tokens WHERE address = ?", [story.token]).fetchone()
    assert token == ("PUSD", "Pig USD", 6, str(1_000_000 * 10**6))
    before = contents(con)
    con.close()

    again = pigtrace("ingest", "rpc", story.url, "--from-block", "0", "--to-block", str(story.last_block), "--db", db,
                "--format", "json")
    assert again.returncode == 0, again.stderr
    assert all(r["rows_added"] == 0 for r in json.loads(again.stdout))
    con = connect(db)
    assert contents(con) == before
    assert con.execute("SELECT count(*) FROM ingest_log WHERE source = 'rpc'").fetchone()[0] == 2


def test_chunk_size_does_not_change_what_is_stored(story, tmp_path):
    stored = []
    for batch in (2, 50):
        con = connect(str(tmp_path / f"b{batch}.duckdb"))
        reported = []
        ingest_rpc(con, story.url, 0, story.last_block, batch_size=batch,
                   progress=lambda last, added: reported.append((last, added["blocks"])))
        lasts = [min(b + batch - 1, story.last_block) for b in range(0, story.last_block + 1, batch)]
        assert reported == [(last, last + 1) for last in lasts]  # blocks 0..last committed after each chunk
        stored.append(contents(con))
        assert con.execute("SELECT from_block, to_block, next_block FROM rpc_checkpoints").fetchall() == [
            (0, story.last_block, story.last_block + 1)
        ]
    assert stored[0] == stored[1]
    assert len(stored[0]["transfers"]) == 6  # the mint, 3 transfers, the drain, the native payment


def test_part_of_a_range_then_the_rest_equals_the_whole(story, tmp_path):
    whole = connect(str(tmp_path / "whole.duckdb"))
    ingest_rpc(whole, story.url, 0, story.last_block)
    parts = connect(str(tmp_path / "parts.duckdb"))
    middle = story.last_block // 2
    ingest_rpc(parts, story.url, 0, middle)
    ingest_rpc(parts, story.url, middle + 1, story.last_block)
    assert contents(parts) == contents(whole)


def test_node_without_block_receipts_gets_transaction_receipts(story, tmp_path):
    lacks = lambda call: (  # noqa: E731
        {"code": -32601, "message": "the method eth_getBlockReceipts does not exist/is not available"}
        if call["method"] == "eth_getBlockReceipts" else None
    )
    direct = connect(str(tmp_path / "direct.duckdb"))
    ingest_rpc(direct, story.url, 0, story.last_block, batch_size=4)
    with RpcProxy(story.url, rule=lacks) as proxy:
        con = connect(str(tmp_path / "proxied.duckdb"))
        ingest_rpc(con, proxy.url, 0, story.last_block, batch_size=4)
        asked_block_receipts = len(proxy.methods("eth_getBlockReceipts"))
        asked_tx_receipts = len(proxy.methods("eth_getTransactionReceipt"))
    assert asked_block_receipts == 4  # the first chunk only: the fallback holds for the rest of the run
    assert asked_tx_receipts == con.execute("SELECT count(*) FROM transactions").fetchone()[0]
    assert contents(con) == contents(direct)


def test_api_key_in_the_url_is_not_stored(story, tmp_path):
    key = "0123456789abcdef0123456789abcdef"
    with RpcProxy(story.url) as proxy:
        con = connect(str(tmp_path / "w.duckdb"))
        ingest_rpc(con, f"{proxy.url}/v3/{key}", 0, 2)
        stored = con.execute("SELECT url FROM rpc_checkpoints").fetchone()[0]
        logged = con.execute("SELECT location FROM ingest_log").fetchone()[0]
    assert stored == f"{proxy.url}/v3/***"
    assert key not in logged and "/v3/***" in logged
    assert public_url("https://user:pw@node.example:8545/rpc?key=abc") == "https://node.example:8545/rpc"


def test_wrong_chain_is_refused_before_anything_is_written(story, tmp_path):
    con = connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(IngestError, match=r"chain id 1, but --chain bsc is chain id 56.*nothing written"):
        ingest_rpc(con, story.url, 0, story.last_block, chain="bsc")
    assert all(not rows for rows in contents(con).values())


def test_range_beyond_the_head_is_refused(story, tmp_path):
    con = connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(IngestError, match=rf"--to-block {story.last_block + 5} is beyond the node's latest block "
                                          rf"{story.last_block}"):
        ingest_rpc(con, story.url, 0, story.last_block + 5)
    with pytest.raises(IngestError, match="is before --from-block"):
        ingest_rpc(con, story.url, 5, 2)
    assert all(not rows for rows in contents(con).values())


def test_token_without_metadata_gets_a_row_with_nulls(story, tmp_path):
    no_symbol = lambda call: (  # noqa: E731
        {"code": 3, "message": "execution reverted"}
        if call["method"] == "eth_call" and call["params"][0]["data"] in ("0x95d89b41", "0x313ce567") else None
    )
    with RpcProxy(story.url, rule=no_symbol) as proxy:
        con = connect(str(tmp_path / "w.duckdb"))
        added = ingest_rpc(con, proxy.url, 0, story.last_block, batch_size=3)
        asked = len(proxy.methods("eth_call"))
    assert added["tokens"] == 1 and asked == 4  # asked once, in the chunk that first saw the token
    assert con.execute("SELECT address, symbol, name, decimals FROM tokens").fetchall() == [
        (story.token, None, "Pig USD", None)
    ]


@pytest.mark.parametrize(
    "raw, text",
    [
        ("0x" + "20".rjust(64, "0") + "4".rjust(64, "0") + "55534454".ljust(64, "0"), "USDT"),  # ABI string
        ("0x" + "4d4b52".ljust(64, "0"), "MKR"),  # bytes32, as old tokens answer
        ("0x", None),
        ("0x" + "20".rjust(64, "0") + "ff".rjust(64, "0"), None),  # length beyond the data: nothing readable
    ],
)
def test_token_text_decoding(raw, text):
    from pigtrace.ingest.rpc_tokens import _result, _text

    assert _text(_result(raw)) == text
