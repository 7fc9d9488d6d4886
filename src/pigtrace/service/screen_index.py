"""Screening at request speed: every answer of ``labels.screen.screen`` for the warehouse's addresses,
computed in one batch when the service starts and after each write, kept as ready JSON.

An exchange's deposit pipeline asks about one address at a time, thousands of times a second; the library's
screening runs a DuckDB exposure walk per call (tens of milliseconds). The index holds the answer of every
address that has one worth keeping (a label, a finding or exposure); any other well-formed address gets the
plain 'none' answer the library would give. Answers are byte-for-byte the library's (tests compare them).
Requests with a chain or a hop count other than the default go to the library directly.
"""

from __future__ import annotations

import json
import re
import threading
import time

import duckdb

from pigtrace.cli.common import to_jsonable
from pigtrace.errors import PigtraceError
from pigtrace.labels.screen import parse_one, screen

DEFAULT_HOPS = 2
CHUNK = 20_000  # addresses screened per library call while building
_EVM_LOWER = re.compile(r"^0x[0-9a-f]{40}$")


def _dumps(obj) -> bytes:
    return json.dumps(to_jsonable(obj), separators=(",", ":")).encode()


def _plain(address: str, chain: str) -> dict:
    side = {"direct_usd": 0.0, "indirect_usd": 0.0, "transfers": 0, "counterparties": []}
    return {"address": address, "chain": chain, "risk": "none", "labels": [], "reasons": [],
            "exposure": {"hops": DEFAULT_HOPS, "incoming": dict(side), "outgoing": {**side, "counterparties": []}}}


class ScreenIndex:
    def __init__(self) -> None:
        self._answers: dict[str, tuple[str, bytes]] = {}
        self.ready = False
        self.built_at: float | None = None
        self.build_seconds: float | None = None
        self.addresses = 0
        self._lock = threading.Lock()

    def rebuild(self, con: duckdb.DuckDBPyConnection) -> None:
        """Screen every address the warehouse knows (ledger, labels, findings) and keep the answers."""
        started = time.perf_counter()
        addresses = [a for (a,) in con.execute(
            """SELECT address FROM addresses UNION SELECT address FROM labels
               UNION SELECT address FROM findings ORDER BY 1""").fetchall()]
        answers: dict[str, tuple[str, bytes]] = {}
        for i in range(0, len(addresses), CHUNK):
            for r in screen(con, addresses[i:i + CHUNK], None, DEFAULT_HOPS):
                if r["risk"] == "error":
                    continue
                if r != _plain(r["address"], r["chain"]):
                    answers[r["address"]] = (r["risk"], _dumps(r))
        with self._lock:
            self._answers = answers
            self.addresses = len(addresses)
            self.ready = True
            self.built_at = time.time()
            self.build_seconds = round(time.perf_counter() - started, 2)

    def answer(self, raw: str) -> tuple[str, bytes]:
        """(risk, JSON answer) for one input, as ``screen(con, [raw])`` would give it; a malformed input
        gets risk 'error' and the library's message."""
        a = raw.strip()
        if _EVM_LOWER.match(a):
            address, chain = a, "ethereum"
        else:
            try:
                address, chain = parse_one(raw, None)
            except PigtraceError as e:
                return "error", _dumps({"address": raw, "chain": None, "risk": "error", "labels": [], "reasons": [],
                                        "exposure": None, "error": str(e)})
        hit = self._answers.get(address)
        if hit is not None:
            return hit
        return "none", _dumps(_plain(address, chain))

    def status(self) -> dict:
        return {"ready": self.ready, "addresses": self.addresses, "answers_kept": len(self._answers),
                "build_seconds": self.build_seconds}
