"""A table of bad inputs across the interfaces: each ends in a clear error naming the problem
and the fix, exit code 2 on the CLI, and no output file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import xiaonuan
from xiaonuan.errors import InputError
from xiaonuan.script import parse_script
from conftest import write_wav

ROOT = Path(__file__).resolve().parents[1]


def bad_template(home: Path, name: str, mutate) -> str:
    src = home / "templates" / "news"
    dst = home / "templates" / name
    shutil.copytree(src, dst)
    path = dst / "template.yaml"
    if callable(mutate):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        mutate(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    else:
        path.write_text(mutate, encoding="utf-8")
    return name


def bad_avatar(home: Path, name: str, mutate) -> str:
    dst = home / "assets" / "avatar" / name
    shutil.copytree(home / "assets" / "avatar" / "default", dst)
    _yaml_edit("name", name)(dst)
    mutate(dst)
    return name


def _no_face(d: Path) -> None:
    from PIL import Image

    img = np.full((720, 720, 3), 128, np.uint8)
    img[::20] = 90
    Image.fromarray(img).save(d / "portrait.png")
    for f in d.glob("landmarks*"):
        f.unlink()


def _yaml_edit(key, value):
    def edit(d: Path) -> None:
        data = yaml.safe_load((d / "avatar.yaml").read_text(encoding="utf-8"))
        data[key] = value
        (d / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return edit


# (id, how to build the case → render() keyword arguments, words the message must contain)
CASES = [
    ("empty script", lambda h: {"script": ""}, "no text to speak"),
    ("whitespace only", lambda h: {"script": " \n\t\n"}, "no text to speak"),
    ("title only", lambda h: {"script": "# 标题\n"}, "no text to speak"),
    ("punctuation only", lambda h: {"script": "。，！？"}, "no text to speak"),
    ("emoji only", lambda h: {"script": "🎉🎉🎉"}, "no text to speak"),
    ("over the length limit", lambda h: {"script": "好" * 20_001}, "limit"),
    ("front matter unclosed", lambda h: {"script": "---\nname: a\n你好。"}, "never ends"),
    ("front matter bad yaml", lambda h: {"script": "---\n[x\n---\n你好。"}, "not valid YAML"),
    ("front matter a list", lambda h: {"script": "---\n- a\n- b\n---\n你好。"}, "key: value"),
    ("script file missing", lambda h: {"script": h / "missing.md"}, "does not exist"),
    ("script file not utf-8", lambda h: {"script": _write(h / "gbk.md", "你好。".encode("gbk"))}, "UTF-8"),
    ("unknown voice", lambda h: {"voice": "espeak:klingon"}, "unknown voice"),
    ("voice without engine", lambda h: {"voice": "cmn"}, "unknown voice"),
    ("unknown engine", lambda h: {"voice": "festival:cmn"}, "unknown voice"),
    ("unknown template", lambda h: {"template": "nosuch"}, "nosuch"),
    ("template path-like name", lambda h: {"template": "../templates/news"}, "template"),
    ("template yaml syntax", lambda h: {"template": bad_template(h, "t1", "canvas: [1920,\n")}, "template.yaml"),
    ("template unknown key", lambda h: {"template": bad_template(h, "t2", lambda d: d.update(sparkles=1))},
     "sparkles"),
    ("template bad colour", lambda h: {"template": bad_template(
        h, "t3", lambda d: d["background"].update(top_color="#zzzzzz"))}, "top_color"),
    ("template missing asset", lambda h: {"template": bad_template(
        h, "t4", lambda d: d["logo"].update(image="nope.png"))}, "nope.png"),
    ("template path escapes", lambda h: {"template": bad_template(
        h, "t5", lambda d: d["logo"].update(image="../news/logo.png"))}, "leaves the template folder"),
    ("unknown template field", lambda h: {"fields": {"colour": "red"}}, "no field(s) colour"),
    ("unknown avatar", lambda h: {"avatar": "nosuch"}, "nosuch"),
    ("avatar yaml unknown key", lambda h: {"avatar": bad_avatar(h, "a1", _yaml_edit("sparkles", 1))}, "sparkles"),
    ("avatar portrait without a face", lambda h: {"avatar": bad_avatar(h, "a2", _no_face)}, "face"),
    ("output not mp4", lambda h: {"out": h / "out" / "video.avi"}, ".mp4"),
    ("output is a folder", lambda h: {"out": _mkdir(h / "out" / "dir.mp4")}, "folder"),
]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def outputs(home: Path) -> list[Path]:
    """What a render wrote: video, subtitle, cover and partial files outside the copied templates and
    avatars (a template may ship its own looping background .mp4)."""
    inputs = (home / "templates", home / "assets")
    return [p for p in home.rglob("*") if p.is_file() and p.suffix in (".mp4", ".srt", ".vtt", ".jpg", ".part")
            and not any(p.is_relative_to(d) for d in inputs)]


@pytest.mark.parametrize("build,message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_api_rejects_bad_input_with_a_clear_message(home, build, message):
    from xiaonuan.errors import XiaonuanError

    kwargs = {"script": "你好。", "voice": "fake:cmn", "out": home / "out" / "video.mp4", **build(home)}
    with pytest.raises(XiaonuanError) as e:
        xiaonuan.render(kwargs.pop("script"), **kwargs)
    assert message in str(e.value)
    assert isinstance(e.value, InputError) or "face" in message  # a face-less portrait is a backend finding
    assert outputs(home) == []


CLI_CASES = [c for c in CASES if c[0] in {
    "empty script", "unknown voice", "unknown template", "template bad colour", "template path escapes",
    "unknown avatar", "avatar yaml unknown key", "front matter bad yaml", "script file not utf-8"}]


@pytest.mark.parametrize("build,message", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_prints_one_error_line_and_exits_2(home, build, message):
    kwargs = {"script": "你好。", **build(home)}
    script = kwargs.pop("script")
    if not isinstance(script, Path):
        path = home / "script.md"
        path.write_text(script, encoding="utf-8")
        script = path
    args = [sys.executable, "-m", "xiaonuan", "render", str(script), "-o", str(home / "out" / "v.mp4"), "-q"]
    for key in ("voice", "template", "avatar"):
        if key in kwargs:
            args += [f"--{key}", kwargs[key]]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert outputs(home) == []


@pytest.mark.parametrize("text", ["你好\x00世界。", "Hello\x07 world\u200b.", "新闻\U0001F600播报。", "\ufeff开始。"])
def test_unspeakable_characters_are_dropped_not_fatal(text):
    script = parse_script(text)
    assert all(ch.isprintable() for s in script.sentences for ch in s.text)
    assert script.sentences


# ---------------------------------------------------------------- uploads: avatar media and voice-overs

def _ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args], check=True)


def _media(tmp: Path, kind: str) -> Path:
    portrait = str(ROOT / "assets" / "avatar" / "default" / "portrait.png")
    if kind == "not media":
        return _write(tmp / "clip.mp4", b"this is not a video\n" * 10)
    if kind == "truncated":
        full = tmp / "full.mp4"
        _ffmpeg("-loop", "1", "-i", portrait, "-t", "2", "-r", "25", "-vf", "scale=320:320", "-pix_fmt", "yuv420p",
                str(full))
        data = full.read_bytes()
        return _write(tmp / "truncated.mp4", data[:len(data) // 2])  # the index (moov) is at the end: gone
    if kind == "no video stream":
        out = tmp / "voice.m4a"
        _ffmpeg("-f", "lavfi", "-i", "sine=f=220", "-t", "1", str(out))
        return out
    if kind == "no face":
        out = tmp / "noface.mp4"
        _ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "1", "-pix_fmt", "yuv420p", str(out))
        return out
    if kind == "empty image":
        return _write(tmp / "photo.png", b"")
    raise ValueError(kind)


@pytest.mark.parametrize("kind,message", [
    ("not media", "not a readable video"),
    ("truncated", "truncated.mp4"),
    ("no video stream", "voice.m4a"),
    ("no face", "No face"),
    ("empty image", "photo.png"),
])
def test_avatar_upload_that_cannot_be_a_presenter(tmp_path, kind, message):
    src = _media(tmp_path, kind)
    avatars = tmp_path / "avatars"
    proc = subprocess.run([sys.executable, "-m", "xiaonuan", "avatar", "add", str(src), "--name", "who",
                           "--consent-by", "Test Person, 2025-01-01", "--avatars-dir", str(avatars)],
                          capture_output=True, text=True, timeout=300)
    lines = [line for line in proc.stderr.splitlines() if line.strip() and not _is_library_noise(line)]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert not avatars.exists() or not any(avatars.iterdir())


def _is_library_noise(line: str) -> bool:
    """MediaPipe/TensorFlow Lite log lines on stderr (not ours)."""
    return line[:1] in "WI" and line[1:5].isdigit() or line.startswith(("INFO:", "WARNING: All log"))


def test_very_long_clip_uses_its_start_and_says_so(tmp_path, monkeypatch):
    """A 30-minute upload is cut (here to 2 s, to keep the test quick) and the report says so."""
    import xiaonuan.avatar.enrol as enrol_mod
    from xiaonuan.avatar.enrol import ConsentRecord, enrol

    src = tmp_path / "long.mp4"
    portrait = str(ROOT / "assets" / "avatar" / "default" / "portrait.png")
    _ffmpeg("-loop", "1", "-framerate", "1", "-i", portrait, "-t", "1800", "-vf", "scale=360:360", "-r", "1",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(src))
    monkeypatch.setattr(enrol_mod, "MAX_CLIP_S", 2.0)
    result = enrol(src, "long", root=tmp_path / "avatars", consent=ConsentRecord(by="Test Person", date="2025-01-01"))
    codes = {i.code: i.message for i in result.report.issues}
    assert "too_long" in codes and "30.0 minutes" in codes["too_long"]
    assert result.report.n_frames == 50  # 2 s at 25 fps: only the start was decoded


def _speechlike(rate_hz: int, seconds: float, gain: float) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return gain * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 1.5 * t) > 0)


@pytest.mark.parametrize("name,samples,rate,message", [
    ("silent.wav", np.zeros(16000 * 2), 16000, "is silent"),
    ("short.wav", _speechlike(16000, 0.1, 0.5), 16000, "lasts 0.10 s"),
    ("text.wav", None, 0, "cannot read the voice-over"),
    ("portrait.png", "png", 0, r"portrait.png' \(it has no audio track\)"),   # was ffmpeg's "Invalid argument"
])
def test_voiceover_that_cannot_drive_a_face(tmp_path, name, samples, rate, message):
    from xiaonuan.errors import VoiceError
    from xiaonuan.paths import builtin_avatars_dir

    if isinstance(samples, str):
        path = Path(shutil.copy(builtin_avatars_dir() / "default" / "portrait.png", tmp_path / name))
    else:
        path = write_wav(tmp_path / name, samples, rate) if samples is not None else _write(tmp_path / name, b"not audio")
    out = tmp_path / "out" / "v.mp4"
    with pytest.raises(VoiceError, match=message):
        xiaonuan.render("一二三。", voice=f"recorded:{path}", out=out)
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_clipped_and_odd_rate_voiceovers_render_with_a_warning(tmp_path):
    from xiaonuan.encode import probe

    clipped = write_wav(tmp_path / "clipped.wav", 4 * _speechlike(16000, 2.0, 1.0), 16000)
    result = xiaonuan.render("一二三。", voice=f"recorded:{clipped}", out=tmp_path / "a.mp4")
    assert any("clipped" in w for w in result.warnings)
    odd = write_wav(tmp_path / "odd.wav", _speechlike(7000, 2.0, 0.5), 7000)  # 7 kHz: resampled, no complaint
    result = xiaonuan.render("一二三。", voice=f"recorded:{odd}", out=tmp_path / "b.mp4",
                             fields={"ticker": "滚动字幕"})  # the news template's placeholder filled: no warning of its own
    # a tone, not the words 一二三: only the alignment's fallback speaks up (speech/align.py), not the rate
    assert all("could not be aligned" in w for w in result.warnings)
    assert abs(probe(result.mp4).audio_duration_s - 2.0) < 0.1
