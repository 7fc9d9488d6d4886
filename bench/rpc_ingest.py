"""RPC ingest benchmark: blocks/s and token transfers/s for `pigtrace ingest rpc` against a local anvil.

Starts anvil on 127.0.0.1 (npm @foundry-rs/anvil), deploys the test token (tests/contracts/PigToken.sol,
compiled with npm solc), and with automining off fills --blocks blocks with --per-block token transfers each
(plus one native payment and one approval per block) from anvil's ten unlocked accounts, then mines a few
hundred empty blocks. It then measures, on a fresh warehouse file: the fetch alone (batched JSON-RPC + JSON
decoding, nothing written) and the full `ingest_rpc` (fetch, staging, decoding, merging, checkpoints).
Usage: python bench/rpc_ingest.py [--blocks 40] [--per-block 100] [--empty 400] [--batch-size 50]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pigtrace.ingest.evm_logs import create_raw_tables, load_staged  # noqa: E402
from pigtrace.ingest.rpc import ingest_rpc  # noqa: E402
from pigtrace.ingest.rpc_client import RpcClient  # noqa: E402
from pigtrace.ingest.rpc_fetch import ChunkFetcher  # noqa: E402
from pigtrace.ingest.rpc_stage import stage_chunk  # noqa: E402
from pigtrace.store.warehouse import atomic, connect  # noqa: E402
from tests.evm_node import Anvil, pig_token, rpc, rpc_batch  # noqa: E402

TRANSFER_SELECTOR = "a9059cbb"
APPROVE_SELECTOR = "095ea7b3"


def call_data(selector: str, address: str, amount: int) -> str:
    return "0x" + selector + address[2:].lower().rjust(64, "0") + format(amount, "064x")


def receipt(url: str, tx: str) -> dict:
    for _ in range(200):
        got = rpc(url, "eth_getTransactionReceipt", [tx])
        if got:
            return got
        time.sleep(0.02)
    raise RuntimeError(f"{tx} was not mined")


def fill_chain(url: str, blocks: int, per_block: int, empty: int, workdir: Path) -> dict:
    """Deploy the token, spread it over anvil's accounts, then mine ``blocks`` busy blocks and ``empty`` empty ones."""
    rng = random.Random(7)
    accounts = rpc(url, "eth_accounts")[:10]
    token_bin = pig_token(workdir).bytecode
    # constructor("Bench", "BNCH", 6, 10**15) ABI-encoded after the creation code
    from eth_abi import encode

    args = encode(["string", "string", "uint8", "uint256"], ["Bench", "BNCH", 6, 10**15]).hex()
    deploy = rpc(url, "eth_sendTransaction", [{"from": accounts[0], "data": token_bin + args, "gas": hex(3_000_000)}])
    token = receipt(url, deploy)["contractAddress"]
    rpc(url, "evm_setAutomine", [False])  # from here on, blocks are mined on request
    # anvil serves a batch's calls concurrently: explicit nonces keep each account's transactions apart
    nonces = {a: int(rpc(url, "eth_getTransactionCount", [a, "pending"]), 16) for a in accounts}

    def send(sender: str, **tx) -> tuple[str, list]:
        nonces[sender] += 1
        return ("eth_sendTransaction", [{"from": sender, "nonce": hex(nonces[sender] - 1), "gas": hex(80_000), **tx}])

    rpc_batch(url, [send(accounts[0], to=token, data=call_data(TRANSFER_SELECTOR, a, 10**13)) for a in accounts[1:]])
    rpc(url, "evm_mine")
    first_busy = int(rpc(url, "eth_blockNumber"), 16) + 1
    recipients = ["0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40)) for _ in range(500)]
    for _ in range(blocks):
        calls = [send(rng.choice(accounts), to=token,
                      data=call_data(TRANSFER_SELECTOR, rng.choice(recipients), rng.randrange(1, 10**9)))
                 for _ in range(per_block)]
        calls.append(send(accounts[1], to=rng.choice(recipients), value=hex(10**15)))
        calls.append(send(accounts[2], to=token, data=call_data(APPROVE_SELECTOR, accounts[3], 2**256 - 1)))
        rpc_batch(url, calls)
        rpc(url, "evm_mine")
    rpc(url, "evm_setAutomine", [True])
    if empty:
        rpc(url, "anvil_mine", [hex(empty)])
    head = int(rpc(url, "eth_blockNumber"), 16)
    return {"first_busy": first_busy, "head": head, "token": token.lower()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocks", type=int, default=40, help="busy blocks (default 40)")
    ap.add_argument("--per-block", type=int, default=100, help="token transfers per busy block (default 100)")
    ap.add_argument("--empty", type=int, default=400, help="empty blocks mined after the busy ones (default 400)")
    ap.add_argument("--batch-size", type=int, default=50, help="blocks per chunk (default 50)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp, Anvil() as node:
        t0 = time.perf_counter()
        chain = fill_chain(node.url, args.blocks, args.per_block, args.empty, Path(tmp))
        print(f"chain: {chain['head'] + 1} blocks ({args.blocks} busy x {args.per_block} token transfers), "
              f"built in {time.perf_counter() - t0:.1f} s")
        head = chain["head"]

        fetcher = ChunkFetcher(RpcClient(node.url))
        t0 = time.perf_counter()
        chunks = [fetcher.fetch(a, min(a + args.batch_size - 1, head)) for a in range(0, head + 1, args.batch_size)]
        fetch_s = time.perf_counter() - t0
        fetched_logs = sum(len(c.logs) for c in chunks)

        con = connect(str(Path(tmp) / "write.duckdb"))
        t0 = time.perf_counter()
        for chunk in chunks:
            with atomic(con):
                create_raw_tables(con)
                stage_chunk(con, chunk, node.url)
                load_staged(con, "ethereum")
        write_s = time.perf_counter() - t0
        written = con.execute("SELECT count(*) FROM transfers WHERE kind = 'erc20'").fetchone()[0]
        con.close()

        con = connect(str(Path(tmp) / "bench.duckdb"))
        t0 = time.perf_counter()
        added = ingest_rpc(con, node.url, 0, head, batch_size=args.batch_size)
        total_s = time.perf_counter() - t0
        token_transfers = con.execute("SELECT count(*) FROM transfers WHERE kind = 'erc20'").fetchone()[0]
        t0 = time.perf_counter()
        busy_last = chain["first_busy"] + args.blocks - 1
        busy_con = connect(str(Path(tmp) / "busy.duckdb"))
        ingest_rpc(busy_con, node.url, chain["first_busy"], busy_last, batch_size=args.batch_size)
        busy = time.perf_counter() - t0
        busy_transfers = busy_con.execute("SELECT count(*) FROM transfers WHERE kind = 'erc20'").fetchone()[0]

    blocks = head + 1
    print(f"rows added: {added}")
    print(f"fetch only     : {blocks / fetch_s:10,.0f} blocks/s  ({fetched_logs} logs, {fetch_s:.2f} s; the node's pace)")
    print(f"write only     : {blocks / write_s:10,.0f} blocks/s  {written / write_s:10,.0f} token transfers/s  "
          f"(staging, decoding, merging of the fetched chunks, {write_s:.2f} s)")
    print(f"ingest, all    : {blocks / total_s:10,.0f} blocks/s  {token_transfers / total_s:10,.0f} token transfers/s  "
          f"({blocks} blocks, {token_transfers} token transfers, {total_s:.2f} s)")
    print(f"ingest, busy   : {args.blocks / busy:10,.0f} blocks/s  {busy_transfers / busy:10,.0f} token transfers/s  "
          f"({args.blocks} blocks x ~{args.per_block + 2} txs, {busy:.2f} s)")
    print("(local anvil over HTTP on a shared 2-core machine; a remote node adds its round-trip time per chunk)")


if __name__ == "__main__":
    main()
