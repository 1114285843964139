"""The soundtrack: speech placed on the program clock, plus background music ducked under it.

All numpy, no downloaded music: `pad()` synthesises a soft chord pad (a few detuned sine
partials per note, slow swells, a I–vi–IV–V progression), or a template asset is decoded and
looped. The music's gain follows the speech envelope: it dips by `duck_db` while the presenter
speaks (fast attack, slow release) and fades in and out at the ends.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from .template_spec import Music
from .types import Samples
from .encode import ffmpeg_exe
from .errors import TemplateError

CHORDS_HZ = (  # C major I–vi–IV–V voiced low and soft (Hz)
    (130.81, 164.81, 196.00, 261.63),
    (110.00, 130.81, 164.81, 220.00),
    (87.31, 110.00, 130.81, 174.61),
    (98.00, 123.47, 146.83, 196.00),
)
CHORD_S = 4.0  # seconds per chord
DETUNE = 0.004  # relative detune of the second partial: a gentle chorus
ENV_WINDOW_S = 0.05  # speech envelope window
ATTACK_S, RELEASE_S = 0.08, 0.6  # ducking follows speech quickly, recovers slowly
SPEECH_GATE = 0.02  # speech envelope (RMS) above this counts as "speaking"


def db(gain_db: float) -> float:
    return float(10 ** (gain_db / 20))


def pad(n_samples: int, rate_hz: int, seed: int = 0) -> Samples:
    """A soft, looping chord pad of n_samples at rate_hz, peak about 1.0 (deterministic)."""
    t = np.arange(n_samples, dtype=np.float64) / rate_hz
    out = np.zeros(n_samples, np.float64)
    chord_len = int(CHORD_S * rate_hz)
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 2 * np.pi, (len(CHORDS_HZ), 4, 2))
    for start in range(0, n_samples, chord_len):
        k = (start // chord_len) % len(CHORDS_HZ)
        seg = slice(start, min(start + chord_len + rate_hz // 2, n_samples))  # overlap: crossfade
        tt = t[seg] - t[start]
        env = np.minimum(1.0, tt / 1.2) * np.clip((CHORD_S + 0.5 - tt) / 1.3, 0.0, 1.0)  # swell in, fade out
        chord = np.zeros_like(tt)
        for j, f in enumerate(CHORDS_HZ[k]):
            chord += np.sin(2 * np.pi * f * tt + phases[k, j, 0])
            chord += 0.5 * np.sin(2 * np.pi * f * (1 + DETUNE) * tt + phases[k, j, 1])
            chord += 0.12 * np.sin(2 * np.pi * 2 * f * tt)
        out[seg] += chord * env
    out *= 1.0 + 0.15 * np.sin(2 * np.pi * 0.2 * t)  # slow breathing
    peak = np.abs(out).max() if n_samples else 0.0
    return (out / peak if peak > 0 else out).astype(np.float32)


def load_music(path: Path, n_samples: int, rate_hz: int) -> Samples:
    """Decode an audio asset to mono float32 at rate_hz (with the bundled ffmpeg), looped to n_samples."""
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate_hz),
           "-f", "f32le", "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        said = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise TemplateError(f"template music {path.name!r}: ffmpeg cannot read it ({said[0][-160:]}); "
                            "fix: give a WAV, MP3, OGG or M4A file")
    data = np.frombuffer(proc.stdout, np.float32)
    if data.size == 0:
        return np.zeros(n_samples, np.float32)
    reps = -(-n_samples // data.size)
    music = np.tile(data, reps)[:n_samples]
    peak = np.abs(music).max()
    return music / peak if peak > 0 else music


def speech_envelope(speech: Samples, rate_hz: int) -> np.ndarray:
    """0..1 per sample: 1 while speech is heard, smoothed with attack/release (for ducking)."""
    win = max(1, int(ENV_WINDOW_S * rate_hz))
    n = len(speech)
    padded = np.pad(speech.astype(np.float64) ** 2, (0, (-n) % win))
    rms = np.sqrt(padded.reshape(-1, win).mean(axis=1))
    gate = (rms > SPEECH_GATE).astype(np.float64)
    a_up, a_down = 1 - np.exp(-ENV_WINDOW_S / ATTACK_S), 1 - np.exp(-ENV_WINDOW_S / RELEASE_S)
    env = np.empty_like(gate)
    level = 0.0
    for i, g in enumerate(gate):  # one step per 50 ms window: cheap even for long videos
        level += (g - level) * (a_up if g > level else a_down)
        env[i] = level
    return np.repeat(env, win)[:n]


def soundtrack(speech: Samples, rate_hz: int, lead_samples: int, n_samples: int,
               music: Music | None, seed: int = 0) -> Samples:
    """Speech delayed by lead_samples on an n_samples track, plus ducked music (then clipped to [-1, 1]).

    Without music or lead the speech itself is returned, not a copy (the writer pads or cuts the track
    to the video's length when it muxes), so a long script's samples are not held twice (#7)."""
    if music is None and lead_samples == 0:
        return speech[:n_samples]
    voice = np.zeros(n_samples, np.float32)
    end = min(n_samples, lead_samples + len(speech))
    if end > lead_samples:
        voice[lead_samples:end] = speech[:end - lead_samples]
    if music is None:
        return voice
    bed = load_music(music.file, n_samples, rate_hz) if music.kind == "file" and music.file else \
        pad(n_samples, rate_hz, seed)
    duck = db(music.duck_db)
    gain = db(music.volume_db) * (1.0 - (1.0 - duck) * speech_envelope(voice, rate_hz))
    fade = int(music.fade_s * rate_hz)
    if fade and n_samples > 2 * fade:
        ramp = np.linspace(0.0, 1.0, fade)
        gain[:fade] *= ramp
        gain[-fade:] *= ramp[::-1]
    return np.clip(voice + bed * gain.astype(np.float32), -1.0, 1.0).astype(np.float32)
