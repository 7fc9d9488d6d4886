"""Mules' exchange accounts found again once every other detector has named the ring's laundering wallets.

Place in the flow: every other detector (late_propagation, late_gas_funder, late_operator_gassed included) ->
**late_mule_deposit** -> late_victims -> merge. ``mule_deposit`` runs before ``laundering_chain``,
``operator_gassed``, ``ring_feeders`` and the late stages, and an account where the scam's wallets meet (two or
more of them paid it, or nothing but them did) is judged by the haircut share only when it knows those payers
as the scam's. A peel chain whose money an exchange withdrawal diluted upstream is the case it misses: the
time-ordered walk gives its first accounts all the scam money and the later ones none, and the hops that pay
the later ones are named only by the detectors after it (Ethereum ``style=random`` tuning seed 50: four mules'
accounts of one ring, each paid by one or two hops that ``laundering_chain`` and ``operator_gassed`` found).
This stage runs ``mule_deposit``'s rule again over every finding by then and names only accounts not already
found as cash-out.

What breaks it: as for ``mule_deposit`` (an account paid also by ordinary wallets is judged by the
time-ordered walk alone), and a laundering wallet found wrongly makes the accounts it alone paid mules' too.
"""

from __future__ import annotations

from pigtrace.detect import late_gas
from pigtrace.detect.base import AnalysisContext, Finding
from pigtrace.detect.cash_out import MuleDeposit
from pigtrace.detect.flow_taint import DUST_USD, store_pairs

# operator_gassed's collection wallets, as late_propagation leaves them out of its walk: a ring's reused laundering
# wallet that the rule takes for a collection wallet banks its own takings (received before any of the ring's money)
# at its own exchange account, which a walk from it takes for a mule's (on the 278 tuning worlds this stage named
# 36 accounts without this, 9 of them wrong, all paid only by such wallets; with it 22, none wrong, 5 right lost)
GASSED = ("operator_gassed", "late_operator_gassed")


class LateMuleDeposit(MuleDeposit):
    id = "late_mule_deposit"
    help = (MuleDeposit.help + " Run again last, with every laundering wallet the other detectors found counted "
            "among the scam's wallets; only accounts not found as cash-out before.")
    reads = tuple(dict.fromkeys((*MuleDeposit.reads, *late_gas.LATE_READS,
                                 *(f"findings:{d.id}" for d in late_gas.DETECTORS))))
    writes = ("findings:late_mule_deposit",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        known = {(f.chain, f.address) for f in ctx.findings if f.role in self.roles}
        found = [f for f in super().detect(ctx) if (f.chain, f.address) not in known]
        gassed_only = _gassed_only(ctx)
        if not found or not gassed_only:
            return found
        store_pairs(ctx.con, "pt_lm_gassed", gassed_only)
        store_pairs(ctx.con, "pt_lm_found", {(f.chain, f.address) for f in found})
        # the scam wallets that paid each new account, as mule_deposit counted them (pt_mule_scam_payers)
        others = set(ctx.con.execute(
            f"""SELECT DISTINCT e.chain, e.dst FROM pt_edges e
                SEMI JOIN pt_lm_found a ON a.chain = e.chain AND a.address = e.dst
                SEMI JOIN pt_mule_scam_payers s ON s.chain = e.chain AND s.address = e.src
                ANTI JOIN pt_lm_gassed g ON g.chain = e.chain AND g.address = e.src
                WHERE e.usd >= {DUST_USD}""").fetchall())
        return [f for f in found if (f.chain, f.address) in others]


def _gassed_only(ctx: AnalysisContext) -> set[tuple[str, str]]:
    """Collection wallets only the operator_gassed rules named."""
    gassed = {(f.chain, f.address) for d in GASSED for f in ctx.findings_of.get(d, ()) if f.role == "scam_collection"}
    named = {(f.chain, f.address) for d, fs in ctx.findings_of.items() if d not in GASSED
             for f in fs if f.role == "scam_collection"}
    return gassed - named


DETECTORS = [LateMuleDeposit]
