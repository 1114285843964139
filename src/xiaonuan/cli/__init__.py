"""The `xiaonuan` command: main.py is the Typer app (render, voices …); one module per subcommand group
(avatar, batch, speech, templates, ui …); common.py holds exit codes and the error report."""

from xiaonuan.cli.main import app, main

__all__ = ["app", "main"]
