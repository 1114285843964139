"""The embedded default voice: eSpeak NG (from espeakng-loader) driven through ctypes.

Synthesis runs with espeakINITIALIZE_PHONEME_EVENTS, so the synth callback receives
PHONEME and WORD events whose `sample` field is the exact sample where each starts:
the phoneme timeline is the engine's own, not an alignment.
"""

from __future__ import annotations

import bisect
import ctypes
import threading
from typing import Sequence

import numpy as np

from ..errors import SpeechEngineError
from ..lexicon import Lexicon, prepare
from ..timeline import Timed, Timeline
from . import Phoneme, Speech, Word, concat

# eSpeak voice name → language of the text it reads.
VOICES: dict[str, str] = {"cmn": "zh", "en-us": "en"}  # each has a full viseme table
VOICE_FOR = {language: voice for voice, language in VOICES.items()}  # the voice that reads a language

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PHONEMES = 0x100  # espeakPHONEMES: [[...]] in the text is read as phoneme mnemonics (lexicon entries)
_IPA_TIED = 0x02 | 0x80 | (ord("^") << 8)  # espeakPHONEMES_IPA | espeakPHONEMES_TIE, with ^ as the tie
_SSML = 0x10  # espeakSSML: <prosody> around emphasised words; event positions then count the markup too
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_RANGE = 1, 2, 3, 4
DEFAULT_PITCH, DEFAULT_RANGE, DEFAULT_VOLUME = 50, 50, 100  # eSpeak's own defaults (0..100, volume 0..200)
# An emphasised word (**…**): higher, wider in pitch, louder and a little slower (a news anchor's stress),
# as SSML prosody around the word only; its neighbours keep their own.
EMPHASIS_PROSODY = 'pitch="+20%" range="+50%" volume="+40%" rate="85%"'
VERSION = "espeak-ng/espeakng-loader-0.2.4/xiaonuan-3"  # part of the speech cache key
_EV_LIST_TERMINATED, _EV_WORD, _EV_PHONEME = 0, 1, 7
_DEFAULT_RATE_WPM = {"zh": 170, "en": 165}
_MAX_SAMPLES = 22050 * 60 * 60  # an hour of audio from one sentence means something went wrong


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """espeak_EVENT from speak_lib.h."""

    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class _Library:
    """The process-wide libespeak-ng: one instance, used under a lock (the C library is global state)."""

    _instance: "_Library | None" = None
    _create_lock = threading.Lock()

    def __init__(self) -> None:
        # lazy: eSpeak's library loads only when eSpeak speaks
        import espeakng_loader

        self.lock = threading.Lock()
        try:
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as e:
            raise SpeechEngineError(f"libespeak-ng could not be loaded ({e}): reinstall espeakng-loader") from e
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self.lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.rate_hz = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                                  espeakng_loader.get_data_path().encode(),
                                                  _INIT_PHONEME_EVENTS | _INIT_DONT_EXIT)
        if self.rate_hz <= 0:
            raise SpeechEngineError("eSpeak NG failed to initialise: reinstall espeakng-loader (its voice data is missing)")
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, int, int, int, str]] = []
        self._callback = _CALLBACK(self._on_synth)  # kept referenced: the C side holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> "_Library":
        with cls._create_lock:
            if cls._instance is None:
                cls._instance = _Library()
            return cls._instance

    def _on_synth(self, wav, n: int, events) -> int:
        if n > 0 and len(self._chunks) * 1024 < _MAX_SAMPLES:
            self._chunks.append(np.ctypeslib.as_array(wav, (n,)).copy())
        i = 0
        while events[i].type != _EV_LIST_TERMINATED:
            e = events[i]
            if e.type in (_EV_WORD, _EV_PHONEME):
                sym = bytes(e.id.string).split(b"\0")[0].decode("utf-8", "replace") if e.type == _EV_PHONEME else ""
                self._events.append((e.type, e.sample, e.text_position, e.length, sym))
            i += 1
        return 0

    def ipa(self, voice: str, text: str) -> str:
        """eSpeak's transcription of `text` in IPA, multi-letter phonemes tied with ^ (a^ɪ, t^ʃ), clauses
        joined by spaces: the G2P the Kokoro voice uses for English words."""
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechEngineError(f"eSpeak NG has no voice {voice!r}: reinstall espeakng-loader")
            buf = ctypes.c_char_p(text.encode("utf-8"))
            out = []
            while buf.value:  # one clause per call; eSpeak moves the pointer on (NULL at the end)
                phonemes = self.lib.espeak_TextToPhonemes(ctypes.byref(buf), _CHARS_UTF8, _IPA_TIED)
                if phonemes:
                    out.append(phonemes.decode("utf-8", "replace"))
            return " ".join(p.strip() for p in out if p.strip())

    def synth(self, voice: str, text: str, rate_wpm: int, pitch: int = DEFAULT_PITCH, pitch_range: int = DEFAULT_RANGE,
              volume: int = DEFAULT_VOLUME, ssml: bool = False) -> tuple[np.ndarray, list[tuple[int, int, int, int, str]]]:
        """Samples (int16) and raw (type, sample, text_position, length, symbol) events for one utterance."""
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechEngineError(f"eSpeak NG has no voice {voice!r}: reinstall espeakng-loader")
            for param, value in ((_PARAM_RATE, rate_wpm), (_PARAM_PITCH, pitch), (_PARAM_RANGE, pitch_range),
                                 (_PARAM_VOLUME, volume)):
                self.lib.espeak_SetParameter(param, int(value), 0)
            self._chunks, self._events = [], []
            data = text.encode("utf-8")
            flags = _CHARS_UTF8 | _PHONEMES | (_SSML if ssml else 0)
            err = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, flags, None, None)
            if err != 0:
                raise SpeechEngineError(f"eSpeak NG failed on {text[:40]!r} (error {err})")
            samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            return samples, self._events


def ipa(voice: str, text: str) -> str:
    """eSpeak's IPA transcription of `text` with `voice` (see _Library.ipa)."""
    return _Library.get().ipa(voice, text)


class EspeakEngine:
    """SpeechEngine over eSpeak NG; one utterance per sentence so sentence spans are exact.

    Prosody: `rate_wpm` (speed), `pitch` (0..100, 50 is the voice's normal), pauses after each
    sentence, and `emphasis[i]`: [start, end) character spans of sentence i (the **…** of the
    script) said higher, louder and a little slower, the rest of the sentence unchanged. The
    lexicon's readings reach eSpeak as pinyin with tone digits or as [[phoneme]] input.
    """

    version = VERSION

    def __init__(self, voice: str) -> None:
        self.voice = voice
        self.name = f"espeak:{voice}"
        self.language = VOICES[voice]

    def spoken_texts(self, sentences: Sequence[str], lexicon: Lexicon | None = None) -> list[str]:
        """What eSpeak is given for each sentence (after the lexicon and normalisation): the cache key's text."""
        return [prepare(t, self.language, lexicon).text for t in sentences]

    def synthesize(self, sentences: Sequence[str], pauses_ms: Sequence[int], *,
                   lead_ms: int = 300, rate_wpm: int | None = None, pitch: int | None = None,
                   emphasis: Sequence[Sequence[tuple[int, int]]] | None = None,
                   lexicon: Lexicon | None = None) -> Speech:
        lib = _Library.get()
        base_rate = rate_wpm or _DEFAULT_RATE_WPM[self.language]
        base_pitch = DEFAULT_PITCH if pitch is None else min(max(int(pitch), 0), 100)
        emphasis = list(emphasis or ()) + [()] * (len(sentences) - len(emphasis or ()))
        rate = lib.rate_hz
        parts = [np.zeros(rate * lead_ms // 1000, np.int16)]  # PCM, scaled to float once at the end
        offset = len(parts[0])
        phonemes: list[Timed[Phoneme]] = []
        words: list[Timed[Word]] = []
        spans: list[Timed[int]] = []
        for si, (text, pause_ms) in enumerate(zip(sentences, pauses_ms, strict=True)):
            spoken = prepare(text, self.language, lexicon)  # lexicon, digits, dates, % …; subtitles keep `text`
            marked = _spoken_marks(spoken, emphasis[si])
            if marked:
                markup, plain_at = _ssml(spoken.text, marked)
                pcm, events = lib.synth(self.voice, markup, base_rate, base_pitch, ssml=True)
                events = _plain_positions(events, plain_at)
            else:
                pcm, events = lib.synth(self.voice, spoken.text, base_rate, base_pitch)
            n = len(pcm)
            ph, wd = _timelines(events, n, si, len(words), spoken.text)
            wd = _merge_same_source([Timed(w.start, w.end, Word(si, *spoken.source_span(w.value.char_start,
                                                                                      w.value.char_end)))
                                     for w in wd])
            word_starts = [w.start for w in wd]
            for p in ph:  # renumber: a phoneme belongs to the (merged) word it starts in
                k = max(bisect.bisect_right(word_starts, p.start) - 1, 0)
                phonemes.append(Timed(p.start + offset, p.end + offset, Phoneme(p.value.symbol, len(words) + k)))
            words += [Timed(w.start + offset, w.end + offset, w.value) for w in wd]
            spans.append(Timed(offset, offset + n, si))
            parts.append(pcm)
            silence = np.zeros(rate * pause_ms // 1000, np.int16)
            parts.append(silence)
            offset += n + len(silence)
        return Speech(concat(parts, 1 / 32768), rate, Timeline(rate, tuple(phonemes)), Timeline(rate, tuple(words)),
                      Timeline(rate, tuple(spans)), self.name, exact_timing=True)


def _spoken_marks(spoken, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The emphasised written spans as runs of the spoken text (27% → 百分之二十七 is emphasised whole)."""
    if not spans:
        return []
    flags = [any(a < e and s < b for s, e in spans) for a, b in
             (spoken.source_span(i, i + 1) for i in range(len(spoken.text)))]
    runs, start = [], None
    for i, on in enumerate(flags + [False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            runs.append((start, i))
            start = None
    return [(a, b) for a, b in runs if spoken.text[a:b].strip()]


# "&" as an entity; "<" and ">", which eSpeak leaves unsaid anyway, as spaces (an entity beside a tag
# made eSpeak spell out the next word)
_XML_ESCAPES = {"&": "&amp;", "<": " ", ">": " "}


def _ssml(text: str, marked: Sequence[tuple[int, int]]) -> tuple[str, list[int]]:
    """`text` as SSML with EMPHASIS_PROSODY around each marked run, and for every markup
    character the index of the plain character it stands for (tags count as the next one)."""
    out: list[str] = []
    plain_at: list[int] = []
    opens = {a for a, _ in marked}
    closes = {b for _, b in marked}
    for i in range(len(text) + 1):
        tags = ("</prosody>" if i in closes else "") + (f"<prosody {EMPHASIS_PROSODY}>" if i in opens else "")
        if tags and i > 0 and text[i - 1] == "]":
            tags = " " + tags  # after [[phonemes]] a tag needs a space, or eSpeak reads it out ("slash prosody")
        out.append(tags)
        plain_at += [i] * len(tags)
        if i == len(text):
            break
        piece = _XML_ESCAPES.get(text[i], text[i])
        out.append(piece)
        plain_at += [i] * len(piece)
    return "".join(out), plain_at


def _plain_positions(events, plain_at: list[int]):
    """Events whose text positions (1-based, in the markup) point into the plain text instead."""
    out = []
    for kind, sample, pos, length, sym in events:
        if pos >= 1 and plain_at:
            first = plain_at[min(pos - 1, len(plain_at) - 1)]
            last = plain_at[min(pos - 1 + max(length, 1) - 1, len(plain_at) - 1)]
            pos, length = first + 1, max(last - first + 1, 1)
        out.append((kind, sample, pos, length, sym))
    return out


def _timelines(events, n_samples: int, sentence_index: int, first_word: int, text: str):
    """Phoneme and word spans (samples relative to the utterance) from raw eSpeak events.

    A phoneme lasts until the next event that starts later; pause phonemes (`_`, `_:`, `_|`)
    are left out so silence shows as gaps in the timeline.
    """
    starts = sorted({s for _, s, *_ in events} | {n_samples})
    next_start = {s: starts[i + 1] for i, s in enumerate(starts[:-1])}
    phonemes: list[Timed[Phoneme]] = []
    words: list[Timed[Word]] = []
    word_index = first_word - 1
    word_events = [e for e in events if e[0] == _EV_WORD]
    for k, (kind, sample, pos, length, sym) in enumerate(events):
        sample = min(max(sample, 0), n_samples)
        if kind == _EV_WORD:
            word_index += 1
            nxt = next((w[1] for w in word_events if w[1] > sample), None)
            end = _last_phoneme_end(events, k, n_samples, next_start) if nxt is None else nxt
            char_start = max(pos - 1, 0)
            words.append(Timed(sample, max(sample, min(end, n_samples)),
                               Word(sentence_index, char_start, min(char_start + max(length, 1), len(text)))))
        elif not sym.startswith("_") and sample < n_samples:
            end = min(next_start.get(sample, n_samples), n_samples)
            if phonemes and phonemes[-1].start == sample:
                phonemes.pop()  # two phonemes at one sample: the later one is what sounds
            phonemes.append(Timed(sample, end, Phoneme(sym, max(word_index, first_word))))
    return _dedupe(phonemes), _dedupe(_extend_words(words, text))


def _extend_words(words: list[Timed[Word]], text: str) -> list[Timed[Word]]:
    """Stretch each word's characters up to the next word's start, punctuation excluded.

    eSpeak's cmn dictionary reads some character pairs (很好) as one word yet reports
    length 1, so the second character would otherwise belong to no word.
    """
    out = []
    for k, t in enumerate(words):
        w = t.value
        limit = words[k + 1].value.char_start if k + 1 < len(words) else len(text)
        end = max(w.char_end, limit)
        while end > w.char_end and not text[end - 1].isalnum():
            end -= 1
        out.append(Timed(t.start, t.end, Word(w.sentence_index, w.char_start, end)))
    return out


def _merge_same_source(words: list[Timed[Word]]) -> list[Timed[Word]]:
    """One word per written piece: 27% is read as six spoken words, all mapping to the same source."""
    out: list[Timed[Word]] = []
    for w in words:
        if out and out[-1].value == w.value:
            out[-1] = Timed(out[-1].start, w.end, w.value)
        else:
            out.append(w)
    return out


def _last_phoneme_end(events, k: int, n_samples: int, next_start: dict[int, int]) -> int:
    """End of the last sounding phoneme after event k (a sentence's last word ends where speech does)."""
    end = events[k][1]
    for kind, sample, _, _, sym in events[k:]:
        if kind == _EV_PHONEME and not sym.startswith("_"):
            end = next_start.get(sample, n_samples)
    return end


def _dedupe(items):
    """Drop zero-length spans and clip any overlap (eSpeak can report two events at one sample)."""
    out = []
    for t in items:
        start = max(t.start, out[-1].end) if out else t.start
        if t.end > start:
            out.append(Timed(start, t.end, t.value))
    return out
