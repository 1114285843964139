"""A recorded voice-over: the user's WAV/MP3 plus the script text → Speech timed to the voice.

Voice name: `recorded:/path/to/voice.wav` (any format ffmpeg reads). The recording is the
timing, so `pauses_ms` and `lead_ms` are ignored. The script is force-aligned to the recording
(speech/align.py: eSpeak says the same text, DTW maps its exact phonemes and words onto the
voice), so subtitles follow the words and the mouth follows the phonemes: `timing="aligned"`.
When the alignment is poor (the recording does not read the script), timing is estimated
instead: sentence boundaries go into the pauses that best match where the text's length says
they should fall (a small dynamic programme that also prefers longer pauses), words are spread
over the voiced frames of their sentence by syllable count, and there are no phonemes, so the
mouth is driven from the audio itself (motion/audio.py), never from made-up phonemes.
Either way `exact_timing=False`.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import VoiceError
from ..saferead import check_voiceover_length, regular_file, voiceover_limit_s
from ..timeline import Timed, Timeline
from . import Speech, Word

RATE_HZ = 22050
HOP_S = 0.01                 # energy is measured every 10 ms
MIN_PAUSE_S = 0.12           # a quieter stretch at least this long may end a sentence
SILENCE_FRACTION = 0.3       # silence: below floor + this share of the floor→speech dB range
PAUSE_WEIGHT = 0.15          # how much a longer pause is preferred over a closer one
MIN_VOICEOVER_S = 0.3        # shorter than this cannot carry a sentence
SILENT_PEAK = 10 ** (-50 / 20)  # a recording whose loudest sample is below -50 dBFS holds no speech
CLIP_LEVEL = 0.999           # a sample at (or past) full scale
CLIPPED_SHARE = 0.001        # more clipped samples than this is audible distortion
_UNIT = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z0-9']+")
VERSION = "recorded-2"


class RecordedEngine:
    """SpeechEngine over a recording; speaks whatever language the recording is in."""

    language = ""  # any: the recording decides
    version = VERSION
    cacheable = False  # the file at a path can change; aligning it again is cheap

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.name = f"recorded:{self.path}"
        regular_file(self.path, "voice-over file", VoiceError)  # a FIFO would block ffmpeg for ever

    def synthesize(self, sentences: Sequence[str], pauses_ms: Sequence[int], *, lead_ms: int = 300,
                   rate_wpm: int | None = None, lexicon=None, **_ignored) -> Speech:
        from ..script import detect_language
        from .align import timed_recording

        limit_s = voiceover_limit_s(sum(len(_UNIT.findall(t)) for t in sentences))  # issue #20: never decode
        samples = read_audio(self.path, RATE_HZ, max_s=limit_s)                      # 2 hours for one sentence
        check_voiceover_length(len(samples) / RATE_HZ, limit_s, self.path.name)
        warnings = check_level(samples, self.path)
        speech = timed_recording(samples, RATE_HZ, sentences, self.name, language=detect_language(" ".join(sentences)),
                                 lexicon=lexicon, what=f"the voice-over {self.path.name}")
        return dataclasses.replace(speech, warnings=warnings + speech.warnings)


def check_level(samples: np.ndarray, path: Path) -> tuple[str, ...]:
    """VoiceError for a voice-over too short or silent to drive a face; a warning when it is clipped."""
    duration_s = len(samples) / RATE_HZ
    if duration_s < MIN_VOICEOVER_S:
        raise VoiceError(f"the voice-over {path.name} lasts {duration_s:.2f} s; at least {MIN_VOICEOVER_S} s of "
                         "speech is needed: check the file")
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak < SILENT_PEAK:
        peak_db = 20 * np.log10(max(peak, 1e-9))
        raise VoiceError(f"the voice-over {path.name} is silent (its loudest sample is {peak_db:.0f} dBFS): "
                         "check that the recording has sound, or choose another file")
    clipped = float(np.mean(np.abs(samples) >= CLIP_LEVEL))
    if clipped > CLIPPED_SHARE:
        return (f"the voice-over {path.name} is clipped ({clipped:.1%} of samples at full scale): it will sound "
                "distorted; record it again with lower input gain",)
    return ()


def read_audio(path: Path, rate_hz: int, max_s: float | None = None) -> np.ndarray:
    """Mono float32 at `rate_hz`, decoded by the ffmpeg binary from imageio-ffmpeg; at most `max_s` seconds."""
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), "-vn", "-ac", "1",
           "-ar", str(rate_hz), *(["-t", f"{max_s:.3f}"] if max_s is not None else []), "-f", "f32le", "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0 or not proc.stdout:
        err = proc.stderr.decode("utf-8", "replace")
        lines = err.strip().splitlines()
        # ffmpeg's last line for a picture or a silent video is "Error opening output files: Invalid argument"
        msg = "it has no audio track" if "does not contain any stream" in err else (lines[-1] if lines else "no audio")
        raise VoiceError(f"cannot read the voice-over {str(path)!r} ({msg}): give a WAV or MP3 with audio")
    return np.frombuffer(proc.stdout, np.float32).copy()


def frame_db(samples: np.ndarray, rate_hz: int, hop_s: float = HOP_S) -> np.ndarray:
    hop = max(1, int(rate_hz * hop_s))
    n = len(samples) // hop
    frames = samples[:n * hop].reshape(n, hop).astype(np.float64)
    return 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-10)


def voiced_mask(db: np.ndarray) -> np.ndarray:
    """True where the recording is speech, by a threshold between its noise floor and its loud part."""
    if len(db) == 0:
        return np.zeros(0, bool)
    floor, loud = np.percentile(db, 10), np.percentile(db, 95)
    if loud - floor < 6:  # nearly constant level: all speech (or all silence)
        return np.full(len(db), loud > -60)
    voiced = db > floor + SILENCE_FRACTION * (loud - floor)
    # close tiny gaps (stops inside words) so only real pauses remain
    k = int(0.04 / HOP_S)
    return np.convolve(voiced.astype(float), np.ones(2 * k + 1), "same") > 0 if k else voiced


def _pauses(voiced: np.ndarray) -> list[tuple[int, int]]:
    """Unvoiced runs (start, end frame) inside the speech, at least MIN_PAUSE_S long."""
    idx = np.flatnonzero(voiced)
    if len(idx) == 0:
        return []
    first, last = idx[0], idx[-1] + 1
    out, start = [], None
    for i in range(first, last):
        if not voiced[i] and start is None:
            start = i
        elif voiced[i] and start is not None:
            if (i - start) * HOP_S >= MIN_PAUSE_S:
                out.append((start, i))
            start = None
    return out


def _weights(sentences: Sequence[str]) -> np.ndarray:
    """Expected speaking time of each sentence in syllables (a Chinese character, ~1 per 3 Latin letters)."""
    return np.array([max(1.0, _syllables(s)) for s in sentences])


def _syllables(text: str) -> float:
    return sum(1.0 if len(u) == 1 and not u.isascii() else max(1.0, len(u) / 3) for u in _UNIT.findall(text))


def choose_boundaries(voiced: np.ndarray, weights: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) frames of each sentence: N-1 pauses chosen by dynamic programming."""
    idx = np.flatnonzero(voiced)
    n = len(weights)
    if len(idx) == 0:
        return [(0, len(voiced))] * n
    first, last = int(idx[0]), int(idx[-1]) + 1
    cum_voiced = np.concatenate([[0], np.cumsum(voiced)])
    total = cum_voiced[last] - cum_voiced[first]
    expected = np.cumsum(weights)[:-1] / weights.sum() * total  # voiced frames before each boundary
    pauses = _pauses(voiced)
    m = len(pauses)
    if n == 1:
        return [(first, last)]
    if m < n - 1:
        return _proportional(first, last, cum_voiced, expected)
    pos = np.array([cum_voiced[a] - cum_voiced[first] for a, _ in pauses], float)
    length = np.array([b - a for a, b in pauses], float)
    cost = np.abs(pos[None, :] - expected[:, None]) / max(total, 1) - PAUSE_WEIGHT * np.log1p(length * HOP_S * 10)
    best = np.full((n - 1, m), np.inf)
    back = np.zeros((n - 1, m), int)
    best[0] = cost[0]
    for k in range(1, n - 1):
        run_min, run_arg = np.inf, -1
        for j in range(k, m):
            if best[k - 1, j - 1] < run_min:
                run_min, run_arg = best[k - 1, j - 1], j - 1
            best[k, j] = run_min + cost[k, j]
            back[k, j] = run_arg
    j = int(np.argmin(best[n - 2]))
    chosen = [j]
    for k in range(n - 2, 0, -1):
        j = int(back[k, j])
        chosen.append(j)
    chosen.reverse()
    starts = [first] + [pauses[j][1] for j in chosen]
    ends = [pauses[j][0] for j in chosen] + [last]
    return list(zip(starts, ends))


def _proportional(first: int, last: int, cum_voiced: np.ndarray, expected: np.ndarray) -> list[tuple[int, int]]:
    """Too few pauses: cut where the voiced time says, without pauses."""
    cuts = [int(np.searchsorted(cum_voiced, cum_voiced[first] + e)) for e in expected]
    edges = [first] + cuts + [last]
    return [(a, max(a, b)) for a, b in zip(edges[:-1], edges[1:])]


def estimate_timing(samples: np.ndarray, rate_hz: int, sentences: Sequence[str], voice: str,
                    spans: Sequence[tuple[int, int]] | None = None) -> Speech:
    """Speech for a recording of `sentences`: sentence and word spans estimated, no phonemes.

    `spans`: the sentences' [start, end) samples when they are known (then only words are spread).
    """
    hop = int(rate_hz * HOP_S)
    voiced = voiced_mask(frame_db(samples, rate_hz))
    if spans is None:
        frames = choose_boundaries(voiced, _weights(sentences))
        spans = [(a * hop, max(a, b) * hop) for a, b in frames]
    sentence_items, word_items = [], []
    for si, ((a, b), text) in enumerate(zip(spans, sentences)):
        sentence_items.append(Timed(a, b, si))
        word_items += _spread_words(text, si, voiced, a // hop, -(-b // hop), hop)
    return Speech(samples.astype(np.float32), rate_hz, Timeline(rate_hz, ()), Timeline(rate_hz, tuple(word_items)),
                  Timeline(rate_hz, tuple(sentence_items)), voice, exact_timing=False, timing="estimated")


def _spread_words(text: str, si: int, voiced: np.ndarray, a: int, b: int, hop: int) -> list[Timed[Word]]:
    units = list(_UNIT.finditer(text))
    if not units or b <= a:
        return []
    frames = np.flatnonzero(voiced[a:b]) + a
    if len(frames) == 0:
        frames = np.arange(a, b)
    w = np.array([_syllables(u.group(0)) for u in units])
    edges = np.round(np.concatenate([[0], np.cumsum(w)]) / w.sum() * len(frames)).astype(int)
    out = []
    for u, e0, e1 in zip(units, edges[:-1], edges[1:]):
        if e1 <= e0:
            continue
        start, end = int(frames[e0]) * hop, (int(frames[e1 - 1]) + 1) * hop
        if out and start < out[-1].end:
            start = out[-1].end
        if end > start:
            out.append(Timed(start, end, Word(si, u.start(), u.end())))
    return out
