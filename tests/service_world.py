"""The service tests' world: a copy of the shared analysed warehouse and an app over it (shared helpers)."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.cli_run import copy_warehouse

API_KEY = "service-test-key-0123456789"


def service_app(template_db: Path, folder: Path, **options):
    from pigtrace.service.app import create_app

    db = copy_warehouse(template_db, folder)
    return create_app(str(db), index_now=True, **options), db


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
