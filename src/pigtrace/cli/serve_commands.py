"""`pigtrace serve`: the API and the pages over one warehouse (``service/``), under uvicorn."""

from __future__ import annotations

import ipaddress
from typing import Optional

import typer

from pigtrace.cli.common import DbOption, console, friendly


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@friendly
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. Beyond loopback, reads need an "
                             "API key too."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    api_keys_file: Optional[str] = typer.Option(None, "--api-keys-file", envvar="PIGTRACE_API_KEYS_FILE",
                                                help="File of API keys, one per line (also PIGTRACE_API_KEYS, "
                                                     "comma-separated). Without keys the service takes no writes."),
    read_only: bool = typer.Option(False, "--read-only", help="Open the warehouse read-only and refuse every "
                                   "write (another process may then read it too)."),
    db: Optional[str] = DbOption,
) -> None:
    """Serve the screening API (/v1, OpenAPI at /openapi.json) and the web pages (search, address, case,
    wallet check) for this warehouse on http://HOST:PORT; Ctrl-C stops it. Writes (label imports, saved cases,
    analyses) need an API key and run one at a time; reads never wait for them."""
    import uvicorn

    from pigtrace.service.app import create_app

    app = create_app(db, api_keys_file=api_keys_file, reads_open=_loopback(host), read_only=read_only)
    shown = f"[{host}]" if ":" in host else host
    console.print(f"pigtrace serving {app.state.warehouse.path} on [bold]http://{shown}:{port}/[/]", highlight=False,
                  soft_wrap=True)
    console.print("pages at that address, the API under /v1 (OpenAPI: /openapi.json); Ctrl-C stops", style="dim")
    if not app.state.keys:
        console.print("no API keys configured: reads only (set PIGTRACE_API_KEYS to allow writes)", style="dim")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
