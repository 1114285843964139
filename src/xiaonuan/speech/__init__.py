"""Speech: text → samples plus a phoneme timeline, behind one Protocol and a name registry.

Voices are named `engine:voice`: `kokoro:xiaonuan-f` (the default Mandarin voice), `espeak:cmn`,
`espeak:en-us`, `fake:cmn` (tests only: not listed unless asked for), a Coqui TTS model
`coqui:/path/to/model_dir` (model.pth + config.json) or `coqui:tts_models/...` (a name Coqui
downloads, where there is internet), and a recorded voice-over `recorded:/path/to/voice.wav`.
`get_engine()` resolves a name; each backend imports its heavy dependencies only when used.
`cached(engine)` puts an engine behind the speech cache (speech/cache.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np

from ..errors import VoiceError
from ..timeline import Timeline
from ..types import Samples


# Where a Speech's timing comes from, most trusted first:
TIMINGS = (
    "exact",      # the engine's own events (eSpeak) or a model's predicted durations (VITS)
    "aligned",    # forced alignment of the text to the audio (speech/align.py): phonemes drive the mouth
    "estimated",  # sentences from pauses, words spread by syllables: no phonemes, the mouth follows the audio
)


@dataclass(frozen=True)
class Phoneme:
    """One phone as the engine names it (eSpeak mnemonic, stress marks kept), in word `word_index`."""

    symbol: str
    word_index: int


@dataclass(frozen=True)
class Word:
    """A spoken word (a single character in Mandarin) and where it sits in its sentence's text."""

    sentence_index: int
    char_start: int  # offset into the sentence text, 0-based
    char_end: int


@dataclass(frozen=True, eq=False)
class Speech:
    """Synthesised speech: mono samples and timelines of phonemes, words and sentences."""

    samples: Samples
    rate_hz: int
    phonemes: Timeline[Phoneme]
    words: Timeline[Word]
    sentences: Timeline[int]  # value: index into the sentence list that was synthesised
    voice: str
    exact_timing: bool  # False when timing is aligned or estimated (a voice-over), so it is never faked silently
    warnings: tuple[str, ...] = ()  # findings a user should see (e.g. a clipped voice-over)
    timing: str = ""  # where the timing comes from: one of TIMINGS; "" → "exact" or "estimated" by exact_timing
    confidence: float | None = None  # a voice-over's alignment confidence (0..1: share of the script heard); else None

    def __post_init__(self) -> None:
        if not self.timing:
            object.__setattr__(self, "timing", "exact" if self.exact_timing else "estimated")
        if self.timing not in TIMINGS:
            raise ValueError(f"unknown timing {self.timing!r}: one of {', '.join(TIMINGS)}")

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate_hz


@dataclass(frozen=True)
class Later:
    """Speech whose timing is known before its sound (#17: the sound is made beside the frame loop).

    `speech` has its final timelines and length, its samples silent while `pending`; `make(stop)` fills them
    in place, piece by piece, and returns False when `stop()` ended it early, True once the sound is whole."""

    speech: Speech
    make: Callable[[Callable[[], bool]], bool]
    pending: bool = True

    def whole(self) -> Speech:
        """The speech with its sound made (now, if it was pending)."""
        self.make(no_stop)
        return self.speech


def no_stop() -> bool:
    """The `stop` of a `make` that runs to the end."""
    return False


def ready(speech: Speech) -> Later:
    """`speech` as a Later with its sound already made (a cache hit, an engine that cannot wait)."""
    return Later(speech, lambda stop=no_stop: True, pending=False)


def later(engine: "SpeechEngine", sentences: Sequence[str], pauses_ms: Sequence[int], **settings) -> Later:
    """The engine's `synthesize_later` where it has one (its timing first, its sound on `make`), else its
    `synthesize`, whole."""
    if hasattr(engine, "synthesize_later"):
        return engine.synthesize_later(sentences, pauses_ms, **settings)
    return ready(engine.synthesize(sentences, pauses_ms, **settings))


class SpeechEngine(Protocol):
    """Turns sentences into Speech; `pauses_ms[i]` of silence follow sentence i.

    Optional keywords every engine accepts (and may ignore): `pitch` (0..100, 50 normal),
    `emphasis` (per sentence, the [start, end) character spans marked **…**), `lexicon`
    (a xiaonuan.lexicon.Lexicon).
    """

    name: str
    language: str  # "zh" or "en"; "" for an engine that speaks whatever it is given (a recording)

    def synthesize(self, sentences: Sequence[str], pauses_ms: Sequence[int], *,
                   lead_ms: int = 300, rate_wpm: int | None = None, **prosody) -> Speech: ...


@dataclass(frozen=True)
class _Backend:
    factory: Callable[[str], SpeechEngine]
    voices: Callable[[], list[str]]
    open_ended: bool = False  # the voice part is a path or model name, checked by the factory itself
    for_tests: bool = False  # not offered to users (the UI, `xiaonuan voices`) unless asked for


def _espeak(voice: str) -> SpeechEngine:
    # lazy: a backend's module loads on first use (registry)
    from .espeak import EspeakEngine

    return EspeakEngine(voice)


def _espeak_voices() -> list[str]:
    # lazy: a backend's module loads on first use (registry)
    from .espeak import VOICES

    return sorted(VOICES)


def _kokoro(voice: str) -> SpeechEngine:
    # lazy: a backend's module loads on first use (registry)
    from .kokoro import KokoroEngine

    return KokoroEngine(voice)


def _kokoro_voices() -> list[str]:
    # lazy: a backend's module loads on first use (registry)
    from .kokoro import voice_names

    return voice_names()


def _fake(voice: str) -> SpeechEngine:
    # lazy: a backend's module loads on first use (registry)
    from .fake import FakeEngine

    return FakeEngine(voice)


def _fake_voices() -> list[str]:
    # lazy: a backend's module loads on first use (registry)
    from .fake import VOICES

    return sorted(VOICES)


def _coqui(voice: str) -> SpeechEngine:
    # lazy: a backend's module loads on first use (registry)
    from .coqui import CoquiEngine

    return CoquiEngine(voice)


def _recorded(voice: str) -> SpeechEngine:
    # lazy: a backend's module loads on first use (registry)
    from .recorded import RecordedEngine

    return RecordedEngine(voice)


_BACKENDS: dict[str, _Backend] = {
    "kokoro": _Backend(_kokoro, _kokoro_voices),
    "espeak": _Backend(_espeak, _espeak_voices),
    "fake": _Backend(_fake, _fake_voices, for_tests=True),
    "coqui": _Backend(_coqui, list, open_ended=True),
    "recorded": _Backend(_recorded, list, open_ended=True),
}


def available_voices(include_test: bool = False) -> list[str]:
    """The voice names `get_engine` accepts, e.g. `kokoro:xiaonuan-f`; test-only voices with `include_test`."""
    return [f"{engine}:{v}" for engine, b in _BACKENDS.items() if include_test or not b.for_tests
            for v in b.voices()]


def describe_voice(voice: str) -> str:
    """A short plain description of a listed voice, for `xiaonuan voices` and the UI."""
    engine, _, name = voice.partition(":")
    if engine == "kokoro":
        # lazy: a backend's module loads on first use (registry)
        from .kokoro import DESCRIPTIONS

        return DESCRIPTIONS.get(name, "Kokoro, added voice file")
    return {"espeak": "eSpeak NG: fast, robotic (fallback)", "fake": "test signal, not speech"}.get(engine, "")


def get_engine(voice: str) -> SpeechEngine:
    """The engine for a voice name like `espeak:cmn`; VoiceError names the valid choices."""
    engine, sep, name = voice.partition(":")
    backend = _BACKENDS.get(engine)
    if backend is not None and backend.open_ended and sep and name:
        return backend.factory(name)
    if not sep or backend is None or name not in backend.voices():
        raise VoiceError(f"unknown voice {voice!r}: choose one of {', '.join(available_voices())}, "
                         f"coqui:/path/to/model_dir or recorded:/path/to/voice.wav (see `xiaonuan voices`; "
                         f"`xiaonuan voices add FILE` adds upstream Kokoro voices)")
    return backend.factory(name)


def cached(engine: SpeechEngine) -> SpeechEngine:
    """`engine` behind the content-hash speech cache (see speech/cache.py)."""
    # lazy: a backend's module loads on first use (registry)
    from .cache import cached as _cached

    return _cached(engine)


def concat(parts: Sequence[np.ndarray], scale: float = 1.0) -> np.ndarray:
    """The parts end to end as one float32 array, times `scale` (e.g. 1/32768 for int16 PCM), built in one
    allocation: a 10-minute script's samples are not copied twice more on the way (peak memory, #7)."""
    if not parts:
        return np.zeros(0, np.float32)
    out = np.concatenate(parts, dtype=np.float32)
    if scale != 1.0:
        out *= np.float32(scale)
    return out
