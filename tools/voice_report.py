"""Intelligibility of the voices: each sentence of a file is spoken by each voice and transcribed by the
independent meter (../shared/eval/intelligibility.py, Whisper base, in its own venv); the per-sentence
CER table goes into docs/voices.md between its report markers.

    .venv/bin/python tools/voice_report.py --asr-python /tmp/asr/bin/python \
        [--sentences ../shared/eval/sentences_zh.txt] [--voices kokoro:xiaonuan-f,kokoro:xiaonuan-m,espeak:cmn]

The meter's set-up (a venv with faster-whisper and the Whisper wheels) is in its docstring.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from xiaonuan.cli.speech import write_wav
from xiaonuan.lexicon import LEXICON_FILE, layered
from xiaonuan.paths import project_root
from xiaonuan.speech import get_engine

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
DOC = ROOT / "docs" / "voices.md"


def measure(asr_python: str, wav: Path, ref: Path, lang: str) -> dict:
    run = subprocess.run([asr_python, str(EVAL / "intelligibility.py"), str(wav), "--ref", str(ref), "--lang", lang],
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--asr-python", required=True, help="python of the meter's venv")
    ap.add_argument("--sentences", type=Path, default=EVAL / "sentences_zh.txt")
    ap.add_argument("--voices", default="kokoro:xiaonuan-f,kokoro:xiaonuan-m,espeak:cmn")
    ap.add_argument("--lang", default="zh", choices=("zh", "en"))
    ap.add_argument("--no-doc", action="store_true", help="print the table only")
    a = ap.parse_args()
    sentences = [s.strip() for s in a.sentences.read_text(encoding="utf-8").splitlines() if s.strip()]
    voices = a.voices.split(",")
    a.a_voices = a.voices
    lexicon = layered(project_root() / LEXICON_FILE)
    key = "cer" if a.lang == "zh" else "wer"
    scores: dict[str, list[float]] = {v: [] for v in voices}
    with tempfile.TemporaryDirectory() as td:
        for v in voices:
            engine = get_engine(v)
            for i, text in enumerate(sentences):
                speech = engine.synthesize([text], [300], lexicon=lexicon)
                wav, ref = Path(td) / f"{i}.wav", Path(td) / f"{i}.txt"
                write_wav(speech.samples, speech.rate_hz, wav)
                ref.write_text(text, encoding="utf-8")
                scores[v].append(measure(a.asr_python, wav, ref, a.lang)[key])
                print(f"{v} {i + 1}/{len(sentences)} {key} {scores[v][-1]:.3f}", file=sys.stderr, flush=True)
    head = "| # | sentence | " + " | ".join(f"`{v}`" for v in voices) + " |"
    rows = [head, "|---|---|" + "---:|" * len(voices)]
    for i, text in enumerate(sentences):
        rows.append(f"| {i + 1} | {text} | " + " | ".join(f"{scores[v][i]:.2f}" for v in voices) + " |")
    rows.append("| | **mean** | " + " | ".join(f"**{sum(scores[v]) / len(sentences):.3f}**" for v in voices) + " |")
    table = "\n".join(rows)
    print(table)
    if not a.no_doc:
        begin, end = f"<!-- voice-report:{a.sentences.stem}:begin -->", f"<!-- voice-report:{a.sentences.stem}:end -->"
        cmd = (f"`.venv/bin/python tools/voice_report.py --asr-python … --sentences {a.sentences.name} "
               f"--voices {a.a_voices} --lang {a.lang}`")
        block = f"{begin}\n{key.upper()} per sentence, {a.sentences.name}, made by {cmd}:\n\n{table}\n{end}"
        doc = DOC.read_text(encoding="utf-8")
        if begin not in doc:
            raise SystemExit(f"{DOC} has no {begin} … {end} block for this table")
        doc = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, doc, flags=re.S)
        DOC.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
