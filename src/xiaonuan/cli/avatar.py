"""`xiaonuan avatar …`: enrol, list, show and remove presenters. Each command only calls the library."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError, XiaonuanError

app = typer.Typer(no_args_is_help=True)

ROOT_HELP = ("your avatars folder (default: $XIAONUAN_AVATARS, else assets/avatar/); the built-in avatars in "
             "assets/avatar/ stay available beside it")


def _fail(e: XiaonuanError) -> None:
    typer.echo(f"error: {e}", err=True)
    raise typer.Exit(2 if isinstance(e, InputError) else 1)


@app.command("add")
def add(
    path: Path = typer.Argument(..., help="a clip (MP4/MOV/WebM/MKV or animated GIF, 10–60 s; under 3 s is refused, under 10 s "
                                          "warned) or a photo (PNG/JPG/WebP/BMP/TIFF/GIF) of the presenter"),
    name: str = typer.Option(..., "--name", help="the avatar's name (letters, digits, - and _)"),
    consent: Optional[Path] = typer.Option(None, "--consent", help="the signed consent form (copied into the pack)"),
    consent_by: Optional[str] = typer.Option(None, "--consent-by", help='who consented and the date they did: '
                                              '"Sun Li, 2025-01-31" (or 2025/1/31, 2025年1月31日)'),
    root: Optional[Path] = typer.Option(None, "--avatars-dir", help=ROOT_HELP),
    replace: bool = typer.Option(False, "--replace", help="replace an existing avatar of that name"),
) -> None:
    """Enrol a recorded presenter or a portrait: normalise it, measure landmarks, check it, plan its loop."""
    # lazy: CLI start-up (docs/architecture.md)
    from ..avatar.enrol import enrol, parse_consent_by

    try:
        record = parse_consent_by(consent_by) if consent_by else None
        result = enrol(path, name, root=root, consent=record, consent_file=consent, replace=replace)
    except XiaonuanError as e:
        _fail(e)
        return
    r = result.report
    what = "cached, unchanged" if result.cached else f"{result.seconds:.1f} s"
    typer.echo(f"enrolled {result.name} → {result.folder}  ({what})")
    if not result.cached:
        typer.echo(f"  frames: {r.n_frames}, face found in {r.face_frames}; {r.eye_px:.0f} px between the eyes; "
                   f"neutral frame {r.neutral_frame}")
        if r.loop:
            seam = r.loop.get("seam_pixel_ratio")
            typer.echo(f"  loop: {r.loop['mode']} {r.loop['loop_start']}–{r.loop['loop_end']}, seam "
                       + (f"face change {seam:.2f}× the ordinary frame-to-frame change (rendered pixels)"
                          if seam is not None else "not measured on pixels"))
    for note in r.notes:
        typer.echo(f"  note: {note.message}")
    for w in r.warnings:
        typer.echo(f"  warning: {w.message}")
    if consent is None and consent_by is None:
        typer.echo("  warning: no consent recorded; renders need --allow-unconsented and are labelled so. "
                   "Re-enrol with --consent FILE or --consent-by \"name, date\".")


@app.command("list")
def list_avatars(root: Optional[Path] = typer.Option(None, "--avatars-dir", help=ROOT_HELP)) -> None:
    """List the avatars: yours and the built-in ones (marked so when your folder is elsewhere)."""
    # lazy: CLI start-up (docs/architecture.md)
    from ..avatar.pack import avatar_folder, available_avatars
    from ..paths import avatar_roots

    roots = avatar_roots(root)
    for a in available_avatars(root):
        folder = avatar_folder(a, root)
        builtin = len(roots) > 1 and folder is not None and folder.parent == roots[1]
        typer.echo(f"{a}  (built-in)" if builtin else a)


@app.command("show")
def show(
    name: str = typer.Argument(...),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="contact sheet PNG (default: out/avatar_NAME.png)"),
    root: Optional[Path] = typer.Option(None, "--avatars-dir", help=ROOT_HELP),
) -> None:
    """Write a contact sheet PNG of the avatar (frames, face box, loop seam, report) and print its record."""
    # lazy: CLI start-up (docs/architecture.md)
    from ..avatar.pack import load_avatar
    from ..avatar.sheet import contact_sheet

    try:
        av = load_avatar(name, root)
        path = contact_sheet(av, out or Path("out") / f"avatar_{name}.png")
    except XiaonuanError as e:
        _fail(e)
        return
    typer.echo(f"{av.name}: {av.kind}, {av.size[0]}x{av.size[1]}"
               + (f", {av.clip.n_frames} frames at {av.clip.fps} fps" if av.is_clip else ""))
    typer.echo(f"  consent: {av.consent or 'NONE RECORDED'}")
    for q in av.quality:
        typer.echo(f"  warning: {q}")
    typer.echo(f"  contact sheet: {path}")


@app.command("remove")
def remove(name: str = typer.Argument(...),
           root: Optional[Path] = typer.Option(None, "--avatars-dir", help=ROOT_HELP)) -> None:
    """Delete one of your avatar packs (a built-in one is kept when your folder is elsewhere)."""
    # lazy: CLI start-up (docs/architecture.md)
    from ..avatar.enrol import remove_avatar

    try:
        folder = remove_avatar(name, root)
    except XiaonuanError as e:
        _fail(e)
        return
    typer.echo(f"removed {folder}")
