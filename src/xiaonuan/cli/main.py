"""The `xiaonuan` command: builds a RenderRequest for render() and shows progress. No logic of its own."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError, XiaonuanError
from .common import fail as _fail

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Xiaonuan (小暖): a script becomes a presenter video, offline.")


def _parse_fields(items: list[str]) -> dict[str, str]:
    # lazy: CLI start-up (docs/architecture.md)
    from ..templates import field_assignment

    fields = {}
    for item in items:
        pair = field_assignment(item)
        if pair is None:
            raise InputError(f"--set {item!r} is not key=value: e.g. --set name=李明")
        fields[pair[0]] = pair[1]
    return fields


@app.command()
def render(
    script: Optional[Path] = typer.Argument(None, help="script file: plain text or Markdown (UTF-8), or a slide deck "
                                            "(.pdf, .pptx: each page a scene, its speaker notes the narration); leave "
                                            "it out with --voice recorded:FILE to use what the recording says"),
    out: Path = typer.Option(Path("out/video.mp4"), "-o", "--out", help="output MP4; an SRT is written beside it"),
    template: Optional[str] = typer.Option(None, help="template name (see `xiaonuan templates list`) or the path to a "
                                           "template folder (default: news; deck for a .pdf/.pptx deck)"),
    avatar: str = typer.Option("default", help="avatar name (see `xiaonuan avatar list`)"),
    voice: Optional[str] = typer.Option(None, help="voice, e.g. kokoro:xiaonuan-m (default: the avatar's, else by the script's language; see `xiaonuan voices`)"),
    set_: List[str] = typer.Option([], "--set", help="template field, e.g. --set name=李明 (repeatable)"),
    seed: int = typer.Option(0, min=0, help="seed for blinks and head motion"),
    height: Optional[int] = typer.Option(None, "--height", help="render smaller, e.g. 720 for 1280x720 "
                                         "(even, 240 up to the template's own height)"),
    brand: Optional[Path] = typer.Option(None, "--brand", help="brand file (YAML): palette colours, logo and font "
                                         "applied to the template (see docs/templates.md)"),
    allow_unconsented: bool = typer.Option(False, "--allow-unconsented",
                                           help="render an avatar pack without a consent record (labelled so)"),
    narration: Optional[Path] = typer.Option(None, "--script", help="a deck's narration: a script with one "
                                             "`## 第N页` (or `[slide N]`) section per page (default: DECK.md beside "
                                             "the deck, else its speaker notes)"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="no progress output"),
) -> None:
    """Render SCRIPT to an MP4 with speech, lip-sync, subtitles and the template's layout."""
    # lazy: CLI start-up (docs/architecture.md)
    from ..render import RenderRequest, render as do_render
    from ..progress import Progress

    live = sys.stderr.isatty()
    logged: list = [None]  # the last tenth of the video, or (stage, message), written to a log

    def show(p: Progress) -> None:
        if quiet:
            return
        if live:  # a terminal: one line, rewritten
            end = "\n" if p.stage == "done" else ""
            sys.stderr.write(f"\r[{p.fraction * 100:5.1f}%] {p.stage}: {p.message:<40.40}{end}")
        else:  # a log (batch jobs, CI): a line per stage and per tenth of the frames, not one long line of \r,
            # and one for a repeated report (a render waiting for its voice says so every half second)
            key = int(p.fraction * 10) if p.stage == "video" else (p.stage, p.message)
            if key == logged[0]:
                return
            logged[0] = key
            sys.stderr.write(f"[{p.fraction * 100:5.1f}%] {p.stage}: {p.message}\n")
        sys.stderr.flush()

    # lazy: CLI start-up (docs/architecture.md)
    from ..deck import is_deck

    deck = is_deck(script)
    try:
        if narration is not None and not deck:
            raise InputError(f"--script {str(narration)!r} is a deck's narration: give a .pdf or .pptx deck to "
                             "render, or render the script itself (`xiaonuan render SCRIPT`)")
        request = RenderRequest(script if script is not None else "", out=out, template=template or (
                                "deck" if deck else "news"), avatar=avatar, voice=voice,
                                fields=_parse_fields(set_), seed=seed, allow_unconsented=allow_unconsented,
                                height_px=height, narration=narration, brand=brand)
        result = do_render(request, on_progress=show)
    except XiaonuanError as e:
        if not quiet and live:
            sys.stderr.write("\n")
        _fail(e)
        return
    for w in result.warnings:
        typer.echo(f"warning: {w}", err=True)
    if result.transcript:
        typer.echo(f"transcript: {result.transcript}")
    if result.voice.startswith("recorded:"):
        how = f" (alignment confidence {result.confidence:.2f})" if result.confidence is not None else ""
        typer.echo(f"timing: {result.timing}{how}")
    typer.echo(f"{result.mp4}  ({result.duration_s:.1f} s, {result.n_frames} frames)  subtitles: {result.srt}")


# Command groups live in their own modules so each stays small; each only calls the library.
from .avatar import app as _avatar_app  # noqa: E402
from .templates import app as _templates_app  # noqa: E402
from .voices import app as _voices_app  # noqa: E402

app.add_typer(_templates_app, name="templates", help="List and preview templates.")
app.add_typer(_avatar_app, name="avatar", help="Enrol, list, show and remove presenters.")
app.add_typer(_voices_app, name="voices", help="List the voices; add Kokoro voice files.")

from .batch import batch as _batch_command  # noqa: E402
from .ui import ui as _ui_command  # noqa: E402

app.command("batch")(_batch_command)
app.command("ui")(_ui_command)

from .speech import say as _say_command  # noqa: E402

app.command("say")(_say_command)


def main() -> None:
    # lazy: CLI start-up (docs/architecture.md)
    from ..fileio import Terminated, raise_on_termination

    raise_on_termination()  # SIGTERM/SIGHUP unwind like Ctrl-C: temporary files are removed on the way out
    try:
        app()
    except Terminated as t:
        typer.echo(f"error: stopped by {t.name}; its temporary files were removed: run it again to finish",
                   err=True)
        sys.exit(128 + t.signum)
