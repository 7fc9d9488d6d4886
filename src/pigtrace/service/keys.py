"""API keys for the service's writes (and for reads when it listens beyond loopback).

Keys come from ``PIGTRACE_API_KEYS`` (comma-separated) and from a file (``--api-keys-file`` or
``PIGTRACE_API_KEYS_FILE``: one key per line, ``#`` comments). A request names its key in
``Authorization: Bearer KEY`` or ``X-API-Key: KEY``; every configured key is compared in constant time, so
the answer's timing tells nothing about which characters matched. With no key configured, every write is
refused.
"""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from pigtrace.errors import PigtraceError

MIN_KEY_LENGTH = 16


def load_keys(path: str | Path | None = None) -> list[bytes]:
    keys = [k.strip() for k in os.environ.get("PIGTRACE_API_KEYS", "").split(",") if k.strip()]
    path = path or os.environ.get("PIGTRACE_API_KEYS_FILE")
    if path:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError as e:
            raise PigtraceError(f"{path}: cannot read the API keys file ({e.strerror})") from None
        keys += [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    short = [i for i, k in enumerate(keys) if len(k) < MIN_KEY_LENGTH]
    if short:
        raise PigtraceError(f"API keys must be at least {MIN_KEY_LENGTH} characters; {len(short)} configured key(s) "
                            "are shorter (make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    return [k.encode() for k in keys]


def presented(authorization: str | None, x_api_key: str | None) -> bytes | None:
    if x_api_key:
        return x_api_key.strip().encode()
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip().encode()
    return None


def accepted(keys: list[bytes], given: bytes | None) -> bool:
    ok = False
    for k in keys:  # no early exit: every key is compared
        ok |= hmac.compare_digest(k, given or b"")
    return ok and given is not None
