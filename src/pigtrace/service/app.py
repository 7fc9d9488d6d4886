"""Builds the service: the FastAPI application over one warehouse, with the /v1 API, its OpenAPI document
at /openapi.json, the pages, the body limit and the error answers. ``pigtrace serve`` runs it under uvicorn."""

from __future__ import annotations

import threading

from fastapi import FastAPI

from pigtrace import __version__
from pigtrace.service import api, errors, pages
from pigtrace.service.fast_screen import ScreenFastPath
from pigtrace.service.access import Warehouse
from pigtrace.service.keys import load_keys
from pigtrace.service.screen_index import ScreenIndex

DESCRIPTION = """Screening, tracing, cases, wallet audits and labels of one pigtrace warehouse.

Reads are open when the service listens on loopback; writes (label imports, saved cases, analyses) need an
API key: `Authorization: Bearer KEY` or `X-API-Key: KEY`. Errors answer `{"error": ..., "field": ...}`."""


def create_app(db: str | None = None, api_keys_file: str | None = None, reads_open: bool = True,
               read_only: bool = False, index_now: bool = False) -> FastAPI:
    """``index_now``: build the screening index before returning (tests); otherwise it builds in the
    background and screening answers from the library until it is ready."""
    app = FastAPI(title="pigtrace", version=__version__, description=DESCRIPTION,
                  docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    app.state.keys = load_keys(api_keys_file)
    app.state.reads_open = reads_open
    app.state.warehouse = Warehouse(db, read_only=read_only)
    app.state.index = ScreenIndex()
    app.state.warehouse.on_write(app.state.index.rebuild)
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(errors.BodyLimit)
    app.add_middleware(ScreenFastPath, state=app.state)
    if index_now:
        app.state.warehouse.refresh()
    else:
        threading.Thread(target=app.state.warehouse.refresh, name="pigtrace-index", daemon=True).start()
    return app
