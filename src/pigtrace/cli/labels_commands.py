"""`pigtrace labels import|export|update|build|list`, `pigtrace screen` and `pigtrace check-url`."""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import Optional

import duckdb
import typer

from pigtrace.cli.common import DbOption, ForceOption, Format, FormatOption, console, emit, fail, friendly, refuse_existing
from pigtrace.errors import PigtraceError
from pigtrace.store.warehouse import connect, db_path

labels_app = typer.Typer(rich_markup_mode="markdown", help="Label packs (GraphSense TagPacks): import, export, update, build, list.",
                         no_args_is_help=True)


def _warehouse(db: str | None):
    from pigtrace.labels.shipped import ensure_loaded

    con = connect(db_path(db))
    ensure_loaded(con)
    return con


def _screening_db(db: str | None):
    """The warehouse when it exists, else an in-memory one holding the shipped labels only.

    A warehouse that cannot be written (a read-only file or folder, or another process holding it) is
    opened read-only, and the shipped packs are read straight from the package when it does not hold
    this version of them (``shipped_view``): reading commands work on a read-only copy."""
    from pigtrace.labels.shipped import ensure_loaded, shipped_view

    target = db_path(db)
    if not Path(target).exists():
        con = connect(":memory:")
        ensure_loaded(con)
        return con
    if _writable(target):
        con = None
        try:
            con = connect(target)
            ensure_loaded(con)
            return con
        except (PigtraceError, duckdb.Error):
            if con is not None:
                con.close()  # cannot write after all (locked, read-only mount): read it read-only below
    con = connect(target, read_only=True)
    shipped_view(con)
    return con


def _writable(target: str) -> bool:
    p = Path(target)
    wal = Path(f"{target}.wal")
    return os.access(p, os.W_OK) and os.access(p.parent, os.W_OK) and (not wal.exists() or os.access(wal, os.W_OK))


def _read_items(items: list[str] | None, file: str | None) -> list[str]:
    """Arguments, then the lines of --file ('-' as an argument or file name reads stdin; '#' starts a comment)."""
    out = [x for x in (items or []) if x != "-"]
    sources = ([file] if file else []) + (["-"] if "-" in (items or []) and file != "-" else [])
    for src in sources:
        try:
            text = sys.stdin.read() if src == "-" else Path(src).read_text(encoding="utf-8")
        except OSError as e:
            raise PigtraceError(f"{src}: cannot read ({e.strerror})") from None
        lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        out += [x for x in lines if x]
    if not out:
        raise PigtraceError("nothing to check: give items as arguments or with --file FILE (or - for stdin)")
    return out


@friendly
def import_cmd(
    files: list[Path] = typer.Argument(..., help="TagPack YAML files."),
    pack: Optional[str] = typer.Option(None, "--pack", help="Pack name (default: each file's title)."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Validate TagPack YAML files and import them as user packs (a pack already in the warehouse under the
    same name is replaced; files naming the same pack, or all files with --pack, become one pack).

    Nothing is imported when any file has an error; errors name the file, line, tag and field."""
    from pigtrace.labels.store import replace_pack
    from pigtrace.labels.tagpack import read_tagpack_file

    packs: dict[str, list[dict]] = {}
    sources: dict[str, list[str]] = {}
    read: dict[str, list] = {}
    for f in files:  # validate every file before writing anything; files naming the same pack merge
        got = read_tagpack_file(f, pack)
        packs.setdefault(got.name, []).extend(got.rows)
        sources.setdefault(got.name, []).append(str(f))
        read.setdefault(got.name, []).append(got)
    con = _warehouse(db)
    rows = []
    for name, tags in packs.items():  # one file's text is kept whole for export; merged files keep the first header
        first = read[name][0]
        document = first.text if len(read[name]) == 1 and (pack is None or pack == first.header.get("title")) else None
        rows.append({"files": " ".join(sources[name]), "pack": name,
                     "labels": replace_pack(con, name, tags, header=first.header, document=document)})
    emit(rows, fmt, title="imported")


@friendly
def export_cmd(
    out: Path = typer.Argument(..., help="Folder for one <pack>.yaml per pack, or a .yaml file for one pack "
                               "(a new or empty one, unless --force)."),
    pack: Optional[list[str]] = typer.Option(None, "--pack", help="Export this pack (repeatable)."),
    origin: str = typer.Option("user", "--origin", help="Which packs: user, update, shipped or all."),
    force: bool = ForceOption,
    db: Optional[str] = DbOption,
) -> None:
    """Write label packs as GraphSense TagPack YAML (user packs by default), into a new or empty folder or
    .yaml file; --force writes into any folder (replacing files of the same name) or over the file.

    An imported pack is written as it was imported: the file's own text when the pack came from one file
    and its labels are unchanged, else its labels under the header it was imported with (title, creator,
    description, is_public). Other packs get pigtrace's header."""
    from pigtrace.labels.store import list_packs
    from pigtrace.labels.tagpack import exported_pack

    if origin not in ("user", "update", "shipped", "all"):
        fail(f"--origin {origin!r}: expected user, update, shipped or all")
    refuse_existing(out, force, folder=out.suffix not in (".yaml", ".yml"))
    con = _screening_db(db)
    known = {p["pack"]: p["origin"] for p in list_packs(con)}
    names = list(pack) if pack else [p for p, o in known.items() if origin == "all" or o == origin]
    for n in names:
        if n not in known:
            fail(f"--pack {n!r}: no such pack in {db_path(db)} (packs: {', '.join(sorted(known))})")
    if not names:
        fail(f"no {origin} packs to export (import one with `pigtrace labels import`)")
    single = out.suffix in (".yaml", ".yml")
    if single and len(names) != 1:
        fail(f"{out}: a single .yaml file holds one pack, but {len(names)} packs were selected; give a folder")
    if not single:
        out.mkdir(parents=True, exist_ok=True)
    for n in names:
        target = out if single else out / f"{n}.yaml"
        target.write_text(exported_pack(con, n, known[n], str(target)), encoding="utf-8")
        console.print(f"{target}: {n}")


@friendly
def update_cmd(
    ofac: Path = typer.Option(..., "--ofac", help="OFAC SDN advanced XML (sdn_advanced.xml, .bz2 or .gz)."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Refresh the sanctions pack from OFAC's own SDN advanced XML (replaces pack 'ofac-sdn' in the warehouse;
    addresses OFAC removed stop screening as sanctioned)."""
    from pigtrace.labels.build import ofac_rows
    from pigtrace.labels.ofac import read_sdn_addresses
    from pigtrace.labels.shipped import OVERRIDE_PREFIX
    from pigtrace.labels.store import replace_pack

    addresses, issued = read_sdn_addresses(ofac)
    if not addresses:
        fail(f"{ofac}: no digital-currency addresses found; the warehouse was left as it was")
    rows = ofac_rows(addresses, issued, f"OFAC SDN list, {ofac.name} issued {issued}")
    con = _warehouse(db)
    before = {r[0] for r in con.execute("SELECT address FROM labels WHERE pack = 'ofac-sdn'").fetchall()}
    n = replace_pack(con, "ofac-sdn", rows, origin="update")
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [OVERRIDE_PREFIX + "ofac-sdn", issued or "unknown"])
    after = {r["address"] for r in rows}
    emit([{"pack": "ofac-sdn", "issued": issued, "labels": n, "added": len(after - before),
           "removed": len(before - after)}], fmt, title="updated")


@friendly
def build_cmd(
    source: Path = typer.Option(..., "--from", help="Folder holding the raw source folders (ofac-sdn, ...)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write the packs (default: the shipped "
                                                             "data folder inside the package)."),
    fmt: Format = FormatOption,
) -> None:
    """Rebuild the shipped packs from the raw third-party files (same as scripts/build_labels.py)."""
    from pigtrace.labels.build import build_all
    from pigtrace.labels.packs import DATA_DIR

    m = build_all(source, out or DATA_DIR)
    rows = [{"pack": k, "rows": v["rows"], "sha256": v["sha256"][:16]} for k, v in m["packs"].items()]
    rows.append({"pack": "domains", "rows": m["domains"]["rows"], "sha256": m["domains"]["sha256"][:16]})
    emit(rows, fmt, title=f"label packs, version {m['version']}")


@friendly
def list_cmd(db: Optional[str] = DbOption, fmt: Format = FormatOption) -> None:
    """The label packs in the warehouse (shipped ones are loaded first), with where each came from."""
    from pigtrace.labels.store import list_packs

    emit(list_packs(_screening_db(db)), fmt, title="label packs")


@friendly
def screen_cmd(
    addresses: Optional[list[str]] = typer.Argument(None, help="Addresses to screen ('-' reads stdin)."),
    file: Optional[str] = typer.Option(None, "--file", help="File with one address per line ('-' for stdin)."),
    chain: Optional[str] = typer.Option(None, "--chain", help="Chain of every input (default: guessed from "
                                                              "each address's form)."),
    hops: int = typer.Option(2, "--hops", min=0, max=6, help="How far exposure looks through transfers."),
    db: Optional[str] = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Risk of each address (severe/high/medium/low/none) with reasons, labels and exposure.

    Sanctioned (OFAC) = severe; scam, phishing or hacker labels and scam findings = high; exposure counts the
    USD received from / sent to risky addresses within --hops transfers in the warehouse. Works without a
    warehouse (shipped labels only); works on a read-only warehouse. A malformed address gets risk 'error'
    and does not stop the batch.

    Exit codes, for scripts: 0 every address screened, none high or severe; 3 at least one address is high or
    severe (also when some rows are errors); 1 some rows are errors (malformed addresses) and none is high or
    severe, or the command failed; 2 usage error."""
    from pigtrace.labels.screen import screen

    items = _read_items(addresses, file)
    results = screen(_screening_db(db), items, chain=chain, hops=hops)
    if fmt == Format.json:
        emit(results, fmt)
    else:
        rows = []
        for r in results:
            e = r.get("exposure") or {}
            inc, outg = e.get("incoming") or {}, e.get("outgoing") or {}
            rows.append({
                "address": r["address"], "chain": r["chain"], "risk": r["risk"],
                "labels": "; ".join(f"{x['label']} ({x['pack']})" for x in r["labels"]),
                "reasons": "; ".join(r["reasons"]) or r.get("error", ""),
                "exposure_in_usd": (inc.get("direct_usd", 0) + inc.get("indirect_usd", 0)) if e else None,
                "exposure_out_usd": (outg.get("direct_usd", 0) + outg.get("indirect_usd", 0)) if e else None,
            })
        if fmt == Format.table:  # labels are named in the reasons; the full rows in csv or json
            rows = [{**x, "in_usd": x["exposure_in_usd"], "out_usd": x["exposure_out_usd"]} for x in rows]
            emit(rows, fmt, ["address", "chain", "risk", "in_usd", "out_usd", "reasons"],
                 title="screening (full addresses and labels: --format csv or json)")
        else:
            emit(rows, fmt)
    risks = {r["risk"] for r in results}
    _exit_for_scripts(flagged=bool(risks & {"severe", "high"}), errors="error" in risks)


FLAGGED = 3  # exit code of screen and check-url: an item is high risk, blocked, a look-alike or suspicious


def _exit_for_scripts(flagged: bool, errors: bool) -> None:
    """The exit codes screen and check-url share: 3 when an item is flagged (also with error rows), else 1
    when rows are errors, else 0 (returns)."""
    if flagged:
        raise typer.Exit(FLAGGED)
    if errors:
        raise typer.Exit(1)


@friendly
def check_url_cmd(
    urls: Optional[list[str]] = typer.Argument(None, help="URLs or host names ('-' reads stdin)."),
    file: Optional[str] = typer.Option(None, "--file", help="File with one URL per line ('-' for stdin)."),
    fmt: Format = FormatOption,
) -> None:
    """Verdict for each website: allowed, blocked, lookalike, suspicious or unknown, with what matched, its
    source, and (JSON) a score from 0 to 1 and the signals behind it in plain words.

    Allowed (official brand domains, MetaMask's allow list) wins over everything; blocked = the host or a
    parent domain is on a block list (MetaMask, Sophos X-Ops pig-butchering IOCs, CryptoScamDB), the only
    verdict a list hit gets; lookalike = imitates an exchange, wallet, DeFi protocol, NFT market, bridge or
    MetaTrader (typosquat, homoglyph/punycode, extra or swapped words, other TLD); suspicious = no brand
    matched but the learned score (character patterns, lure words, abused TLDs, free hosting, digit swaps) is
    over the threshold. Malformed input gets verdict 'error' and does not stop the batch.

    Exit codes, for scripts: 0 every URL checked, none blocked, a look-alike or suspicious; 3 at least one is
    blocked, a look-alike or suspicious (also when some rows are errors); 1 some rows are errors (malformed
    URLs) and none is flagged, or the command failed; 2 usage error."""
    from pigtrace.labels.urls import check_urls

    results = check_urls(_read_items(urls, file))
    if fmt == Format.json:
        emit(results, fmt)
    else:
        emit([{**r, "matched": r.get("matched") or r.get("error")} for r in results], fmt,
             ["url", "verdict", "matched", "source"], title="websites")
    verdicts = {r["verdict"] for r in results}
    _exit_for_scripts(flagged=bool(verdicts & {"blocked", "lookalike", "suspicious"}), errors="error" in verdicts)


def _help(fn) -> str:
    """The command's docstring with its paragraphs unwrapped, so the terminal wraps them."""
    paragraphs = inspect.cleandoc(fn.__doc__ or "").split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def register(app: typer.Typer) -> None:
    for name, fn in (("import", import_cmd), ("export", export_cmd), ("update", update_cmd), ("build", build_cmd),
                     ("list", list_cmd)):
        labels_app.command(name, help=_help(fn))(fn)
    app.add_typer(labels_app, name="labels")
    app.command("screen", help=_help(screen_cmd))(screen_cmd)
    app.command("check-url", help=_help(check_url_cmd))(check_url_cmd)
