"""`python -m deepcheck` runs the CLI."""

from deepcheck.cli import run

run()
