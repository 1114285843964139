"""Peak memory and time of the worst hostile inputs (issue #20): each case runs in its own process, whose peak
RSS (wait4's ru_maxrss) and wall time are measured; the target is < 500 MB and < 10 s each. Writes its table
under "## Hostile input" in bench/results.md.

    .venv/bin/python bench/bench_hostile.py
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
HEADING = "## Hostile input (bench/bench_hostile.py)"
LIMIT_MB, LIMIT_S = 500, 10.0

# each case: (what, python code run in a fresh process with `d` = a scratch folder; it must end in an error)
CASES = [
    ("billion laughs (504 B) in a script's front matter", """
from test_hostile import LAUGHS
from xiaonuan.script import parse_script
parse_script(f"---\\n{LAUGHS}---\\n第一句。")"""),
    ("billion laughs in template.yaml (the duplicate-key walk)", """
import os, shutil
from test_hostile import LAUGHS
shutil.copytree(ROOT / "templates" / "news", d / "t")
p = d / "t" / "template.yaml"; p.write_text(LAUGHS + p.read_text(encoding="utf-8"), encoding="utf-8")
from xiaonuan.templates import load_template
load_template(str(d / "t"))"""),
    ("billion laughs in the web UI's live estimate", """
from test_hostile import LAUGHS
from xiaonuan.ui.app import estimate
assert "alias" in estimate(f"---\\n{LAUGHS}---\\n第一句。")
raise SystemExit(3)"""),
    ("1 MB of YAML (just under the cap) in a rundown: ~37,000 items, read", """
from xiaonuan.batch import load_rundown
p = d / "run.yaml"
text = ("items:\\n" + "".join(f"  - {{name: n{i}, text: hi}}\\n" for i in range(50_000))).encode()
p.write_bytes(text[: text.rindex(b"\\n", 0, 1024 * 1024 - 10) + 1])
print(len(load_rundown(p).items))
raise SystemExit(3)"""),
    ("a rundown item whose script is a FIFO, another /dev/zero", """
import os
from xiaonuan.batch import load_rundown
os.mkfifo(d / "pipe.md")
p = d / "run.yaml"; p.write_text("items:\\n  - {name: a, script: pipe.md}\\n  - {name: b, script: /dev/zero}\\n")
r = load_rundown(p)
assert all(i.error for i in r.items)
raise SystemExit(3)"""),
    ("a 6 GB (sparse) script file", """
from xiaonuan.script import load_script
p = d / "huge.md"
with open(p, "wb") as f:
    f.truncate(6 * 1024 ** 3)
load_script(p)"""),
    ("a 388-byte PNG of 20000x20000 as a slide image", """
from test_hostile import png_bomb
from xiaonuan.script import parse_script
png_bomb(d / "chart.png")
parse_script("![图表](chart.png)\\n第一句。", base_dir=d)"""),
    ("the same PNG enrolled as a presenter (avatar add)", """
from test_hostile import png_bomb
from xiaonuan.avatar.enrol import enrol
enrol(png_bomb(d / "me.png"), "me", root=d / "avatars")"""),
    ("a 2-hour voice-over for one sentence", """
from xiaonuan.speech import get_engine
get_engine(f"recorded:{VOICE}").synthesize(["Hello there."], [0])"""),
]


def long_voice(path: Path, seconds: int = 7200, rate_hz: int = 8000) -> Path:
    """A 2-hour 8 kHz WAV of a repeated tone burst (115 MB), written a minute at a time."""
    import numpy as np

    t = np.arange(60 * rate_hz) / rate_hz
    minute = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(t * 3) > 0) * 32767).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        for _ in range(seconds // 60):
            w.writeframes(minute)
    return path


def run(code: str, scratch: Path, voice: Path) -> tuple[float, float, str]:
    """(peak RSS in MB, wall seconds, the last line of stderr) of `code` run in a new interpreter."""
    prelude = (f"import sys; from pathlib import Path; sys.path.insert(0, {str(ROOT / 'tests')!r}); "
               f"ROOT = Path({str(ROOT)!r}); d = Path({str(scratch)!r}); VOICE = Path({str(voice)!r})\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", prelude + code], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    last = [ln for ln in err.splitlines() if ln.strip()][-1:] or ["(done as expected)" if os.waitstatus_to_exitcode(status) == 3
                                                                  else "(no error!)"]
    return usage.ru_maxrss / 1024, wall, last[0]


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        voice = long_voice(Path(tmp) / "two_hours.wav")
        for what, code in CASES:
            scratch = Path(tmp) / f"case{len(rows)}"
            scratch.mkdir()
            mb, s, last = run(code, scratch, voice)
            shutil.rmtree(scratch, ignore_errors=True)
            ok = mb < LIMIT_MB and s < LIMIT_S
            error = re.sub(r"^[\w.]+Error: ", "", last)[:110]
            rows.append(f"| {what} | {mb:.0f} | {s:.1f} | {'yes' if ok else 'NO'} | {error} |")
            print(rows[-1], flush=True)
    table = "\n".join(["| hostile input | peak RSS (MB) | wall (s) | < 500 MB, < 10 s | what it ends in |",
                       "|---|---|---|---|---|", *rows])
    section = (f"{HEADING}\n\nEach case in a fresh `python` process (imports included), peak RSS from `wait4`; "
               f"CPU-only machine, {os.cpu_count()} cores shared. Every case ends in one error, none in a traceback "
               "of the decoder or a hang.\n\n" + table + "\n")
    results = ROOT / "bench" / "results.md"
    text = results.read_text(encoding="utf-8")
    if HEADING in text:
        start = text.index(HEADING)
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
