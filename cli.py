"""Thin entry point: `python cli.py ...` is the same as `deepcheck ...`."""

from deepcheck.cli import app

if __name__ == "__main__":
    app()
