"""Voice-over alignment speed (issue #16): Whisper base (int8, 2 threads) hearing a recording and the script
aligned onto its words, in seconds of wall time per minute of audio.

Recordings: ../shared/media/sun.wav (Mandarin) and eng.wav (English) with their transcripts when they are
there, else a minute of English said by eSpeak. The model is loaded once before timing (a render pays that
load, about 1-2 s, once per process: reported apart).

Run: .venv/bin/python bench/bench_align.py   (appends its figures to bench/results.md)
"""

from __future__ import annotations

import datetime
import os
import platform
import time
from pathlib import Path

from xiaonuan.script import load_script, parse_script
from xiaonuan.speech import whisper
from xiaonuan.speech.recorded import RATE_HZ, read_audio
from xiaonuan.speech.recorded import timed_voiceover

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"
RESULTS = Path(__file__).with_name("results.md")
SECTION = "## Voice-over alignment with Whisper (bench/bench_align.py)"
ENGLISH = ("The flower show opened this morning in the riverside park. More than a hundred kinds of tulips are on "
           "display this year. Organisers expect over half a million visitors, twelve percent more than last year. ")


def cases():
    """(name, samples, sentences, language) to align."""
    for wav, txt, language in (("sun.wav", "sun.txt", "zh"), ("eng.wav", "eng.txt", "en")):
        if (MEDIA / wav).is_file():
            script = load_script(MEDIA / "transcripts" / txt)
            yield wav, read_audio(MEDIA / wav, RATE_HZ), [s.text for s in script.sentences], language
    if not (MEDIA / "eng.wav").is_file():
        from xiaonuan.speech.espeak import EspeakEngine

        script = parse_script(ENGLISH * 4)
        sentences = [s.text for s in script.sentences]
        speech = EspeakEngine("en-us").synthesize(sentences, [400] * len(sentences))
        yield "eSpeak en-us", speech.samples, sentences, "en"


def main() -> None:
    t0 = time.perf_counter()
    whisper.load_model()
    load_s = time.perf_counter() - t0
    lines = []
    for name, samples, sentences, language in cases():
        t0 = time.perf_counter()
        speech = timed_voiceover(samples, RATE_HZ, sentences, "bench", language=language)
        wall_s = time.perf_counter() - t0
        minutes = len(samples) / RATE_HZ / 60
        lines.append(f"- {datetime.date.today()}: {name} ({len(samples) / RATE_HZ:.1f} s, {language}): "
                     f"{wall_s:.1f} s wall = **{wall_s / minutes:.1f} s per minute of audio**, timing {speech.timing}, "
                     f"confidence {speech.confidence:.2f}; model load {load_s:.1f} s; {whisper.CPU_THREADS} threads, "
                     f"{platform.processor() or platform.machine()}, load {os.getloadavg()[0]:.1f}")
        print(lines[-1], flush=True)
    text = RESULTS.read_text(encoding="utf-8")
    if SECTION not in text:
        text = text.rstrip("\n") + "\n\n" + SECTION + "\n\n" + (
            "Whisper base through faster-whisper (CTranslate2, int8) on the CPU, `XIAONUAN_WHISPER_THREADS` threads "
            "(default 2), beam 5, word timestamps; the script's words matched onto what it heard "
            "(speech/wordalign.py). Wall time per minute of audio; no target of its own (a minute of video takes "
            "far longer to render). The machine's load is given with each line.\n\n")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))  # the figures go at the end of this section
    end = len(text) if end < 0 else end
    text = text[:end].rstrip("\n") + "\n" + "\n".join(lines) + "\n" + ("\n" + text[end:].lstrip("\n") if end < len(text) else "")
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
