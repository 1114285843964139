"""`xiaonuan ui`: start the web UI (Gradio) on this machine."""

from __future__ import annotations

from typing import Optional

import typer


def ui(
    host: str = typer.Option("127.0.0.1", help="address to listen on (127.0.0.1: this machine only)"),
    port: int = typer.Option(7860, help="port"),
    auth: Optional[str] = typer.Option(None, help="require a login: user:password (or set $XIAONUAN_UI_AUTH)"),
) -> None:
    """Start the web UI: create, enrol presenters, run batches, browse the render history."""
    try:
        # lazy: CLI start-up (docs/architecture.md)
        from ..ui.app import launch
    except ImportError as e:
        typer.echo(f"error: the web UI needs Gradio ({e.name}): pip install 'xiaonuan[ui]'", err=True)
        raise typer.Exit(2)
    try:
        launch(host=host, port=port, auth=auth)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    except OSError as e:  # the port is taken (another UI, another program) or the address is not this machine's
        why = "the port is in use" if "empty port" in str(e) else str(e)  # Gradio's words for a taken port
        typer.echo(f"error: cannot listen on {host}:{port}: {why}; fix: stop what uses it, or pick another "
                   f"port, e.g. xiaonuan ui --port {port + 1}", err=True)
        raise typer.Exit(2)
