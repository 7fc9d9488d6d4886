"""Real EVM tooling for the tests and the RPC benchmark: a local anvil node, the solc-js compiler, and a
small JSON-RPC proxy on 127.0.0.1 whose misbehaviour a test chooses (narrow eth_getLogs limits, errors,
dying mid-run, garbage answers).

anvil and solcjs come from the npm packages in package.json (`make test` puts node_modules/.bin on PATH;
the repository's node_modules/.bin is used otherwise).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import requests

REPO = Path(__file__).resolve().parent.parent
CONTRACTS = Path(__file__).resolve().parent / "contracts"


def node_tool(name: str) -> str:
    """Path of an npm-installed tool (anvil, solcjs); a clear failure when `npm install` has not run."""
    local = REPO / "node_modules" / ".bin" / name
    found = shutil.which(name) or (str(local) if local.exists() else None)
    if not found:
        raise RuntimeError(f"{name} not found: run `npm install` in {REPO} (or `make test`)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rpc(url: str, method: str, params: list | None = None) -> Any:
    reply = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout=30).json()
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def rpc_batch(url: str, calls: list[tuple[str, list]]) -> list[Any]:
    body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    replies = sorted(requests.post(url, json=body, timeout=60).json(), key=lambda r: r["id"])
    errors = [r["error"] for r in replies if "error" in r]
    if errors:
        raise RuntimeError(f"{len(errors)} call(s) failed, first: {errors[0]}")
    return [r["result"] for r in replies]


class Anvil:
    """An anvil process on 127.0.0.1 with a free port; chain id 1 so it passes as `--chain ethereum`."""

    def __init__(self, chain_id: int = 1, extra_args: list[str] | None = None):
        for attempt in range(3):  # a free port can be taken by another process before anvil binds it
            try:
                self._start(chain_id, extra_args or [])
                return
            except RuntimeError:
                if attempt == 2:
                    raise

    def _start(self, chain_id: int, extra_args: list[str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [node_tool("anvil"), "--host", "127.0.0.1", "--port", str(self.port), "--chain-id", str(chain_id),
                "--silent", *extra_args]
        self._log = tempfile.TemporaryFile()  # a file, not a pipe: a chatty node never blocks on it
        # own process group: the npm wrapper starts the real binary as its child, both must go at stop()
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                rpc(self.url, "eth_blockNumber")
                return
            except (requests.ConnectionError, ValueError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self._log.seek(0)
                    err = self._log.read().decode(errors="replace")
                    self.stop()
                    raise RuntimeError(f"anvil did not start on {self.url}: {err[:300]}")
                time.sleep(0.05)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._log.close()

    def __enter__(self) -> "Anvil":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Compiled:
    abi: list
    bytecode: str


def compile_contract(source: Path, name: str, out_dir: Path) -> Compiled:
    """Compile ``source`` with solc-js and return contract ``name``'s ABI and creation bytecode."""
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([node_tool("solcjs"), "--bin", "--abi", "--optimize", "-o", str(out_dir), str(source)],
                   check=True, capture_output=True, cwd=source.parent, timeout=120)
    (abi,) = out_dir.glob(f"*{name}.abi")
    (bin_,) = out_dir.glob(f"*{name}.bin")
    return Compiled(json.loads(abi.read_text()), "0x" + bin_.read_text().strip())


# ---- a JSON-RPC proxy with chosen faults ---------------------------------------------------------------

Rule = Callable[[dict], "dict | None"]  # one JSON-RPC call -> an error object to answer instead, or None
DROP = "drop"  # a `hold` answer: close the connection without a reply (a reset)


class RpcProxy:
    """Forwards JSON-RPC (batches included) to ``target`` on 127.0.0.1, with faults a test chooses.

    ``target`` is a node's URL, or a callable answering a list of calls (``RecordedChain``).

    ``rule(call)`` may answer any single call with an error object instead of forwarding it.
    ``mangle(call, reply)`` may rewrite a forwarded call's reply.
    ``hold(n, request)`` sees the n-th HTTP request first and may answer it whole: (status, headers, bytes),
    ``DROP``, or None to go on. ``calls`` records every (method, params) seen. ``port`` reuses a port, so a
    restarted proxy has the same URL.
    """

    def __init__(self, target: "str | Callable[[list], list]", rule: Rule | None = None, mangle: Callable | None = None,
                 hold: Callable | None = None, port: int = 0):
        self.target = target
        self.rule = rule
        self.mangle = mangle
        self.hold = hold
        self.calls: list[tuple[str, list]] = []
        self.requests = 0
        self._lock = threading.Lock()
        self._session = requests.Session()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like a real node

            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = proxy.answer(body)
                if answer == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, headers, payload = answer
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, body: bytes):
        with self._lock:
            self.requests += 1
            n = self.requests
        request = json.loads(body)
        calls = request if isinstance(request, list) else [request]
        with self._lock:
            self.calls += [(c.get("method"), c.get("params")) for c in calls]
        if self.hold:
            held = self.hold(n, request)
            if held is not None:
                return held
        replies = self.forward(request)
        return 200, {"Content-Type": "application/json"}, json.dumps(replies).encode()

    def forward(self, request: Any) -> Any:
        """The replies the proxy gives ``request`` (a call or a batch) after ``rule`` and ``mangle``."""
        calls = request if isinstance(request, list) else [request]
        replies, forward = [], []
        for c in calls:
            err = self.rule(c) if self.rule else None
            if err:
                replies.append({"jsonrpc": "2.0", "id": c["id"], "error": err})
            else:
                forward.append(c)
        if forward:
            if callable(self.target):  # a node simulated in-process (RecordedChain)
                got = self.target(forward)
            else:
                got = self._session.post(self.target, json=forward, timeout=60).json()
            by_id = {c["id"]: c for c in forward}
            if self.mangle:
                got = [dict(g, result=self.mangle(by_id[g["id"]], g["result"])) if "result" in g else g for g in got]
            replies += got
        return replies if isinstance(request, list) else replies[0]

    def methods(self, name: str) -> list[list]:
        return [p for m, p in self.calls if m == name]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._session.close()

    def __enter__(self) -> "RpcProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class RecordedChain:
    """Answers JSON-RPC calls from recorded blocks (full transactions) and receipts, as a node holding only
    those blocks would: eth_getLogs filters the receipts' logs by range and topic0, eth_getBlockReceipts
    and eth_call do not exist, and the chain id is 1."""

    def __init__(self, blocks: list[dict], receipts: list[dict]):
        self.blocks = {int(b["number"], 16): b for b in blocks}
        self.receipts = {r["transactionHash"]: r for r in receipts}

    def __call__(self, calls: list[dict]) -> list[dict]:
        return [self._reply(c) for c in calls]

    def _reply(self, call: dict) -> dict:
        method, params = call["method"], call.get("params") or []
        if method == "eth_chainId":
            result: Any = "0x1"
        elif method == "eth_blockNumber":
            result = hex(max(self.blocks))
        elif method == "eth_getBlockByNumber":
            result = self.blocks.get(int(params[0], 16))
        elif method == "eth_getTransactionReceipt":
            result = self.receipts.get(params[0])
        elif method == "eth_getLogs":
            f = params[0]
            lo, hi = int(f["fromBlock"], 16), int(f["toBlock"], 16)
            wanted = set(f.get("topics", [[]])[0] or [])
            result = [log for r in self.receipts.values() for log in r["logs"]
                      if lo <= int(log["blockNumber"], 16) <= hi and (not wanted or log["topics"][:1] and log["topics"][0] in wanted)]
        else:
            return {"jsonrpc": "2.0", "id": call["id"],
                    "error": {"code": -32601, "message": f"the method {method} does not exist/is not available"}}
        return {"jsonrpc": "2.0", "id": call["id"], "result": result}


def recorded_responses(folder: Path) -> tuple[list[dict], list[dict]]:
    """Blocks and receipts from a folder of recorded ``web3_response.eth_*.json`` files."""
    def results(pattern: str) -> list[dict]:
        out = []
        for path in sorted(folder.glob(pattern)):
            doc = json.loads(path.read_text())
            out.append(doc["result"] if "result" in doc else doc)
        return out

    return results("web3_response.eth_getBlockByNumber_0x*_true.json"), results("web3_response.eth_getTransactionReceipt_*.json")


def etl_as_rpc(folder: Path) -> tuple[list[dict], list[dict]]:
    """An ethereum-etl JSON-lines export (blocks, transactions, logs) re-expressed as the JSON-RPC blocks and
    receipts a node would have answered: hex quantities, camelCase fields, logs inside receipts."""
    def rows(name: str) -> list[dict]:
        return [json.loads(line) for line in (folder / f"{name}.json").read_text().splitlines() if line.strip()]

    q = lambda v: None if v is None else hex(int(v))  # noqa: E731
    logs_by_tx: dict[str, list] = {}
    for log in sorted(rows("logs"), key=lambda r: int(r["log_index"])):
        logs_by_tx.setdefault(log["transaction_hash"], []).append({
            "address": log["address"], "blockHash": log["block_hash"], "blockNumber": q(log["block_number"]),
            "data": log["data"], "logIndex": q(log["log_index"]), "removed": False, "topics": log["topics"],
            "transactionHash": log["transaction_hash"], "transactionIndex": q(log["transaction_index"]),
        })
    txs_by_block: dict[int, list] = {}
    receipts = []
    for t in sorted(rows("transactions"), key=lambda r: int(r["transaction_index"])):
        txs_by_block.setdefault(int(t["block_number"]), []).append({
            "hash": t["hash"], "blockHash": t["block_hash"], "blockNumber": q(t["block_number"]),
            "transactionIndex": q(t["transaction_index"]), "from": t["from_address"], "to": t["to_address"],
            "value": q(t["value"]), "gas": q(t["gas"]), "gasPrice": q(t["gas_price"]), "input": t["input"],
            "nonce": q(t["nonce"]), "type": q(t.get("transaction_type")),
        })
        receipts.append({"transactionHash": t["hash"], "blockHash": t["block_hash"], "blockNumber": q(t["block_number"]),
                         "status": q(t.get("receipt_status")), "logs": logs_by_tx.get(t["hash"], [])})
    blocks = [{
        "number": q(b["number"]), "hash": b["hash"], "parentHash": b["parent_hash"], "timestamp": q(b["timestamp"]),
        "miner": b["miner"], "baseFeePerGas": q(b.get("base_fee_per_gas")),
        "transactions": txs_by_block.get(int(b["number"]), []),
    } for b in rows("blocks")]
    return blocks, receipts


def log_range(call: dict) -> int | None:
    """Width in blocks of an eth_getLogs call, else None."""
    if call.get("method") != "eth_getLogs":
        return None
    f = call["params"][0]
    return int(f["toBlock"], 16) - int(f["fromBlock"], 16) + 1


# ---- the pig-butchering story the RPC tests ingest -----------------------------------------------------

UNLIMITED = 2**256 - 1


@dataclass
class Story:
    """What happened on the node, for the tests to compare the warehouse with."""

    url: str
    token: str
    deployer: str
    victim: str
    spender: str
    collector: str
    payee: str
    funding: int  # token units the deployer sent the victim
    interest: int  # the small "interest" payment before the drain
    drained: int  # what the spender's transferFrom took
    native: int  # wei the victim sent the payee
    approve_tx: str
    drain_tx: str
    native_tx: str
    reverted_tx: str
    first_block: int
    last_block: int


_compiled: dict[str, Compiled] = {}


def pig_token(workdir: Path) -> Compiled:
    """tests/contracts/PigToken.sol compiled once per process."""
    if "PigToken" not in _compiled:
        _compiled["PigToken"] = compile_contract(CONTRACTS / "PigToken.sol", "PigToken", workdir / "solc-out")
    return _compiled["PigToken"]


def play_story(url: str, workdir: Path) -> Story:
    """Deploy PigToken and play an approval drain: funding, an unlimited approve, interest, the spender's
    transferFrom, a native payment, and a reverted call that carried ETH. anvil mines one block per tx."""
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(url))
    deployer, victim, spender, collector, payee = w3.eth.accounts[:5]
    compiled = pig_token(workdir)

    def mined(tx_hash) -> dict:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        return receipt

    first = w3.eth.block_number + 1
    factory = w3.eth.contract(abi=compiled.abi, bytecode=compiled.bytecode)
    supply = 1_000_000 * 10**6
    address = mined(factory.constructor("Pig USD", "PUSD", 6, supply).transact({"from": deployer}))["contractAddress"]
    token = w3.eth.contract(address=address, abi=compiled.abi)
    funding, interest = 5_000 * 10**6, 12_500_000
    mined(token.functions.transfer(victim, funding).transact({"from": deployer}))
    mined(token.functions.transfer(collector, 777).transact({"from": deployer}))
    approve = mined(token.functions.approve(spender, UNLIMITED).transact({"from": victim}))
    mined(token.functions.transfer(victim, interest).transact({"from": deployer}))
    drained = token.functions.balanceOf(victim).call()
    drain = mined(token.functions.transferFrom(victim, collector, drained).transact({"from": spender}))
    native = 1_500_000_000_000_000_000
    pay = mined(w3.eth.send_transaction({"from": victim, "to": payee, "value": native}))
    # ETH sent to a non-payable function: mined with status 0, so no native transfer may appear
    data = token.encode_abi("transfer", args=[payee, 1])
    reverted = mined(w3.eth.send_transaction({"from": payee, "to": address, "data": data, "value": 10**17, "gas": 100_000}))
    assert reverted["status"] == 0
    for _ in range(3):  # a few empty blocks after the story
        rpc(url, "evm_mine")
    return Story(
        url=url, token=address.lower(), deployer=deployer.lower(), victim=victim.lower(), spender=spender.lower(),
        collector=collector.lower(), payee=payee.lower(), funding=funding, interest=interest, drained=drained,
        native=native, approve_tx=approve["transactionHash"].to_0x_hex(), drain_tx=drain["transactionHash"].to_0x_hex(),
        native_tx=pay["transactionHash"].to_0x_hex(), reverted_tx=reverted["transactionHash"].to_0x_hex(),
        first_block=0, last_block=w3.eth.block_number,
    )
