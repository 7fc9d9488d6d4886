"""Gas funders, and the wallets they fuelled, found again once every other detector has named the ring's wallets.

Place in the flow: every other detector (late_propagation included) -> **late_gas_funder** -> **late_operator_gassed**
-> merge. ``gas_funder`` runs early: it counts the top-ups that reached wallets the first detectors found
(collection wallets, the laundering its own detector traced). A ring whose collection wallets are paid from its
victims' exchange accounts gives those detectors little, and its funder's top-ups then reach fewer than two such
wallets, or under half of all it fuelled; the consolidation wallets and hops it also fuels are found later, by
the forward walk (``propagation``, ``late_propagation``) and by the detectors that work backwards
(``ring_feeders``, ``laundering_source``). These two
stages run ``gas_funder``'s rule and ``operator_gassed``'s rule again over every finding by then, and name only
wallets not found in any role before. The second names laundering wallets only: the wallets left unfound this
late that its collection rule takes are mostly laundering wallets that also take clean exchange withdrawals
(Ethereum ``style=random`` tuning seeds 15-44, measured with it: one collection wallet right, three laundering
wallets wrong). There the two stages name 11 funders and 5 laundering wallets, none wrong.

What breaks it: as for the two rules (gas from exchanges or from each wallet's own payer; a funder whose top-ups
reach fewer than ``MIN_FUNDED`` found wallets, or mostly wallets nothing found).
"""

from __future__ import annotations

from pigtrace.detect import cash_out, laundering_chain, late_propagation, ring_feeders
from pigtrace.detect.base import AnalysisContext, Finding
from pigtrace.detect.laundering import GasFunder
from pigtrace.detect.operator_gassed import OperatorGassed

# every detector before these two: the funders' top-ups count against all they found
LATE_READS = tuple(dict.fromkeys(
    t for d in (OperatorGassed, laundering_chain.LaunderingChain, *cash_out.DETECTORS, ring_feeders.RingFeeders,
                late_propagation.LatePropagation)
    for t in (*d.reads, *d.writes) if t.startswith("findings:")))


class LateGasFunder(GasFunder):
    id = "late_gas_funder"
    help = (GasFunder.help + " Run again last, counting the wallets every other detector found (the laundering "
            "the forward walk traced, the collection wallets found backwards); only funders not found before.")
    reads = tuple(dict.fromkeys((*GasFunder.reads, *LATE_READS)))
    writes = ("findings:late_gas_funder",)


class LateOperatorGassed(OperatorGassed):
    id = "late_operator_gassed"
    help = (OperatorGassed.help + " Run from the funders `late_gas_funder` found; names laundering wallets only.")
    roles = ("laundering",)
    reads = tuple(dict.fromkeys((*OperatorGassed.reads, *LATE_READS, "findings:late_gas_funder")))
    writes = ("findings:late_operator_gassed",)
    funder_detector = "late_gas_funder"

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        return [f for f in super().detect(ctx) if f.role in self.roles]


DETECTORS = [LateGasFunder, LateOperatorGassed]
