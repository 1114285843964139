"""`xiaonuan avatar …`: enrol, list, show and remove presenters."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_avatars() -> None:
    """List the avatars."""
    from .avatar import available_avatars

    for a in available_avatars():
        typer.echo(a)
