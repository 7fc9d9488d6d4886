"""The /v1 API: each route validates its input, calls the library function the CLI calls, and answers
JSON. Reads run on a connection of their own; writes (label imports, saved cases, analyses) go through the
warehouse's single writer (``access.Warehouse``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal, Optional

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse

from pigtrace import __version__
from pigtrace.cli.common import to_jsonable
from pigtrace.errors import PigtraceError
from pigtrace.labels.screen import risk_counts, screen
from pigtrace.labels.urls import check_urls
from pigtrace.service import profile
from pigtrace.service.access import Warehouse
from pigtrace.service.deps import index, read_key, warehouse, write_key
from pigtrace.service.errors import NotFound
from pigtrace.service.models import AnalysisRequest, CaseRequest, LabelImport, ScreenBatch, UrlBatch
from pigtrace.service.screen_index import DEFAULT_HOPS, ScreenIndex
from pigtrace.trace import case_store  # registers the cases table before the service opens the warehouse

router = APIRouter(prefix="/v1", dependencies=[Depends(read_key)])
AddressPath = Path(..., min_length=1, max_length=128, description="An address (EVM 0x..., Tron T..., ...).")


def _json(obj, status: int = 200) -> Response:
    return Response(json.dumps(to_jsonable(obj), separators=(",", ":")), status_code=status,
                    media_type="application/json")


@router.get("/health", summary="Service and warehouse state")
def health(wh: Warehouse = Depends(warehouse), ix: ScreenIndex = Depends(index)) -> Response:
    with wh.reader() as con:
        runs = con.execute("SELECT max(id), max(finished) FROM analysis_runs").fetchall()[0]
    return _json({"status": "ok", "version": __version__, "warehouse": wh.path, "read_only": wh.read_only,
                  "writes": wh.version, "latest_analysis": {"id": runs[0], "finished": runs[1]},
                  "screen_index": ix.status()})


@router.get("/explorers", summary="Block-explorer page templates per chain: [transaction page, address page], "
                                   "'{}' the hash or address (Tron hashes without 0x)")
def explorers() -> Response:
    from pigtrace.chains.registry import EXPLORERS

    return _json({chain: list(pages) for chain, pages in EXPLORERS.items()})


@router.get("/screen/{address}", summary="Screen one address: risk, reasons, labels, exposure")
async def screen_one(address: str = AddressPath, chain: Optional[str] = Query(None, max_length=40),
                     hops: int = Query(DEFAULT_HOPS, ge=0, le=4), ix: ScreenIndex = Depends(index),
                     wh: Warehouse = Depends(warehouse)) -> Response:
    if ix.ready and chain is None and hops == DEFAULT_HOPS:
        risk, answer = ix.answer(address)
        if risk != "error":
            return Response(answer, media_type="application/json")
    result = _screen_live(wh, [address], chain, hops)[0]
    if result["risk"] == "error":
        raise PigtraceError(result["error"])
    return _json(result)


def _screen_live(wh: Warehouse, items: list[str], chain: Optional[str], hops: int) -> list[dict]:
    with wh.reader() as con:
        return screen(con, items, chain, hops)


@router.post("/screen", summary="Screen up to 1,000 addresses in one request")
def screen_batch(body: ScreenBatch, ix: ScreenIndex = Depends(index), wh: Warehouse = Depends(warehouse)) -> Response:
    if ix.ready and body.chain is None and body.hops == DEFAULT_HOPS:
        answers = [ix.answer(a) for a in body.addresses]
        counts: dict[str, int] = risk_counts([])
        for risk, _ in answers:
            counts[risk] = counts.get(risk, 0) + 1
        head = json.dumps({"counts": counts}, separators=(",", ":"))[:-1].encode()
        return Response(head + b',"results":[' + b",".join(a for _, a in answers) + b"]}",
                        media_type="application/json")
    results = _screen_live(wh, body.addresses, body.chain, body.hops)
    return _json({"counts": risk_counts(results), "results": results})


@router.get("/urls/check", summary="Check one URL or domain: blocked, lookalike, suspicious, allowed or unknown")
def url_one(url: str = Query(..., min_length=1, max_length=2048)) -> Response:
    return _json(check_urls([url])[0])


@router.post("/urls/check", summary="Check up to 1,000 URLs or domains")
def url_batch(body: UrlBatch) -> Response:
    return _json({"results": check_urls(body.urls)})


@router.get("/addresses/{address}", summary="Address profile: risk, labels with provenance, findings, ring, "
                                            "cluster, entity, activity")
def address_profile(address: str = AddressPath, chain: Optional[str] = Query(None, max_length=40),
                    ix: ScreenIndex = Depends(index), wh: Warehouse = Depends(warehouse)) -> Response:
    with wh.reader() as con:
        answer = json.loads(ix.answer(address)[1]) if ix.ready and chain is None else screen(con, [address], chain)[0]
        if answer["risk"] == "error":
            raise PigtraceError(answer["error"])
        return _json(profile.profile(con, answer))


@router.get("/addresses/{address}/flows", summary="The address's largest counterparties by USD, each way")
def address_flows(address: str = AddressPath, chain: Optional[str] = Query(None, max_length=40),
                  limit: int = Query(12, ge=1, le=200), wh: Warehouse = Depends(warehouse)) -> Response:
    with wh.reader() as con:
        return _json(profile.flows(con, address, chain, limit))


@router.get("/trace/{source}", summary="Follow money forward from an address or a transaction")
def trace_money(source: str = Path(..., min_length=1, max_length=128),
                method: Literal["fifo", "haircut", "poison"] = "fifo", hops: int = Query(8, ge=1, le=32),
                min_usd: float = Query(1.0, ge=0, le=1e12),
                follow: Literal["auto", "sent", "received"] = "auto",
                chain: Optional[str] = Query(None, max_length=40),
                wh: Warehouse = Depends(warehouse)) -> Response:
    from pigtrace.trace.run import trace

    with wh.reader() as con:
        res = trace(con, source, method=method, hops=hops, min_usd=min_usd, follow=follow, chain=chain, hop_rows=500)
    return _json({**res.as_dict(), "chain": res.chain, "follow": res.follow, "hops_total": res.hops_total})


@router.get("/addresses/{address}/case", summary="The address's case, built now and not saved (as `pigtrace "
                                                 "case --no-save`)")
def address_case(address: str = AddressPath, chain: Optional[str] = Query(None, max_length=40),
                 method: Literal["fifo", "haircut", "poison"] = "fifo", wh: Warehouse = Depends(warehouse)) -> Response:
    from pigtrace.trace.case import build_case

    with wh.reader() as con:
        return _json(build_case(con, address, chain=chain, method=method).as_dict())


@router.get("/audit/{address}", summary="The wallet owner's check (`pigtrace audit`): outstanding allowances, value "
                                        "at risk, risky spenders, payments to flagged wallets, look-alikes, advice")
def audit(address: str = AddressPath, chain: Optional[str] = Query(None, max_length=40),
          at: Optional[datetime] = Query(None, description="Audit as of this time (ISO 8601; default: now)."),
          wh: Warehouse = Depends(warehouse)) -> Response:
    from pigtrace.audit.wallet import audit_wallet

    with wh.reader() as con:
        return _json(audit_wallet(con, address, chain=chain, at=at))


@router.get("/cases", summary="Saved cases")
def cases(wh: Warehouse = Depends(warehouse)) -> Response:
    with wh.reader() as con:
        try:
            return _json({"cases": case_store.list_cases(con)})
        except duckdb.CatalogException:  # a read-only warehouse no case was ever saved in
            return _json({"cases": []})


@router.get("/cases/{case_id}", summary="One saved case")
def case(case_id: int = Path(..., ge=1, le=2**62), wh: Warehouse = Depends(warehouse)) -> Response:
    with wh.reader() as con:
        try:
            return _json(case_store.load_case(con, case_id))
        except (PigtraceError, duckdb.CatalogException):
            raise NotFound(f"case {case_id}: no such case in this warehouse (GET /v1/cases lists them)") from None


REPORT_TYPES = {"html": ("text/html; charset=utf-8", "html"), "pdf": ("application/pdf", "pdf"),
                "stix": ("application/json", "stix.json"), "graphml": ("application/xml", "graphml"),
                "tagpack": ("application/yaml", "yaml")}


@router.get("/cases/{case_id}/report", summary="A saved case as a report or export (`pigtrace report`): html, pdf, "
                                               "stix, graphml or tagpack")
def case_report(case_id: int = Path(..., ge=1, le=2**62),
                format: Literal["html", "pdf", "stix", "graphml", "tagpack"] = "html",
                wh: Warehouse = Depends(warehouse)) -> Response:
    import tempfile

    from pigtrace.report.build import render

    media, suffix = REPORT_TYPES[format]
    with wh.reader() as con:
        try:
            case = case_store.load_case(con, case_id)
        except (PigtraceError, duckdb.CatalogException):
            raise NotFound(f"case {case_id}: no such case in this warehouse (GET /v1/cases lists them)") from None
        with tempfile.TemporaryDirectory() as tmp:
            out = render(con, case, format, f"{tmp}/case-{case_id}.{suffix}")[0]
            body = out.read_bytes()
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="pigtrace-case-{case_id}.{suffix}"'})


@router.post("/cases", status_code=201, dependencies=[Depends(write_key)],
             summary="Build a case from an address and save it (needs an API key)")
def create_case(body: CaseRequest, wh: Warehouse = Depends(warehouse)) -> Response:
    from pigtrace.trace.case import build_case

    def work(con):
        c = build_case(con, body.address, chain=body.chain, method=body.method, hops=body.hops,
                       min_usd=body.min_usd, payments=body.payments, as_=body.as_)
        case_store.save_case(con, c)
        return {**c.as_dict(), "created": c.created}

    return _json(wh.write("case", work, refresh=False), 201)  # a saved case changes no screening answer


@router.get("/findings", summary="Findings of the latest analysis, highest score first, paged")
def findings(role: Optional[str] = Query(None, max_length=40), chain: Optional[str] = Query(None, max_length=40),
             min_score: float = Query(0.0, ge=0, le=1), limit: int = Query(50, ge=1, le=1000),
             offset: int = Query(0, ge=0, le=10**9), wh: Warehouse = Depends(warehouse)) -> Response:
    with wh.reader() as con:
        return _json(profile.findings_page(con, role, chain, min_score, limit, offset))


@router.get("/labels/packs", summary="Label packs in the warehouse with their origin and size")
def label_packs(wh: Warehouse = Depends(warehouse)) -> Response:
    from pigtrace.labels.store import list_packs

    with wh.reader() as con:
        return _json({"packs": list_packs(con)})


@router.get("/labels/packs/{pack}/tagpack", summary="One pack as GraphSense TagPack YAML (`labels export`)")
def label_pack_export(pack: str = Path(..., min_length=1, max_length=120), wh: Warehouse = Depends(warehouse)) -> Response:
    from pigtrace.labels.store import list_packs
    from pigtrace.labels.tagpack import exported_pack

    with wh.reader() as con:
        known = {p["pack"]: p["origin"] for p in list_packs(con)}
        if pack not in known:
            raise NotFound(f"pack {pack!r}: not in this warehouse (GET /v1/labels/packs lists them)")
        return Response(exported_pack(con, pack, known[pack]), media_type="application/yaml")


@router.post("/labels", status_code=201, dependencies=[Depends(write_key)],
             summary="Import a TagPack as a user pack (`labels import`: replaces a pack of the same name; needs an "
                     "API key)")
def label_import(body: LabelImport, wh: Warehouse = Depends(warehouse)) -> Response:
    from pigtrace.labels.store import replace_pack
    from pigtrace.labels.tagpack import parse_tagpack_text

    got = parse_tagpack_text(body.tagpack, "tagpack", body.pack)
    document = got.text if body.pack is None or body.pack == got.header.get("title") else None
    count = wh.write("labels", lambda con: replace_pack(con, got.name, got.rows, header=got.header, document=document))
    return _json({"pack": got.name, "labels": count}, 201)


@router.post("/analyses", status_code=202, dependencies=[Depends(write_key)],
             summary="Start pigtrace analyze in the background (needs an API key); poll /v1/jobs/{id}")
def start_analysis(body: AnalysisRequest, wh: Warehouse = Depends(warehouse)) -> Response:
    from pigtrace.detect.run import analyze

    job, _ = wh.submit("analysis", lambda con: analyze(con, only=body.only, chain=body.chain,
                                                       behaviour_only=body.behaviour_only))
    return _json(job.as_dict(), 202)


@router.get("/jobs/{job_id}", summary="State of a queued write: queued, running, done or failed")
def job(job_id: int = Path(..., ge=1, le=2**62), wh: Warehouse = Depends(warehouse)) -> Response:
    j = wh.job(job_id)
    if j is None:
        raise NotFound(f"job {job_id}: not known to this service (jobs are kept while it runs)")
    return _json(j.as_dict())
