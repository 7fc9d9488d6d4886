"""The forward walk again, from the collection wallets the detectors after it found.

Place in the flow: every other detector -> **late_propagation** -> late_gas (the gas-funder rules again) -> merge.
``propagation`` walks the victims' money forward from the collection wallets the collection detectors found; the
detectors after it find more (``laundering_source`` from the laundering it traced, ``ring_feeders`` backwards from
where the ring's money went, the platform payout wallets' victims' wallets), and the money those took in was walked
by nobody: the ring's consolidation wallets and mules' accounts downstream of them stayed unfound. This stage runs
the same walk (propagation's rules and bars) from the collection wallets found after the first walk, with every
laundering wallet found by then counted as the ring's (so a hub whose payers are the ring's hops is no OTC desk and
the walk goes on through it), and adds only what is new: a wallet already found in a role keeps the finding and
score it has. Walking from every collection wallet again found a few more wallets (7 laundering wallets and a mule
account on the 30 Ethereum `style=random` tuning worlds, where the first walk's money and the new one's together
pass a bar) but cost twice the time (at 10.67M transfers about 8 s against 3.5 s).

What breaks it: such a hub keeps the cash-out finding the first walk or `otc_cash_out` gave it (cash-out wins
over laundering when the roles are resolved); and `operator_gassed`'s collection wallets are left out of the
seeds (a ring's reused laundering wallet it names also banks its own clean takings at its own exchange account,
which this walk, seeded with all it received, took for a mule's: 9 wrong cash-out accounts on the tuning worlds).
"""

from __future__ import annotations

from pigtrace.detect.base import AnalysisContext
from pigtrace.detect.flow_taint import is_seed
from pigtrace.detect.propagation import Propagation

# the detectors whose collection wallets `propagation` walked from
FIRST_SOURCES = tuple(t.split(":", 1)[1] for t in Propagation.reads if t.startswith("findings:"))
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

    def seeds(self, ctx: AnalysisContext) -> set[tuple[str, str]]:
        """The collection wallets found after the first walk: those it started from were walked already."""
        walked = {(f.chain, f.address) for source in FIRST_SOURCES for f in ctx.findings_of.get(source, ())
                  if is_seed(f)}
        return super().seeds(ctx) - walked

    def already_found(self, ctx: AnalysisContext) -> set[tuple[str, str, str]]:
        return {(f.chain, f.address, f.role) for f in ctx.findings}


DETECTORS = [LatePropagation]
