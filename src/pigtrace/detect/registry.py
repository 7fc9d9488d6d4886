"""The list of detectors, in the order they run (later ones may use earlier findings)."""

from __future__ import annotations

from pigtrace.detect import (
    approval_drain,
    collection_evidence,
    cash_out,
    fake_platform,
    laundering,
    platform_payout,
    poisoning,
    propagation,
    screening_hits,
)
from pigtrace.detect.base import Detector

DETECTORS: list[type[Detector]] = [
    *screening_hits.DETECTORS,
    *approval_drain.DETECTORS,
    *fake_platform.DETECTORS,
    collection_evidence.CollectionEvidence,
    *poisoning.DETECTORS,
    *laundering.DETECTORS,
    *propagation.DETECTORS,
    *platform_payout.DETECTORS,
    *cash_out.DETECTORS,
]


def get(detector_id: str) -> type[Detector]:
    for d in DETECTORS:
        if d.id == detector_id:
            return d
    from pigtrace.errors import PigtraceError

    raise PigtraceError(f"unknown detector {detector_id!r}; `pigtrace detectors` lists them")
