"""The ``deepcheck`` command line (Typer): it wires options to the API and adds what belongs to a terminal.

``main`` holds the app and ``scan``; ``inspect``, ``model`` (train, calibrate, evaluate, export) and
``reports`` (report, verify) hold the other commands; ``common`` their shared options and output.
The console script is ``deepcheck.cli:run``.
"""

from deepcheck.cli.main import app, run

__all__ = ["app", "run"]
