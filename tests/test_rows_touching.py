"""flow_services.value_of / rows_touching: picking a set of wallets' rows out of the value transfers on the
integer address refs gives exactly the rows the (chain, address text) match gives, on every chain (an EVM
address is the same text on Ethereum and BSC, and only the chain's own rows belong to it)."""

from __future__ import annotations

import duckdb
import numpy as np

from pigtrace.detect.flow_services import rows_touching, value_of


def _ledger(seed: int) -> duckdb.DuckDBPyConnection:
    rng = np.random.default_rng(seed)
    con = duckdb.connect()
    texts = [f"0x{i:040x}" for i in range(60)]
    chains = ["ethereum", "bsc"]
    pairs = [(c, a) for c in chains for a in texts]  # every text on both chains, each its own ref
    order = rng.permutation(len(pairs))
    con.execute("CREATE TABLE addresses (ref BIGINT, chain VARCHAR, address VARCHAR)")
    con.executemany("INSERT INTO addresses VALUES (?, ?, ?)",
                    [(int(r) + 1, *pairs[i]) for r, i in enumerate(order)])
    ref = {pairs[i]: int(r) + 1 for r, i in enumerate(order)}
    rows = []
    for k in range(2000):
        chain = chains[rng.integers(2)]
        src, dst = texts[rng.integers(60)], texts[rng.integers(60)]
        rows.append((chain, f"tx{k}", src, dst, float(rng.uniform(1, 1000)), ref[(chain, src)], ref[(chain, dst)]))
    con.execute("CREATE TABLE pt_value (chain VARCHAR, tx_hash VARCHAR, src VARCHAR, dst VARCHAR, usd DOUBLE, "
                "src_ref BIGINT, dst_ref BIGINT)")
    con.executemany("INSERT INTO pt_value VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    picked = [(chains[rng.integers(2)], texts[rng.integers(60)]) for _ in range(15)]
    picked += picked[:3]  # a set may name a wallet twice; its rows still come once
    con.execute("CREATE TABLE keys (chain VARCHAR, w VARCHAR)")
    con.executemany("INSERT INTO keys VALUES (?, ?)", picked)
    return con


def test_rows_picked_on_refs_are_the_rows_the_text_match_picks_on_each_chain():
    for seed in range(5):
        con = _ledger(seed)
        for side in ("src", "dst"):
            by_text = con.execute(f"""SELECT v.* FROM pt_value v SEMI JOIN keys k ON k.chain = v.chain AND k.w = v.{side}
                                      ORDER BY tx_hash""").fetchall()
            by_ref = con.execute(f"SELECT * FROM {value_of('keys', 'w', side)} ORDER BY tx_hash").fetchall()
            same = con.execute(f"SELECT * FROM {rows_touching('pt_value', f'{side}_ref', 'keys', 'w')} "
                               "ORDER BY tx_hash").fetchall()
            assert by_ref == by_text == same
            assert len(by_text) > 50
            # the other chain's rows of the same address text are left out
            other = con.execute(f"""SELECT count(*) FROM pt_value v JOIN keys k ON k.w = v.{side}
                                    AND k.chain <> v.chain""").fetchone()[0]
            assert other > 0
