"""The `xiaonuan` command as a user runs it: exit codes, one clear error line, no stray output."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xiaonuan", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("script,extra,message", [
    ("", [], "no text to speak"),
    ("   \n\n", [], "no text to speak"),
    ("你好。", ["--voice", "espeak:klingon"], "unknown voice"),
    ("你好。", ["--template", "nosuch"], "nosuch"),
    ("你好。", ["--avatar", "nosuch"], "nosuch"),
    ("你好。", ["--set", "novalue"], "key=value"),
    ("你好。", ["--set", "colour=red"], "no field(s) colour"),
    ("---\nmood: 1\n---\n你好。", [], "no field(s) mood"),
    ("---\n[broken\n---\n你好。", [], "front matter"),
    (None, [], "does not exist"),
])
def test_bad_input_is_one_error_line_exit_2_and_no_output(tmp_path, script, extra, message):
    src = tmp_path / "script.md"
    if script is not None:
        src.write_text(script, encoding="utf-8")
    out = tmp_path / "out" / "video.mp4"
    proc = run_cli("render", str(src), "-o", str(out), "-q", *extra, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert not out.exists()
    assert not any(p.suffix in (".mp4", ".srt") for p in tmp_path.rglob("*"))


def test_listing_commands(tmp_path):
    assert "espeak:cmn" in run_cli("voices", cwd=tmp_path).stdout.split()
    assert "news" in run_cli("templates", "list", cwd=tmp_path).stdout.split()
    assert "default" in run_cli("avatar", "list", cwd=tmp_path).stdout.split()


def test_render_command_writes_mp4_and_srt(tmp_path):
    src = tmp_path / "short.txt"
    src.write_text("短讯\n\n今天天气很好。", encoding="utf-8")
    out = tmp_path / "out" / "short.mp4"
    proc = run_cli("render", str(src), "-o", str(out), "--set", "name=测试", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file() and out.with_suffix(".srt").is_file()
    assert str(out) in proc.stdout
    assert "100.0%" in proc.stderr  # progress was shown
    # stderr is a pipe, as in a batch job's log: whole lines, a few per stage, no carriage returns
    lines = proc.stderr.splitlines()
    assert "\r" not in proc.stderr and lines[0].startswith("[  0.0%] script") and 3 < len(lines) < 25
    assert sorted(p.name for p in out.parent.iterdir()) == ["short.jpg", "short.mp4", "short.srt", "short.vtt"]


def test_ui_on_a_taken_port_says_so(monkeypatch):
    from typer.testing import CliRunner

    from xiaonuan.ui import app as ui
    from xiaonuan.cli.main import app

    def taken(**_):
        raise OSError("Cannot find empty port in range: 7860-7860. You can specify a different port …")

    monkeypatch.setattr(ui, "launch", taken)
    result = CliRunner().invoke(app, ["ui"])
    assert result.exit_code == 2
    assert "cannot listen on 127.0.0.1:7860: the port is in use" in result.output and "--port 7861" in result.output


def test_templates_sheet_without_its_presenter_says_so(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from xiaonuan.cli.main import app

    result = CliRunner().invoke(app, ["templates", "sheet", "--avatar", "nobody", "-o", str(tmp_path / "s.png")])
    assert result.exit_code == 2 and "unknown avatar 'nobody'" in result.output
    assert not (tmp_path / "s.png").exists()


def test_a_negative_seed_is_refused_before_anything_is_made(tmp_path):
    from xiaonuan import render
    from xiaonuan.errors import InputError

    with pytest.raises(InputError, match="from 0 up"):
        render("今天天气很好。", out=tmp_path / "x.mp4", seed=-1)
    assert list(tmp_path.iterdir()) == []
