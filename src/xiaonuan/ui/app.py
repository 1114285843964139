"""The web UI (Gradio 6): Create, Avatars, Batch and History tabs over `xiaonuan.render()`.

    xiaonuan ui [--host 127.0.0.1] [--port 7860] [--auth user:pass]     (or $XIAONUAN_UI_AUTH)

Widgets turn into render() arguments and results into widgets; there is no pipeline logic here.
Renders go through Gradio's queue, at most one per CPU at a time, so a long render never blocks
the page; each runs in a worker thread that a cancelled event (Stop, a client's cancel) stops at its
next progress report. Outputs get generated names in the app's own folder (<data>/ui/), the only
folder the server serves; user file names are never used as paths.
"""

import asyncio
import os
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any
from PIL import Image
import hashlib

from . import session
from .avatars import avatar_thumbnail, enrol_avatar, enrol_steps  # noqa: F401 (re-exported: tests, tools)
from .pronounce import pronunciation_panel
from .session import app_dir
from ..fileio import write_atomic
from ..render import RenderRequest
from ..saferead import MAX_IMAGE_BYTES, open_image, read_bytes
from ..store import DB_NAME, Store, data_dir
from .batch import batch_status, batch_tab, start_batch  # noqa: F401 (the page's batch runs, re-exported)
from .history import CANCELLED, history_status, history_tab, rerender_args  # noqa: F401 (re-exported)
from .voiceover import recorded_voice, timing_note, voiceover_input
from .. import canvas as compose, render, speech, templates
from ..avatar import pack as avatars
from ..avatar.enrol import MEDIA_SUFFIXES
from ..avatar.pack import load_avatar
from ..cli.speech import speak_line, write_wav
from ..errors import InputError, XiaonuanError
from ..preview import preview_frame
from ..script import detect_language, parse_script
from ..speech import kokoro
from ..templates import field_assignment, load_template, template_folder

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 7860
AUTH_ENV = "XIAONUAN_UI_AUTH"
MAX_UPLOAD = "200mb"
COMMON_FIELDS = ("headline", "name", "title")
STAGE_LABELS = {"script": "读稿 script", "speech": "语音 speech", "motion": "口型 motion", "video": "画面 video",
                "done": "完成 done"}
AUTO_VOICE = "auto 自动"
PREVIEW_SHORT_SIDE_PX = 360  # Preview renders the first sentence this small (360p for 16:9) ...
PREVIEW_PRESET = "ultrafast"  # ... with x264's fastest preset: first frame in ~1 s, the clip in ≤ 5 s (#7)
CHARS_PER_S = {"zh": 3.8, "en": 14.0}  # eSpeak's default rates, measured on examples/demo_zh.md and an English text
LONG_S = 300  # a script this long (≈ 5 min of video) gets a warning under the editor: it renders for a long while
CANCEL_WAIT_S = 4.0  # a cancel waits this long for the render to stop (gradio_client's cancel request times out at 5 s)
CSS = """
#title {margin-bottom: 0}
#estimate {min-height: 1.5em; opacity: .85}
.gallery-pick .caption-label {font-size: 13px}
#avatar-gallery .grid-container, #template-gallery .grid-container, #enrolled-gallery .grid-container
  {padding-top: 2.2rem}  /* below the gallery's floating label, which covered the top of the faces */
footer {display: none !important}
"""


# --- small pure helpers (tested without a browser) ---------------------------------------------


def estimate(text: str) -> str:
    """A live line under the editor: characters, sentences and the expected duration."""
    if not text.strip():
        return "0 字 chars"
    try:
        s = parse_script(text)
    except XiaonuanError as e:
        return f"⚠ {e}"
    chars = sum(len(x.text) for x in s.sentences)
    pauses = sum(x.pause_after_ms for x in s.sentences) / 1000
    seconds = 0.3 + pauses + chars / CHARS_PER_S.get(s.language, 4.0)
    line = (f"{chars} 字 chars · {len(s.sentences)} 句 sentences · ≈ {seconds:.0f} s "
            f"({'中文' if s.language == 'zh' else 'English'})")
    if seconds > LONG_S:
        line += (f"\n\n⚠ 稿件很长：约 {seconds / 60:.0f} 分钟视频，生成需要较长时间；可拆成多条用批量生成。 "
                 f"Long script: about {seconds / 60:.0f} min of video, a long render; consider a batch of shorter ones.")
    return line


def parse_fields(headline: str, name: str, title: str, extra: str) -> dict[str, str]:
    """Template fields from the form: the three common boxes plus `key=value` lines."""
    fields = {k: v.strip() for k, v in zip(COMMON_FIELDS, (headline, name, title)) if v and v.strip()}
    for line in (extra or "").splitlines():
        if not line.strip():
            continue
        pair = field_assignment(line)
        if pair is None:
            raise InputError(f"field line {line!r} is not key=value, e.g. date=3月4日")
        fields[pair[0]] = pair[1]
    return fields


def first_sentence_script(text: str) -> str:
    """The script cut to its title (if any) and first sentence: what Preview renders."""
    s = parse_script(text)
    head = f"# {s.title}\n\n" if s.title else ""
    return head + s.sentences[0].text


def render_options(kind: str, template: str) -> dict[str, Any]:
    """What a preview changes in its RenderRequest (dataclasses.replace): it is small (PREVIEW_SHORT_SIDE_PX
    on the canvas's short side) and uses PREVIEW_PRESET; a full render keeps the template's size and preset."""
    if kind != "preview":
        return {}

    tpl = load_template(template)
    height = tpl.height_px * PREVIEW_SHORT_SIDE_PX / min(tpl.width_px, tpl.height_px)
    return {"height_px": min(tpl.height_px, 2 * round(height / 2)), "preset": PREVIEW_PRESET}


def warm_up() -> None:
    """Import the render stages (cv2, the face rig …: ~1-2 s) and open the word segmenter's dictionary (on
    a machine whose cache is empty, written once: 0.8 s) while the page loads, so the first Preview is as
    quick as later ones (#7). Runs in a background thread; failures are left for render() to report."""
    try:
        from .. import animate, canvas as compose, encode, mix, motion, program, render, speech, subtitles  # noqa: F401

        subtitles.han_segmenter()
        kokoro.Model.get()  # the default Mandarin voice: built from its wheels once (~3 s), loaded (~1 s)
    except Exception:  # pragma: no cover - render() says what is wrong when it is used
        pass


def rate_for(text: str, speed: float) -> int | None:
    """Words per minute for eSpeak from a speed factor (1.0 = the voice's default)."""
    if abs(speed - 1.0) < 0.01:
        return None
    return round({"zh": 170, "en": 165}.get(detect_language(text), 170) * speed)


AUDITION_TEXT = {"zh": "大家好，我是小暖。欢迎收看今天的节目。", "en": "Hello, I am Xiaonuan. Welcome to today's programme."}


def audition(voice: str | None, script: str, speed: float) -> Path:
    """A WAV of the voice saying the script's first sentence (or a greeting): the Listen button."""
    text = AUDITION_TEXT[detect_language(script or "")] if not (script or "").strip() else \
        parse_script(script).sentences[0].text
    speech, _ = speak_line(text, None if voice == AUTO_VOICE else voice, rate_for(text, speed), None, False, None)
    out = new_output("listen").with_suffix(".wav")
    write_wav(speech.samples, speech.rate_hz, out)
    return out


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """'user:pass' or 'a:1,b:2' → [(user, pass), …]; None when empty."""
    if not value:
        return None
    pairs = []
    for part in value.split(","):
        user, sep, password = part.strip().partition(":")
        if not sep or not user or not password:
            raise ValueError(f"--auth {part!r} must be user:password")
        pairs.append((user, password))
    return pairs


def new_output(kind: str, title: str = "") -> Path:
    """A fresh output path in a generated folder: <app>/renders/<date>/<kind>-<time>-<id>.mp4, or with a
    title <…>/<kind>-<time>-<id>/<title as a safe file name>.mp4, so downloads are named after the headline."""
    day = time.strftime("%Y-%m-%d")
    folder = app_dir() / "renders" / day
    stem = f"{kind}-{time.strftime('%H%M%S')}-{uuid.uuid4().hex[:8]}"
    if title.strip():
        folder, stem = folder / stem, session.safe_file_name(title)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{stem}.mp4"


def template_thumbnail(name: str) -> Path | None:
    """The template's preview.png, or a still composed once with the default presenter (cached)."""
    folder = app_dir() / "thumbs"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        tfolder = template_folder(name)  # a built-in one, or one of yours (paths.user_templates_dir)
        own = tfolder / "preview.png"
        src_bytes = read_bytes(own if own.is_file() else tfolder / "template.yaml", "template file",
                               max_bytes=MAX_IMAGE_BYTES)
        out = folder / f"template-{hashlib.sha256(src_bytes).hexdigest()[:12]}.jpg"
        if out.is_file():
            return out

        if own.is_file():
            im = open_image(own, "the template's preview").convert("RGB")  # pixel cap: no decompression bomb
        else:
            im = Image.fromarray(_compose_still(name))
        im.thumbnail((480, 270))
        im.save(out, quality=88)
        return out
    except Exception:  # a broken template shows without a picture; render() will say what is wrong
        return None


def _compose_still(name: str):
    try:
        return preview_frame(name)
    except ImportError:
        pass

    tpl = load_template(name)
    av = load_avatar("default")
    comp = compose.Compositor(tpl, fields={}, presenter_size=av.size)
    return comp.frame(av.image, 0.0, "").copy()


# --- renders from the page ---------------------------------------------------------------------


class RenderCancelled(Exception):
    """Raised from a render's progress callback once its event is cancelled: render() stops there, its
    video writer kills ffmpeg and removes the temporary files."""


def render_job(store: Store, kind: str, request: RenderRequest, settings: dict[str, Any], user: str, stop: threading.Event,
               on_progress=None) -> tuple[Any, int | None, float]:
    """render() for the page, in a worker thread; returns (result, history id, seconds).

    A full render is recorded in the history as ok, failed or cancelled. A preview is not recorded: it is a
    360p check of the first sentence, and a history row stands for a video made from the script it shows.
    Once `stop` is set the next progress report raises RenderCancelled and nothing is left behind.
    """
    started = time.perf_counter()
    rid = store.start_render(request.script, settings, source="ui", user=user) if kind != "preview" else None
    if rid is not None:
        session.live_started(rid, user)  # a reload of the page shows it (ui/session.py: live_render)

    def report(p) -> None:
        if stop.is_set():
            raise RenderCancelled()
        if rid is not None:
            session.live_progress(rid, p.fraction, p.stage)
        if on_progress is not None:
            on_progress(p)

    try:
        result = render(request, on_progress=report)
        if stop.is_set():  # stopped after the last report: nobody waits for this video any more
            for path in (result.mp4, result.srt, result.vtt, result.cover):
                if path:
                    Path(path).unlink(missing_ok=True)
            raise RenderCancelled()
    except BaseException as e:
        if rid is not None:
            if isinstance(e, RenderCancelled):
                store.cancel_render(rid, CANCELLED, elapsed_s=time.perf_counter() - started)
            else:
                store.fail_render(rid, str(e) if isinstance(e, XiaonuanError) else f"{type(e).__name__}: {e}",
                                  elapsed_s=time.perf_counter() - started)
            session.live_ended(rid)
        raise
    elapsed = time.perf_counter() - started
    if rid is not None:
        store.finish_render(rid, mp4=result.mp4, srt=result.srt, cover=getattr(result, "cover", None),
                            duration_s=result.duration_s, elapsed_s=elapsed)
        session.live_ended(rid)
    return result, rid, elapsed


async def run_until_cancelled(fn, stop: threading.Event, wait_s: float = CANCEL_WAIT_S) -> Any:
    """Run blocking fn() in a thread and return its result. Gradio cancels an event by cancelling the task
    that awaits it, which cannot stop a thread: so set `stop` (fn's cue to give up) and wait up to wait_s for
    the thread to end, so that the render's queue slot and CPU are free when the cancel returns."""
    future = asyncio.ensure_future(asyncio.to_thread(fn))  # to_thread: with Gradio's context (progress bar)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        stop.set()
        await asyncio.wait([future], timeout=wait_s)
        raise


# --- the page ----------------------------------------------------------------------------------


def build_app(store: Store | None = None):
    """The Gradio Blocks of the app (not launched). Template, presenter and size lists are read again each
    time the page loads (presenters enrolled since appear after a reload); the draft is kept in the browser."""
    # lazy: gradio takes ~3 s to import; only the web UI needs it
    import gradio as gr

    store = store or Store()
    threading.Thread(target=warm_up, name="xiaonuan-warm-up", daemon=True).start()
    voices = [AUTO_VOICE, *speech.available_voices()]
    cpu = os.cpu_count() or 1

    def catalogue() -> dict[str, tuple[int, int, str, bool]]:
        """name → (width_px, height_px, description, one of yours): the built-in templates and yours."""
        out = {}
        for n in templates.available_templates():
            try:
                tpl = templates.load_template(n)
                out[n] = (tpl.width_px, tpl.height_px, tpl.spec.description, templates.is_own_template(n))
            except Exception:  # a broken template is left out of the lists; rendering it names the problem
                continue
        return out

    def shapes() -> dict[str, tuple[int, int]]:
        return {n: (w, h) for n, (w, h, _, _) in catalogue().items()}

    def tgallery(names=None):
        return [(str(p), n) for n in (names or shapes()) if (p := template_thumbnail(n))]

    def agallery():
        return [(str(p), n) for n in avatars.available_avatars() if (p := avatar_thumbnail(n))]

    def pick_default(names, wanted, fallback):
        return wanted if wanted in names else (fallback if fallback in names else (names[0] if names else None))

    async def run_render(kind, script, template, avatar, voice, speed, size, headline, name, title, extra,
                         recording, request: gr.Request, progress=gr.Progress(), deck=None):
        if not (script or "").strip() and not deck and not recording:  # a voice-over alone is transcribed (#16)
            raise gr.Error("Type a script or record a voice-over first. 请先输入稿件或录制配音。")
        known = shapes()
        if template not in known:  # the page offers names only: no folder paths on the server
            raise gr.Error(f"Unknown template {template!r}; pick one from the list. 请从列表中选择模板。")
        user = getattr(request, "username", None) or ""
        try:
            fields = parse_fields(headline, name, title, extra)

            heading = fields.get("headline") or (Path(deck).stem if deck else
                                                 parse_script(script).title if (script or "").strip() else "")
            if deck and templates.load_template(template).spec.deck is None:  # a deck needs a template with a deck box
                template = "deck"
            request = RenderRequest(Path(deck) if deck else script, template=template, avatar=avatar,
                                    voice=recorded_voice(recording) or (None if voice == AUTO_VOICE else voice),
                                    out=new_output(kind, heading), fields=fields, rate_wpm=rate_for(script, speed),
                                    height_px=session.size_height(size or session.SIZE_TEMPLATE, *known[template]))
            if deck and (script or "").strip():  # the script box, filled, is the deck's narration (## 第N页 sections)
                request = replace(request, narration=write_atomic(request.out.with_suffix(".md"), script.encode()))
            if kind == "preview" and deck:
                request = replace(request, **render_options(kind, template))
            elif kind == "preview":  # the same request, made small: its first sentence (a voice-over's all), 360p
                text = script if recording else first_sentence_script(script)
                request = replace(request, script=text, rate_wpm=rate_for(text, speed),
                                  **render_options(kind, template))
        except XiaonuanError as e:
            raise gr.Error(str(e)) from None
        settings = {"kind": kind, "template": template, "avatar": avatar, "voice": voice, "speed": speed,
                    "size": size, "fields": fields}

        def on_progress(p):
            label = STAGE_LABELS.get(p.stage, p.stage)
            progress(p.fraction, desc=f"{label} · {p.fraction * 100:.0f}%")

        stop = threading.Event()

        def job():
            return render_job(store, kind, request, settings, user, stop, on_progress)

        try:
            result, rid, elapsed = await run_until_cancelled(job, stop)
        except XiaonuanError as e:
            raise gr.Error(str(e)) from None
        return result_view(result.mp4, result.srt, result.vtt, getattr(result, "cover", None), note_for(
            kind, result.duration_s, elapsed, result.voice, rid, result.warnings, timing_note(result)))

    async def rerender(rid, request, progress):
        """History's Re-render: the row's request again, as a new render (and a new row)."""
        r = store.render(rid)
        if r is None:
            raise gr.Error(f"#{rid} is no longer in the history. 该记录已不存在。")
        return await run_render("render", *rerender_args(r, AUTO_VOICE, session.SIZE_TEMPLATE), None, request, progress)

    def result_view(mp4, srt, vtt, cover, note):
        # the subtitles are burned into the picture: a caption track as well showed them twice (#19); the
        # SRT and VTT are downloads instead
        files = [str(p) for p in (mp4, srt, vtt, cover) if p and Path(p).is_file()]
        return gr.Video(value=str(mp4), subtitles=None), files, note

    def on_load(draft, request: gr.Request):
        """The page (re)loaded: fresh lists, the saved draft, a render of this user's still under way."""
        listed = catalogue()
        known = {n: (w, h) for n, (w, h, _, _) in listed.items()}
        names, people = list(known), avatars.available_avatars()
        picked = pick_default(names, draft["template"], "news")
        draft = {**session.EMPTY_DRAFT, **(draft if isinstance(draft, dict) else {})}
        live = session.live_render(getattr(request, "username", None) or "")
        note = (f"⏳ 正在生成 #{live[0]} · {live[1]['fraction'] * 100:.0f}% — 完成后在此显示 Rendering, shown here "
                "when done" if live else "")
        return (gr.Dropdown(choices=session.template_choices(listed), value=picked),
                session.template_info(picked, listed),
                gr.Dropdown(choices=people, value=pick_default(people, draft["avatar"], "default")),
                gr.Dropdown(choices=session.size_choices(list(known.values()))),
                tgallery(names), agallery(), agallery(),
                # an empty draft leaves the boxes alone: what was typed before the page finished loading stays
                draft["script"] or gr.skip(), draft["headline"] or gr.skip(), note,
                live[0] if live else 0, gr.Timer(active=bool(live)))

    def watch(rid):
        """A render started before the reload: its progress, then its video."""
        r = store.render(rid) if rid else None
        if r is None or r.status == "running":
            live = session.live_render(r.user) if r else None
            frac = live[1]["fraction"] if live and live[0] == rid else 0.0
            return gr.skip(), gr.skip(), f"⏳ 正在生成 #{rid} · {frac * 100:.0f}%", gr.Timer(active=r is not None)
        if r.status != "ok":
            return gr.skip(), gr.skip(), f"#{rid}: {history_status(r.status, r.error)} {r.error or ''}", \
                gr.Timer(active=False)
        vtt = Path(r.srt).with_suffix(".vtt") if r.srt else None
        return (*result_view(r.mp4, r.srt, vtt, r.cover, note_for("render", r.duration_s or 0, r.elapsed_s or 0,
                                                                   r.settings.get("voice", ""), rid, ())),
                gr.Timer(active=False))

    # the lists as the server starts; on_load reads them again for each page
    first_catalogue, first_avatars = catalogue(), avatars.available_avatars()
    first_templates = list(first_catalogue)
    with gr.Blocks(title="小暖 Xiaonuan", analytics_enabled=False) as demo:
        gr.Markdown("## 小暖 Xiaonuan · 数字人播报 digital presenter", elem_id="title")
        draft = gr.BrowserState(session.EMPTY_DRAFT, storage_key=session.DRAFT_KEY,
                                secret=session.browser_secret(app_dir()))
        watched = gr.State(0)
        watcher = gr.Timer(2.0, active=False)
        with gr.Tabs():
            with gr.Tab("创作 Create", id="create"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=5):
                        script = gr.Textbox(label="稿件 Script", lines=9, max_lines=30, elem_id="script",
                                            placeholder="# 标题\n\n第一句。第二句。[pause 1s] …")
                        est = gr.Markdown(estimate(""), elem_id="estimate")
                        deck_file = gr.File(label="幻灯片 Slide deck (PDF/PPTX: 每页一个场景，备注为讲稿 notes are the "
                                            "narration)", file_types=[".pdf", ".pptx"], elem_id="deck", height=90)
                        with gr.Row():
                            template = gr.Dropdown(session.template_choices(first_catalogue), label="模板 Template",
                                                   elem_id="template", min_width=230,
                                                   value=pick_default(first_templates, "news", "news"))
                            avatar = gr.Dropdown(first_avatars, label="主播 Presenter", elem_id="avatar",
                                                 value=pick_default(first_avatars, "default", "default"))
                            size = gr.Dropdown(session.size_choices([(w, h) for w, h, _, _ in first_catalogue.values()]),
                                               value=session.SIZE_TEMPLATE,
                                               label="尺寸 Size", elem_id="size", min_width=150)
                            voice = gr.Dropdown(voices, value=AUTO_VOICE, label="声音 Voice", elem_id="voice")
                            listen_btn = gr.Button("试听 Listen", elem_id="listen-btn", scale=0, min_width=110)
                            speed = gr.Slider(0.6, 1.6, value=1.0, step=0.05, label="语速 Speed", min_width=220)
                        t_info = gr.Markdown(session.template_info(pick_default(first_templates, "news", "news"),
                                                                   first_catalogue), elem_id="template-info")
                        voiceover = voiceover_input(gr)
                        with gr.Accordion("模板字段 Template fields", open=False):
                            with gr.Row():
                                f_headline = gr.Textbox(label="标题 headline", placeholder="(稿件标题 script title)",
                                                        elem_id="f-headline")
                                f_name = gr.Textbox(label="姓名 name")
                                f_title = gr.Textbox(label="头衔 title")
                            f_extra = gr.Textbox(label="更多字段 more fields (key=value per line)", lines=2,
                                                 placeholder="date=3月4日\nticker=…")
                        pronunciation_panel(gr, script)
                        with gr.Row():
                            preview_btn = gr.Button("预览 Preview", elem_id="preview-btn")
                            render_btn = gr.Button("生成 Render", variant="primary", elem_id="render-btn")
                            stop_btn = gr.Button("停止 Stop", variant="stop", elem_id="stop-btn", scale=0,
                                                 min_width=140)
                        with gr.Row():
                            tgal = gr.Gallery(tgallery(first_templates), label="模板 Templates (点击选择 click to pick)", columns=2,
                                              height=210, object_fit="contain", allow_preview=False, fit_columns=False,
                                              elem_classes="gallery-pick", scale=3, elem_id="template-gallery")
                            # fit_columns off: one or two presenters stay thumbnail-sized, not one picture the
                            # gallery's width cut to its height (the face was lost)
                            agal = gr.Gallery(agallery(), label="主播 Presenters（点选 pick）", columns=3,
                                              height=210, object_fit="contain", allow_preview=False, fit_columns=False,
                                              elem_classes="gallery-pick", scale=2, elem_id="avatar-gallery")
                    with gr.Column(scale=4):
                        video = gr.Video(label="视频 Video", interactive=False, elem_id="result-video", height=340)
                        listened = gr.Audio(label="试听 Voice audition", type="filepath", interactive=False,
                                            elem_id="audition")
                        note = gr.Markdown("", elem_id="result-note")
                        files = gr.File(label="下载 Downloads (MP4, SRT, VTT, 封面 cover)", file_count="multiple",
                                        interactive=False, elem_id="downloads")

                script.change(estimate, script, est, queue=False, trigger_mode="always_last", show_progress="hidden")

                def keep_draft(text, headline, tpl, who):
                    return {"script": text or "", "headline": headline or "", "template": tpl or "",
                            "avatar": who or ""}

                for box in (script, f_headline, template, avatar):
                    box.change(keep_draft, [script, f_headline, template, avatar], draft, queue=False,
                               show_progress="hidden")

                def pick(evt: gr.SelectData) -> str:
                    return _pick_caption(evt)

                template.change(lambda name: session.template_info(name, catalogue()), template, t_info,
                                queue=False, show_progress="hidden")
                tgal.select(pick, None, template, queue=False)
                agal.select(pick, None, avatar, queue=False)
                size.change(lambda choice, current: session.template_for_aspect(choice, current, shapes()),
                            [size, template], template, queue=False)
                inputs = [script, template, avatar, voice, speed, size, f_headline, f_name, f_title, f_extra, voiceover,
                          deck_file]
                rendering = render_btn.click(_bind(run_render, "render"), inputs, [video, files, note],
                                             concurrency_id="render", concurrency_limit=cpu,
                                             show_progress_on=[video])
                previewing = preview_btn.click(_bind(run_render, "preview"), inputs, [video, files, note],
                                               concurrency_id="render", concurrency_limit=cpu,
                                               show_progress_on=[video])
                stop_btn.click(None, None, None, cancels=[rendering, previewing])  # → run_until_cancelled
                watcher.tick(watch, watched, [video, files, note, watcher], show_progress="hidden")

                def listen(voice_name, text, rate):
                    try:
                        return str(audition(voice_name, text, rate))
                    except XiaonuanError as e:
                        raise gr.Error(" ".join(str(e).split())) from None

                listen_btn.click(listen, [voice, script, speed], listened, concurrency_id="render",
                                 concurrency_limit=cpu)

            with gr.Tab("形象 Avatars", id="avatars"):
                with gr.Row():
                    with gr.Column():
                        upload = gr.File(label="视频或照片 Clip (MP4/MOV/WebM) or photo (PNG/JPG)",
                                         file_types=list(MEDIA_SUFFIXES))
                        a_name = gr.Textbox(label="名称 Name (字母、数字、- _ letters, digits)", placeholder="sunli")
                        a_consent = gr.Textbox(label="授权人与日期 Consent given by (name, date)",
                                               placeholder="孙丽, 2025-01-31")
                        enrol_btn = gr.Button("登记 Enrol", variant="primary")
                    with gr.Column():
                        report = gr.Markdown("", elem_id="enrol-report")
                        sheet = gr.Image(label="样张 Contact sheet", interactive=False)
                avatars_gallery = gr.Gallery([], label="已有主播 Enrolled presenters", columns=6, height=260,
                                             allow_preview=False, fit_columns=False, elem_id="enrolled-gallery")

                def do_enrol(path, name, consent):
                    """A status line every second while it runs (a clip takes about a minute), then the report."""
                    for text, image, done in enrol_steps(path, name, consent):
                        if not done:
                            yield text, gr.skip(), gr.skip(), gr.skip(), gr.skip()
                            continue
                        yield text, image, agallery(), agallery(), gr.Dropdown(choices=avatars.available_avatars())

                enrol_btn.click(do_enrol, [upload, a_name, a_consent],
                                [report, sheet, avatars_gallery, agal, avatar], concurrency_id="render",
                                concurrency_limit=cpu)

            with gr.Tab("批量 Batch", id="batch"):
                batch_tab(gr, store, app_dir() / "batches", cpu, demo)

            with gr.Tab("历史 History", id="history") as history_page:
                h_table, rows = history_tab(gr, store, demo, app_dir(), rerender, cpu)
                history_page.select(rows, None, h_table)
        demo.load(on_load, draft, [template, t_info, avatar, size, tgal, agal, avatars_gallery, script, f_headline, note,
                                   watched, watcher])
    return demo


def note_for(kind: str, duration_s: float, elapsed_s: float, voice: str, rid: int | None, warnings,
             timing: str = "") -> str:
    """The line under the player after a render: how long, how fast, which voice, a voice-over's alignment
    (ui/voiceover.py: timing_note) and the warnings."""
    note = (f"**{'Preview' if kind == 'preview' else 'Rendered'}** {duration_s:.1f} s of video "
            f"in {elapsed_s:.1f} s · voice `{voice}`" + (f" · #{rid}" if rid is not None else ""))
    return note + (f"\n\n{timing}" if timing else "") + "".join(f"\n\n⚠ {w}" for w in warnings)


def _pick_caption(evt: "Any") -> str:
    """A gallery click → the caption of the picked image (the template or presenter name)."""
    value = evt.value
    if isinstance(value, dict):
        return value.get("caption") or ""
    return str(value)


def _bind(fn, kind):
    """Coroutine fn with its first argument fixed, keeping the gr.Request/gr.Progress parameters Gradio looks
    for; a coroutine, so that a cancelled event reaches it (run_until_cancelled)."""
    # lazy: gradio takes ~3 s to import; only the web UI needs it
    import gradio as gr

    async def bound(script, template, avatar, voice, speed, size, headline, name, title, extra, recording,
                    request: gr.Request, progress=gr.Progress(), deck=None):  # deck: Gradio's inputs fill it last
        return await fn(kind, script, template, avatar, voice, speed, size, headline, name, title, extra, recording,
                        request, progress, deck=deck)

    return bound


def launch(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, auth: str | None = None,
           block: bool = True) -> Any:
    """Start the app: queue sized to the CPUs, optional login, only the app's folder served."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("GRADIO_TEMP_DIR", str(app_dir() / "uploads"))
    # lazy: gradio takes ~3 s to import; only the web UI needs it
    import gradio as gr

    app_dir().mkdir(parents=True, exist_ok=True)
    store = Store()
    # renders of an earlier run of the page that was stopped (Ctrl-C, a crash) would read 'running' for ever
    store.cancel_running("ui", "the web app stopped before it finished")
    demo = build_app(store)
    demo.queue(default_concurrency_limit=os.cpu_count() or 1, max_size=64)
    creds = parse_auth(auth or os.environ.get(AUTH_ENV))
    theme = gr.themes.Soft(primary_hue="red", font=["system-ui", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
                                                     "sans-serif"], font_mono=["ui-monospace", "monospace"])
    return demo.launch(server_name=host, server_port=port, auth=creds, auth_message="小暖 Xiaonuan",
                       allowed_paths=[str(app_dir())], blocked_paths=[str(data_dir() / DB_NAME)],
                       max_file_size=MAX_UPLOAD, ssr_mode=False, show_error=True, quiet=False,
                       prevent_thread_lock=not block, theme=theme, css=CSS, footer_links=[])
