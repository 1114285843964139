"""Neural voices through Coqui TTS (`pip install -e '.[neural]'`); torch is imported only in here, when used.

Voice names:
  coqui:/path/to/model_dir      a local model: config.json + a checkpoint (model.pth, best_model.pth …)
  coqui:tts_models/en/ljspeech/vits   a Coqui model name, downloaded by Coqui where there is internet

Timing, best first:
- Models that predict durations (VITS and its relatives) report how many decoder frames each
  input token lasts; those durations time every word exactly (the word's tokens are found by
  tokenising the text up to it). Inside a word, the phonemes are eSpeak's transcription of the
  same words, stretched over the model's word span, so the viseme tables apply unchanged.
  `timing="exact"`.
- A model without durations: each sentence's audio is force-aligned with its text
  (speech/align.py: eSpeak's exact timeline carried over by DTW). `timing="aligned"`,
  `exact_timing=False`.
- When that alignment is poor: words are spread over the sentence by syllables and there are no
  phonemes, so the mouth follows the audio (motion/audio.py). `timing="estimated"`, with a warning.

torchaudio: see `_torchaudio_stand_in` (PyPI has no CPU torchaudio that loads beside torch 2.13).
"""

from __future__ import annotations

import importlib.machinery
import re
import sys
import threading
import types
from pathlib import Path
from typing import Any, Sequence
import json

import numpy as np

from ..errors import SpeechEngineError, VoiceError
from ..lexicon import Lexicon, prepare
from ..script import detect_language
from ..timeline import Timed, Timeline
from . import Phoneme, Speech, Word, concat
from .espeak import EspeakEngine, VOICE_FOR
from .recorded import timed_recording

CHECKPOINT_NAMES = ("model.pth", "best_model.pth", "model_file.pth", "checkpoint.pth")
_DEFAULT_RATE_WPM = {"zh": 170, "en": 165}
_UNIT = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z0-9']+")
_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


def _import_torch_and_tts():
    """Import torch and Coqui TTS; where torchaudio or torchcodec cannot load, stand-ins take their place.

    PyPI has no CPU torchaudio for torch 2.13 (its 2.11 wheel is the CUDA build and fails to load
    beside CPU torch), and coqui-tts refuses to import without both packages being findable.
    A real, loadable torchaudio is always preferred. The stand-ins stay in `sys.modules` for the
    rest of the process.
    """
    try:
        # lazy: torch is optional (Coqui backend)
        import torch
    except ImportError as e:
        raise SpeechEngineError("Coqui voices need the neural extra: pip install -e '.[neural]'") from e
    try:
        import torchaudio  # noqa: F401
    except (ImportError, OSError, RuntimeError):
        for name in [k for k in sys.modules if k == "torchaudio" or k.startswith("torchaudio.")]:
            del sys.modules[name]
        sys.modules["torchaudio"] = _torchaudio_stand_in(torch)
        sys.modules["torchaudio.transforms"] = sys.modules["torchaudio"].transforms
    if "torchcodec" not in sys.modules:
        try:
            import torchcodec  # noqa: F401
        except (ImportError, OSError, RuntimeError):
            # coqui-tts only checks that torchcodec is findable (torch >= 2.9); it decodes nothing here
            sys.modules["torchcodec"] = _stand_in_module("torchcodec")
    try:
        import TTS  # noqa: F401
    except ImportError as e:
        raise SpeechEngineError(f"Coqui TTS could not be imported ({e}): pip install -e '.[neural]'") from e
    return torch


STAND_IN_HINT = "xiaonuan's torchaudio stand-in covers VITS inference only: install a torchaudio that matches torch"


def _stand_in_module(name: str) -> types.ModuleType:
    """An importable, findable module whose every missing attribute fails with STAND_IN_HINT."""
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)  # importlib.util.find_spec() finds it

    def __getattr__(attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise AttributeError(f"{name}.{attr} is not available: {STAND_IN_HINT}")

    module.__getattr__ = __getattr__
    return module


def _torchaudio_stand_in(torch) -> types.ModuleType:
    """The part of torchaudio that coqui-tts 0.28 touches on the way to VITS inference, and nothing more.

    - `import torchaudio` at the top of TTS/tts/models/vits.py (TTS/__init__ checks it is findable);
    - `torchaudio.transforms.Resample(orig_freq=…, new_freq=…)`, built by `Vits.init_upsampling` when
      the config sets `encoder_sample_rate`; `load_checkpoint(eval=True)` drops it again ("not used in
      inference time"), so it only has to be constructible;
    - `torchaudio.load` in the training dataset only.
    Anything called beyond construction raises with STAND_IN_HINT: a model or code path that needs the
    real torchaudio fails with a message, never with silently wrong audio.
    """
    module = _stand_in_module("torchaudio")
    transforms = _stand_in_module("torchaudio.transforms")

    class Resample(torch.nn.Module):
        def __init__(self, orig_freq: int = 16000, new_freq: int = 16000, **_kw) -> None:
            super().__init__()
            self.orig_freq, self.new_freq = orig_freq, new_freq

        def forward(self, waveform):
            raise RuntimeError(f"torchaudio.transforms.Resample({self.orig_freq} → {self.new_freq}) was called: "
                               f"{STAND_IN_HINT}")

    def load(*_a, **_kw):
        raise RuntimeError(f"torchaudio.load was called: {STAND_IN_HINT} (xiaonuan reads audio files with ffmpeg)")

    transforms.Resample = Resample
    module.transforms = transforms
    module.load = load
    return module


def _model_files(ref: str) -> tuple[Path, Path]:
    """(config.json, checkpoint) for a model folder, or for a Coqui model name after download."""
    p = Path(ref).expanduser()
    if not p.exists() and ref.startswith("tts_models/"):
        # lazy: Coqui TTS is optional
        from TTS.utils.manage import ModelManager

        try:
            ckpt, config_path, _ = ModelManager(progress_bar=False).download_model(ref)
        except Exception as e:  # network or unknown name: say what to do
            raise VoiceError(f"Coqui model {ref!r} could not be downloaded ({e}): "
                             "download it where there is internet and give coqui:/path/to/model_dir") from e
        p = Path(ckpt)
        if config_path:
            return Path(config_path), p if p.is_file() else _checkpoint_in(p)
    if p.is_file():
        return p.parent / "config.json", p
    if not p.is_dir():
        raise VoiceError(f"Coqui model {ref!r} not found: give coqui:/path/to/model_dir (config.json + model.pth)")
    return p / "config.json", _checkpoint_in(p)


def _checkpoint_in(folder: Path) -> Path:
    for name in CHECKPOINT_NAMES:
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob("*.pth"))
    if not found:
        raise VoiceError(f"Coqui model folder {str(folder)!r} has no checkpoint (.pth): expected model.pth")
    return found[0]


def load_model(ref: str):
    """The Coqui model for `ref` (a folder, checkpoint path or model name), loaded once per process."""
    torch = _import_torch_and_tts()
    with _LOCK:
        if ref in _MODELS:
            return _MODELS[ref]
        config_path, ckpt = _model_files(ref)
        if not config_path.is_file():
            raise VoiceError(f"Coqui model {ref!r} has no config.json beside {ckpt.name}")
        # lazy: Coqui TTS is optional
        from TTS.config import load_config
        # lazy: Coqui TTS is optional
        from TTS.tts.models import setup_model

        try:
            config = load_config(str(config_path))
            model = setup_model(config)
            model.load_checkpoint(config, str(ckpt), eval=True)
        except Exception as e:  # a checkpoint that does not fit its config, an unknown model type …
            raise SpeechEngineError(f"Coqui model {ref!r} could not be loaded ({type(e).__name__}: {e})") from e
        torch.set_grad_enabled(False)
        _MODELS[ref] = (model, config)
        return _MODELS[ref]


class CoquiEngine:
    """SpeechEngine over a Coqui TTS model; `rate_wpm` scales the model's durations."""

    version = "coqui-2"

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self.name = f"coqui:{ref}"
        p = Path(ref).expanduser()
        if not p.exists() and not ref.startswith("tts_models/"):
            raise VoiceError(f"Coqui model {ref!r} not found: give coqui:/path/to/model_dir (config.json + model.pth) "
                             "or a Coqui model name such as coqui:tts_models/en/ljspeech/vits")
        self.language = _language_of(p / "config.json" if p.is_dir() else p.parent / "config.json")

    def spoken_texts(self, sentences: Sequence[str], lexicon: Lexicon | None = None) -> list[str]:
        return [prepare(t, self._lang(t), lexicon, engine="text").text for t in sentences]

    def _lang(self, text: str) -> str:
        return self.language or detect_language(text)

    def synthesize(self, sentences: Sequence[str], pauses_ms: Sequence[int], *, lead_ms: int = 300,
                   rate_wpm: int | None = None, lexicon: Lexicon | None = None, seed: int = 0,
                   **_ignored) -> Speech:
        torch = _import_torch_and_tts()
        model, config = load_model(self.ref)
        rate = int(_get(config, "audio", "output_sample_rate", default=None) or _get(config, "audio", "sample_rate"))
        parts = [np.zeros(rate * lead_ms // 1000, np.float32)]
        offset = len(parts[0])
        phonemes: list[Timed[Phoneme]] = []
        words: list[Timed[Word]] = []
        spans: list[Timed[int]] = []
        exact = True
        torch.manual_seed(seed)  # VITS samples noise: the same seed gives the same audio
        for si, (text, pause_ms) in enumerate(zip(sentences, pauses_ms, strict=True)):
            lang = self._lang(text)
            prepared = prepare(text, lang, lexicon, engine="text")
            wav, frame_ends = _infer(torch, model, prepared.text, lang, rate_wpm)
            n = len(wav)
            if frame_ends is None:
                exact = False
            else:
                wd = _word_spans(model, prepared, frame_ends, n, si, lang)
                phonemes += _reference_phonemes(text, lang, lexicon, wd, len(words), offset)
                words += [Timed(w.start + offset, w.end + offset, w.value) for w in wd]
            spans.append(Timed(offset, offset + n, si))
            silence = np.zeros(rate * int(pause_ms) // 1000, np.float32)
            parts += [wav, silence]
            offset += n + len(silence)
        samples = concat(parts)
        if not exact:  # no durations: align the text to the audio, sentence by sentence

            return timed_recording(samples, rate, sentences, self.name,
                                   language=self.language or detect_language(" ".join(sentences)), lexicon=lexicon,
                                   spans=[(s.start, s.end) for s in spans], what=f"the speech of {self.name}")
        return Speech(samples, rate, Timeline(rate, tuple(phonemes)), Timeline(rate, tuple(words)),
                      Timeline(rate, tuple(spans)), self.name, exact_timing=True)


def _get(config, *keys, default: Any = None) -> Any:
    node = config
    for k in keys:
        node = node.get(k, default) if isinstance(node, dict) else getattr(node, k, default)
        if node is None:
            return default
    return node


def _language_of(config_path: Path) -> str:
    try:
        data = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    lang = str(data.get("phoneme_language") or "").lower()
    return "zh" if lang.startswith(("zh", "cmn")) else "en" if lang.startswith("en") else ""


def _infer(torch, model, text: str, lang: str, rate_wpm: int | None):
    """(samples float32, per-token end in decoder frames or None) for one sentence."""
    ids = model.tokenizer.text_to_ids(text)
    if not ids:
        return np.zeros(0, np.float32), np.zeros(0)
    old_scale = getattr(model, "length_scale", None)
    if rate_wpm and old_scale is not None:
        model.length_scale = old_scale * _DEFAULT_RATE_WPM.get(lang, 165) / rate_wpm
    try:
        out = model.inference(torch.LongTensor([ids]))
    except Exception as e:
        raise SpeechEngineError(f"Coqui model failed on {text[:40]!r} ({type(e).__name__}: {e})") from e
    finally:
        if old_scale is not None:
            model.length_scale = old_scale
    wav = out["model_outputs"] if isinstance(out, dict) else out
    wav = wav.detach().cpu().float().numpy().reshape(-1)
    if wav.ndim != 1 or (isinstance(out, dict) and out["model_outputs"].dim() == 3 and out["model_outputs"].shape[1] > 1):
        raise SpeechEngineError("this Coqui model outputs a spectrogram, not audio: use an end-to-end model (VITS)")
    durations = out.get("durations") if isinstance(out, dict) else None
    ends = None if durations is None else np.cumsum(durations.detach().cpu().numpy().reshape(-1))
    peak = float(np.abs(wav).max()) if len(wav) else 0.0
    if peak > 1.0:
        wav = wav / peak
    return wav.astype(np.float32), ends


def _word_spans(model, prepared, frame_ends: np.ndarray, n_samples: int, si: int, lang: str) -> list[Timed[Word]]:
    """Word spans (samples in the sentence) from the model's token durations."""
    total = frame_ends[-1] if len(frame_ends) else 0
    if total <= 0:
        return []
    per_frame = n_samples / total
    out: list[Timed[Word]] = []
    for m in _UNIT.finditer(prepared.text):
        a_tok = max(len(model.tokenizer.text_to_ids(prepared.text[:m.start()])) - 1, 0) if m.start() else 0
        b_tok = min(len(model.tokenizer.text_to_ids(prepared.text[:m.end()])), len(frame_ends)) - 1
        start = int(round((frame_ends[a_tok - 1] if a_tok > 0 else 0) * per_frame))
        end = int(round(frame_ends[max(b_tok, 0)] * per_frame))
        src = prepared.source_span(m.start(), m.end())
        if out and out[-1].value == Word(si, *src):  # pieces of one written word (27% → 百分之二十七)
            out[-1] = Timed(out[-1].start, max(end, out[-1].end), out[-1].value)
            continue
        start = max(start, out[-1].end if out else 0)
        if end > start:
            out.append(Timed(start, min(end, n_samples), Word(si, *src)))
    return out


def _reference_phonemes(text: str, lang: str, lexicon, words: list[Timed[Word]], first_word: int,
                        offset: int) -> list[Timed[Phoneme]]:
    """eSpeak's phonemes for the sentence, each eSpeak word's phonemes stretched over the model's span of it."""
    ref = EspeakEngine(VOICE_FOR.get(lang, "en-us")).synthesize([text], [0], lead_ms=0, lexicon=lexicon)
    out: list[Timed[Phoneme]] = []
    for k, ew in enumerate(ref.words):
        a, b = ew.value.char_start, ew.value.char_end
        mine = [(i, w) for i, w in enumerate(words) if w.value.char_start < b and a < w.value.char_end]
        if not mine:
            continue
        t0, t1 = mine[0][1].start, max(w.end for _, w in mine)
        span = max(ew.end - ew.start, 1)
        for p in ref.phonemes:
            if p.value.word_index != k:
                continue
            s = t0 + (p.start - ew.start) * (t1 - t0) // span
            e = t0 + (p.end - ew.start) * (t1 - t0) // span
            wi = next((i for i, w in mine if w.start <= s < w.end), mine[0][0])
            s = max(s, out[-1].end - offset) if out else s
            if e > s:
                out.append(Timed(s + offset, e + offset, Phoneme(p.value.symbol, first_word + wi)))
    return out
