"""A recorded voice-over: the user's WAV/MP3 plus the script text → Speech timed to the voice.

Voice name: `recorded:/path/to/voice.wav` (any format ffmpeg reads). The recording is the
timing, so `pauses_ms` and `lead_ms` are ignored. Whisper (speech/whisper.py) hears the words
in the recording and the script's own text is aligned onto them (speech/wordalign.py), so
subtitles follow the words and the mouth follows the script's phonemes: `timing="aligned"`.
Where Whisper hears too little of anything, the eSpeak-DTW aligner (speech/align.py) may still
align it. When neither can be trusted (the recording does not read the script), timing is
estimated instead: sentence boundaries go into the pauses that best match where the text's length
says they should fall (a small dynamic programme that also prefers longer pauses), words are
spread over the voiced frames of their sentence by syllable count, and there are no phonemes, so
the mouth is driven from the audio itself (motion/audio.py), never from made-up phonemes.
Either way `exact_timing=False`. With no script at all, `transcribe_voiceover` gives the text.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path
from typing import Sequence

import numpy as np
import imageio_ffmpeg

from ..errors import SpeechEngineError, VoiceError
from ..saferead import check_voiceover_length, regular_file, voiceover_limit_s
from ..timeline import Timed, Timeline
from . import Speech, Word
from .align import MIN_CONFIDENCE, force_align
from .levels import HOP_S, frame_db, voiced_mask
from ..script import detect_language
from .whisper import transcribe
from .wordalign import MIN_CONFIDENCE as WORDS_MIN_CONFIDENCE, align_words, fold_chinese, heard_tokens

RATE_HZ = 22050
MIN_PAUSE_S = 0.12           # a quieter stretch at least this long may end a sentence
PAUSE_WEIGHT = 0.15          # how much a longer pause is preferred over a closer one
MIN_VOICEOVER_S = 0.3        # shorter than this cannot carry a sentence
SILENT_PEAK = 10 ** (-50 / 20)  # a recording whose loudest sample is below -50 dBFS holds no speech
CLIP_LEVEL = 0.999           # a sample at (or past) full scale
CLIPPED_SHARE = 0.001        # more clipped samples than this is audible distortion
MAX_VOICEOVER_S = 30 * 60    # a longer recording is refused (it would be a 30-minute video: cut it into parts)
SENTENCE_PAUSE_S = 0.45      # a transcript's words this far apart end a sentence …
COMMA_PAUSE_S = 0.2          # … and this far apart, a clause (Chinese: Whisper base writes none)
LONG_PAUSE_S = 0.8           # other languages keep Whisper's own punctuation; only a pause this long adds a full stop
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
        limit_s = voiceover_limit_s(sum(len(_UNIT.findall(t)) for t in sentences))  # issue #20: never decode
        samples = read_audio(self.path, RATE_HZ, max_s=limit_s)                      # 2 hours for one sentence
        check_voiceover_length(len(samples) / RATE_HZ, limit_s, self.path.name)
        warnings = check_level(samples, self.path)
        speech = timed_voiceover(samples, RATE_HZ, sentences, self.name, language=detect_language(" ".join(sentences)),
                                 lexicon=lexicon, what=f"the voice-over {self.path.name}")
        return dataclasses.replace(speech, warnings=warnings + speech.warnings)

    def transcribe(self) -> str:
        """What the recording says, as script text: Chinese in simplified characters, punctuation from its
        pauses (Whisper base writes little of its own in Chinese). VoiceError when nothing is heard."""
        samples = read_audio(self.path, RATE_HZ, max_s=MAX_VOICEOVER_S + 1)
        check_level(samples, self.path)
        heard = transcribe(samples, RATE_HZ, None)
        text = transcript_text(heard, samples, RATE_HZ)
        if not _UNIT.search(text):
            raise VoiceError(f"no words were heard in the voice-over {self.path.name} (Whisper took it for "
                             f"{heard.language or 'no language'}): check that it holds speech, or give its script")
        return text


def check_level(samples: np.ndarray, path: Path) -> tuple[str, ...]:
    """VoiceError for a voice-over too short, too long or silent to drive a face; a warning when it is clipped."""
    duration_s = len(samples) / RATE_HZ
    if duration_s > MAX_VOICEOVER_S:
        raise VoiceError(f"the voice-over {path.name} lasts more than {MAX_VOICEOVER_S // 60} minutes: cut it into "
                         f"parts of at most {MAX_VOICEOVER_S // 60} minutes (e.g. ffmpeg -i IN -ss START -t 600 OUT.wav) "
                         "and render one video per part")
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


def timed_recording(samples: np.ndarray, rate_hz: int, sentences: Sequence[str], voice: str, *, language: str,
                    lexicon=None, spans: Sequence[tuple[int, int]] | None = None, what: str = "the audio") -> Speech:
    """Speech for audio of known text: aligned timing when the alignment can be trusted, else estimated.

    Aligned: phonemes, words and sentences from `force_align` (`timing="aligned"`; sentences keep
    `spans` when given). Estimated (`timing="estimated"`, with a warning naming `what`): sentences
    from pauses (or `spans`), words spread by syllables, no phonemes, so the mouth follows the audio.
    """
    try:
        aligned = force_align(samples, rate_hz, sentences, language, lexicon=lexicon, spans=spans)
    except SpeechEngineError as e:  # eSpeak could not say the text: nothing to align with
        aligned, problem = None, f"eSpeak could not say the text ({e})"
    else:
        problem = f"it matches the text poorly (alignment confidence {aligned.confidence:.2f} < {MIN_CONFIDENCE})"
    if aligned is not None and aligned.ok:
        timeline = Timeline(rate_hz, tuple(Timed(a, b, i) for i, (a, b) in enumerate(spans))) if spans else \
            aligned.sentences
        return Speech(samples.astype(np.float32), rate_hz, aligned.phonemes, aligned.words, timeline, voice,
                      exact_timing=False, timing="aligned")
    estimated = estimate_timing(samples, rate_hz, sentences, voice, spans)
    return dataclasses.replace(estimated, warnings=(f"{what} could not be aligned with the script's words: {problem}. "
                                        "Subtitles are timed from its pauses and the mouth follows its loudness; "
                                        "check that it reads the script's text",))


def transcript_text(heard, samples: np.ndarray, rate_hz: int) -> str:
    """Whisper's words as script text. Chinese: simplified characters, a sentence end (。) where the voice
    pauses SENTENCE_PAUSE_S, a comma (，) at a shorter pause or where Whisper ended a segment. Other
    languages keep Whisper's own punctuation, with a full stop added at a LONG_PAUSE_S pause."""
    words = [w for w in heard.words if w.text.strip()]
    if not words:
        return ""
    zh = heard.language in ("zh", "yue")
    pauses = [(a * HOP_S, b * HOP_S) for a, b in _pauses(voiced_mask(frame_db(samples, rate_hz)))]
    seg_ends = {round(e, 2) for _, e, _ in heard.segments}
    gaps_s = _pause_after(words, pauses)
    out = []
    for i, w in enumerate(words):
        text = fold_chinese(w.text) if zh else w.text
        out.append(text.strip() if zh else text)
        if i + 1 == len(words) or re.search(r"[,.!?;:，。！？；：、…]$", text.strip()):
            continue
        gap_s = gaps_s[i]
        if gap_s >= (SENTENCE_PAUSE_S if zh else LONG_PAUSE_S):
            out.append("。" if zh else ".")
        elif zh and (gap_s >= COMMA_PAUSE_S or round(w.end_s, 2) in seg_ends):
            out.append("，")
    text = "".join(out).strip()
    if zh:  # Whisper's ASCII punctuation between Chinese characters → full-width
        text = text.translate(str.maketrans({",": "，", "?": "？", "!": "！", ";": "；", ":": "："}))
        text = re.sub(r"(?<=[\u4e00-\u9fff])\.", "。", text)
    if text and not re.search(r"[.!?。！？…]$", text):
        text += "。" if zh else "."
    return text


def _pause_after(words, pauses: list[tuple[float, float]]) -> np.ndarray:
    """Per word, the length (s) of the pause after it: each pause of the voice goes to the word boundary
    nearest its middle (Whisper's word times touch each other across pauses)."""
    bounds = np.array([(w.end_s + n.start_s) / 2 for w, n in zip(words[:-1], words[1:])])
    gap = np.zeros(len(words))
    for a, b in pauses:
        if len(bounds):
            i = int(np.argmin(np.abs(bounds - (a + b) / 2)))
            if abs(bounds[i] - (a + b) / 2) < 0.5:
                gap[i] = max(gap[i], b - a)
    return gap


# ---------------------------------------------------------------------------------------------
# Timing a voice-over: Whisper (speech/wordalign.py) first, the eSpeak-DTW aligner where Whisper heard little or
# part of the script, else estimated.

SECONDS_PER_SYLLABLE = 0.25  # a news reader's pace, slow end (a Chinese character, ~3 Latin letters)
CAP_FACTOR, CAP_EXTRA_S = 3.0, 20.0  # transcribe at most this × the script's reading time + this
# The eSpeak-DTW aligner (speech/align.py, with its own check against wrong texts) is tried where Whisper heard
# fewer tokens than HEARD_LITTLE × the script's, or matched at least PARTIAL_CONFIDENCE of them: a voice it
# hears badly (a synthetic Mandarin voice scores 0.4). A wrong script scores under 0.05 and is never tried.
HEARD_LITTLE = 0.3
PARTIAL_CONFIDENCE = 0.2


def transcription_cap_s(sentences: Sequence[str]) -> float:
    """How much of a recording is worth transcribing for this script (a 2-hour file under one sentence is not)."""
    return CAP_FACTOR * SECONDS_PER_SYLLABLE * sum(_syllables(s) for s in sentences) + CAP_EXTRA_S


def timed_voiceover(samples: np.ndarray, rate_hz: int, sentences: Sequence[str], voice: str, *, language: str,
                    lexicon=None, what: str = "the voice-over") -> Speech:
    """Speech for a recording of `sentences`: Whisper-aligned, else DTW-aligned where Whisper heard little or
    part of the script (a voice it hears badly), else estimated with a warning. `timing` says which;
    `confidence` is the share of the script Whisper heard."""
    duration_s = len(samples) / rate_hz
    cap_s = min(duration_s, transcription_cap_s(sentences))
    transcript = transcribe(samples, rate_hz, "zh" if language == "zh" else None, max_s=cap_s)
    aligned = align_words(transcript, sentences, language, len(samples), rate_hz,
                          voiced_mask(frame_db(samples, rate_hz)), lexicon=lexicon)
    notes = []
    if cap_s < duration_s - 1.0:
        notes.append(f"{what} lasts {duration_s:.0f} s but the script reads in about "
                     f"{cap_s / CAP_FACTOR:.0f} s: only its first {cap_s:.0f} s were searched for the words, and the "
                     "video runs as long as the recording; trim the recording or give the whole script")
    if aligned.ok:
        return Speech(samples.astype(np.float32), rate_hz, aligned.phonemes, aligned.words, aligned.sentences, voice,
                      exact_timing=False, timing="aligned", warnings=tuple(notes), confidence=aligned.confidence)
    heard = heard_tokens(transcript, language)[0]
    if len(heard) < HEARD_LITTLE * max(aligned.total, 1) or aligned.confidence >= PARTIAL_CONFIDENCE:
        fallback = timed_recording(samples, rate_hz, sentences, voice, language=language, lexicon=lexicon, what=what)
        if fallback.timing == "aligned":
            return dataclasses.replace(fallback, warnings=tuple(notes) + fallback.warnings, confidence=aligned.confidence)
    said = "".join(w.text for w in transcript.words).strip()
    said = fold_chinese(said) if transcript.language == "zh" else said
    said = said[:60] + ("…" if len(said) > 60 else "")
    problem = (f"only {aligned.confidence:.0%} of the script's words were heard in it (alignment confidence "
               f"{aligned.confidence:.2f} < {WORDS_MIN_CONFIDENCE}; Whisper heard {said!r}"
               + (f", in {transcript.language}" if transcript.language != language else "") + ")"
               if said else f"no words were heard in it (alignment confidence 0 < {WORDS_MIN_CONFIDENCE})")
    estimated = estimate_timing(samples, rate_hz, sentences, voice)
    return dataclasses.replace(estimated, confidence=aligned.confidence, warnings=tuple(notes) + (
        f"{what} could not be aligned with the script: {problem}. Subtitles are timed from its pauses and the "
        "mouth follows its loudness; check that it reads the script's text",))
