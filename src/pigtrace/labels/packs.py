"""The shipped packs on disk: their Arrow schemas, where they live, and reading them.

Address packs are Parquet files with the ``labels`` table's columns; ``domains.parquet`` holds the website
lists (``list`` is 'block', 'allow', 'fuzzy', 'url' or 'path'). ``manifest.json`` names every file with its
row count and hash; its ``version`` changes whenever any pack changes.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pigtrace.errors import PigtraceError

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "labels"

LABEL_COLUMNS = ["chain", "address", "label", "source", "confidence", "category", "abuse", "concepts", "actor",
                 "tx_hash", "lastmod", "is_cluster_definer", "context", "pack", "origin"]

LABEL_SCHEMA = pa.schema([
    ("chain", pa.string()), ("address", pa.string()), ("label", pa.string()), ("source", pa.string()),
    ("confidence", pa.string()), ("category", pa.string()), ("abuse", pa.string()),
    ("concepts", pa.list_(pa.string())), ("actor", pa.string()), ("tx_hash", pa.string()),
    ("lastmod", pa.date32()), ("is_cluster_definer", pa.bool_()), ("context", pa.string()),
    ("pack", pa.string()), ("origin", pa.string()),
])

DOMAIN_SCHEMA = pa.schema([
    ("domain", pa.string()), ("list", pa.string()), ("source", pa.string()), ("pack", pa.string()),
    ("category", pa.string()), ("concepts", pa.list_(pa.string())), ("note", pa.string()),
])


def data_dir() -> Path:
    return DATA_DIR


@lru_cache(maxsize=4)
def manifest(directory: Path = DATA_DIR) -> dict:
    path = directory / "manifest.json"
    if not path.exists():
        raise PigtraceError(f"{path}: shipped label packs are missing (run `python scripts/build_labels.py`)")
    return json.loads(path.read_text())


def pack_path(name: str, directory: Path = DATA_DIR) -> Path:
    info = manifest(directory)["packs"].get(name)
    if info is None:
        raise PigtraceError(f"no shipped pack named {name!r} (shipped: {', '.join(manifest(directory)['packs'])})")
    return directory / info["file"]


def pack_paths(directory: Path = DATA_DIR) -> list[Path]:
    return [directory / p["file"] for p in manifest(directory)["packs"].values()]


@lru_cache(maxsize=8)
def read_pack(name: str, directory: Path = DATA_DIR) -> pa.Table:
    return pq.read_table(pack_path(name, directory))


@lru_cache(maxsize=2)
def read_domains(directory: Path = DATA_DIR) -> pa.Table:
    return pq.read_table(directory / manifest(directory)["domains"]["file"])
