"""Build tests/fixtures/xblock_slice/ from the XBlock phishing first-order folder (see that README).

    python scripts/build_xblock_slice.py ../shared/data/eval-only/eth-phishing-xblock-first-order

Picks, deterministically (ordered by md5 of the address), normal centres with no label in the shipped
packs, 8 to 150 transactions each and no call data over 200 characters, until about 1,200 transactions;
and 8 phishing centres with 5 to 60 transactions that the shipped packs label as phishing. Each centre's
whole published history is converted by bench/real_xblock.py's ``convert`` (exact wei through Decimal,
unknown fields empty) into ``normal/`` and ``phishing/`` ethereum-etl exports, and ``centres.csv`` gets
the labels file (normal / scam_collection) for ``pigtrace evaluate --labels``.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from real_xblock import convert  # noqa: E402

from pigtrace.labels.packs import pack_paths  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "xblock_slice"
NORMAL_ROWS = 1200
PHISHING = 8


def pick(src: Path) -> tuple[list[str], list[str]]:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE c AS SELECT * FROM read_csv('{src / 'centers.csv'}', all_varchar=true)")
    con.execute(f"CREATE TABLE t AS SELECT center, input FROM read_csv('{src / 'transactions.csv.gz'}', all_varchar=true)")
    con.execute("CREATE TABLE l AS SELECT address, concepts FROM read_parquet(?) WHERE chain = 'ethereum'",
                [[str(p) for p in pack_paths()]])
    normal = [a for (a,) in con.execute(
        f"""WITH ok AS (
                SELECT c.address, c.n_tx::INT AS n, md5(c.address) AS h FROM c
                WHERE c.label = '0' AND c.n_tx::INT BETWEEN 8 AND 150
                  AND c.address NOT IN (SELECT address FROM l)
                  AND NOT EXISTS (SELECT 1 FROM t WHERE t.center = c.address AND length(t.input) > 200))
            SELECT address FROM (SELECT address, sum(n) OVER (ORDER BY h) AS cum FROM ok) WHERE cum <= {NORMAL_ROWS}
            ORDER BY address""").fetchall()]
    phishing = [a for (a,) in con.execute(
        f"""SELECT address FROM c WHERE label = '1' AND n_tx::INT BETWEEN 5 AND 60
              AND address IN (SELECT address FROM l WHERE list_contains(concepts, 'phishing'))
            ORDER BY md5(address) LIMIT {PHISHING}""").fetchall()]
    return normal, sorted(phishing)


def main() -> None:
    src = Path(sys.argv[1])
    normal, phishing = pick(src)
    shutil.rmtree(OUT / "normal", ignore_errors=True)
    shutil.rmtree(OUT / "phishing", ignore_errors=True)
    n = convert(src, OUT / "normal", normal)
    p = convert(src, OUT / "phishing", phishing)
    with open(OUT / "centres.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["address", "label"])
        w.writerows([(a, "normal") for a in normal] + [(a, "scam_collection") for a in phishing])
    print(f"{len(normal)} normal centres, {n['transactions']} transactions; "
          f"{len(phishing)} phishing centres, {p['transactions']} transactions")


if __name__ == "__main__":
    main()
