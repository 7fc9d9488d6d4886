"""The registered detectors and shared stages. The order here only breaks ties: ``detect.plan`` runs each
stage after the stages that write what it reads, and findings are combined in this order."""

from __future__ import annotations

from pigtrace.detect import (
    approval_drain,
    collection_evidence,
    cash_out,
    fake_platform,
    late_cash_out,
    late_gas,
    late_propagation,
    late_victims,
    laundering,
    laundering_chain,
    laundering_source,
    operator_gassed,
    platform_payout,
    poisoning,
    propagation,
    ring_feeders,
    screening_hits,
    stages,
    victim_payout,
)
from pigtrace.detect.base import Detector, Stage

DETECTORS: list[type[Detector]] = [
    *screening_hits.DETECTORS,
    *approval_drain.DETECTORS,
    *fake_platform.DETECTORS,
    collection_evidence.CollectionEvidence,
    *poisoning.DETECTORS,
    *laundering.DETECTORS,
    *propagation.DETECTORS,
    *platform_payout.DETECTORS,
    *victim_payout.DETECTORS,
    *laundering_source.DETECTORS,
    *operator_gassed.DETECTORS,
    *laundering_chain.DETECTORS,
    *cash_out.DETECTORS,
    *ring_feeders.DETECTORS,
    *late_propagation.DETECTORS,
    *late_gas.DETECTORS,
    *late_cash_out.DETECTORS,
    *late_victims.DETECTORS,
]

# Shared stages first, then the detectors: every stage an analysis can run.
STAGES: list[type[Stage]] = [*stages.STAGES, *DETECTORS]


def get(detector_id: str) -> type[Detector]:
    for d in DETECTORS:
        if d.id == detector_id:
            return d
    from pigtrace.errors import PigtraceError

    raise PigtraceError(f"unknown detector {detector_id!r}; `pigtrace detectors` lists them")
