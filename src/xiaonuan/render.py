"""The pipeline: Script → Speech → MotionTrack → face frames → composed frames → MP4 + SRT.

`render()` is the one entry point the CLI, the web app and the batch runner call. Every
name (voice, template, avatar) is resolved before anything is written, and the video is
written to a temporary file and moved into place only when complete.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .errors import EncodeError, InputError
from .progress import Progress, ProgressSink, ignore
from .script import Script, load_script, parse_script

DEFAULT_VOICES = {"zh": "espeak:cmn", "en": "espeak:en-us"}
AI_LABEL = "AI生成 / AI-generated"
SCRIPT_SETTINGS = frozenset({"voice"})  # front-matter keys that are render settings, not template fields
PROGRESS_EVERY_FRAMES = 25


@dataclass(frozen=True)
class RenderResult:
    """What a render produced and how long each stage took."""

    mp4: Path
    srt: Path
    duration_s: float
    n_frames: int
    fps: int
    voice: str
    template: str
    avatar: str
    stage_s: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    cover: Path | None = None  # JPG of a calm frame with the headline
    vtt: Path | None = None  # the subtitles as WebVTT


def render(script: Script | Path | str, *, template: str = "news", avatar: str = "default",
           voice: str | None = None, out: str | Path = "out/video.mp4",
           fields: Mapping[str, str] | None = None, seed: int = 0, rate_wpm: int | None = None,
           on_progress: ProgressSink | None = None, allow_unconsented: bool = False) -> RenderResult:
    """Render a script to an MP4 (and an SRT beside it).

    `script` is a parsed Script, a Path to a text/Markdown file, or the script text itself.
    `voice` defaults to the script language's eSpeak voice. Raises InputError subclasses
    for bad input (nothing written) and RenderError if encoding fails (nothing left behind).
    """
    from . import animate, avatar as avatars, compose, cover, encode, mix, motion, program, speech, subtitles, templates

    report = on_progress or ignore
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    report(Progress("script", 0, 1, 0.0, "reading the script"))
    parsed = script if isinstance(script, Script) else (
        load_script(script) if isinstance(script, Path) else parse_script(script))
    voice_name = voice or parsed.fields.get("voice") or DEFAULT_VOICES[parsed.language]
    engine = speech.cached(speech.get_engine(voice_name))  # content-hash cache (XIAONUAN_CACHE=off disables)
    tpl = templates.load_template(template)
    values = tpl.resolve_fields({"headline": parsed.title,
                                 **{k: v for k, v in parsed.fields.items() if k not in SCRIPT_SETTINGS},
                                 **dict(fields or {})})
    av = avatars.load_avatar(avatar)
    avatars.require_consent(av, allow_unconsented)  # AvatarError unless the pack records consent
    out_path = _output_path(out)
    warnings = []
    if engine.language and engine.language != parsed.language:  # "" speaks anything (a recorded voice-over)
        warnings.append(f"voice {voice_name} speaks {engine.language} but the script looks like {parsed.language}")
    lap("script")

    report(Progress("speech", 0, 1, 0.02, f"synthesising {len(parsed.sentences)} sentences with {voice_name}"))
    spoken = engine.synthesize([s.text for s in parsed.sentences], [s.pause_after_ms for s in parsed.sentences],
                               rate_wpm=rate_wpm, emphasis=[bool(getattr(s, "emphasis", ())) for s in parsed.sentences],
                               lexicon=_lexicon(avatar))
    lap("speech")

    report(Progress("motion", 0, 1, 0.08, "planning lip-sync and expressions"))
    track = motion.plan_motion(spoken, engine.language or parsed.language, tpl.fps, seed=seed)
    # the running order (intro card, stories, outro card) on the program clock; cues follow it
    prog = program.plan_program(parsed, [(s.start / spoken.rate_hz, s.end / spoken.rate_hz) for s in spoken.sentences],
                                track.n_frames / tpl.fps, round(tpl.intro_s * tpl.fps) / tpl.fps,
                                round(tpl.outro_s * tpl.fps) / tpl.fps)
    cues = subtitles.shifted(subtitles.cues_from_sentences(_sentence_timings(parsed, spoken),
                                                           max_chars=tpl.subtitle_max_chars), prog.intro_s)
    n_intro, _, n_outro = prog.frame_counts(tpl.fps, track.n_frames)
    n = n_intro + track.n_frames + n_outro
    audio = mix.soundtrack(spoken.samples, spoken.rate_hz, n_intro * spoken.rate_hz // tpl.fps,
                           n * spoken.rate_hz // tpl.fps, tpl.spec.music, seed=seed)
    lap("motion")

    comp = compose.Compositor(tpl, fields=values, presenter_size=av.size, program=prog)
    keep = n_intro + cover.calm_frame(track, first_story_frames=round((prog.stories[0].end_s - prog.intro_s) * tpl.fps))
    label = tpl.spec.ai_label.text
    metadata = {"comment": label, "description": f"{label}: {parsed.title}", "title": parsed.title}
    faces = animate.animate(av, track, seed=seed)
    if not av.consented:                       # allowed by allow_unconsented: say so on screen and in the file
        faces = animate.label_unconsented(faces)
        metadata["comment"] = f"{label}; {animate.UNCONSENTED_LABEL}"
        warnings.append(f"avatar {av.name!r} has no consent record; the video is labelled {animate.UNCONSENTED_LABEL}")
    with encode.VideoWriter(out_path, size=(tpl.width_px, tpl.height_px), fps=tpl.fps, audio=audio,
                            rate_hz=spoken.rate_hz, metadata=metadata) as writer:
        for i, frame in enumerate(comp.stream(faces, cues, keep=keep)):
            writer.write(frame)
            if i % PROGRESS_EVERY_FRAMES == 0 or i == n - 1:
                report(Progress("video", i + 1, n, 0.1 + 0.88 * (i + 1) / n, f"frame {i + 1} of {n}"))
    lap("video")

    srt, vtt, jpg = out_path.with_suffix(".srt"), out_path.with_suffix(".vtt"), out_path.with_suffix(".jpg")
    subtitles.write_srt(cues, srt)
    subtitles.write_vtt(cues, vtt)
    cover.write_cover(comp.kept if comp.kept is not None else frame, jpg)
    report(Progress("done", 1, 1, 1.0, f"wrote {out_path}"))
    return RenderResult(out_path, srt, n / tpl.fps, n, tpl.fps, voice_name, template, avatar, timings,
                        tuple(warnings), cover=jpg, vtt=vtt)


def _lexicon(avatar: str):
    """Pronunciations: the project's lexicon.yaml, then the avatar pack's lexicon.yaml (later wins)."""
    from .lexicon import LEXICON_FILE, layered
    from .paths import avatars_dir, project_root

    return layered(project_root() / LEXICON_FILE, avatars_dir() / avatar / LEXICON_FILE)


def _output_path(out: str | Path) -> Path:
    p = Path(out)
    if p.suffix.lower() != ".mp4":
        raise InputError(f"output {str(p)!r} must end in .mp4: e.g. -o out/news.mp4")
    if p.is_dir():
        raise InputError(f"output {str(p)!r} is a folder: give a file name ending in .mp4")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EncodeError(f"cannot create the output folder {str(p.parent)!r}: {e.strerror}") from e
    if not os.access(p.parent, os.W_OK):
        raise EncodeError(f"the output folder {str(p.parent)!r} is not writable: choose another -o path")
    return p


def _sentence_timings(parsed: Script, spoken):
    """Sentence texts with their spoken spans and word timings, for subtitle cues."""
    from .subtitles import SentenceTiming, WordTiming

    rate = spoken.rate_hz
    by_sentence: dict[int, list[WordTiming]] = {}
    for w in spoken.words:
        by_sentence.setdefault(w.value.sentence_index, []).append(
            WordTiming(w.value.char_start, w.value.char_end, w.start / rate, w.end / rate))
    return [SentenceTiming(parsed.sentences[s.value].text, s.start / rate, s.end / rate,
                           tuple(by_sentence.get(s.value, ())), parsed.sentences[s.value].emphasis,
                           parsed.sentences[s.value].translation)
            for s in spoken.sentences]
