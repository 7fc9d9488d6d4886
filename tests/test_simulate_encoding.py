"""The simulator's vectorised encoders agree with plain Python integer formatting, look-alikes keep their
target's first and last characters, and freezing the ledger orders it the way a chain would."""

from __future__ import annotations

import numpy as np

from pigtrace.simulate.addressbook import AddressBook
from pigtrace.simulate.etl_writer import amount_words, decimal_text
from pigtrace.simulate.ledger import BLOCK_SECONDS, LOG_TRANSFER, TRANSFER, Ledger


def test_amount_words_and_decimal_text_are_exact():
    rng = np.random.default_rng(1)
    amt = np.r_[0, 1, 2**63 - 1, 10**18, rng.integers(0, 2**63 - 1, size=500, dtype=np.int64)]
    for scale in (0, 9):
        sc = np.full(len(amt), scale, dtype=np.int8)
        words = amount_words(amt, sc).view("S64").ravel()
        texts = decimal_text(amt, sc).to_pylist()
        for a, w, t in zip(amt.tolist(), words, texts):
            raw = a * 10**scale
            assert w.decode() == format(raw, "064x")
            assert t == str(raw)
    unl = amount_words(np.array([5]), np.array([0]), np.array([True])).view("S64").ravel()[0]
    assert unl.decode() == "f" * 64


def test_lookalikes_share_head_and_tail():
    book = AddressBook(np.random.default_rng(2))
    target = book.one()
    for head, tail in ((3, 4), (5, 6), (6, 4)):
        la = book.lookalike(target, head, tail)
        t, a = book.hex(target)[2:], book.hex(la)[2:]
        assert a != t and a[:head] == t[:head] and a[-tail:] == t[-tail:]


def test_freeze_orders_blocks_transactions_logs_and_nonces():
    led = Ledger()
    t0 = 1_700_000_000
    # appended out of time order, with scalar and vector appends mixed
    late = led.add_txs(t0 + 100, 7, 1, TRANSFER, a0=8, amt=5)
    early = led.add_txs(np.array([t0 + 5, t0 + 5, t0 + 30]), np.array([7, 9, 7]), 1, TRANSFER, a0=8, amt=np.array([1, 2, 3]))
    led.add_logs(late, 0, LOG_TRANSFER, 1, 7, 8, 5)
    led.add_logs(early, 0, LOG_TRANSFER, 1, np.array([7, 9, 7]), 8, np.array([1, 2, 3]))
    fz = led.freeze(t0, 100)
    assert fz.tx["time"].tolist() == [t0, t0, t0 + 24, t0 + 96]  # block starts, 12 s slots
    assert fz.block.tolist() == [100, 100, 102, 108]
    assert fz.tx_index.tolist() == [0, 1, 0, 0]
    assert fz.logs["amt"].tolist() == [1, 2, 3, 5]  # logs follow their transactions
    assert fz.log_index.tolist() == [0, 1, 0, 0]
    assert fz.nonce.tolist() == [0, 0, 1, 2]  # sender 7: three transactions in time order
    assert fz.position[late[0]] == 3 and BLOCK_SECONDS == 12
