"""What every `xiaonuan` subcommand shares: exit codes by error class and the one-line error report.

Kept apart from cli/main.py so that the command modules (cli/speech.py, …) import it without importing
the app that imports them (no cycle).
"""

from __future__ import annotations

import typer

from ..errors import InputError, XiaonuanError

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def fail(e: XiaonuanError) -> None:
    """Print `e` on one line to stderr and exit: 2 for bad input, 1 for any other failure."""
    message = " ".join(str(e).split())  # one line, however the message was laid out
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT if isinstance(e, InputError) else EXIT_FAILED)
