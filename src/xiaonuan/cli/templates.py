"""`xiaonuan templates …`: list and preview templates."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_templates() -> None:
    """List the templates: name, canvas size and frame rate, and what each is for."""
    # lazy: CLI start-up (docs/architecture.md)
    from ..errors import XiaonuanError
    from ..templates import available_templates, load_template

    for t in available_templates():
        try:
            tpl = load_template(t)
        except XiaonuanError as e:  # one broken template does not hide the others
            typer.echo(f"{t:<10}  (broken: {' '.join(str(e).split())})")
            continue
        typer.echo(f"{t:<10}  {tpl.width_px}x{tpl.height_px} {tpl.spec.canvas.fps:g} fps  {tpl.spec.description}")


@app.command("check")
def check(names: list[str] = typer.Argument(None, help="template names or folders (default: every template)"),
          brand: str = typer.Option("", "--brand", help="check with a brand file's font and logo (text widths change)")
          ) -> None:
    """Check templates at every offered size (1080p, 720p, 540p, 360p): text layers that overlap, text outside
    the title-safe area, and (vertical) text where Douyin/TikTok draw their own captions and buttons."""
    # lazy: CLI start-up (docs/architecture.md)
    from pathlib import Path

    # lazy: CLI start-up (docs/architecture.md)
    from ..brand import load_brand
    from ..canvas.layout import layout_problems, supported_sizes
    from ..errors import XiaonuanError
    from ..templates import available_templates, load_template

    try:
        kit = load_brand(Path(brand)) if brand else None
    except XiaonuanError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    for warning in kit.warnings if kit is not None else ():
        typer.echo(f"warning: {warning}", err=True)
    bad = 0
    for name in names or available_templates():
        try:
            problems = [p for tpl in supported_sizes(load_template(name, brand=kit)) for p in layout_problems(tpl)]
        except XiaonuanError as e:
            problems = [' '.join(str(e).split())]
        bad += bool(problems)
        typer.echo(f"{name}: ok" if not problems else "\n".join(f"{name}: {p}" for p in problems))
    if bad:
        typer.echo(f"error: {bad} template(s) with layout problems (above); fix the layers they name", err=True)
        raise typer.Exit(2)


@app.command("preview")
def preview(name: str = typer.Argument(..., help="template name, or the path to a template folder (./promo)"),
            out: str = typer.Option("", "-o", "--out", help="PNG path (default: out/NAME-preview.png)"),
            avatar: str = typer.Option("default", help="presenter shown in the preview"),
            in_place: bool = typer.Option(False, "--in-place",
                                          help="write the template's own preview.png (the picture the UI shows)"),
            guides: bool = typer.Option(False, "--guides", help="draw the title-safe and action-safe areas (and on a "
                                        "vertical canvas the zones where Douyin/TikTok draw their captions and buttons)"),
            brand: str = typer.Option("", "--brand", help="brand file (YAML): palette, logo and font")) -> None:
    """Render a sample frame of a template (lower third, subtitle and slides) to out/NAME-preview.png; the
    template's own preview.png is replaced only with --in-place."""
    # lazy: CLI start-up (docs/architecture.md)
    from pathlib import Path

    # lazy: CLI start-up (docs/architecture.md)
    from ..errors import XiaonuanError
    from ..preview import write_preview

    target = None if in_place else Path(out) if out else Path("out") / f"{Path(name).name}-preview.png"
    try:  # write_preview checks the target (a folder, a read-only place) and creates its folder
        typer.echo(write_preview(name, target, avatar=avatar, brand=Path(brand) if brand else None, guides=guides))
    except XiaonuanError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)


@app.command("sheet")
def sheet(names: list[str] = typer.Argument(None, help="templates to show (default: every template)"),
          out: str = typer.Option("docs/templates.png", "-o", "--out", help="contact sheet PNG"),
          avatar: str = typer.Option("default", help="presenter shown in the previews"),
          guides: bool = typer.Option(False, "--guides", help="draw the safe areas (see templates preview --guides)")
          ) -> None:
    """Render a contact sheet of the templates' previews."""
    # lazy: CLI start-up (docs/architecture.md)
    from pathlib import Path

    # lazy: CLI start-up (docs/architecture.md)
    from ..errors import XiaonuanError
    from ..preview import contact_sheet
    from ..templates import available_templates

    try:
        typer.echo(contact_sheet(names or available_templates(), Path(out), avatar=avatar, guides=guides))
    except XiaonuanError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
