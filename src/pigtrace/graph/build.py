"""Build the value-flow graph from the warehouse: one node per (chain, address), one weighted edge per
(sender, receiver) pair carrying the summed USD value of their transfers.

The node table stays in DuckDB (``pt_nodes``: chain, address, idx) so SQL can join ids back to addresses;
the edges come out as numpy arrays and a ``scipy.sparse`` CSR matrix (row = sender, column = receiver).
Callers pass the SQL of the edge rows they want (``src``, ``dst``, ``usd``, optionally ``chain``), so the
same builder serves taint walks over value transfers and hop walks over any other relation.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import scipy.sparse as sp


@dataclass
class FlowGraph:
    n: int
    adj: sp.csr_matrix  # adj[i, j] = USD value sent from node i to node j (summed)
    in_usd: np.ndarray  # total USD received by each node
    out_usd: np.ndarray  # total USD sent by each node
    in_degree: np.ndarray  # distinct senders
    out_degree: np.ndarray  # distinct receivers
    nodes_table: str  # DuckDB table mapping (chain, address) <-> idx

    def mask(self, con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> np.ndarray:
        """Boolean node mask of the (chain, address) rows returned by ``sql``."""
        m = np.zeros(self.n, dtype=bool)
        idx = self.ids(con, sql, params)
        m[idx] = True
        return m

    def ids(self, con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> np.ndarray:
        """Node ids of the (chain, address) rows returned by ``sql`` (unknown addresses are dropped)."""
        got = con.execute(
            f"SELECT n.idx FROM ({sql}) q JOIN {self.nodes_table} n USING (chain, address)", params or []
        ).fetchnumpy()
        return np.asarray(got["idx"], dtype=np.int64)


def exact_sum_sql(column: str) -> str:
    """SQL: the sum of a DOUBLE column, the same whatever order the rows are added in: each value is taken to a
    millionth (a DECIMAL, added exactly) and the total turned back into a DOUBLE. Rounding a double sum does not
    do it: at 10.7M transfers two runs of round(sum(usd), 6) over the same pairs differed. Values of 1e20 or more
    (a token priced by mistake) are added as doubles."""
    return (f"(sum(CASE WHEN abs({column}) < 1e20 THEN {column}::DECIMAL(38, 6) END)::DOUBLE"
            f" + coalesce(sum(CASE WHEN NOT abs({column}) < 1e20 THEN {column} END), 0))")


def build_flow_graph(con: duckdb.DuckDBPyConnection, edges_sql: str, nodes_table: str = "pt_nodes",
                     edges_table: str = "pt_edges") -> FlowGraph:
    """Aggregate ``edges_sql`` (columns src_ref, dst_ref, usd: the warehouse's address refs, named by its
    ``addresses`` table) into a CSR graph.

    Creates temp tables ``nodes_table`` (chain, address, idx, ref) and ``edges_table`` (chain, src, dst,
    s, d, usd, n) so later SQL can join on node ids. Grouped on the integer refs, with the text joined once
    per node (at 10.7M transfers a group-by on the text was the stage's largest statement). Each edge's sum is
    exact to a millionth of a dollar (``exact_sum_sql``): DuckDB adds doubles in whatever order its threads meet
    the rows, and the last bits of the sum differ from run to run, enough to turn a tie between two equal
    payments (which one brought the most) one way in one run and the other way in the next. For the same reason
    the edges are read in (s, d) order: the per-node totals add them up in that order."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {edges_table}_raw AS
            SELECT src_ref, dst_ref, {exact_sum_sql("usd")} AS usd, count(*) AS n FROM ({edges_sql}) GROUP BY ALL"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {nodes_table} AS
            SELECT a.chain, a.address, (row_number() OVER (ORDER BY a.chain, a.address) - 1)::BIGINT AS idx, a.ref
            FROM addresses a SEMI JOIN (SELECT src_ref AS ref FROM {edges_table}_raw
                                        UNION SELECT dst_ref FROM {edges_table}_raw) x USING (ref)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {edges_table} AS
            SELECT a.chain, a.address AS src, b.address AS dst, a.idx AS s, b.idx AS d, e.usd, e.n
            FROM {edges_table}_raw e JOIN {nodes_table} a ON a.ref = e.src_ref
            JOIN {nodes_table} b ON b.ref = e.dst_ref"""
    )
    con.execute(f"DROP TABLE {edges_table}_raw")
    n = con.execute(f"SELECT count(*) FROM {nodes_table}").fetchone()[0]
    arrays = con.execute(f"SELECT s, d, usd FROM {edges_table} ORDER BY s, d").fetchnumpy()
    s = np.asarray(arrays["s"], dtype=np.int64)
    d = np.asarray(arrays["d"], dtype=np.int64)
    w = np.nan_to_num(np.asarray(arrays["usd"], dtype=np.float64))
    adj = sp.csr_matrix((w, (s, d)), shape=(n, n))
    ones = np.ones_like(w)
    return FlowGraph(
        n=n,
        adj=adj,
        in_usd=np.bincount(d, weights=w, minlength=n),
        out_usd=np.bincount(s, weights=w, minlength=n),
        in_degree=np.bincount(d, weights=ones, minlength=n).astype(np.int64),
        out_degree=np.bincount(s, weights=ones, minlength=n).astype(np.int64),
        nodes_table=nodes_table,
    )
