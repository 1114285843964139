"""Kokoro's timing before its sound: how far the energy rule lands from the audio rule it replaced (#17).

The render ends each syllable where its sound ends. That used to be read on the loudness of the audio the
model made (`audio_end` below, the rule until 2026-12-08); it is now read on the model's own predicted energy
(`kokoro._sounding_end`, `/encoder/Reshape_1_output_0`, 80 values a second, computed before the decoder), so
the timeline needs no audio and the decoder (the model's costly half) runs beside the frame loop. This
prints how far the shipped energy rule lands from the audio rule, and an energy rule fitted afresh (one
threshold and one shift, on the even sentences of a text) on the odd ones.

Run: .venv/bin/python bench/trim_energy.py [SENTENCES.txt [VOICE]]   (default ../shared/eval/sentences_zh.txt,
     xiaonuan-f; an English text with xiaonuan-en-f)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

from xiaonuan.lexicon import prepare
from xiaonuan.speech import kokoro as K

HOP = 300
DEFAULT_TEXT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "sentences_zh.txt"


# the audio rule it replaced: a 10 ms frame is silent under 0.15 of the piece's 90th-percentile RMS (or 0.01)
LOUDNESS_HOP_S, SILENT_RMS, SILENT_OF_LOUD = 0.01, 0.01, 0.15


def audio_end(audio: np.ndarray, a: int, b: int) -> int:
    """Where the syllable [a, b) stops sounding in `audio`, plus the release (the rule until 2026-12-08)."""
    hop = int(LOUDNESS_HOP_S * K.RATE_HZ)
    rms = np.sqrt(np.mean(audio[:len(audio) // hop * hop].reshape(-1, hop).astype(np.float64) ** 2, axis=1))
    silent = max(SILENT_RMS, SILENT_OF_LOUD * float(np.percentile(rms, 90))) if len(rms) else SILENT_RMS
    first, last = a // hop, min(-(-b // hop), len(rms))
    sounding = np.flatnonzero(rms[first:last] >= silent)
    if not len(sounding):
        return b
    return max(a + 1, min(b, (first + int(sounding[-1]) + 1) * hop + int(K.RELEASE_S * K.RATE_HZ)))


def units_of(session, sentences: list[str], voice: str = "xiaonuan-f") -> list[tuple[int, int, int, int, np.ndarray]]:
    """(sentence, start, model end, audio's sounding end, energy) of each spoken syllable, in samples."""
    model, style, language = K.Model.get(), K.style_vectors(voice), K.language_of(voice)
    out = []
    for si, text in enumerate(sentences):
        units, _ = K._units(prepare(text, language, None, engine="kokoro").text, language)
        for piece in K._pieces(units):
            ids, owner = [], []
            for k, u in enumerate(piece):
                for ch in u.ipa:
                    if ch in model.vocab:
                        ids.append(model.vocab[ch])
                        owner.append(k)
            ref = style[min(len(ids), len(style)) - 1].reshape(1, -1).astype(np.float32)
            audio, frames, energy = session.run(None, {"tokens": np.array([[0, *ids, 0]], np.int64), "style": ref,
                                                       "speed": np.array([K.BASE_SPEED], np.float32)})
            audio, energy = np.asarray(audio).ravel(), np.asarray(energy).ravel()
            edges = np.concatenate([[0], np.cumsum(np.asarray(frames).ravel())]).astype(int) * K.SAMPLES_PER_FRAME
            edges = np.clip(edges - int(K.SOUND_LEAD_S * K.RATE_HZ), 0, len(audio))
            for k, u in enumerate(piece):
                toks = [i for i, o in enumerate(owner) if o == k]
                if toks and u.spoken:
                    a, b = int(edges[toks[0] + 1]), int(edges[toks[-1] + 2])
                    out.append((si, a, b, audio_end(audio, a, b), energy))
    return out


def energy_end(a: int, b: int, energy: np.ndarray, threshold: float, shift: int) -> int:
    """`_sounding_end` with the predicted energy in place of the audio's loudness."""
    j0, j1 = max((a - shift) // HOP, 0), min(-(-(b - shift) // HOP), len(energy))
    loud = np.flatnonzero(energy[j0:j1] >= threshold)
    if not len(loud):
        return b
    return max(a + 1, min(b, (j0 + int(loud[-1]) + 1) * HOP + shift + int(K.RELEASE_S * K.RATE_HZ)))


def errors_ms(rows, threshold: float, shift: int) -> np.ndarray:
    return np.array([(energy_end(a, b, e, threshold, shift) - end) * 1000 / K.RATE_HZ for _, a, b, end, e in rows])


def main() -> None:
    text = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TEXT
    sentences = [s.strip() for s in text.read_text(encoding="utf-8").splitlines() if s.strip()]
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    # the whole model: its outputs are the audio, the durations and the energy (kokoro.model_file)
    session = ort.InferenceSession(str(K.model_file()), sess_options=opts, providers=["CPUExecutionProvider"])
    rows = units_of(session, sentences, sys.argv[2] if len(sys.argv) > 2 else "xiaonuan-f")
    fit, test = [r for r in rows if r[0] % 2 == 0], [r for r in rows if r[0] % 2 == 1]
    best = min(((float(np.mean(np.abs(errors_ms(fit, t, s)))), t, s)
                for t in np.arange(-1.0, 2.01, 0.25) for s in range(-1200, 1201, 150)))
    err = errors_ms(test, best[1], best[2])
    trimmed = np.array([(b - end) * 1000 / K.RATE_HZ for _, _, b, end, _ in test])
    big = trimmed > 40
    shipped = np.array([(K._sounding_end(e, a, b) - end) * 1000 / K.RATE_HZ for _, a, b, end, e in rows])
    print(f"the shipped rule (energy ≥ {K.SOUNDING_ENERGY}, the sound's {K.SOUND_LEAD_S * 1000:.0f} ms lead), all "
          f"{len(rows)} syllables: within 40 ms {np.mean(np.abs(shipped) <= 40):.0%}, mean "
          f"{np.mean(np.abs(shipped)):.1f} ms, worst {np.abs(shipped).max():.1f} ms")
    print(f"{len(sentences)} sentences, {len(rows)} syllables; rule fitted on the even sentences: energy ≥ "
          f"{best[1]:.2f}, shift {best[2]} samples")
    print(f"odd sentences, {len(test)} syllables: |energy end − audio end| median {np.median(np.abs(err)):.1f} ms, "
          f"90th percentile {np.percentile(np.abs(err), 90):.1f} ms, worst {np.abs(err).max():.1f} ms; "
          f"within one 25 fps frame (40 ms): {np.mean(np.abs(err) <= 40):.0%}")
    if big.any():
        print(f"the {int(big.sum())} syllables the audio shortens by over 40 ms: median error "
              f"{np.median(np.abs(err[big])):.1f} ms, within 40 ms: {np.mean(np.abs(err[big]) <= 40):.0%}")


if __name__ == "__main__":
    main()
