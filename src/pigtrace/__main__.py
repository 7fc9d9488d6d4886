"""`python -m pigtrace` runs the CLI."""

from pigtrace.cli import main

main()
