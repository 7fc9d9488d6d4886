"""JSON-RPC transport for `pigtrace ingest rpc`: one keep-alive HTTP session, batched requests, retries.

``RpcClient.batch`` sends many calls in one HTTP request and returns, in call order, either each call's
result or an ``RpcError`` (the node's error object) so the caller decides what an error means (a log
range too wide, a method the node lacks). A node that refuses a batch as a whole gets smaller batches
("batch too large") or single calls (no batch support). Transient failures (connection reset, timeouts,
HTTP 429/5xx, rate-limit errors) are retried with exponential backoff; a node that cannot be reached at
all, that answers something other than JSON-RPC, or keeps failing raises ``RpcUnavailable`` with one line
naming the URL. URLs are shown without credentials (``public_url``) because provider URLs embed API keys.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from pigtrace.errors import IngestError

RETRY_STATUS = {429, 500, 502, 503, 504, 520, 521, 522, 524}
_RATE_LIMITED = re.compile(r"rate.?limit|too many requests|request limit|throttl|capacity exceeded", re.I)
_BATCH_TOO_BIG = re.compile(r"batch.*(too (large|big|many)|limit|exceed|size)", re.I)
_SECRET_SEGMENT = re.compile(r"[A-Za-z0-9_\-]{20,}")


def public_url(url: str) -> str:
    """``url`` without user:password, query string, or path segments that look like API keys."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    path = "/".join("***" if _SECRET_SEGMENT.fullmatch(seg) else seg for seg in parts.path.split("/"))
    return urlunsplit((parts.scheme, host, path, "", ""))


class RpcUnavailable(IngestError):
    """The node could not be used: unreachable, not JSON-RPC, or failing past every retry."""


@dataclass
class RpcError:
    """An error object a node returned for one call."""

    code: int | None
    message: str

    def __str__(self) -> str:
        return f"error {self.code}: {self.message}" if self.code is not None else self.message

    @property
    def transient(self) -> bool:
        return self.code == 429 or bool(_RATE_LIMITED.search(self.message))


class RpcClient:
    """Calls one JSON-RPC endpoint. ``retries`` counts the tries after the first one."""

    def __init__(self, url: str, *, timeout: float = 60.0, retries: int = 5, backoff: float = 0.5, max_batch: int = 500):
        if not re.match(r"^https?://", url):
            raise RpcUnavailable(f"{url!r}: not an http(s) JSON-RPC URL (expected e.g. http://127.0.0.1:8545)")
        self.url = url
        self.shown = public_url(url)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_batch = max_batch
        self.batching = True
        self.answered = False  # has the node answered anything yet (a refusal before that is not transient)
        self.session = requests.Session()
        self.session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})

    def twin(self) -> "RpcClient":
        """A client with the same settings and its own HTTP session, for use from another thread."""
        return RpcClient(self.url, timeout=self.timeout, retries=self.retries, backoff=self.backoff, max_batch=self.max_batch)

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, params: list) -> Any:
        """One call; an error object from the node raises ``RpcUnavailable``."""
        reply = self.batch([(method, params)])[0]
        if isinstance(reply, RpcError):
            raise RpcUnavailable(f"{self.shown}: {method} failed: {reply}")
        return reply

    def batch(self, calls: list[tuple[str, list]]) -> list[Any]:
        """Results (or ``RpcError``) for ``calls``, in order; sub-batches of at most ``max_batch``."""
        out: list[Any] = []
        i = 0
        while i < len(calls):
            size = self.max_batch if self.batching else 1
            part = calls[i : i + size]
            replies = self._batch_with_retries(part)
            if replies is None:  # the node refused the batch as a whole: smaller batches, or none
                continue
            out.extend(replies)
            i += len(part)
        return out

    def _batch_with_retries(self, calls: list[tuple[str, list]]) -> list[Any] | None:
        replies: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        for attempt in range(self.retries + 1):
            body = [{"jsonrpc": "2.0", "id": k, "method": calls[k][0], "params": calls[k][1]} for k in pending]
            payload = body if self.batching else body[0]
            got, why = self._post(payload, attempt)
            if got is not None:
                if isinstance(got, dict) and len(pending) > 1 and "error" in got and got.get("id") is None:
                    self._shrink_batches(RpcError(*_error_fields(got["error"])))
                    return None
                by_id = self._index_replies(got if isinstance(got, list) else [got], pending)
                retry = []
                for k in pending:
                    reply = by_id[k]
                    if isinstance(reply, RpcError) and reply.transient:
                        retry.append(k)
                        why = str(reply)
                    replies[k] = reply
                pending = retry
                if not pending:
                    return replies
            if attempt < self.retries:
                time.sleep(self._delay(attempt, why))
        raise RpcUnavailable(
            f"{self.shown}: no usable answer after {self.retries + 1} tries (last: {why}); "
            "the node is failing or rate-limiting, try again later or use another node"
        )

    def _shrink_batches(self, err: RpcError) -> None:
        if _BATCH_TOO_BIG.search(err.message) and self.max_batch > 1:
            self.max_batch = max(1, self.max_batch // 2)
        elif self.batching:
            self.batching = False  # the node does not do batches: one call per request
        else:
            raise RpcUnavailable(f"{self.shown}: the node refused a single JSON-RPC request: {err}")

    def _delay(self, attempt: int, why: str) -> float:
        retry_after = re.search(r"retry-after=(\d+(?:\.\d+)?)", why)
        if retry_after:
            return min(float(retry_after.group(1)), 30.0)
        return self.backoff * (2**attempt)

    def _post(self, payload: Any, attempt: int) -> tuple[Any, str]:
        """(decoded JSON, "") on an answer; (None, why) on a transient failure; raises on a hopeless one."""
        try:
            resp = self.session.post(self.url, data=json.dumps(payload), timeout=(10, self.timeout))
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema):
            raise RpcUnavailable(f"{self.shown}: not a usable URL (expected e.g. http://127.0.0.1:8545)") from None
        except requests.exceptions.SSLError as e:
            if not self.answered:
                raise RpcUnavailable(f"{self.shown}: TLS failed ({_short(e)}); check http:// versus https://") from None
            return None, f"TLS failed ({_short(e)})"
        except requests.ConnectionError as e:
            refused = "refused" in str(e).lower() or "Errno 111" in str(e)
            if refused and not self.answered:
                raise RpcUnavailable(
                    f"{self.shown}: node unreachable (connection refused); check the URL and that the node is running"
                ) from None
            if not self.answered and attempt >= 1 and _is_name_error(e):
                raise RpcUnavailable(f"{self.shown}: node unreachable (host name does not resolve); check the URL") from None
            return None, f"connection failed ({_short(e)})"
        except requests.Timeout:
            return None, f"no answer within {self.timeout:g} s"
        except requests.RequestException as e:
            return None, f"request failed ({_short(e)})"
        if resp.status_code in RETRY_STATUS:
            ra = resp.headers.get("Retry-After", "")
            return None, f"HTTP {resp.status_code}" + (f" retry-after={ra}" if ra.replace(".", "", 1).isdigit() else "")
        if resp.status_code in (401, 403):
            raise RpcUnavailable(f"{self.shown}: HTTP {resp.status_code} (not authorised); check the API key in the URL")
        try:
            got = resp.json()
        except ValueError:
            got = None
        if not isinstance(got, (list, dict)):
            kind = resp.headers.get("Content-Type", "no content type")
            raise RpcUnavailable(
                f"{self.shown}: answered HTTP {resp.status_code} ({kind}) {_snippet(resp.text)!r}, which is not "
                "JSON-RPC; is this the node's JSON-RPC URL?"
            )
        self.answered = True
        return got, ""

    def _index_replies(self, got: list, pending: list[int]) -> dict[int, Any]:
        by_id: dict[int, Any] = {}
        for item in got:
            if not isinstance(item, dict) or ("result" not in item and "error" not in item):
                raise RpcUnavailable(f"{self.shown}: answered a malformed JSON-RPC reply {_snippet(json.dumps(item))!r}")
            rid = item.get("id")
            if "error" in item and item["error"] is not None:
                by_id[rid] = RpcError(*_error_fields(item["error"]))
            else:
                by_id[rid] = item["result"]
        missing = [k for k in pending if k not in by_id]
        if missing:
            if len(pending) == 1 and len(got) == 1 and None in by_id:  # error without an id for a lone call
                return {pending[0]: by_id[None]}
            raise RpcUnavailable(
                f"{self.shown}: the JSON-RPC reply lacks the answers to {len(missing)} of {len(pending)} requests "
                f"(ids {missing[:5]}); the node or a proxy in front of it mangles batched requests"
            )
        return by_id


def _error_fields(err: Any) -> tuple[int | None, str]:
    if isinstance(err, dict):
        code = err.get("code")
        msg = str(err.get("message", ""))
        if err.get("data") not in (None, ""):
            msg = f"{msg} ({_snippet(str(err['data']), 120)})"
        return (code if isinstance(code, int) else None), msg
    return None, _snippet(str(err))


def _is_name_error(e: Exception) -> bool:
    s = str(e)
    return "Name or service not known" in s or "nodename nor servname" in s or "getaddrinfo failed" in s


def _short(e: Exception) -> str:
    s = str(e)
    for key in ("Connection reset", "Connection aborted", "Remote end closed", "refused", "timed out", "Broken pipe"):
        if key.lower() in s.lower():
            return key.lower()
    return _snippet(s, 100)


def _snippet(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
