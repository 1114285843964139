"""`xiaonuan say`: audition one line with a voice, the project's lexicon and prosody settings."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Optional

import typer

from .common import fail as _fail
from ..errors import InputError, OutputError, XiaonuanError
from ..fileio import writable_output
from ..render import RATE_WPM_MAX, RATE_WPM_MIN, check_rate
from ..saferead import regular_file

END_PAUSE_MS = 200  # silence after the last sentence


def say(
    text: str = typer.Argument(..., help="the line to speak, e.g. \"我去银行还钱\"; **word** is said with emphasis, "
                                        "\\[pause 1s] pauses (script markup)"),
    voice: Optional[str] = typer.Option(None, help="voice (default: kokoro:xiaonuan-f or kokoro:xiaonuan-en-f by the text; see `xiaonuan voices`)"),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="write a WAV file"),
    play: bool = typer.Option(False, "--play", help="play it (needs the sounddevice package and a sound device)"),
    rate: Optional[int] = typer.Option(None, help=f"speed in words per minute ({RATE_WPM_MIN}..{RATE_WPM_MAX})"),
    pitch: Optional[int] = typer.Option(None, min=0, max=100, help="pitch 0..100 (50 is the voice's normal)"),
    emphasis: bool = typer.Option(False, help="say the whole line with emphasis"),
    lexicon: Optional[Path] = typer.Option(None, help="a lexicon.yaml on top of the project's"),
) -> None:
    """Speak TEXT: prints what the voice reads and its phonemes; --out writes a WAV, --play plays it."""
    try:
        check_rate(rate)
        if out is not None:  # checked before the work: a folder or a read-only place is one error line
            out = writable_output(out, "WAV output", (".wav",))
        if lexicon is not None:
            regular_file(lexicon, "lexicon", InputError)
        speech, spoken = speak_line(text, voice, rate, pitch, emphasis, lexicon)
        if out is not None:
            write_wav(speech.samples, speech.rate_hz, out)
    except XiaonuanError as e:
        _fail(e)
        return
    typer.echo(f"reads:    {spoken}")
    typer.echo("phonemes: " + " ".join(p.value.symbol for p in speech.phonemes))
    typer.echo(f"{speech.duration_s:.2f} s at {speech.rate_hz} Hz ({speech.voice}, timing {speech.timing})")
    for w in speech.warnings:
        typer.echo(f"warning: {w}", err=True)
    if out is not None:
        typer.echo(f"wrote {out}")
    if play:
        _play(speech.samples, speech.rate_hz)


def speak_line(text: str, voice: str | None, rate: int | None, pitch: int | None, emphasis: bool,
               lexicon: Path | None):
    """(Speech, what the voice reads) for a line read as a script reads it, with the project's lexicon (and
    `lexicon` on top): `xiaonuan say` and the web page's Listen button."""
    # lazy: CLI start-up (docs/architecture.md)
    from ..lexicon import LEXICON_FILE, layered
    from ..paths import project_root
    from ..render import DEFAULT_VOICES
    from ..script import parse_script
    from ..speech import get_engine

    if not text.strip():
        raise InputError("nothing to say: give a line of text, e.g. xiaonuan say \"你好\"")
    # read as a render reads a script: sentences, their pauses ([pause 1s]), **emphasis**, markers removed
    script = parse_script(text, source="text")
    sentences, texts = script.sentences, [s.text for s in script.sentences]
    engine = get_engine(voice or DEFAULT_VOICES[script.language])
    lex = layered(project_root() / LEXICON_FILE, lexicon)
    spoken = engine.spoken_texts(texts, lex) if hasattr(engine, "spoken_texts") else texts
    pauses = [s.pause_after_ms for s in sentences[:-1]] + [END_PAUSE_MS]
    speech = engine.synthesize(texts, pauses, rate_wpm=rate, pitch=pitch, lexicon=lex,
                               emphasis=[((0, len(t)),) if emphasis else s.emphasis for t, s in zip(texts, sentences)])
    return speech, " ".join(spoken)


def write_wav(samples, rate_hz: int, path: Path) -> None:
    """16-bit mono WAV, written beside and moved into place; OutputError when it cannot be written there."""
    # lazy: CLI start-up (docs/architecture.md)
    import numpy as np

    # lazy: CLI start-up (docs/architecture.md)
    from ..fileio import publish, temp_beside

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_beside(path)
    except OSError as e:
        raise OutputError(f"cannot write {str(path)!r} ({e.strerror or e}): choose another --out path") from None
    try:
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate_hz)
            w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        publish(tmp, path)
    except OSError as e:
        raise OutputError(f"cannot write {str(path)!r} ({e.strerror or e}): free some space or choose another "
                          "--out path") from None
    finally:
        tmp.unlink(missing_ok=True)


def _play(samples, rate_hz: int) -> None:
    try:
        # lazy: CLI start-up (docs/architecture.md)
        import sounddevice
    except (ImportError, OSError):
        typer.echo("cannot play here: the sounddevice package (or its PortAudio library) is missing; "
                   "use --out say.wav and open the file instead", err=True)
        raise typer.Exit(1)
    try:
        sounddevice.play(samples, rate_hz, blocking=True)
    except Exception as e:  # no output device on this machine
        typer.echo(f"cannot play here ({e}): use --out say.wav and open the file instead", err=True)
        raise typer.Exit(1)
