"""The detector contract: ``Finding`` (one address in one role, with reasons and evidence),
``Detector`` (id, concept, help, severity, confidence, ``detect``), and ``AnalysisContext``, the shared
state detectors read: the warehouse connection, what earlier detectors already found (laundering and
cash-out walk forward from the scam wallets found before them) and the labels they may read.

Detectors read labels only through ``AnalysisContext.labels()``. In behaviour-only mode
(``pigtrace analyze --behaviour-only``) that relation leaves out every scam, phishing, sanction and other
abuse label (``ABUSE_LABEL_SQL``), so only service attributions (exchanges, DEXes, bridges, mixers,
token issuers ...) reach the detectors and no finding rests on what a public list says."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import duckdb

from pigtrace.labels.taxonomy import ABUSE_LABEL_SQL
from pigtrace.store.schema import ROLES


BEHAVIOUR_LABELS = "pt_labels_behaviour"  # temp view: the labels a behaviour-only analysis may read


@dataclass
class Finding:
    chain: str
    address: str
    role: str
    typology: str
    score: float
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    reasons: list[str] = field(default_factory=list)
    # each item: {"tx_hash", "time", "from", "to", "token", "amount", "usd", "note"} (keys as relevant)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    ring: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; roles are {', '.join(ROLES)}")
        self.score = float(min(1.0, max(0.0, self.score)))


@dataclass
class AnalysisContext:
    con: duckdb.DuckDBPyConnection
    chain: str | None = None
    findings: list[Finding] = field(default_factory=list)
    # scratch space detectors share (e.g. cached graph arrays, sets of flagged addresses)
    cache: dict[str, Any] = field(default_factory=dict)
    # no scam, phishing or sanction label may influence a finding: detectors see service labels only
    behaviour_only: bool = False

    def labels(self) -> str:
        """The label relation detectors read: ``labels``, or in behaviour-only mode a temp view of it
        without abuse labels (created on first use)."""
        if not self.behaviour_only:
            return "labels"
        if not self.cache.get(BEHAVIOUR_LABELS):
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {BEHAVIOUR_LABELS} AS "
                             f"SELECT * FROM labels WHERE NOT {ABUSE_LABEL_SQL}")
            self.cache[BEHAVIOUR_LABELS] = True
        return BEHAVIOUR_LABELS

    def flagged(self, *roles: str) -> set[str]:
        """Addresses already found in any of ``roles`` (all roles when none given)."""
        return {f.address for f in self.findings if not roles or f.role in roles}


class Detector:
    id: ClassVar[str]
    concept: ClassVar[str]  # taxonomy concept (labels/taxonomy) the typology maps to
    help: ClassVar[str]  # plain words: what it looks for and why it means fraud
    severity: ClassVar[str]  # high / medium / low
    confidence: ClassVar[str]  # high / medium / low
    roles: ClassVar[tuple[str, ...]]  # the roles its findings can carry
    # ids of detectors whose findings it reads (run first when it is asked for alone)
    needs: ClassVar[tuple[str, ...]] = ()

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        raise NotImplementedError
