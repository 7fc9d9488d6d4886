"""The detector contract: ``Finding`` (one address in one role, with reasons and evidence), ``Stage``
(a step of the analysis that declares the tables it ``reads`` and ``writes``), ``Detector`` (a stage with
id, concept, help, severity, confidence and ``detect``, whose output is its findings), and
``AnalysisContext``, the state a stage runs with: the warehouse connection, the findings of the detectors
it declared it reads (laundering and cash-out walk forward from the scam wallets the scam detectors found)
and the labels it may read. ``detect.plan`` orders the stages from their declarations; ``detect.run``
runs them.

Table names in ``reads`` / ``writes``: a warehouse table (``transfers``, ``labels`` ...), a temp table a
shared stage builds (``pt_value``, ``pt_services`` ..., see ``detect.stages``), or ``findings:<detector
id>``, the findings of one detector. Every detector writes ``findings:<its id>``; its other temp tables
are its own scratch, dropped when it finishes, so no detector can read another's.

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
    # Each evidence item is one transfer (or approval) that proves the finding, with these keys where known:
    # "tx_hash", "time", "from", "to", "token", "symbol", "note";
    # "amount": the display amount in token units as text, exact (raw / 10**decimals: "1234.5" USDT,
    #           "0.05" ETH), or "unlimited" for an unlimited approval; the raw integer as text when the
    #           token's decimals are unknown (then "decimals" is absent);
    # "raw": the exact integer amount in the token's smallest unit, as text; "decimals": the token's decimals;
    # "usd": the USD value of the whole transfer (rounded to cents) at the price ``transfers.usd_source`` names.
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
    # the findings of the detectors the running stage declared it reads (``findings:<id>``), in registry
    # order; set by the runner before each stage
    findings: list[Finding] = field(default_factory=list)
    # the same findings by the detector that made them
    findings_of: dict[str, list[Finding]] = field(default_factory=dict)
    # memo of the shared stages and helpers (built tables, the flow graph's arrays, the taint walk)
    cache: dict[str, Any] = field(default_factory=dict)
    # no scam, phishing or sanction label may influence a finding: detectors see service labels only
    behaviour_only: bool = False
    # ring memberships a detector found: (chain, ring id, address, role, the link that joined it);
    # `pigtrace analyze` stores them in the ``rings`` table
    rings: list[tuple[str, str, str, str, str]] = field(default_factory=list)

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


class Stage:
    """One step of an analysis. ``reads`` and ``writes`` name tables (see the module docstring); the
    runner runs a stage after every stage that writes what it reads."""

    id: ClassVar[str]
    help: ClassVar[str]
    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()
    # True when only the stages that declare them read its tables (no shared helper does): the runner then
    # drops each of them once the last planned stage reading it has run, which frees the analysis' memory
    freed_after_readers: ClassVar[bool] = False

    def run(self, ctx: AnalysisContext) -> None:
        raise NotImplementedError


def findings_table(detector_id: str) -> str:
    """The name a stage reads a detector's findings by."""
    return f"findings:{detector_id}"


class Detector(Stage):
    id: ClassVar[str]
    concept: ClassVar[str]  # taxonomy concept (labels/taxonomy) the typology maps to
    help: ClassVar[str]  # plain words: what it looks for and why it means fraud
    severity: ClassVar[str]  # high / medium / low
    confidence: ClassVar[str]  # high / medium / low
    roles: ClassVar[tuple[str, ...]]  # the roles its findings can carry
    # reads: what it reads (ledger tables, shared stages' temp tables, ``findings:<id>`` of other detectors);
    # writes: ``findings:<its id>`` (and nothing else: its temp tables are scratch)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        raise NotImplementedError
