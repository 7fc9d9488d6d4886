"""The shared stages of an analysis: the feature tables several detectors read, each built once per
analysis by the stage that declares it writes them (``detect.plan`` runs it before its readers).

- ``flow_services``: ``pt_value`` (value-bearing transfers), ``pt_services`` (addresses that are never
  findings), ``pt_exchange``, ``pt_otc_labelled``, ``pt_deposits`` (exchange deposit accounts),
  ``pt_swap_returns`` (``detect.flow_services``);
- ``eoas``: ``pt_eoas``, the addresses that signed a transaction (``detect.drain_services``);
- ``token_info``: ``pt_token_info`` and ``pt_registry_tokens``, decimals and symbols for evidence
  (``detect.drain_evidence``);
- ``flow_graph``: ``pt_nodes`` and ``pt_edges``, the value-flow graph the taint walk runs on
  (``detect.flow_taint``; its CSR arrays stay in the analysis context), and ``pt_own_accounts``, the
  deposit accounts one wallet alone pays, which every walk reads;
- ``collection_scores``: the economics of taking money per wallet (``pt_cf`` and its parts) and each
  candidate's scam-collection probability ``pt_collection_p`` (``detect.collection_features``).

The taint walk itself (``pt_taint``) is not a stage: it starts from the collection wallets in the
findings the calling detector reads, so each detector walks from its own inputs (``flow_taint.taint``
remembers a walk for the next detector with the same seeds).
"""

from __future__ import annotations

from pigtrace.detect import collection_features, drain_services, flow_services, flow_taint
from pigtrace.detect.base import AnalysisContext, Stage
from pigtrace.detect.drain_evidence import ensure_token_info


class FlowServices(Stage):
    id = "flow_services"
    help = ("Value transfers, services, exchange hot wallets, labelled OTC desks, exchange deposit accounts "
            "and swap return legs.")
    reads = ("transfers", "transactions", "tokens", "swaps", "labels")
    writes = ("pt_value", "pt_services", "pt_exchange", "pt_otc_labelled", "pt_deposits", "pt_swap_returns")

    def run(self, ctx: AnalysisContext) -> None:
        flow_services.prepare(ctx)


class Eoas(Stage):
    id = "eoas"
    help = "Externally owned accounts: addresses that signed at least one transaction."
    reads = ("transactions", "pt_services")
    writes = ("pt_eoas",)

    def run(self, ctx: AnalysisContext) -> None:
        drain_services.ensure_services(ctx)


class TokenInfo(Stage):
    id = "token_info"
    help = "Decimals and symbol of every token: the tokens table, then the asset registry."
    reads = ("tokens",)
    writes = ("pt_token_info", "pt_registry_tokens")

    def run(self, ctx: AnalysisContext) -> None:
        ensure_token_info(ctx.con)


class FlowGraph(Stage):
    id = "flow_graph"
    help = ("The value-flow graph (gas top-ups to wallets that never send native coin and swap return legs "
            "left out) the taint walk runs on, and the exchange deposit accounts one wallet alone pays (its "
            "owner's own: the walk takes what the owner banks there from its own money first).")
    reads = ("pt_value", "pt_swap_returns", "pt_deposits", "pt_services")
    writes = ("pt_nodes", "pt_edges", "pt_own_accounts")

    def run(self, ctx: AnalysisContext) -> None:
        flow_taint.flow_graph(ctx)


class CollectionScores(Stage):
    id = "collection_scores"
    help = ("Per wallet, the economics of taking money (payers, devoted and repeat payers, on-ramp money, "
            "money paid back and passed on, holding time, life) and its scam-collection probability.")
    reads = ("pt_value", "pt_services", "pt_deposits")
    writes = ("pt_cf_flow", "pt_cf_service", "pt_cf_pair", "pt_cf_node", "pt_cf_hold", "pt_cf", "pt_collection_p")
    freed_after_readers = True  # read by fake_platform and collection_evidence only

    def run(self, ctx: AnalysisContext) -> None:
        collection_features.score(ctx)


STAGES: list[type[Stage]] = [FlowServices, Eoas, TokenInfo, FlowGraph, CollectionScores]
