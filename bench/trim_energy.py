"""Could Kokoro's timing be known before its sound? A measurement for issue #17's speed (not a benchmark).

The render ends each syllable where its sound ends: `kokoro._sounding_end` reads the loudness of the audio
the model made. If the model's own predicted energy (`/encoder/Reshape_1_output_0`, 80 values a second,
computed before the decoder) gave the same ends, the timeline would not need the audio, and the decoder (the
model's costly half) could run beside the frame loop. This prints how far an energy rule (fitted on the even
sentences of a text, one threshold and one shift) lands from the audio's own ends on the odd ones.

Run: .venv/bin/python bench/trim_energy.py [SENTENCES.txt]   (default ../shared/eval/sentences_zh.txt)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort

from xiaonuan.lexicon import prepare
from xiaonuan.speech import kokoro as K
from xiaonuan.speech.onnxpatch import add_graph_output

ENERGY = "/encoder/Reshape_1_output_0"  # the prosody predictor's energy, one value per 300 samples
HOP = 300
DEFAULT_TEXT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "sentences_zh.txt"


def units_of(session, sentences: list[str]) -> list[tuple[int, int, int, int, np.ndarray]]:
    """(sentence, start, model end, audio's sounding end, energy) of each spoken syllable, in samples."""
    model, style = K.Model.get(), K.style_vectors("xiaonuan-f")
    out = []
    for si, text in enumerate(sentences):
        units, _ = K._units(prepare(text, "zh", None, engine="kokoro").text, "zh")
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
            loud = K._loudness(audio)
            for k, u in enumerate(piece):
                toks = [i for i, o in enumerate(owner) if o == k]
                if toks and u.spoken:
                    a, b = int(edges[toks[0] + 1]), int(edges[toks[-1] + 2])
                    out.append((si, a, b, K._sounding_end(loud, a, b), energy))
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
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "energy.onnx"
        path.write_bytes(add_graph_output(K.model_file().read_bytes(), ENERGY))
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        rows = units_of(session, sentences)
    fit, test = [r for r in rows if r[0] % 2 == 0], [r for r in rows if r[0] % 2 == 1]
    best = min(((float(np.mean(np.abs(errors_ms(fit, t, s)))), t, s)
                for t in np.arange(-7.0, 1.01, 0.25) for s in range(-1200, 1201, 150)))
    err = errors_ms(test, best[1], best[2])
    trimmed = np.array([(b - end) * 1000 / K.RATE_HZ for _, _, b, end, _ in test])
    big = trimmed > 40
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
