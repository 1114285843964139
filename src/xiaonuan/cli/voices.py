"""`xiaonuan voices`: list the voices, add upstream Kokoro voice files."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import fail
from ..errors import XiaonuanError

app = typer.Typer(invoke_without_command=True)


@app.callback()
def voices(ctx: typer.Context,
           all_: bool = typer.Option(False, "--all", help="also the test-only voices (fake:*)")) -> None:
    """List the voices (audition one with: xiaonuan say --voice NAME "你好"). `voices add FILE` adds Kokoro voices."""
    if ctx.invoked_subcommand is not None:
        return
    # lazy: CLI start-up (docs/architecture.md)
    from ..speech import available_voices, describe_voice

    for v in available_voices(include_test=all_):
        note = describe_voice(v)
        typer.echo(f"{v:<28} {note}".rstrip())


@app.command("add")
def add(file: Path = typer.Argument(..., help="a Kokoro voices file: .npy (one voice) or .npz/.bin (several, e.g. "
                                               "upstream voices-v1.0.bin with zf_xiaobei, zm_yunxi …)"),
        name: Optional[str] = typer.Option(None, help="the name for a file of one voice (default: the file's name)")) -> None:
    """Add the Kokoro voices in FILE; each is then kokoro:NAME (stored in $XIAONUAN_VOICES or ~/.local/share)."""
    from ..speech.kokoro import add_voice_file  # lazy: onnxruntime and the model's packages, only when adding

    try:
        added = add_voice_file(file, name)
    except XiaonuanError as e:
        fail(e)
        return
    for v in added:
        typer.echo(f"added kokoro:{v}")
