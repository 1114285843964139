"""A deterministic stand-in voice with a known timeline, for tests and quick previews.

Every word (a Chinese character, or a Latin word) becomes one syllable: a consonant of
CONSONANT_MS then a vowel of VOWEL_MS, drawn in turn from SYLLABLES. The vowel is a
buzz with harmonics, the consonant soft noise, silence between sentences: loudness
follows the mouth shapes exactly, which makes lip-sync measurable.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from ..timeline import Timed, Timeline
from . import Phoneme, Speech, Word, concat

VOICES: dict[str, str] = {"cmn": "zh", "en-us": "en"}
RATE_HZ = 16000
CONSONANT_MS, VOWEL_MS, WORD_GAP_MS = 60, 160, 20
PITCH_HZ = 140.0
# (consonant, vowel) in eSpeak cmn / en-us mnemonics: cycles through closed, wide, round and spread shapes.
SYLLABLES = {"zh": (("m", "'a"), ("t", "'i"), ("p", "'u"), ("s", "'o"), ("l", "'A"), ("f", "'@")),
             "en": (("m", "'a"), ("t", "i:"), ("b", "u:"), ("s", "'0"), ("l", "'aI"), ("f", "@"))}
_WORD = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9']+")


class FakeEngine:
    version = "fake-1"

    def __init__(self, voice: str) -> None:
        self.name = f"fake:{voice}"
        self.language = VOICES[voice]

    def synthesize(self, sentences: Sequence[str], pauses_ms: Sequence[int], *,
                   lead_ms: int = 300, rate_wpm: int | None = None, **_prosody) -> Speech:
        ms = RATE_HZ // 1000
        rng = np.random.default_rng(0)
        parts = [np.zeros(lead_ms * ms, np.float32)]
        pos = len(parts[0])
        phonemes, words, spans, k = [], [], [], 0
        for si, (text, pause_ms) in enumerate(zip(sentences, pauses_ms, strict=True)):
            start = pos
            for m in _WORD.finditer(text):
                cons, vowel = SYLLABLES[self.language][k % len(SYLLABLES[self.language])]
                wi = len(words)
                phonemes.append(Timed(pos, pos + CONSONANT_MS * ms, Phoneme(cons, wi)))
                phonemes.append(Timed(pos + CONSONANT_MS * ms, pos + (CONSONANT_MS + VOWEL_MS) * ms, Phoneme(vowel, wi)))
                words.append(Timed(pos, pos + (CONSONANT_MS + VOWEL_MS) * ms, Word(si, m.start(), m.end())))
                parts += [0.02 * rng.standard_normal(CONSONANT_MS * ms).astype(np.float32),
                          _buzz(VOWEL_MS * ms), np.zeros(WORD_GAP_MS * ms, np.float32)]
                pos += (CONSONANT_MS + VOWEL_MS + WORD_GAP_MS) * ms
                k += 1
            spans.append(Timed(start, pos, si))
            parts.append(np.zeros(pause_ms * ms, np.float32))
            pos += pause_ms * ms
        return Speech(concat(parts), RATE_HZ, Timeline(RATE_HZ, tuple(phonemes)), Timeline(RATE_HZ, tuple(words)),
                      Timeline(RATE_HZ, tuple(spans)), self.name, exact_timing=True)


def _buzz(n: int) -> np.ndarray:
    t = np.arange(n) / RATE_HZ
    wave = sum(np.sin(2 * np.pi * PITCH_HZ * h * t) / h for h in range(1, 6))
    env = np.sin(np.pi * np.arange(n) / n) ** 0.5
    return (0.3 * wave * env).astype(np.float32)
