"""The `pigtrace` command: the product's spine. Each area registers its commands from its own module;
the API and the web pages call the same functions these commands call."""

from __future__ import annotations

import typer

from pigtrace import __version__

app = typer.Typer(
    rich_markup_mode="markdown",
    name="pigtrace",
    help="Open intelligence against pig-butchering crypto fraud: ingest chain data, find scam wallets and "
    "victims, follow money to where it can be frozen (`trace`, `case`), screen addresses and URLs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"pigtrace {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Open intelligence against pig-butchering crypto fraud."""


def _register() -> None:
    from pigtrace.cli import (
        audit_commands,
        case_commands,
        cluster_commands,
        detect_commands,
        entities_commands,
        evaluate_commands,
        ingest_commands,
        labels_commands,
        prices_commands,
        report_commands,
        serve_commands,
        simulate_commands,
        trace_commands,
    )

    for module in (ingest_commands, detect_commands, entities_commands, cluster_commands, trace_commands, case_commands,
                   labels_commands, prices_commands, simulate_commands, evaluate_commands, audit_commands,
                   report_commands, serve_commands):
        module.register(app)


_register()


def main() -> None:
    app()
