"""The clustering heuristics, in the order their links are applied: most certain first. The order matters
only for the size cap (``cluster.union``): a heuristic whose links would grow a cluster past it loses those
links, and the ones applied before it keep theirs."""

from __future__ import annotations

from pigtrace.cluster.approval_spender import ApprovalSpender
from pigtrace.cluster.base import Heuristic
from pigtrace.cluster.co_spending import CoSpending
from pigtrace.cluster.deposit_reuse import DepositReuse
from pigtrace.cluster.gas_funder import GasFunder
from pigtrace.cluster.tagpack_definer import TagpackDefiner
from pigtrace.errors import PigtraceError

HEURISTICS: list[type[Heuristic]] = [TagpackDefiner, ApprovalSpender, CoSpending, DepositReuse, GasFunder]
# Entities a tag author asserted: never cut by the size cap.
ASSERTED = frozenset({TagpackDefiner.id})
NAMES = [h.id for h in HEURISTICS]


def select(only: list[str] | None = None, without: list[str] | None = None) -> list[Heuristic]:
    """The heuristics to run: ``only`` (all when empty) less ``without``, in registry order."""
    for name in (only or []) + (without or []):
        if name not in NAMES:
            raise PigtraceError(f"unknown heuristic {name!r}; the heuristics are {', '.join(NAMES)}")
    chosen = [h() for h in HEURISTICS if (not only or h.id in only) and h.id not in (without or [])]
    if not chosen:
        raise PigtraceError("no heuristic left to run (--without removed every one that was chosen)")
    return chosen
