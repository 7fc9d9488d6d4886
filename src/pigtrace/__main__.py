"""The `pigtrace` command's entry point (`python -m pigtrace` and the installed script). Importing the CLI
takes a moment; a Ctrl-C during it gets the same one line and exit code as a Ctrl-C during a command."""

import sys


def main() -> None:
    try:
        from pigtrace.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted (Ctrl-C) while starting; nothing was written\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
