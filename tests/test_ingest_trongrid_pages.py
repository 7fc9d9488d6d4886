"""`ingest trongrid` on hand-built pages of each kind: Approval rows, bare rows, overlapping per-account
crawls, TRX transfers, contract calls, internal transactions, swaps through a pair. The properties: the
warehouse depends only on which transfers the pages show (not on files, order, runs or repeats), the
amounts are conserved, and a bad row leaves the warehouse as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pigtrace.chains.addresses import tron_base58_to_hex, tron_hex_to_base58
from pigtrace.errors import IngestError
from pigtrace.ingest.trongrid import ingest_trongrid
from pigtrace.store.warehouse import connect

USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
WTRX = "TNUC9Qb1rRpS5CbWLmNMxXBjyFoydXjWFR"
T0 = 1_738_600_000_000


def addr(n: int) -> str:
    return tron_hex_to_base58("41" + f"{n:040x}")


def h41(address: str) -> str:
    return tron_base58_to_hex(address)


ALICE, BOB, CAROL, PAIR, ROUTER, SPENDER = (addr(n) for n in (0xA11CE, 0xB0B, 0xCA201, 0x9A12, 0x2007E2, 0x5BE4D))


def txid(n: int) -> str:
    return f"{n:064x}"


def info(token: str) -> dict:
    symbol = {USDT: "USDT", WTRX: "WTRX"}[token]
    return {"symbol": symbol, "address": token, "decimals": 6, "name": symbol}


def trc20(n: int, frm: str, to: str, value: int, token: str = USDT, kind: str = "Transfer", detail: dict | None = None,
          ms: int | None = None) -> dict:
    row = {"transaction_id": txid(n), "token_info": info(token), "block_timestamp": ms or T0 + n * 3000,
           "from": frm, "to": to, "type": kind, "value": str(value)}
    if detail:
        row["detail"] = detail
    return row


def call(n: int, signer: str, contract: str, data: str = "a9059cbb" + "0" * 128, ok: bool = True) -> dict:
    """An account-transactions item: a TriggerSmartContract signed by ``signer`` calling ``contract``."""
    return {"ret": [{"contractRet": "SUCCESS" if ok else "REVERT", "fee": 345000}], "txID": txid(n),
            "blockNumber": 70_000_000 + n, "block_timestamp": T0 + n * 3000, "energy_usage_total": 13345,
            "raw_data": {"contract": [{"parameter": {"value": {"data": data, "owner_address": h41(signer),
                                                               "contract_address": h41(contract)},
                                                     "type_url": "type.googleapis.com/protocol.TriggerSmartContract"},
                                       "type": "TriggerSmartContract"}], "timestamp": T0 + n * 3000},
            "internal_transactions": []}


def trx(n: int, frm: str, to: str, sun: int) -> dict:
    """An account-transactions item: a TransferContract moving ``sun`` TRX."""
    return {"ret": [{"contractRet": "SUCCESS", "fee": 0}], "txID": txid(n), "blockNumber": 70_000_000 + n,
            "block_timestamp": T0 + n * 3000, "net_usage": 268,
            "raw_data": {"contract": [{"parameter": {"value": {"amount": sun, "owner_address": h41(frm),
                                                               "to_address": h41(to)},
                                                     "type_url": "type.googleapis.com/protocol.TransferContract"},
                                       "type": "TransferContract"}], "timestamp": T0 + n * 3000}}


def page(*items: dict) -> dict:
    return {"data": list(items), "success": True, "meta": {"at": T0 + 10**7, "page_size": len(items)}}


def write(folder: Path, name: str, doc) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(doc))
    return folder / name


def ledger(con) -> dict[str, list]:
    """Everything the ledger views hold, as sorted rows."""
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("transactions", "transfers", "approvals", "swaps", "tokens")}


@pytest.fixture
def fresh(tmp_path):
    made = []

    def open_(name: str):
        con = connect(tmp_path / f"{name}.duckdb")
        made.append(con)
        return con

    yield open_
    for con in made:
        con.close()


# a small crawl: Alice's and Bob's TRC-20 listings share the transfers between them
TRANSFERS = [trc20(1, ALICE, BOB, 5_000_000), trc20(2, BOB, ALICE, 1_000_000), trc20(3, ALICE, CAROL, 7_000_000),
             trc20(4, BOB, CAROL, 2_500_000)]
# one transaction moving the same amount twice between the same accounts: two transfers, not one
TWICE = [trc20(5, ALICE, BOB, 100), trc20(5, ALICE, BOB, 100)]


def crawl(folder: Path) -> Path:
    listing = lambda who: [r for r in TRANSFERS + TWICE if who in (r["from"], r["to"])]  # noqa: E731
    write(folder, "alice.json", page(*listing(ALICE)))
    write(folder, "bob.json", page(*listing(BOB)))
    return folder


def test_overlapping_crawls_count_each_transfer_once(fresh, tmp_path):
    con = fresh("crawl")
    added = ingest_trongrid(con, crawl(tmp_path / "crawl"))
    assert added["transfers"] == len(TRANSFERS) + len(TWICE)
    # conservation: what each account received, net of what it sent, is what the distinct transfers say
    expected: dict[str, int] = {}
    for r in TRANSFERS + TWICE:
        expected[r["to"]] = expected.get(r["to"], 0) + int(r["value"])
        expected[r["from"]] = expected.get(r["from"], 0) - int(r["value"])
    got = dict(con.execute(
        """SELECT a, sum(v)::HUGEINT FROM (SELECT to_address a, amount::HUGEINT v FROM transfers
           UNION ALL SELECT from_address, 0 - amount::HUGEINT FROM transfers) GROUP BY a""").fetchall())
    assert {a: int(v) for a, v in got.items()} == expected


def test_the_warehouse_depends_on_the_transfers_not_on_files_order_or_runs(fresh, tmp_path):
    folder = crawl(tmp_path / "crawl")
    together = fresh("together")
    ingest_trongrid(together, folder)
    apart = fresh("apart")
    ingest_trongrid(apart, folder / "bob.json")
    ingest_trongrid(apart, folder / "alice.json")
    again = ingest_trongrid(apart, folder)
    assert set(again.values()) == {0}
    # one file holding both listings as a JSON list of pages, plus a repeat of one page
    merged = write(tmp_path / "merged", "both.json",
                   [json.loads((folder / "alice.json").read_text()), json.loads((folder / "bob.json").read_text()),
                    json.loads((folder / "bob.json").read_text())])
    single = fresh("single")
    ingest_trongrid(single, merged)
    assert ledger(together) == ledger(apart) == ledger(single)


def test_approval_rows_are_approvals_not_transfers(warehouse, tmp_path):
    unlimited = 2**256 - 1
    f = write(tmp_path, "a.json", page(trc20(10, ALICE, SPENDER, unlimited, kind="Approval"),
                                       trc20(11, ALICE, SPENDER, 0, kind="Approval"),
                                       trc20(12, ALICE, BOB, 3_000_000)))
    added = ingest_trongrid(warehouse, f)
    assert (added["transfers"], added["approvals"]) == (1, 2)
    rows = warehouse.execute("SELECT owner, spender, amount, amount_text, unlimited, approved FROM approvals "
                             "ORDER BY tx_hash").fetchall()
    assert rows == [(ALICE, SPENDER, None, str(unlimited), True, True), (ALICE, SPENDER, 0, None, False, False)]
    # no approval is valued, and the one transfer is worth what it moved
    assert warehouse.execute("SELECT sum(usd) FROM transfers").fetchone()[0] == pytest.approx(3.0)


def test_bare_rows_get_signer_and_block_when_their_transactions_arrive(fresh, tmp_path):
    drain = [trc20(20, ALICE, CAROL, 9_000_000)]  # a transferFrom the spender sent: the row cannot say so
    history = [call(20, SPENDER, USDT, data="23b872dd" + "0" * 192)]
    bare = fresh("bare")
    ingest_trongrid(bare, write(tmp_path / "t", "trc20.json", page(*drain)))
    assert bare.execute("SELECT initiator, block_number FROM transfers").fetchall() == [(None, None)]
    assert bare.execute("SELECT count(*) FROM transactions").fetchone()[0] == 0
    added = ingest_trongrid(bare, write(tmp_path / "h", "spender.json", page(*history)))
    assert added["signers_filled"] == 1 and added["transfers"] == 0
    assert bare.execute("SELECT initiator, block_number FROM transfers").fetchall() == [(SPENDER, 70_000_020)]
    # the same transfer with its detail in one run gives the same warehouse
    detailed = fresh("detailed")
    ingest_trongrid(detailed, write(tmp_path / "d", "trc20.json",
                                    page(trc20(20, ALICE, CAROL, 9_000_000, detail=history[0]))))
    assert ledger(bare) == ledger(detailed)


def test_trx_transfers_and_contract_calls(warehouse, tmp_path):
    f = write(tmp_path, "history.json", page(
        trx(30, ALICE, BOB, 25_000_000),
        call(31, ALICE, ROUTER, data="38ed1739" + "0" * 64),
        call(32, ALICE, USDT, ok=False)))
    ingest_trongrid(warehouse, f)
    txs = warehouse.execute("SELECT hash, from_address, to_address, value, status, method_id FROM transactions "
                            "ORDER BY hash").fetchall()
    assert txs == [(txid(30), ALICE, BOB, 25_000_000, 1, None), (txid(31), ALICE, ROUTER, 0, 1, "0x38ed1739"),
                   (txid(32), ALICE, USDT, 0, 0, "0xa9059cbb")]
    native = warehouse.execute("SELECT tx_hash, log_index, token, kind, from_address, to_address, amount, initiator, "
                               "usd_source IS NOT NULL FROM transfers").fetchall()
    assert native == [(txid(30), -1, "native", "native", ALICE, BOB, 25_000_000, ALICE, True)]


def test_internal_trx_transfers_are_read_once(warehouse, tmp_path):
    internal = {"internal_tx_id": "f" * 64, "tx_id": txid(40), "from_address": h41(ROUTER), "to_address": h41(BOB),
                "block_timestamp": T0, "data": {"note": "63616c6c", "rejected": False, "call_value": {"_": 7_000_000}}}
    f = write(tmp_path, "bob.json", page(internal, call(40, BOB, ROUTER), internal))
    ingest_trongrid(warehouse, f)
    rows = warehouse.execute("SELECT from_address, to_address, amount, initiator, block_number FROM transfers").fetchall()
    assert rows == [(ROUTER, BOB, 7_000_000, BOB, 70_000_040)]  # signer and block from the transaction


def _swap_pages(tmp_path: Path, with_history: bool) -> list[Path]:
    # Alice swaps USDT for WTRX through the router: USDT Alice -> pair, WTRX pair -> Alice; Bob and Carol too
    rows, history = [], []
    for i, who in enumerate((ALICE, BOB, CAROL)):
        n = 50 + i
        rows += [trc20(n, who, PAIR, 10_000_000), trc20(n, PAIR, who, 40_000_000, token=WTRX)]
        history.append(call(n, who, ROUTER, data="38ed1739" + "0" * 64))
    files = [write(tmp_path / "swaps", "trc20.json", page(*rows))]
    if with_history:
        files.append(write(tmp_path / "swaps", "history.json", page(*history)))
    return files


def test_swaps_through_a_pair_are_recognised_and_independent_of_order(fresh, tmp_path):
    signed = fresh("signed")
    for f in _swap_pages(tmp_path, with_history=True)[::-1]:  # history first
        ingest_trongrid(signed, f)
    swaps = signed.execute("SELECT pool, sender, recipient, initiator, token_in, amount_in, token_out, amount_out "
                           "FROM swaps ORDER BY sender").fetchall()
    assert swaps == sorted((PAIR, who, who, who, USDT, 10_000_000, WTRX, 40_000_000) for who in (ALICE, BOB, CAROL))
    # the same pages in the other order, or in one run, give the same swaps
    other = fresh("other")
    for f in _swap_pages(tmp_path, with_history=True):
        ingest_trongrid(other, f)
    assert ledger(other) == ledger(signed)
    # without the signers the pair is still told from its swappers: it trades with all of them
    bare = fresh("bare")
    ingest_trongrid(bare, _swap_pages(tmp_path, with_history=False)[0])
    assert {r[0] for r in bare.execute("SELECT pool FROM swaps").fetchall()} == {PAIR}


def test_prices_come_from_the_registry(warehouse, tmp_path):
    from pigtrace.chains.registry import NATIVE, find_asset, usd_price

    ingest_trongrid(warehouse, write(tmp_path, "p.json", page(trc20(60, ALICE, BOB, 2_000_000, token=WTRX),
                                                               trx(61, ALICE, BOB, 3_000_000))))
    got = dict(warehouse.execute("SELECT token, usd FROM transfers").fetchall())
    assert got[WTRX] == pytest.approx(2 * usd_price(find_asset("tron", WTRX))[0])
    assert got[NATIVE] == pytest.approx(3 * usd_price(find_asset("tron", NATIVE))[0])


@pytest.mark.parametrize("break_it, message", [
    (lambda d: d["data"][1].update(value="12.5"), r"second\.json: data\[1\]: field 'value'"),
    (lambda d: d["data"][0].pop("from"), r"second\.json: data\[0\]: missing field 'from'"),
    (lambda d: d["data"][0].update(type="Mint"), r"second\.json: data\[0\]: field 'type'"),
    (lambda d: d["data"].append(trx(99, ALICE, BOB, 5) | {"raw_data": {"contract": [{"type": "TransferContract",
                                 "parameter": {"value": {"amount": 5, "owner_address": "41zz"}}}]}}),
     r"second\.json: data\[2\]: field 'raw_data\.contract\[0\]\.parameter\.value\.owner_address'"),
])
def test_a_bad_row_names_file_row_and_field_and_writes_nothing(warehouse, tmp_path, break_it, message):
    write(tmp_path / "in", "first.json", page(*TRANSFERS))
    second = page(trc20(70, ALICE, BOB, 1), trc20(71, BOB, ALICE, 1))
    break_it(second)
    write(tmp_path / "in", "second.json", second)
    before = ledger(warehouse)
    with pytest.raises(IngestError, match=message):
        ingest_trongrid(warehouse, tmp_path / "in")
    assert ledger(warehouse) == before
    assert warehouse.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 0


def test_two_address_columns_of_one_view_stay_apart_in_one_query(fresh, tmp_path):
    """A query reading to_address and from_address of the transfers view in two UNION arms gets both
    (DuckDB's common-subplan optimizer merged the two scans and gave to_address twice)."""
    con = fresh("union")
    ingest_trongrid(con, crawl(tmp_path / "crawl"))
    union = con.execute("SELECT to_address, 1 FROM transfers UNION ALL SELECT from_address, 2 FROM transfers "
                        "ORDER BY ALL").fetchall()
    apart = sorted([(a, 1) for (a,) in con.execute("SELECT to_address FROM transfers").fetchall()]
                   + [(a, 2) for (a,) in con.execute("SELECT from_address FROM transfers").fetchall()])
    assert union == apart
