"""`pigtrace ingest rpc` against nodes that misbehave: unreachable, narrow eth_getLogs limits, refusals even
for one block, dying mid-run, transient failures, garbage answers, no batch support, reorganisations.

A real anvil serves the chain; a local proxy on 127.0.0.1 (tests/evm_node.py) injects each fault.
"""

from __future__ import annotations

import json

import pytest

from pigtrace.errors import IngestError
from pigtrace.ingest.rpc import ingest_rpc
from pigtrace.ingest.rpc_client import RpcClient
from pigtrace.store.schema import CANONICAL
from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace
from tests.evm_node import DROP, Anvil, RpcProxy, free_port, log_range, play_story


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    with Anvil() as node:
        yield play_story(node.url, tmp_path_factory.mktemp("solc"))


@pytest.fixture(scope="module")
def reference(story, tmp_path_factory):
    """The canonical tables after a clean ingest of the whole story."""
    con = connect(str(tmp_path_factory.mktemp("ref") / "ref.duckdb"))
    ingest_rpc(con, story.url, 0, story.last_block)
    yield contents(con)
    con.close()


def contents(con, extra: tuple[str, ...] = ()) -> dict[str, list]:
    return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in (*CANONICAL, *extra)}


def everything(con) -> dict[str, list]:
    return contents(con, ("rpc_checkpoints", "ingest_log"))


def quick(url: str) -> RpcClient:
    """A client that gives up fast, so fault tests do not wait through production backoff."""
    return RpcClient(url, retries=2, backoff=0.01)


def test_unreachable_node_is_one_line_and_leaves_the_warehouse_alone(story, tmp_path):
    db = str(tmp_path / "w.duckdb")
    con = connect(db)
    ingest_rpc(con, story.url, 0, 3)  # something already stored
    before = everything(con)
    con.close()

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    run = pigtrace("ingest", "rpc", dead, "--from-block", "0", "--to-block", "9", "--db", db)
    assert run.returncode != 0
    message = run.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert dead in message and "unreachable" in message and "blocks 0-9" in message
    con = connect(db)
    assert everything(con) == before


@pytest.mark.parametrize(
    "refusal",
    [
        {"code": -32005, "message": "query returned more than 10000 results"},
        {"code": -32602, "message": "invalid params: exceed maximum block range: 2"},
        {"code": -32000, "message": "block range too large"},
    ],
)
def test_narrow_node_gets_halved_ranges(story, reference, tmp_path, refusal):
    rule = lambda call: refusal if (log_range(call) or 0) > 2 else None  # noqa: E731
    with RpcProxy(story.url, rule=rule) as proxy:
        con = connect(str(tmp_path / "w.duckdb"))
        added = ingest_rpc(con, proxy.url, 0, story.last_block, batch_size=8)
        widths = [log_range({"method": "eth_getLogs", "params": p}) for p in proxy.methods("eth_getLogs")]
    assert contents(con) == reference
    assert added["approvals"] == 1 and added["transfers"] == len(reference["transfers"])
    assert max(widths) == 8 and min(widths) <= 2  # refused wide, answered narrow
    assert widths.count(8) == 1  # the second chunk starts from the width that worked


def test_node_refusing_even_one_block_fails_clearly_and_writes_nothing(story, tmp_path):
    db = str(tmp_path / "w.duckdb")
    con = connect(db)
    ingest_rpc(con, story.url, 0, 3)
    before = everything(con)
    con.close()

    refuse = lambda call: {"code": -32005, "message": "query returned more than 10000 results"} if log_range(call) else None  # noqa: E731
    with RpcProxy(story.url, rule=refuse) as proxy:
        run = pigtrace("ingest", "rpc", proxy.url, "--from-block", "2", "--to-block", "9", "--db", db)
    assert run.returncode != 0
    message = run.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert proxy.url in message and "even for the single block 2" in message
    assert "blocks 2-9 not written" in message and "resume at block 2" in message
    con = connect(db)
    assert everything(con) == before


def test_interrupted_run_resumes_at_its_checkpoint(story, reference, tmp_path):
    chunk_requests = []

    def dies_after_two_chunks(n, request):
        if isinstance(request, list) and any(c["method"] == "eth_getBlockByNumber" for c in request):
            chunk_requests.append(n)
        return DROP if len(chunk_requests) > 2 else None  # from the third chunk on, every connection drops

    con = connect(str(tmp_path / "w.duckdb"))
    with RpcProxy(story.url, hold=dies_after_two_chunks) as proxy:
        with pytest.raises(IngestError) as failed:
            ingest_rpc(con, proxy.url, 0, story.last_block, batch_size=3, client=quick(proxy.url))
        assert "blocks 6-8 not written; blocks 0-5 are stored" in str(failed.value)
        assert "resume at block 6" in str(failed.value)
        assert con.execute("SELECT max(number) FROM blocks").fetchone()[0] == 5
        assert con.execute("SELECT next_block FROM rpc_checkpoints").fetchone()[0] == 6
        assert con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 0

        proxy.hold = None  # the node is back, at the same URL
        proxy.calls.clear()
        added = ingest_rpc(con, proxy.url, 0, story.last_block, batch_size=3)
        asked = sorted(int(p[0], 16) for p in proxy.methods("eth_getBlockByNumber"))
    assert asked == list(range(6, story.last_block + 1))  # nothing before the checkpoint read again
    assert added["blocks"] == story.last_block + 1 - 6
    assert contents(con) == reference
    assert con.execute("SELECT location FROM ingest_log").fetchone()[0].endswith("(resumed at block 6)")


def test_transient_failures_are_retried(story, reference, tmp_path):
    faults = {2: (503, {}, b"busy"), 3: DROP, 4: (429, {"Retry-After": "0"}, b"slow down"), 6: (502, {}, b"")}
    rate_limited = []

    def flaky_getlogs(call):  # one JSON-RPC-level rate-limit error, then fine
        if call["method"] == "eth_getLogs" and not rate_limited:
            rate_limited.append(call)
            return {"code": 429, "message": "Too Many Requests"}
        return None

    with RpcProxy(story.url, rule=flaky_getlogs, hold=lambda n, req: faults.get(n)) as proxy:
        con = connect(str(tmp_path / "w.duckdb"))
        ingest_rpc(con, proxy.url, 0, story.last_block, batch_size=4, client=RpcClient(proxy.url, backoff=0.01))
        assert proxy.requests >= 4 + len(faults)
    assert rate_limited
    assert contents(con) == reference


def test_persistent_server_errors_give_up_with_the_url(story, tmp_path):
    with RpcProxy(story.url, hold=lambda n, req: (503, {}, b"down for maintenance") if n > 1 else None) as proxy:
        con = connect(str(tmp_path / "w.duckdb"))
        with pytest.raises(IngestError, match=rf"{proxy.url}: no usable answer after 3 tries \(last: HTTP 503\)"):
            ingest_rpc(con, proxy.url, 0, story.last_block, client=quick(proxy.url))
    assert all(not rows for rows in contents(con).values())


def html(n, request):
    return 200, {"Content-Type": "text/html"}, b"<html><body>Welcome to nginx!</body></html>"


def hashes_only(call, result):
    if call["method"] == "eth_getBlockByNumber" and result and result["transactions"]:
        return dict(result, transactions=[t["hash"] for t in result["transactions"]])
    return result


def bad_sender(call, result):
    if call["method"] == "eth_getBlockByNumber" and result and result["transactions"]:
        return dict(result, transactions=[dict(t, **{"from": "0xnot-an-address"}) for t in result["transactions"]])
    return result


@pytest.mark.parametrize(
    "fault, expected",
    [
        ({"hold": html}, r"answered HTTP 200 \(text/html\) '<html>.*which is not JSON-RPC"),
        ({"mangle": hashes_only}, r"blocks 0-\d+: the node answered transaction records that are not JSON objects"),
        ({"hold": lambda n, req: (401, {}, b"invalid project id")}, r"HTTP 401 \(not authorised\); check the API key"),
        ({"mangle": bad_sender}, r"blocks 0-\d+: transaction 0x[0-9a-f]{64}: field from is '0xnot-an-address', "
                                 r"expected a 20-byte hex address"),
    ],
)
def test_garbage_answers_fail_clearly_and_write_nothing(story, tmp_path, fault, expected):
    with RpcProxy(story.url, **fault) as proxy:
        con = connect(str(tmp_path / "w.duckdb"))
        with pytest.raises(IngestError, match=expected) as failed:
            ingest_rpc(con, proxy.url, 0, story.last_block, client=quick(proxy.url))
    assert proxy.url in str(failed.value) and "\n" not in str(failed.value)
    assert all(not rows for rows in everything(con).values())


@pytest.mark.parametrize("limit, message", [(1, "batch requests are not supported"), (7, "batch limit exceeded")])
def test_node_with_small_or_no_batches_gets_smaller_requests(story, reference, tmp_path, limit, message):
    sizes = []

    def limited(n, request):
        size = len(request) if isinstance(request, list) else 1
        if isinstance(request, list) and size > limit:
            body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}
            return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()
        sizes.append(size)
        return None

    with RpcProxy(story.url, hold=limited) as proxy:
        con = connect(str(tmp_path / "w.duckdb"))
        ingest_rpc(con, proxy.url, 0, story.last_block, batch_size=5)
    assert contents(con) == reference
    assert max(sizes) <= limit and max(sizes) >= limit // 2


def test_batch_replies_in_any_order_are_matched_by_id(story, reference, tmp_path):
    def reversed_replies(n, request):
        replies = proxy.forward(request)
        if isinstance(replies, list):
            replies = replies[::-1]
        return 200, {"Content-Type": "application/json"}, json.dumps(replies).encode()

    with RpcProxy(story.url, hold=reversed_replies) as proxy:
        con = connect(str(tmp_path / "w.duckdb"))
        ingest_rpc(con, proxy.url, 0, story.last_block, batch_size=5)
    assert contents(con) == reference


def test_reorganisation_during_a_fetch_is_read_again(story, reference, tmp_path):
    moved = []

    def stale_log_once(call, result):
        if call["method"] == "eth_getLogs" and result and not moved:
            moved.append(call)
            return [dict(result[0], blockHash="0x" + "ab" * 32)] + result[1:]
        return result

    with RpcProxy(story.url, mangle=stale_log_once) as proxy:
        con = connect(str(tmp_path / "w.duckdb"))
        ingest_rpc(con, proxy.url, 0, story.last_block, batch_size=50)
        fetched_block_0 = [p for p in proxy.methods("eth_getBlockByNumber") if p[0] == "0x0"]
    assert moved and len(fetched_block_0) == 2
    assert contents(con) == reference


def test_chain_that_keeps_moving_is_an_error(story, tmp_path):
    always_stale = lambda call, result: (  # noqa: E731
        [dict(log, blockHash="0x" + "ab" * 32) for log in result] if call["method"] == "eth_getLogs" else result
    )
    with RpcProxy(story.url, mangle=always_stale) as proxy:
        con = connect(str(tmp_path / "w.duckdb"))
        with pytest.raises(IngestError, match=r"changed while being read .*blocks 0-\d+ not written"):
            ingest_rpc(con, proxy.url, 0, story.last_block)
    assert all(not rows for rows in everything(con).values())
