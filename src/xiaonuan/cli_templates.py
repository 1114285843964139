"""`xiaonuan templates …`: list and preview templates."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_templates() -> None:
    """List the templates."""
    from .templates import available_templates

    for t in available_templates():
        typer.echo(t)
