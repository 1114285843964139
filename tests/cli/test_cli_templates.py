"""`xiaonuan templates list` shows what each template is and its size; `templates preview NAME` writes to out/
and leaves the template's own preview.png (the picture the web page shows) alone unless --in-place."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xiaonuan", "templates", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})


def test_list_shows_size_and_description(tmp_path):
    out = _cli("list", cwd=tmp_path).stdout.splitlines()
    news = next(line for line in out if line.startswith("news "))
    assert "1920x1080" in news and "25 fps" in news and "Studio news" in news
    assert any(line.startswith("vertical ") and "1080x1920" in line for line in out)


def test_preview_without_out_does_not_touch_the_built_in_preview(tmp_path):
    own = ROOT / "templates" / "news" / "preview.png"
    before = hashlib.sha256(own.read_bytes()).hexdigest()
    proc = _cli("preview", "news", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    made = tmp_path / "out" / "news-preview.png"
    assert proc.stdout.strip().endswith("news-preview.png") and made.stat().st_size > 10_000
    assert hashlib.sha256(own.read_bytes()).hexdigest() == before
