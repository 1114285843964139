"""Speech speed: eSpeak NG synthesis, and forced alignment (speech/align.py), in seconds of audio per second.

Synthesis: about a minute of Mandarin. Alignment: about a minute of English and of Mandarin said by
another eSpeak voice (slower or faster, higher or lower, other pauses), whose own events give the
true word starts; reported with the word-start error and the confidence of the right text against
a wrong one. Where Festival is installed (`apt-get install festival festvox-kallpc16k`: a diphone
voice cut from a human recording), the same is measured on its English too.

Run: .venv/bin/python bench/bench_speech.py   (appends its figures to bench/results.md)
"""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from xiaonuan.speech import get_engine
from xiaonuan.speech.align import force_align
from xiaonuan.speech.espeak import EspeakEngine

TEXT = ("本市春季花展今天上午在滨江公园开幕，展期将持续到2021年4月30日。"
        "今年的花展共展出鲜花三百余种，其中新品种占27%。"
        "主办方介绍，预计接待游客超过50万人次，比去年增长12.5%。"
        "花展期间，公园每天早上8:00开放，晚上9:30闭园，咨询电话是010-12345678。"
        "市民可以通过APP提前预约，免费入园。"
        "据了解，今年花展首次采用智能导览系统，游客扫码即可收听讲解。"
        "另外，园区增设了五个休息区和两个母婴室，方便带孩子的家庭。"
        "气象部门预计，本周末天气晴好，最高气温22℃，适合出行赏花。"
        "交通部门提醒，周末公园周边车流量较大，建议市民乘坐地铁前往。")
ENGLISH = ["The flower show opened this morning in the riverside park.",
           "More than a hundred kinds of tulips are on display this year.",
           "Organisers expect over half a million visitors, twelve percent more than last year.",
           "The park opens at eight every morning and closes at half past nine.",
           "Visitors can book a free ticket through the app.",
           "For the first time, a smart guide tells the story of each garden.",
           "Five new rest areas and two baby rooms have been added for families.",
           "The weather service expects a sunny weekend with highs of twenty two degrees.",
           "Traffic will be heavy near the park, so the city advises taking the metro."]
WRONG_ENGLISH = ["Stock markets fell sharply on Friday after the report.", "Investors are worried about rising prices.",
                 "Analysts expect a slow recovery."] * 3
WRONG_CHINESE = ["今天股市大幅下跌，投资者十分担忧。", "分析人士预计经济将缓慢恢复。", "明天将有小雨，气温下降。"] * 3
REPEATS = 3
RESULTS = Path(__file__).with_name("results.md")
HEADING = "## Speech: eSpeak NG synthesis and forced alignment speed (bench/bench_speech.py)"


def synthesis_line() -> str:
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
    return (f"- {datetime.date.today()}: synthesis: {audio_s:.1f} s of Mandarin ({len(TEXT)} characters, "
            f"{len(sentences)} sentences) in {best:.2f} s wall (best of {REPEATS}) = **{audio_s / best:.0f}× real "
            f"time**; {_machine()}")


def _word_onsets_s(speech) -> dict[tuple[int, int], float]:
    """(sentence, char_start) → start of the word's first sounding phoneme (s)."""
    first: dict[int, int] = {}
    for p in speech.phonemes:
        first.setdefault(p.value.word_index, p.start)
    rate = speech.words.rate_hz
    return {(w.value.sentence_index, w.value.char_start): first.get(k, w.start) / rate
            for k, w in enumerate(speech.words)}


def alignment_line(label: str, samples: np.ndarray, rate_hz: int, sentences: list[str], language: str,
                   truth: dict[tuple[int, int], float], wrong: list[str]) -> str:
    best, aligned = None, None
    for _ in range(2):
        t0 = time.perf_counter()
        aligned = force_align(samples, rate_hz, sentences, language)
        wall = time.perf_counter() - t0
        best = wall if best is None else min(best, wall)
    got = _word_onsets_s(aligned)
    errors_ms = np.array([abs(got[k] - t) * 1000 for k, t in truth.items() if k in got])
    wrong_conf = force_align(samples, rate_hz, wrong, language).confidence
    audio_s = len(samples) / rate_hz
    return (f"- {datetime.date.today()}: alignment, {label}: {audio_s:.1f} s in {best:.2f} s wall = "
            f"**{audio_s / best:.0f}× real time**; word starts off by median {np.median(errors_ms):.0f} ms, "
            f"90th percentile {np.percentile(errors_ms, 90):.0f} ms, worst {errors_ms.max():.0f} ms "
            f"({len(errors_ms)} words); confidence {aligned.confidence:.2f} for the text, {wrong_conf:.2f} for "
            f"another text")


def espeak_target(voice: str, variant: str, sentences: list[str], rate_wpm: int, pitch: int):
    engine = EspeakEngine(voice)
    engine.voice = variant
    rng = np.random.default_rng(0)
    pauses = [int(p) for p in rng.integers(150, 1200, len(sentences))]
    return engine.synthesize(sentences, pauses, lead_ms=600, rate_wpm=rate_wpm, pitch=pitch)


def festival_target(sentences: list[str]):
    """Festival's kal voice saying `sentences` (with pauses), and its word starts; None without Festival."""
    if shutil.which("festival") is None:
        return None
    from xiaonuan.speech.recorded import RATE_HZ, read_audio

    rate, parts, truth, pos = RATE_HZ, [np.zeros(int(0.5 * RATE_HZ), np.float32)], {}, int(0.5 * RATE_HZ)
    with tempfile.TemporaryDirectory() as tmp:
        for si, text in enumerate(sentences):
            wav, scm = Path(tmp) / f"{si}.wav", Path(tmp) / f"{si}.scm"
            scm.write_text(f'(set! u (Utterance Text "{text}"))\n(utt.synth u)\n(utt.save.wave u "{wav}" \'riff)\n'
                           '(mapcar (lambda (w) (format t "%s %f\\n" (item.name w) (item.feat w '
                           '"R:SylStructure.daughter1.daughter1.segment_start"))) (utt.relation.items u \'Word))\n')
            out = subprocess.run(["festival", "-b", str(scm)], capture_output=True, text=True, check=True).stdout
            audio = read_audio(wav, rate)
            cursor = 0
            for name, start in (line.split() for line in out.splitlines() if line.strip()):
                found = text.find(name, cursor)
                if found >= 0:  # Festival's word names are the written words (punctuation left out)
                    truth[(si, found)] = (pos + float(start) * rate) / rate
                    cursor = found + len(name)
            gap = np.zeros(int(rate * (0.2 + 0.6 * (si % 3))), np.float32)
            parts += [audio, gap]
            pos += len(audio) + len(gap)
    samples = np.concatenate(parts)
    return samples + 0.002 * np.random.default_rng(0).standard_normal(len(samples)).astype(np.float32), rate, truth


def _machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores, {cpu}, load {load:.1f}, Python {platform.python_version()}"


def main() -> None:
    lines = [synthesis_line()]
    zh = [s + "。" for s in TEXT.split("。") if s]
    for label, voice, variant, sentences, language, rate, pitch, wrong in [
            ("English, eSpeak en-us+f3 at 135 wpm, pitch 35", "en-us", "en-us+f3", ENGLISH, "en", 135, 35,
             WRONG_ENGLISH),
            ("Mandarin, eSpeak cmn+f2 at 210 wpm, pitch 70", "cmn", "cmn+f2", zh, "zh", 210, 70, WRONG_CHINESE)]:
        target = espeak_target(voice, variant, sentences, rate, pitch)
        lines.append(alignment_line(label, target.samples, target.rate_hz, sentences, language,
                                    _word_onsets_s(target), wrong))
    festival = festival_target(ENGLISH)
    if festival is not None:
        lines.append(alignment_line("English, Festival kal (human diphones)", *festival[:2], ENGLISH, "en",
                                    festival[2], WRONG_ENGLISH))
    print("\n".join(lines))
    _append(lines)


def _append(lines: list[str]) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    old = "## Speech: eSpeak NG synthesis speed (bench/bench_speech.py)"
    text = text.replace(old, HEADING)
    if HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\nTarget: synthesis at least 50× real time.\n\n"
    head, _, rest = text.partition(HEADING)
    section, sep, after = rest.partition("\n## ")
    text = head + HEADING + section.rstrip("\n") + "\n" + "\n".join(lines) + "\n" + (("\n## " + after) if sep else "")
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
