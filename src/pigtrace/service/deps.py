"""What each request is given: the warehouse and screening index of its service, and the key checks
(writes always need a key; reads need one only when the service listens beyond loopback)."""

from __future__ import annotations

from typing import Optional

from fastapi import Header, HTTPException, Request

from pigtrace.service.access import Warehouse
from pigtrace.service.keys import accepted, presented
from pigtrace.service.screen_index import ScreenIndex


def warehouse(request: Request) -> Warehouse:
    return request.app.state.warehouse


def index(request: Request) -> ScreenIndex:
    return request.app.state.index


def _check(request: Request, authorization: Optional[str], x_api_key: Optional[str]) -> None:
    keys = request.app.state.keys
    if not keys:
        raise HTTPException(403, "this service has no API keys configured (PIGTRACE_API_KEYS or --api-keys-file), "
                                 "so it accepts no writes")
    if not accepted(keys, presented(authorization, x_api_key)):
        raise HTTPException(401, "a valid API key is needed (header 'Authorization: Bearer KEY' or 'X-API-Key')",
                            headers={"WWW-Authenticate": "Bearer"})


def write_key(request: Request, authorization: Optional[str] = Header(None, max_length=512),
              x_api_key: Optional[str] = Header(None, max_length=512)) -> None:
    _check(request, authorization, x_api_key)


def read_key(request: Request, authorization: Optional[str] = Header(None, max_length=512),
             x_api_key: Optional[str] = Header(None, max_length=512)) -> None:
    if not request.app.state.reads_open:
        _check(request, authorization, x_api_key)
