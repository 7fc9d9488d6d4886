"""Progress of long library functions (an ingest, the analysis, the simulator): each takes ``progress``, a
callback it calls with a few words naming each step as the step starts ("reading logs.csv", "merging
transfers", "detector approval_drain"). The default says nothing; the CLI shows the steps on a terminal.
Library code never imports Rich."""

from __future__ import annotations

from typing import Callable

Progress = Callable[[str], None]


def quiet(step: str) -> None:
    """The default progress callback: shows nothing."""
