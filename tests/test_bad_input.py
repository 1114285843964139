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

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A project folder of our own (XIAONUAN_HOME): the real templates and avatars, plus room for bad ones."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "templates", home / "templates")
    shutil.copytree(ROOT / "assets" / "avatar", home / "assets" / "avatar")
    monkeypatch.setenv("XIAONUAN_HOME", str(home))
    monkeypatch.delenv("XIAONUAN_AVATARS", raising=False)
    return home


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
    return [p for p in home.rglob("*") if p.is_file() and p.suffix in (".mp4", ".srt", ".vtt", ".jpg", ".part")]


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
