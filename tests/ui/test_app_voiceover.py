"""The web UI's voice-over (issue #16): a recording from the microphone or an upload becomes the render's
voice, and the page says whether the script was found in it, with the transcript when there was no script."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from xiaonuan.store import Store
from xiaonuan.ui import app as ui
from xiaonuan.ui import voiceover
from xiaonuan.ui.session import SIZE_TEMPLATE as SIZE
from conftest import write_wav
from test_app import _call, _page_fn


def test_the_voiceover_box_takes_the_microphone_and_uploads_as_a_file(tmp_path, monkeypatch):
    import gradio as gr

    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    demo = ui.build_app()
    (box,) = [b for b in demo.blocks.values() if isinstance(b, gr.Audio) and b.elem_id == "voiceover"]
    assert set(box.sources) == {"microphone", "upload"} and box.type == "filepath"
    # the render and preview buttons hand it to the render
    fns = demo.fns.values() if isinstance(demo.fns, dict) else demo.fns
    for name in ("bound", "bound_1"):
        fn = next(f for f in fns if f.api_name == name)
        assert box._id in [b._id for b in fn.inputs]


def test_a_recording_is_the_voice_and_the_note_says_how_it_aligned():
    assert voiceover.recorded_voice(None) is None and voiceover.recorded_voice("") is None
    assert voiceover.recorded_voice("/tmp/x/mic.wav") == "recorded:/tmp/x/mic.wav"
    aligned = SimpleNamespace(voice="recorded:/a.wav", timing="aligned", confidence=0.93, transcript="")
    estimated = SimpleNamespace(voice="recorded:/a.wav", timing="estimated", confidence=0.04, transcript="")
    heard = SimpleNamespace(voice="recorded:/a.wav", timing="aligned", confidence=1.0, transcript="你好。")
    assert "aligned" in voiceover.timing_note(aligned) and "0.93" in voiceover.timing_note(aligned)
    assert "estimated" in voiceover.timing_note(estimated) and "loudness" in voiceover.timing_note(estimated)
    assert "Transcript" in voiceover.timing_note(heard) and "你好。" in voiceover.timing_note(heard)
    assert voiceover.timing_note(SimpleNamespace(voice="kokoro:xiaonuan-f", timing="exact")) == ""


def test_a_voiceover_without_a_script_renders_from_the_page_with_its_transcript(tmp_path, monkeypatch):
    # what the microphone hands over: a WAV file's path, and an empty script box
    from xiaonuan.speech.espeak import EspeakEngine

    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    voice = EspeakEngine("en-us").synthesize(["Good evening.", "Here is the weather for tomorrow."], [500, 500],
                                             rate_wpm=140)
    recording = write_wav(tmp_path / "mic.wav", voice.samples, voice.rate_hz)
    store = Store(tmp_path / "history.db")
    demo = ui.build_app(store)
    video, files, note = asyncio.run(_call(_page_fn(demo, "bound_1"), "", "news", "default", ui.AUTO_VOICE, 1.0,
                                           SIZE, "", "", "", "", str(recording), None))
    assert note.startswith("**Preview**") and f"`recorded:{recording}`" in note
    assert "aligned" in note and "Transcript" in note and "weather" in note.lower()
    assert files and all(p.startswith(str(tmp_path)) for p in files)
