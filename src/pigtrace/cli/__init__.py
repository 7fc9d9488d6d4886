"""The `pigtrace` command: the product's spine. Each area registers its commands from its own module;
the API and the web pages call the same functions these commands call.

A run of one command imports only the module that registers it (`COMMANDS`), so that `pigtrace status` or
`pigtrace screen` does not pay for loading the tracing, reporting and service code (`--version` loads none);
`pigtrace --help`, an unknown command, and ``from pigtrace.cli import app`` register them all."""

from __future__ import annotations

import importlib
import sys

import typer

from pigtrace import __version__

# Each top-level command (or command group) and the module under pigtrace.cli that registers it, in the order
# `pigtrace --help` lists them. tests/test_cli_dispatch.py checks it against what the modules register.
COMMANDS: dict[str, str] = {
    "ingest": "ingest_commands", "export": "ingest_commands", "status": "ingest_commands",
    "upgrade": "ingest_commands",
    "detectors": "detect_commands", "analyze": "detect_commands", "findings": "detect_commands",
    "rings": "detect_commands",
    "entities": "entities_commands",
    "cluster": "cluster_commands",
    "trace": "trace_commands",
    "case": "case_commands", "cases": "case_commands", "demo": "case_commands",
    "labels": "labels_commands", "screen": "labels_commands", "check-url": "labels_commands",
    "prices": "prices_commands",
    "simulate": "simulate_commands",
    "evaluate": "evaluate_commands",
    "audit": "audit_commands",
    "report": "report_commands",
    "serve": "serve_commands",
}
MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMANDS.values()))


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"pigtrace {__version__}")
        raise typer.Exit()


def build_app(modules: tuple[str, ...] = MODULES) -> typer.Typer:
    """The command with the commands of ``modules`` (names under pigtrace.cli) registered."""
    app = typer.Typer(
        rich_markup_mode="markdown",
        name="pigtrace",
        help="Open intelligence against pig-butchering crypto fraud: ingest chain data, find scam wallets and "
        "victims, follow money to where it can be frozen (`trace`, `case`), screen addresses and URLs.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _root(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                           help="Print the version and exit.")) -> None:
        """Open intelligence against pig-butchering crypto fraud."""

    for name in modules:
        importlib.import_module(f"pigtrace.cli.{name}").register(app)
    return app


def modules_for(argv: list[str]) -> tuple[str, ...]:
    """The modules a run with arguments ``argv`` needs: the one registering its command, none for --version
    alone, or all of them when the first argument is another option (--help) or no command this table knows."""
    if argv == ["--version"]:
        return ()
    module = COMMANDS.get(argv[0]) if argv else None
    return (module,) if module else MODULES


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the whole command, built on first use by code that imports it
        globals()["app"] = full = build_app()
        return full
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    build_app(modules_for(sys.argv[1:]))()
