"""Run the real `pigtrace` command in a subprocess, as a user would."""

from __future__ import annotations

import subprocess
import sys


def pigtrace(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "pigtrace", *args], capture_output=True, text=True, check=False, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"pigtrace {' '.join(args)} failed:\n{proc.stderr}")
    return proc
