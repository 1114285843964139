"""eSpeak NG synthesis speed: seconds of audio per second of wall time, for about a minute of Mandarin.

Run: .venv/bin/python bench/bench_speech.py   (appends its figure to bench/results.md)
"""

from __future__ import annotations

import datetime
import os
import platform
import time
from pathlib import Path

from xiaonuan.speech import get_engine

TEXT = ("本市春季花展今天上午在滨江公园开幕，展期将持续到2021年4月30日。"
        "今年的花展共展出鲜花三百余种，其中新品种占27%。"
        "主办方介绍，预计接待游客超过50万人次，比去年增长12.5%。"
        "花展期间，公园每天早上8:00开放，晚上9:30闭园，咨询电话是010-12345678。"
        "市民可以通过APP提前预约，免费入园。"
        "据了解，今年花展首次采用智能导览系统，游客扫码即可收听讲解。"
        "另外，园区增设了五个休息区和两个母婴室，方便带孩子的家庭。"
        "气象部门预计，本周末天气晴好，最高气温22℃，适合出行赏花。"
        "交通部门提醒，周末公园周边车流量较大，建议市民乘坐地铁前往。")
REPEATS = 3


def main() -> None:
    engine = get_engine("espeak:cmn")
    sentences = [s + "。" for s in TEXT.split("。") if s]
    engine.synthesize(sentences[:1], [0])  # load the library and voice once
    best = None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        speech = engine.synthesize(sentences, [350] * len(sentences))
        wall = time.perf_counter() - t0
        best = wall if best is None else min(best, wall)
    audio_s = speech.duration_s
    speed = audio_s / best
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    line = (f"- {datetime.date.today()}: {audio_s:.1f} s of Mandarin ({len(TEXT)} characters, {len(sentences)} "
            f"sentences) in {best:.2f} s wall (best of {REPEATS}) = **{speed:.0f}× real time**; "
            f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
    print(line)
    results = Path(__file__).with_name("results.md")
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    heading = "## Speech: eSpeak NG synthesis speed (bench/bench_speech.py)"
    if heading not in text:
        text = text.rstrip("\n") + f"\n\n{heading}\n\nTarget: at least 50× real time.\n\n"
    head, _, rest = text.partition(heading)
    section, sep, after = rest.partition("\n## ")
    text = head + heading + section.rstrip("\n") + "\n" + line + "\n" + (("\n## " + after) if sep else "")
    results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
