"""End-to-end render benchmark: speed by stage, encode-only ceiling, peak memory.

    .venv/bin/python bench/bench_render.py [--seconds 60] [--long-seconds 600] [--skip-long]

Each render runs in a child process so its peak RSS is its own. Results are printed and
written under "## Render" in bench/results.md (ratios are what to compare across machines:
absolute times on shared machines drift).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.md"
SENTENCES = [
    "本市春季花展今天上午在滨江公园开幕。",
    "今年的花展共有一百多个品种，吸引了许多市民前来参观。",
    "公园管理处表示，花展将持续到下个月，并免费对市民开放。",
    "请大家文明赏花，保护公园环境。",
    "气象部门预计，本周末以晴到多云天气为主，气温适宜出行。",
    "交通部门提醒市民，周末出行请尽量选择公共交通。",
]
CHARS_PER_SECOND = 4.2  # eSpeak cmn at its default rate, pauses included


def make_script(seconds: float) -> str:
    body, n = [], 0
    while n < seconds * CHARS_PER_SECOND:
        s = SENTENCES[len(body) % len(SENTENCES)]
        body.append(s)
        n += len(s)
    paragraphs = ["".join(body[i:i + 3]) for i in range(0, len(body), 3)]
    return "# 基准测试新闻\n\n" + "\n\n".join(paragraphs) + "\n"


def child(script_path: str, out: str) -> None:
    """Runs inside the child: render and print timings and peak memory as JSON."""
    import xiaonuan

    t0 = time.perf_counter()
    result = xiaonuan.render(Path(script_path), out=out)
    wall = time.perf_counter() - t0
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"wall_s": wall, "video_s": result.duration_s, "stage_s": dict(result.stage_s),
                      "peak_rss_mb": rss_self, "peak_ffmpeg_rss_mb": rss_children}))


def run_case(seconds: float, workdir: Path) -> dict:
    script = workdir / f"script_{int(seconds)}.md"
    script.write_text(make_script(seconds), encoding="utf-8")
    out = workdir / f"render_{int(seconds)}.mp4"
    proc = subprocess.run([sys.executable, __file__, "--child", str(script), str(out)], capture_output=True,
                          text=True, check=True)
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["out"] = str(out)
    return data


def encode_only(rendered: Path, workdir: Path) -> float:
    """Wall seconds to re-encode the rendered video's frames with the render's encoder settings.

    Decoding H.264 is an order of magnitude cheaper than encoding it, so this is the ceiling
    the pipeline could reach if making frames cost nothing.
    """
    from xiaonuan.encode import ffmpeg_exe

    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-i", str(rendered), "-an", "-c:v", "libx264", "-preset", "veryfast",
           "-crf", "20", "-pix_fmt", "yuv420p", str(workdir / "encode_only.mp4")]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def write_results(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    head = "## Render"
    if head in text:
        start = text.index(head)
        nxt = text.find("\n## ", start + len(head))
        text = text[:start] + section + (text[nxt + 1:] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--long-seconds", type=float, default=600)
    ap.add_argument("--skip-long", action="store_true", help="skip the long (memory) render")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="xiaonuan-bench-") as tmp:
        work = Path(tmp)
        short = run_case(args.seconds, work)
        enc = encode_only(Path(short["out"]), work)
        long = None if args.skip_long else run_case(args.long_seconds, work)
    rt = short["video_s"] / short["wall_s"]
    lines = [
        "## Render",
        "",
        f"Measured {dt.date.today()} on {machine()}.",
        f"Command: `.venv/bin/python bench/bench_render.py --seconds {args.seconds:g}"
        + (" --skip-long`" if long is None else f" --long-seconds {args.long_seconds:g}`"),
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| 1080p25 news, {short['video_s']:.1f} s video: wall | {short['wall_s']:.1f} s | |",
        f"| speed (video s / wall s) | {rt:.2f}× real time | ≥ 1.0× |",
        f"| encode-only of the same frames | {enc:.1f} s ({short['video_s'] / enc:.2f}× real time) | |",
        f"| end-to-end / encode-only throughput | {enc / short['wall_s'] * 100:.0f} % | ≥ 70 % |",
        f"| peak RSS, {short['video_s']:.0f} s (python / ffmpeg) | {short['peak_rss_mb']:.0f} MB / "
        f"{short['peak_ffmpeg_rss_mb']:.0f} MB | |",
    ]
    if long is not None:
        ratio = long["peak_rss_mb"] / short["peak_rss_mb"]
        lines += [f"| peak RSS, {long['video_s']:.0f} s (python / ffmpeg) | {long['peak_rss_mb']:.0f} MB / "
                  f"{long['peak_ffmpeg_rss_mb']:.0f} MB | < 1.5 GB |",
                  f"| peak RSS long / short | {ratio:.2f} | ≤ 1.2 |",
                  f"| {long['video_s']:.0f} s render speed | {long['video_s'] / long['wall_s']:.2f}× real time | |"]
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in short["stage_s"].items())
    lines += ["", f"Stage split of the {short['video_s']:.0f} s render: {stages}.", ""]
    section = "\n".join(lines)
    print(section)
    write_results(section)


if __name__ == "__main__":
    main()
