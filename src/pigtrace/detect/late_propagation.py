"""The forward walk again, from the collection wallets the detectors after it found.

Place in the flow: every other detector -> **late_propagation** -> merge. ``propagation`` walks the victims'
money forward from the collection wallets the collection detectors found; the detectors after it find more
(``laundering_source`` from the laundering it traced, ``ring_feeders`` backwards from where the ring's money
went, the platform payout wallets' victims' wallets), and the money those took in was walked by nobody: the
ring's consolidation wallets and mules' accounts downstream of them stayed unfound. This stage runs the same
walk (propagation's rules and bars) over every collection wallet found by then, with every laundering wallet
found by then counted as the ring's (so a hub whose payers are the ring's hops is no OTC desk and the walk
goes on through it), and adds only what is new: a wallet already found in a role keeps the finding and score
it has. What breaks it: such a hub keeps the cash-out finding the first walk or `otc_cash_out` gave it (cash-out
wins over laundering when the roles are resolved); and `operator_gassed`'s collection wallets are left out of the
seeds (a ring's reused laundering wallet it names also banks its own clean takings at its own exchange account,
which this walk, seeded with all it received, took for a mule's: 9 wrong cash-out accounts on the tuning worlds).
"""

from __future__ import annotations

from pigtrace.detect.base import AnalysisContext, Finding
from pigtrace.detect.propagation import Propagation

LATE_SOURCES = ("platform_payout", "victim_payout", "victim_fed_laundering", "gas_funder", "laundering_source",
                "laundering_chain", "mule_deposit", "otc_cash_out", "ring_feeders")


class LatePropagation(Propagation):
    id = "late_propagation"
    help = (
        "Laundering and cash-out found by the forward walk of `propagation`, run again once every other detector "
        "has named its collection and laundering wallets (collection wallets found backwards, from their "
        "victims or from where their money went, are walked too); only wallets not already found in that role."
    )
    reads = Propagation.reads + tuple(f"findings:{s}" for s in ("propagation", *LATE_SOURCES))
    writes = ("findings:late_propagation",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        known = {(f.chain, f.address, f.role) for f in ctx.findings}
        return [f for f in super().detect(ctx) if (f.chain, f.address, f.role) not in known]


DETECTORS = [LatePropagation]
