"""A run of one command registers only the module that owns it (`pigtrace.cli.COMMANDS`): the table must
name every command each module registers, and no other, or a command would be missing from its own run."""

from __future__ import annotations

import subprocess
import sys

from pigtrace.cli import COMMANDS, MODULES, build_app, modules_for


def _registered(app) -> set[str]:
    return {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}


def test_each_module_registers_exactly_the_commands_the_table_gives_it():
    for module in MODULES:
        assert _registered(build_app((module,))) == {c for c, m in COMMANDS.items() if m == module}, module


def test_a_command_run_alone_has_its_own_options_and_help():
    for argv in (["ingest", "etl", "--help"], ["labels", "import", "--help"], ["check-url", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "pigtrace", *argv], capture_output=True, text=True)
        assert proc.returncode == 0 and "pigtrace " + " ".join(argv[:-1]) + " [OPTIONS]" in proc.stdout, proc.stderr


def test_options_and_unknown_commands_get_the_whole_command():
    assert modules_for([]) == modules_for(["--help"]) == modules_for(["statu"]) == MODULES
    assert modules_for(["screen", "0x00"]) == ("labels_commands",) and modules_for(["--version"]) == ()
    version = subprocess.run([sys.executable, "-m", "pigtrace", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("pigtrace ")
    proc = subprocess.run([sys.executable, "-m", "pigtrace", "statu"], capture_output=True, text=True)
    assert proc.returncode == 2 and "No such command 'statu'" in proc.stderr
    listed = subprocess.run([sys.executable, "-m", "pigtrace", "--help"], capture_output=True, text=True).stdout
    assert all(f" {c} " in listed for c in COMMANDS)
