"""Kokoro voice speed on this machine: building the model from its wheels (once per cache), loading it,
and synthesis real-time factor (seconds of CPU and of wall clock per second of audio) for a minute of
Mandarin news, against eSpeak on the same text.

Run: .venv/bin/python bench/bench_kokoro.py   (writes its section of bench/results.md)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_speech import TEXT, _machine

RESULTS = Path(__file__).with_name("results.md")
HEADING = "## Kokoro voice: model build, load and synthesis speed (bench/bench_kokoro.py)"
VOICES = ("kokoro:xiaonuan-f", "espeak:cmn")


def child(cache: str) -> None:
    """One fresh process: build (cold cache) or load the model, then synthesise TEXT with each voice."""
    t0 = time.perf_counter()
    from xiaonuan.speech import get_engine, kokoro

    path = kokoro.model_file()
    built = time.perf_counter() - t0
    t1 = time.perf_counter()
    kokoro.Model.get()
    loaded = time.perf_counter() - t1
    print(f"model_file {built:.2f} s, session {loaded:.2f} s ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    sentences = [s + "。" for s in TEXT.split("。") if s]
    for voice in VOICES:
        engine = get_engine(voice)
        engine.synthesize(sentences[:1], [0])  # jieba's dictionary, eSpeak's voice: once per process
        c0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        speech = engine.synthesize(sentences, [300] * len(sentences))
        wall = time.perf_counter() - w0
        c1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
        audio = speech.duration_s
        print(f"| `{voice}` | {audio:.1f} s | {wall:.1f} s | {wall / audio:.2f} | {cpu / audio:.2f} |", flush=True)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    env = {k: v for k, v in os.environ.items()}
    with tempfile.TemporaryDirectory(prefix="xiaonuan-bench-kokoro-") as cache:
        env["XIAONUAN_CACHE"] = cache
        runs = []
        for label in ("cold cache (joins the four wheel parts)", "warm cache"):
            out = subprocess.run([sys.executable, __file__, "--child", cache], env=env, capture_output=True,
                                 text=True, check=True, cwd=Path(__file__).parent).stdout.splitlines()
            runs.append((label, out))
    lines = [HEADING, "", _machine(), f"load average at the end: {os.getloadavg()[0]:.2f}", ""]
    for label, out in runs:
        lines += [f"Fresh process, {label}: {out[0]}", ""]
    lines += ["Synthesis of about a minute of Mandarin news (warm cache process; RTF = seconds per second of audio,"
              " lower is faster):", "", "| voice | audio | wall | wall RTF | CPU RTF |", "|---|---|---|---|---|"]
    lines += [row for row in runs[-1][1] if row.startswith("|")]
    section = "\n".join(lines) + "\n"
    print(section)
    text = RESULTS.read_text(encoding="utf-8")
    if HEADING in text:
        head, _, rest = text.partition(HEADING)
        nxt = rest.find("\n## ")
        text = head + section + (rest[nxt + 1:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
