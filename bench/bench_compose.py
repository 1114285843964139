"""Compositor speed per frame (moved out of tests/canvas/test_compose.py: speed is measured here, not asserted
in a test that fails when a CI machine is busy).

    .venv/bin/python bench/bench_compose.py          # ms per 1080p frame, news and every template

Targets (issue #7): 12 ms per 1080p frame on one core for news (measured ≈ 2 ms); every template under
60 ms. Prints the figures and whether each target is met; exit status 0 either way (a benchmark reports).
"""

from __future__ import annotations

import time

import numpy as np

from xiaonuan.canvas import Compositor
from xiaonuan.program import Program, SlideCue, StoryTiming
from xiaonuan.templates import available_templates, load_template

PRESENTER_RGB = (0, 200, 60)
NEWS_TARGET_MS = 12.0
TEMPLATE_LIMIT_MS = 60.0


def ms_per_frame(comp: Compositor, t0_s: float, n: int) -> float:
    """Mean wall ms of comp.frame over n frames from t0_s at 25 fps, after one warm-up frame."""
    face = np.broadcast_to(np.array(PRESENTER_RGB, np.uint8), (720, 720, 3)).copy()
    comp.frame(face, t0_s, "字幕测试 subtitle")
    started = time.perf_counter()
    for i in range(n):
        comp.frame(face, t0_s + i * 0.04, "字幕测试 subtitle")
    return (time.perf_counter() - started) / n * 1000


def main() -> None:
    news = Compositor(load_template("news"), fields={"name": "王晓暖", "title": "主播", "date": "2025年1月1日"},
                      presenter_size=(720, 720))
    ms = ms_per_frame(news, news.template.spec.lower_third.in_s + 0.2, 40)
    print(f"compose news (lower third in): {ms:.2f} ms per 1080p frame (target {NEWS_TARGET_MS:.0f} ms: "
          f"{'met' if ms <= NEWS_TARGET_MS else 'missed'})")
    cues = (SlideCue("bullet", 0.5, "要点一"), SlideCue("bullet", 1.0, "要点二"))
    prog = Program(0.0, 30.0, 0.0, (StoryTiming(0.0, 10.0, "第一条", {}, cues), StoryTiming(10.0, 30.0, "第二条")))
    for name in available_templates():
        comp = Compositor(load_template(name), presenter_size=(720, 720), program=prog)
        ms = ms_per_frame(comp, 1.5, 20)
        print(f"compose {name}: {ms:.2f} ms per frame (limit {TEMPLATE_LIMIT_MS:.0f} ms: "
              f"{'met' if ms <= TEMPLATE_LIMIT_MS else 'missed'})")


if __name__ == "__main__":
    main()
