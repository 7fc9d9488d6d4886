"""The hot path of an exchange's deposit pipeline, ``GET /v1/screen/{address}`` with no query, answered
straight from the screening index before FastAPI's routing and validation run (they cost more than the
lookup). The answer is the same bytes the routed endpoint gives; anything else (a query, an input the
index calls malformed, a missing key where reads need one, the index still building) goes on to FastAPI,
which answers it in full."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from pigtrace.service.keys import accepted, presented

PREFIX = "/v1/screen/"
MAX_ADDRESS = 128
_HEADERS = [(b"content-type", b"application/json")]


class ScreenFastPath:
    def __init__(self, app: ASGIApp, state) -> None:
        self.app = app
        self.state = state  # the FastAPI app's state: index, keys, reads_open

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if (path.startswith(PREFIX) and scope["method"] == "GET" and not scope.get("query_string")
                and self.state.index.ready):
            raw = unquote(path[len(PREFIX):])
            if 0 < len(raw) <= MAX_ADDRESS and "/" not in raw and self._may_read(scope):
                risk, body = self.state.index.answer(raw)
                if risk != "error":
                    await send({"type": "http.response.start", "status": 200,
                                "headers": _HEADERS + [(b"content-length", str(len(body)).encode())]})
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)

    def _may_read(self, scope: Scope) -> bool:
        if self.state.reads_open:
            return True
        headers = dict(scope.get("headers", []))
        auth, key = headers.get(b"authorization"), headers.get(b"x-api-key")
        return accepted(self.state.keys, presented(auth.decode("latin-1") if auth else None,
                                                   key.decode("latin-1") if key else None))
