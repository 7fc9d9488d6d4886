"""How the service answers what went wrong: a JSON body ``{"error": ..., "field": ...}`` with a 4xx status
for every bad request (the field named where one is at fault), never a stack trace; request bodies over the
limit are refused before they are read."""

from __future__ import annotations

import logging

import duckdb
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pigtrace.errors import PigtraceError
from pigtrace.service.access import ReadOnlyService

log = logging.getLogger("pigtrace.service")
MAX_BODY = 5_000_000  # bytes; a 1,000-address batch is about 50 kB, a large TagPack a few MB


class NotFound(PigtraceError):
    """What the request names is not in the warehouse (a case id, an address never seen)."""


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        field = _field(first.get("loc", ()))
        return JSONResponse(status_code=422, content={
            "error": f"{field}: {first.get('msg', 'invalid')}" if field else first.get("msg", "invalid request"),
            "field": field or None,
            "problems": [{"field": _field(e.get("loc", ())), "problem": e.get("msg")} for e in errors[:20]]})

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"error": str(exc.detail), "field": None},
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"error": str(exc), "field": None})

    @app.exception_handler(ReadOnlyService)
    async def _read_only(request: Request, exc: ReadOnlyService) -> JSONResponse:
        return JSONResponse(status_code=403, content={"error": str(exc), "field": None})

    @app.exception_handler(PigtraceError)
    async def _refused(request: Request, exc: PigtraceError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"error": str(exc), "field": getattr(exc, "field", None)})

    @app.exception_handler(duckdb.Error)
    async def _database(request: Request, exc: duckdb.Error) -> JSONResponse:
        log.error("database error on %s: %s", request.url.path, exc)
        return JSONResponse(status_code=503, content={"error": "the warehouse could not answer this request now",
                                                      "field": None})

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse(status_code=500, content={"error": "internal error (logged by the server)", "field": None})


class BodyLimit:
    """Refuse (413) a request whose body is larger than ``limit`` bytes, by its Content-Length or while it
    streams in, so a client cannot make the service hold a huge body."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _too_large(send, self.limit)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = ('{"error":"request body larger than %d bytes","field":null}' % limit).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
