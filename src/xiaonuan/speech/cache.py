"""Speech cached by content hash: the same spoken text, voice, settings and engine version → the same file.

The key hashes what the engine is actually given (text after the lexicon and normalisation,
when the engine can say what that is), the pauses, every synthesis setting and the engine's
`version`. Entries are .npz files (samples + timelines) written atomically, so a crash or a
second process never leaves a half-written entry. The folder is `$XIAONUAN_CACHE/speech`, or
`~/.cache/xiaonuan/speech`; `XIAONUAN_CACHE=off` turns caching off.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..paths import cache_root
from ..timeline import Timed, Timeline
from . import Later, Phoneme, Speech, SpeechEngine, Word, no_stop, later, ready
from ..fileio import publish, temp_beside

FORMAT = 2  # bump when the .npz layout changes (2: timing and warnings)


def cache_dir() -> Path | None:
    root = cache_root()
    return None if root is None else root / "speech"


class CachedEngine:
    """Wraps a SpeechEngine; `synthesize` returns a cached Speech when the key matches."""

    def __init__(self, engine: SpeechEngine, folder: Path | None = None) -> None:
        self.engine = engine
        self.name = engine.name
        self.language = engine.language
        self.folder = folder if folder is not None else cache_dir()
        self.hits = 0

    def key(self, sentences: Sequence[str], pauses_ms: Sequence[int], **settings: Any) -> str:
        lexicon = settings.get("lexicon")
        spoken = (self.engine.spoken_texts(sentences, lexicon) if hasattr(self.engine, "spoken_texts")
                  else list(sentences))
        settings = {k: (v.digest() if hasattr(v, "digest") else v) for k, v in sorted(settings.items())}
        blob = json.dumps({"format": FORMAT, "engine": self.engine.name,
                           "version": getattr(self.engine, "version", "0"), "spoken": spoken,
                           "written": list(sentences),  # word spans point into the written text
                           "pauses": [int(p) for p in pauses_ms], "settings": settings},
                          ensure_ascii=False, sort_keys=True, default=list)
        return hashlib.sha256(blob.encode()).hexdigest()

    def synthesize(self, sentences: Sequence[str], pauses_ms: Sequence[int], **settings: Any) -> Speech:
        return self.synthesize_later(sentences, pauses_ms, **settings).whole()

    def synthesize_later(self, sentences: Sequence[str], pauses_ms: Sequence[int], **settings: Any) -> Later:
        """A cached entry as it is, or the engine's Later, saved once its sound is whole."""
        if self.folder is None:
            return later(self.engine, sentences, pauses_ms, **settings)
        path = self.folder / f"{self.key(sentences, pauses_ms, **settings)}.npz"
        if path.is_file():
            try:
                speech = load_speech(path)
                self.hits += 1
                return ready(speech)
            except (OSError, ValueError, KeyError):
                pass  # a damaged entry is synthesised again and overwritten
        job = later(self.engine, sentences, pauses_ms, **settings)

        def make(stop: Callable[[], bool] = no_stop) -> bool:
            if not job.make(stop):
                return False  # stopped part-way: nothing is saved
            try:
                save_speech(job.speech, path)
            except OSError:
                pass  # a read-only cache must not fail the render
            return True

        if not job.pending:  # already whole (an engine without synthesize_later): saved now, not on a make
            make()
            return job
        return Later(job.speech, make)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def cached(engine: SpeechEngine) -> SpeechEngine:
    """`engine` behind the speech cache (unchanged when caching is off)."""
    if cache_dir() is None or isinstance(engine, CachedEngine) or not getattr(engine, "cacheable", True):
        return engine
    return CachedEngine(engine)


def save_speech(speech: Speech, path: Path) -> None:
    """Write `speech` to `path` (.npz) atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ph = speech.phonemes.items
    wd = speech.words.items
    se = speech.sentences.items
    tmp = temp_beside(path, ".tmp.npz")
    try:
        with open(tmp, "wb") as f:
            # asarray, not astype: no whole copy of a long script's samples (peak memory, #7)
            np.savez(f, samples=np.asarray(speech.samples, np.float32), rate_hz=speech.rate_hz,
                     voice=speech.voice, exact_timing=speech.exact_timing, timing=speech.timing,
                     warnings=np.array(speech.warnings, dtype=str),
                     ph_span=np.array([(t.start, t.end, t.value.word_index) for t in ph], np.int64).reshape(-1, 3),
                     ph_symbol=np.array([t.value.symbol for t in ph], dtype=str),
                     words=np.array([(t.start, t.end, t.value.sentence_index, t.value.char_start, t.value.char_end)
                                     for t in wd], np.int64).reshape(-1, 5),
                     sentences=np.array([(t.start, t.end, t.value) for t in se], np.int64).reshape(-1, 3))
        publish(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_speech(path: Path) -> Speech:
    with np.load(path, allow_pickle=False) as z:
        rate = int(z["rate_hz"])
        phonemes = tuple(Timed(int(a), int(b), Phoneme(str(s), int(w)))
                         for (a, b, w), s in zip(z["ph_span"], z["ph_symbol"]))
        words = tuple(Timed(int(a), int(b), Word(int(si), int(c0), int(c1))) for a, b, si, c0, c1 in z["words"])
        sentences = tuple(Timed(int(a), int(b), int(i)) for a, b, i in z["sentences"])
        return Speech(np.asarray(z["samples"], np.float32), rate, Timeline(rate, phonemes), Timeline(rate, words),
                      Timeline(rate, sentences), str(z["voice"]), bool(z["exact_timing"]),
                      tuple(str(w) for w in z["warnings"]), timing=str(z["timing"]))
