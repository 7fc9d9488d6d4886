"""The web pages: one HTML shell and its script and style (``static/``, shipped built: no build step), served
for every page path; the script reads the /v1 API. Paths: ``/`` (search), ``/address/ADDR``, ``/case/ID``,
``/cases``, ``/trace/TX_OR_ADDR``, ``/url?u=...``, ``/check`` and ``/check/ADDR`` (the wallet check)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
_SHELL = (STATIC / "index.html").read_text()


def _shell() -> HTMLResponse:
    return HTMLResponse(_SHELL, headers={"Cache-Control": "no-cache"})


@router.get("/")
@router.get("/cases")
@router.get("/check")
@router.get("/url")
def page() -> HTMLResponse:
    return _shell()


@router.get("/address/{address}")
@router.get("/case/{case_id}")
@router.get("/trace/{source}")
@router.get("/check/{address}")
def page_for(address: str = "", case_id: str = "", source: str = "") -> HTMLResponse:
    return _shell()


@router.get("/static/{name}")
def asset(name: str) -> FileResponse:
    from fastapi import HTTPException

    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise HTTPException(404, f"no such file: {name}")
    return FileResponse(path, headers={"Cache-Control": "max-age=300"})
