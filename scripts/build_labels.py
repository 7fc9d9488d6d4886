"""Rebuild the shipped label packs in src/pigtrace/data/labels/ from the raw third-party files.

Usage: python scripts/build_labels.py [SOURCE_DIR] (default: ../shared/data next to the repository).
Same as `pigtrace labels build --from SOURCE_DIR`.
"""

import sys
from pathlib import Path

from pigtrace.labels.build import build_all
from pigtrace.labels.packs import DATA_DIR

if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data"
    m = build_all(src, DATA_DIR)
    for name, info in m["packs"].items():
        print(f"{name:28s} {info['rows']:>7d} labels")
    print(f"{'domains':28s} {m['domains']['rows']:>7d} entries")
    print(f"version {m['version']}")
