"""Shared ground for the drain, poisoning and screening detectors, built once per analysis.

- the shipped label packs are loaded into ``labels`` (``labels.shipped.ensure_loaded``);
- ``pt_services(chain, address, kind)``: services that are never findings -- one definition for every
  detector, the one ``flow_services.prepare`` builds (labelled exchanges, DEXes, bridges and other
  infrastructure, token contracts, DEX pools and routers, the zero address);
- ``pt_eoas(chain, address)``: addresses that sent at least one transaction, i.e. externally owned
  accounts (a contract never appears as ``tx.from``).
"""

from __future__ import annotations

from pigtrace.detect import flow_services
from pigtrace.detect.base import AnalysisContext
from pigtrace.labels.shipped import ensure_loaded


def chain_filter(ctx: AnalysisContext, column: str = "chain") -> tuple[str, list]:
    """SQL condition and parameters restricting ``column`` to the analysed chain (or everything)."""
    return (f"{column} = ?", [ctx.chain]) if ctx.chain else ("true", [])


def ensure_services(ctx: AnalysisContext) -> None:
    """Create ``pt_services`` and ``pt_eoas`` once per analysis (later calls are free)."""
    if ctx.cache.get("drain_services"):
        return
    ensure_loaded(ctx.con)
    flow_services.prepare(ctx)
    where, params = chain_filter(ctx)
    ctx.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pt_eoas AS
        SELECT a.chain, a.address FROM (SELECT DISTINCT from_ref FROM main.ledger_transactions) x
        JOIN main.addresses a ON a.ref = x.from_ref
        WHERE {where}""",
        params,
    )
    ctx.cache["drain_services"] = True
