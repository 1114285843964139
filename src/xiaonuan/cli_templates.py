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


@app.command("preview")
def preview(name: str = typer.Argument(..., help="template name, or the path to a template folder (./promo)"),
            out: str = typer.Option("", "-o", "--out", help="PNG path (default: templates/NAME/preview.png)"),
            avatar: str = typer.Option("default", help="presenter shown in the preview")) -> None:
    """Render a template's preview.png (a sample frame with lower third, subtitle and slides)."""
    from pathlib import Path

    from .errors import XiaonuanError
    from .preview import write_preview

    try:
        typer.echo(write_preview(name, Path(out) if out else None, avatar=avatar))
    except XiaonuanError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)


@app.command("sheet")
def sheet(out: str = typer.Option("docs/templates.png", "-o", "--out", help="contact sheet PNG"),
          avatar: str = typer.Option("default", help="presenter shown in the previews")) -> None:
    """Render a contact sheet of every template's preview."""
    from pathlib import Path

    from .errors import XiaonuanError
    from .preview import contact_sheet
    from .templates import available_templates

    try:
        typer.echo(contact_sheet(available_templates(), Path(out), avatar=avatar))
    except XiaonuanError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
