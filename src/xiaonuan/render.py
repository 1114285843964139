"""The pipeline: Script → Speech → MotionTrack → face frames → composed frames → MP4 + SRT.

`render()` is the one entry point the CLI, the web app and the batch runner call. Every
name (voice, template, avatar) is resolved before anything is written, and the video is
written to a temporary file and moved into place only when complete.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .errors import InputError, TemplateError
from .fileio import check_sidecars, writable_output
from .progress import Progress, ProgressSink, ignore
from .script import Script, load_script, parse_script
from .types import Frame, PresenterFrame

# Kokoro for both: under Whisper base, Mandarin CER 0.15-0.17 against eSpeak's ~1.0, English WER 0.07-0.11 against
# eSpeak's 0.15 (docs/voices.md).
DEFAULT_VOICES = {"zh": "kokoro:xiaonuan-f", "en": "kokoro:xiaonuan-en-f"}
RATE_WPM_MIN, RATE_WPM_MAX = 80, 450  # the speaking rates eSpeak NG can say (and `say --rate` accepts)
SCRIPT_SETTINGS = frozenset({"voice", "expression"})  # front-matter keys that are render settings, not template fields
PROGRESS_EVERY_FRAMES = 25
WAIT_REPORT_S = 0.5  # how often a render still waiting for its sound after the last frame says so


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
    timing: str = "exact"  # of the speech: "exact" (the engine's own), "aligned" (to a voice-over) or "estimated"
    confidence: float | None = None  # a voice-over's alignment confidence (share of the script heard in it)
    transcript: str = ""  # a voice-over rendered without a script: what was heard in it (the subtitles' text)


@dataclass(frozen=True)
class RenderRequest:
    """One render, asked for in full: what the CLI, the web page, the batch runner and the API build and hand
    to render(). Frozen, so a variant is `dataclasses.replace(request, ...)` (a preview: a shorter script, a
    smaller height, a faster preset).

    `script` is a parsed Script, a Path to a text/Markdown file, a Path to a slide deck (.pdf, .pptx: each page a
    scene, its narration from `narration` (a companion script), deck.md beside it, its speaker notes or, as a
    fallback, its own text; needs a template with a `deck:` box, e.g. "deck"), or the script text itself.
    `voice` defaults to the script language's voice in DEFAULT_VOICES (Kokoro). `height_px` renders the
    template's layout smaller (e.g. 720 → 1280x720 from a 1920x1080 template; even, ≥ 240); `preset` is the
    x264 preset (default encode.PRESET).
    """

    script: Script | Path | str
    template: str = "news"
    avatar: str = "default"
    voice: str | None = None
    out: Path = Path("out/video.mp4")
    fields: Mapping[str, str] = field(default_factory=dict)
    seed: int = 0
    rate_wpm: int | None = None
    allow_unconsented: bool = False
    height_px: int | None = None
    preset: str | None = None
    narration: Path | None = None  # a deck's companion script: one `## 第N页` section per page
    brand: Path | None = None  # a brand file (brand.py): palette, logo and font over the template's own

    def __post_init__(self) -> None:
        # normalised once here, so every front-end's request reads the same: a Path, a read-only mapping
        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields or {})))


def render(request: RenderRequest | Script | Path | str, *, on_progress: ProgressSink | None = None,
           **options) -> RenderResult:
    """Render a script to an MP4 (and an SRT beside it).

    `request` is a RenderRequest; for compatibility it may also be the script itself, with the request's
    other fields as keywords (render(text, template="news", out=...)). Raises InputError subclasses
    for bad input (nothing written) and RenderError if encoding fails (nothing left behind).
    stage_s holds seconds per stage: script, speech, motion, then, inside the frame loop, face
    (presenter frames), compose and encode (waiting on the encoder, and its final flush and mux).
    """
    if isinstance(request, RenderRequest):
        if options:
            raise TypeError(f"render() takes a RenderRequest or keywords, not both (got {sorted(options)}); "
                            "use dataclasses.replace(request, ...)")
    else:
        request = RenderRequest(request, **options)
    if _is_deck(request.script):
        return _render_deck(request, on_progress)
    return _render(request, on_progress)


def _is_deck(script) -> bool:
    # lazy: package import (docs/architecture.md)
    from .deck import is_deck

    return is_deck(script)


def _render_deck(req: RenderRequest, on_progress: ProgressSink | None) -> RenderResult:
    """A slide deck rendered through the same chain: its narration is the script, its pages the scenes
    (canvas/deck.py). The deck is read, and a PPTX converted, before anything is written."""
    # lazy: package import (docs/architecture.md)
    from . import deck as decks, templates

    spec = templates.load_template(req.template).spec
    if spec.deck is None:
        raise TemplateError(f"template {req.template!r} has no `deck:` box and cannot show a deck's pages: "
                            "render decks with --template deck (or a copy of it)")
    with decks.open_deck(req.script, hold_s=spec.deck.hold_s, narration=req.narration) as deck:
        return _render(dataclasses.replace(req, script=deck.narration.script), on_progress, deck)


def _render(req: RenderRequest, on_progress: ProgressSink | None, deck=None) -> RenderResult:
    """The chain: script → speech → motion → presenter frames → composed frames → MP4, SRT, VTT, cover."""
    # lazy: package import (docs/architecture.md)
    from . import canvas as compose, cover, encode, subtitles

    script, template, avatar, voice, out = req.script, req.template, req.avatar, req.voice, req.out
    fields, seed, rate_wpm, allow_unconsented = req.fields, req.seed, req.rate_wpm, req.allow_unconsented
    height_px, preset = req.height_px, req.preset
    if seed < 0:
        raise InputError(f"seed {seed!r} must be a whole number from 0 up (it picks the blinks and head motion)")
    check_rate(rate_wpm)
    report = on_progress or ignore
    watch = _Stopwatch()
    transcribing = bool(voice and voice.startswith("recorded:") and _no_text(script))
    report(Progress("script", 0, 1, 0.0, "transcribing the voice-over" if transcribing else "reading the script"))
    job = _prepare(script, template, avatar, voice, out, fields, allow_unconsented, height_px, req.brand)
    if deck is not None:
        job.warnings[:0] = deck.narration.warnings  # the narration's fallbacks first
    watch.lap("script")
    report(Progress("speech", 0, 1, 0.02, f"synthesising {len(job.script.sentences)} sentences with {job.voice}"))
    later = _speak(job, rate_wpm)
    spoken = later.speech
    watch.lap("speech")
    report(Progress("motion", 0, 1, 0.08, "planning lip-sync and expressions"))
    plan = _plan(job, spoken, seed)
    # a voice whose timing comes before its sound (Kokoro) makes the sound beside the frame loop (#17)
    sound = _Sound(later) if later.pending else None
    audio = None if sound else _soundtrack(job, spoken, plan, seed)
    rate_hz, timing, confidence = spoken.rate_hz, spoken.timing, spoken.confidence
    # no full-length array stays in memory while frames are made (#7); a sound still being made is held
    # by `sound` alone
    spoken = later = None
    watch.lap("motion")

    tpl, n = job.template, plan.n_frames
    faces, metadata, mouth_log = _presenter(job, plan.track, seed)
    faces = watch.timed(faces, "face")
    try:
        with _one_blas_thread(), _one_cv2_thread(), encode.VideoWriter(
                job.out, size=(tpl.width_px, tpl.height_px), fps=tpl.fps, audio=audio, rate_hz=rate_hz,
                metadata=metadata, preset=preset or encode.PRESET, audio_later=sound is not None) as writer:
            # the soundtrack is in the writer's WAV now (or comes after the frames, made beside them): let it go
            # before the compositor draws its static layers, so a long script's samples (52 MB for 10 minutes)
            # and the layers are never in memory together (#7)
            audio = None
            watch.lap("encode")  # starting ffmpeg, the soundtrack written to its WAV
            size = job.avatar.size
            comp = compose.Compositor(tpl, fields=job.values, presenter_size=size, program=plan.program) \
                if deck is None else compose.DeckCompositor(tpl, deck, fields=job.values, presenter_size=size,
                                                            program=plan.program)
            job.warnings.extend(comp.prepare())
            watch.lap("compose")  # the compositor's setup: static layers drawn once
            kept: list[Frame] = []  # the cover: the frame at plan.cover_frame without its subtitle
            frames = comp.stream(faces, plan.cues, keep=plan.cover_frame, buffers=writer.buffer, on_keep=kept.append)
            for i, frame in enumerate(watch.timed(frames, "compose")):
                with watch.adding("encode"):
                    writer.write(frame)
                if i % PROGRESS_EVERY_FRAMES == 0 or i == n - 1:
                    report(Progress("video", i + 1, n, 0.1 + 0.88 * (i + 1) / n, f"frame {i + 1} of {n}"))
            watch.restart()
            if sound is not None:  # the frames are written: the speech's sound, made meanwhile, joins them
                writer.set_audio(_soundtrack(job, sound.wait(report), plan, seed))
                watch.lap("speech")
    finally:
        if sound is not None:
            sound.stop()  # a failed or cancelled render leaves no thread making sound
    watch.lap("encode")  # ffmpeg finishing the last frames, then the audio mux
    job.warnings.extend(mouth_log.warnings(job.avatar.name))  # the open mouth's shape against the presenter's (#17)
    watch.timings["compose"] -= watch.timings["face"]  # the compositor pulls each face frame inside its own step

    _, srt, vtt, jpg = sidecars(job.out).values()
    subtitles.write_srt(plan.cues, srt)
    subtitles.write_vtt(plan.cues, vtt)
    cover.write_cover(kept[0] if kept else frame, jpg)
    report(Progress("done", 1, 1, 1.0, f"wrote {job.out}"))
    return RenderResult(job.out, srt, n / tpl.fps, n, tpl.fps, job.voice, template, avatar, watch.timings,
                        tuple(job.warnings), cover=jpg, vtt=vtt, timing=timing, confidence=confidence,
                        transcript=job.transcript)


@dataclass(frozen=True)
class _Job:
    """Everything a render needs, resolved and checked before anything is written."""

    script: Script
    voice: str
    engine: object        # a speech engine (speech.cached), ready to synthesise
    template: object      # templates.Template, at the render's size and framed on the presenter's face
    values: Mapping[str, str]
    avatar: object        # avatar.Avatar, at the size it is shown
    out: Path
    warnings: list[str]   # grows as the render goes (speech, consent)
    transcript: str = ""  # the text heard in a voice-over given without a script


@dataclass(frozen=True)
class _Plan:
    """The render's timelines: motion per frame, the running order, subtitle cues, frame counts."""

    track: object         # motion.MotionTrack
    program: object       # program.Program
    cues: list
    n_intro: int
    n_frames: int         # intro + speech + outro
    cover_frame: int      # the calm frame the cover is made from


def _prepare(script, template: str, avatar: str, voice: str | None, out, fields, allow_unconsented: bool,
             height_px: int | None, brand_file: Path | None = None) -> _Job:
    """Parse the script and resolve voice, template, avatar and output path (InputError on any problem)."""
    # lazy: package import (docs/architecture.md)
    from .avatar import pack as avatars, framing
    from . import speech, templates
    from .brand import load_brand
    from .canvas.layout import check_overlaps

    if isinstance(script, str) and "\n" not in script.strip() and script.strip().lower().endswith((".md", ".txt", ".pdf", ".pptx")) \
            and Path(script.strip()).is_file():  # a str is the script's text: the path itself would be read aloud
        raise InputError(f"the script {script.strip()!r} is the path of a file: pass Path({script.strip()!r}) to render "
                         "that file (a str is taken as the script's text)")
    transcript = ""
    if voice and voice.startswith("recorded:") and _no_text(script):  # a voice-over alone: its words are the script
        engine = speech.get_engine(voice)
        transcript = engine.transcribe()
        parsed = parse_script(transcript, source=f"the transcript of {engine.path.name}")
    else:
        parsed = script if isinstance(script, Script) else (
            load_script(script) if isinstance(script, Path) else parse_script(script))
    av = avatars.load_avatar(avatar)
    voice_name = voice or parsed.fields.get("voice") or _pack_voice(av, parsed.language) or DEFAULT_VOICES[parsed.language]
    engine = speech.cached(speech.get_engine(voice_name))  # content-hash cache (XIAONUAN_CACHE=off disables)
    brand = load_brand(brand_file) if brand_file is not None else None
    tpl = templates.load_template(template, brand=brand)
    check_overlaps(tpl)  # text layers over each other at the template's own size: TemplateError naming both
    if height_px is not None:
        tpl = tpl.at_height(height_px)  # composition really runs at the smaller size
    values = tpl.resolve_fields({"headline": parsed.title,
                                 **{k: v for k, v in parsed.fields.items() if k not in SCRIPT_SETTINGS},
                                 **dict(fields or {})})
    tpl = framing.frame_presenter(tpl, av)  # zoom into a small face (fixed crop, from the pack's landmarks)
    av = _shown_size(av, tpl.spec.presenter)  # a portrait warped at the size it is shown (720p, previews)
    avatars.require_consent(av, allow_unconsented)  # AvatarError unless the pack records consent
    warnings = []
    if engine.language and engine.language != parsed.language:  # "" speaks anything (a recorded voice-over)
        warnings.append(f"voice {voice_name} speaks {engine.language} but the script looks like {parsed.language}")
    warnings += _voice_warnings(parsed, voice_name, engine.language) + placeholder_warnings(values)
    warnings += list(brand.warnings if brand is not None else ())  # a brand font without Chinese glyphs
    warnings += framing.overlay_warnings(tpl, av)  # a face still under the headline strap, lower third …
    out = _output_path(out)
    check_sidecars(sidecars(out), _inputs(script, parsed, voice_name))  # before any work, not after the render
    return _Job(parsed, voice_name, engine, tpl, values, av, out, warnings, transcript)


def _no_text(script) -> bool:
    """True for an empty script: "" (or None), or a script file holding only white space."""
    if script is None or (isinstance(script, str) and not script.strip()):
        return True
    if isinstance(script, Path) and script.is_file():
        try:
            return not script.read_text(encoding="utf-8-sig").strip()
        except (OSError, UnicodeDecodeError):
            return False  # load_script says what is wrong with it
    return False


# A template default that must be filled in looks like 【滚动字幕：请在此填写】: a default never states a fact
PLACEHOLDER = re.compile(r"【[^】]*请[^】]*】")


def placeholder_warnings(values: Mapping[str, str]) -> list[str]:
    """A warning per field that still shows a template placeholder, so nobody publishes 【…请在此填写】."""
    return [f"field {k!r} still shows the template's placeholder {v!r}: fill it in (`{k}: …` in the script, "
            f"--set {k}=… or the page's template fields)" for k, v in values.items() if PLACEHOLDER.search(str(v))]


def _pack_voice(av, language: str) -> str | None:
    """The avatar pack's own default voice, where it speaks the script's language."""
    # lazy: package import (docs/architecture.md)
    from . import speech

    if not av.default_voice:
        return None
    return av.default_voice if speech.get_engine(av.default_voice).language in ("", language) else None


def check_rate(rate_wpm: int | None) -> None:
    """InputError for a speaking rate the voices cannot say (100000 words a minute was accepted and ignored)."""
    if rate_wpm is not None and not RATE_WPM_MIN <= rate_wpm <= RATE_WPM_MAX:
        raise InputError(f"speaking rate {rate_wpm} words a minute is outside {RATE_WPM_MIN}..{RATE_WPM_MAX}: "
                         "give one in that range (170 is a newsreader's)")


def _voice_warnings(parsed: Script, voice_name: str, language: str) -> list[str]:
    """What the voice will not do as the script asks: Chinese characters for an English voice (it says
    "Chinese letter" for each), [pause] markers for a voice-over (its own pauses are the timing)."""
    # lazy: package import (docs/architecture.md)
    from .script import PARAGRAPH_PAUSE_MS, SENTENCE_PAUSE_MS, chinese_characters

    out = []
    han = chinese_characters(" ".join(s.text for s in parsed.sentences))
    if language == "en" and han:
        out.append(f"voice {voice_name} cannot read Chinese characters ({han[:12]}{'…' if len(han) > 12 else ''}): "
                   "it says \"Chinese letter\" for each; use a Mandarin voice (--voice kokoro:xiaonuan-f) or write them in pinyin")
    if voice_name.startswith("recorded:") and any(
            s.pause_after_ms not in (SENTENCE_PAUSE_MS, PARAGRAPH_PAUSE_MS) for s in parsed.sentences[:-1]):
        out.append("[pause] markers do not lengthen a voice-over: the video follows the recording's own pauses "
                   "(record the pause, or use a synthetic voice)")
    return out


def _speak(job: _Job, rate_wpm: int | None):
    """The script said by the job's voice (a speech.Later: its timing now, its sound now or on `make`),
    its warnings added to the job's."""
    # lazy: package import (docs/architecture.md)
    from .speech import later

    sentences = job.script.sentences
    said = later(job.engine, [s.text for s in sentences], [s.pause_after_ms for s in sentences],
                 rate_wpm=rate_wpm, emphasis=[s.emphasis for s in sentences],
                 lexicon=_lexicon(job.avatar.name, job.script))
    job.warnings.extend(said.speech.warnings)
    return said


def _plan(job: _Job, spoken, seed: int) -> _Plan:
    """Motion, running order (intro card, stories, outro card) and subtitle cues on the program clock."""
    # lazy: package import (docs/architecture.md)
    from . import cover, motion, program, subtitles

    parsed, tpl, fps = job.script, job.template, job.template.fps
    track = motion.plan_motion(spoken, job.engine.language or parsed.language, fps, seed=seed,
                               expression=parsed.fields.get("expression") or tpl.spec.presenter.expression,
                               sentence_expressions=[s.expression for s in parsed.sentences],
                               emphasis=[s.emphasis for s in parsed.sentences])
    prog = program.plan_program(parsed, [(s.start / spoken.rate_hz, s.end / spoken.rate_hz) for s in spoken.sentences],
                                track.n_frames / fps, program.whole_frames(tpl.intro_s, fps) / fps,
                                program.whole_frames(tpl.outro_s, fps) / fps)
    cues = subtitles.shifted(subtitles.cues_from_sentences(_sentence_timings(parsed, spoken),
                                                           max_chars=tpl.subtitle_max_chars), prog.intro_s)
    n_intro, _, n_outro = prog.frame_counts(fps, track.n_frames)
    calm = cover.calm_frame(track, first_story_frames=round((prog.stories[0].end_s - prog.intro_s) * fps))
    return _Plan(track, prog, cues, n_intro, n_intro + track.n_frames + n_outro, n_intro + calm)


def _soundtrack(job: _Job, spoken, plan: _Plan, seed: int):
    """The speech placed after the intro card, with the template's music ducked under it, as long as the video."""
    # lazy: package import (docs/architecture.md)
    from . import mix

    rate, fps = spoken.rate_hz, job.template.fps
    return mix.soundtrack(spoken.samples, rate, plan.n_intro * rate // fps, plan.n_frames * rate // fps,
                          job.template.spec.music, seed=seed)


def _presenter(job: _Job, track, seed: int):
    """(PresenterFrames, the MP4's metadata, the mouth's shape log): the avatar animated, labelled when
    unconsented, cut out for matte templates, each frame with the head pose the compositor applies."""
    # lazy: package import (docs/architecture.md)
    from . import animate
    from .face.mouth_ratio import MouthShapeLog

    av, tpl = job.avatar, job.template
    label = tpl.spec.ai_label.text
    metadata = {"comment": label, "description": f"{label}: {job.script.title}", "title": job.script.title}
    # a portrait's head pose is applied by the compositor, in the resampling that places it (#7)
    poses = itertools.repeat(None) if av.is_clip else animate.pose_matrices(av, track)
    log = MouthShapeLog(own_ratio=av.open_ratio)
    faces = animate.animate(av, track, seed=seed, pose=False, shape_log=log)
    if not av.consented:                       # allowed by allow_unconsented: say so on screen and in the file
        faces = animate.label_unconsented(faces)
        metadata["comment"] = f"{label}; {animate.UNCONSENTED_LABEL}"
        job.warnings.append(f"avatar {av.name!r} has no consent record; the video is labelled "
                            f"{animate.UNCONSENTED_LABEL}")
    if tpl.spec.presenter.style == "matte":    # the person cut out over the template's own background
        # lazy: package import (docs/architecture.md)
        from .face import matte

        pairs = matte.with_matte(faces, still=None if av.is_clip else av.image,  # moved with its frame by `poses`
                                 opaque=None if av.consented else matte.stamp_box(animate.label_unconsented, av.size))
    else:
        pairs = ((f, None) for f in faces)
    return (PresenterFrame(image, alpha, pose) for (image, alpha), pose in zip(pairs, poses)), metadata, log


class _Sound:
    """The speech's sound made on a thread of its own while the frames are drawn (#17); `wait` returns the
    whole Speech or raises what stopped it, `stop` ends it early (a failed or cancelled render)."""

    def __init__(self, later) -> None:
        self._later, self._stop, self._error = later, threading.Event(), None
        self._thread = threading.Thread(target=self._run, name="xiaonuan-speech-sound", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._later.make(self._stop.is_set)
        except BaseException as e:  # handed to the render's thread by wait()
            self._error = e

    def wait(self, report: ProgressSink = ignore):
        """The whole Speech once made; while it is still being made after the last frame (cheap frames, a
        long script), `report` hears so every WAIT_REPORT_S, and may cancel by raising."""
        while self._thread.is_alive():
            report(Progress("speech", 0, 1, 0.98, "finishing the voice"))
            self._thread.join(WAIT_REPORT_S)
        if self._error is not None:
            raise self._error
        return self._later.speech

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class _Stopwatch:
    """Seconds per stage: `lap(stage)` books the time since the last lap; `timed` and `adding` book
    time spent inside the frame loop."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {"face": 0.0, "compose": 0.0, "encode": 0.0}
        self.clock = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self.clock
        self.clock = now

    def restart(self) -> None:
        self.clock = time.perf_counter()

    @contextlib.contextmanager
    def adding(self, stage: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] += time.perf_counter() - t0

    def timed(self, items, stage: str):
        """`items` passed through, with the seconds spent producing each one added to timings[stage]."""
        return _timed(items, self.timings, stage)


def _timed(items, timings: dict[str, float], stage: str, clock=time.perf_counter):
    """`items` passed through, with the seconds spent producing each one added to timings[stage]
    (wall-clock seconds; the bench passes clock=time.thread_time for CPU seconds)."""
    it = iter(items)
    while True:
        t0 = clock()
        item = next(it, _DONE)
        timings[stage] += clock() - t0
        if item is _DONE:
            return
        yield item


_DONE = object()


SHRINK_BELOW = 0.85  # a portrait shown at less than this share of its size is animated smaller


def _shown_size(av, box):
    """A still portrait scaled down to the size its presenter box shows it at (never up), so the face
    is warped, filled and blended on the pixels that reach the video: at 720p about half of them, at a
    360p preview an eighth (issue #7). A recorded clip is left as it is."""
    # lazy: package import (docs/architecture.md)
    import dataclasses

    # lazy: package import (docs/architecture.md)
    import cv2
    import numpy as np

    if av.is_clip:
        return av
    w, h = av.size
    c = box.crop
    sx, sy = box.width_px / ((c[2] - c[0]) * w), box.height_px / ((c[3] - c[1]) * h)
    f = min(sx, sy) if box.fit == "contain" else max(sx, sy)
    if f >= SHRINK_BELOW:
        return av
    size = (max(2, round(w * f)), max(2, round(h * f)))
    image = cv2.resize(av.image, size, interpolation=cv2.INTER_AREA)
    scale = np.array([size[0] / w, size[1] / h], np.float32)
    return dataclasses.replace(av, image=image, landmarks=(av.landmarks * scale).astype(np.float32))


def _one_blas_thread():
    """numpy's BLAS on one thread while frames are made. The face warp solves hundreds of 3x3 systems
    a frame; OpenBLAS's threads spin-wait against ffmpeg for 2 cores and made that 26 ms a frame
    instead of 0.2 ms (issue #7, bench/results.md)."""
    try:
        # lazy: package import (docs/architecture.md)
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency; without it only speed suffers
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


@contextlib.contextmanager
def _one_cv2_thread():
    """OpenCV on one thread while frames are made: its pool woke a second thread for every warp and
    resize, on the core ffmpeg keeps busy, for about 0.5 ms of extra CPU a frame at 1080p (issue #7)."""
    # lazy: package import (docs/architecture.md)
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def _lexicon(avatar: str, parsed: Script):
    """Pronunciations: the project's lexicon.yaml < the avatar pack's lexicon.yaml < the script's
    front-matter `lexicon:` block (later wins)."""
    # lazy: package import (docs/architecture.md)
    from .avatar.pack import avatar_folder
    from .lexicon import LEXICON_FILE, layered
    from .paths import project_root

    pack = avatar_folder(avatar)  # the user's pack, else the built-in one of that name
    return layered(project_root() / LEXICON_FILE, pack / LEXICON_FILE if pack else None).then(parsed.lexicon)


def _output_path(out: str | Path) -> Path:
    return writable_output(out, "output", (".mp4",))


def sidecars(out: Path) -> dict[str, Path]:
    """The files a render writes: the video and, beside it, its subtitles and cover."""
    return {"video": out, "SRT subtitles": out.with_suffix(".srt"), "WebVTT subtitles": out.with_suffix(".vtt"),
            "cover": out.with_suffix(".jpg")}


def _inputs(script, parsed: Script, voice_name: str) -> list[Path]:
    """The files a render reads that an output must never replace: the script, its slide images, the voice-over."""
    found = [Path(script)] if isinstance(script, Path) else []
    found += [item.image for story in parsed.stories for item in story.slides if item.image is not None]
    if voice_name.startswith("recorded:"):
        found.append(Path(voice_name.removeprefix("recorded:")).expanduser())
    return found


def _sentence_timings(parsed: Script, spoken):
    """Sentence texts with their spoken spans and word timings, for subtitle cues."""
    # lazy: package import (docs/architecture.md)
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
