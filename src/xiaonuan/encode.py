"""Streaming MP4 writer (H.264 + AAC through imageio-ffmpeg's ffmpeg), probe and frame reader.

Frames go through a BOUNDED queue to a writer thread that turns each into YUV 4:2:0 and feeds
ffmpeg's stdin, so memory does not grow with the video's length. Pass 1 encodes the video; on
close the audio is padded or trimmed to exactly the frame count and pass 2 muxes it as AAC (video
copied) with faststart and metadata. Everything is written to temp files beside the destination
and os.replace()d into place only on success; on failure nothing is left behind.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import fcntl
import logging
import queue
import re
import subprocess
import threading
import wave
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Iterator, Mapping

import cv2
import imageio_ffmpeg
import numpy as np

from xiaonuan.errors import EncodeError
from xiaonuan.fileio import output_lock, publish, temp_beside
from xiaonuan.types import Frame, Samples

QUEUE_FRAMES = 8  # frame buffers between the caller and ffmpeg, allocated once and reused (8 × 6 MB at 1080p)
# x264 settings of every render (bench/results.md, "## Render"): veryfast is the fastest preset that
# keeps its full tool set (CABAC, 8x8dct, mixed refs); CRF 20 keeps flat graphics, text edges and
# the face clean at 1080p (the quality floor: CRF ≤ 23 on veryfast). Previews use ultrafast.
PRESET = "veryfast"
CRF = 20
# The writer thread converts RGB to YUV 4:2:0 itself (OpenCV: BT.601 limited range, 0.8 ms a 1080p frame)
# rather than ffmpeg's scaler (BT.709: 4.2 ms), and sends half the bytes through the pipe: ffmpeg's CPU
# per second of 1080p clip render fell 0.77 → 0.62 (bench/results.md, "clip avatar" notes, #17). The
# stream says which matrix it uses (BT.601, with sRGB's BT.709 primaries and transfer), so players decode
# it exactly: Chromium shows (200, 16, 46) drawn as (200, 16, 46); ffmpeg's own decode is within 1.2 of
# the frame on average (tests/test_encode.py).
YUV_MATRIX = "smpte170m"
PIPE_BYTES = 1 << 20  # ffmpeg's stdin pipe buffer (Linux F_SETPIPE_SZ; default 64 KiB): fewer wake-ups a frame
STDERR_TAIL_LINES = 40  # lines of ffmpeg's stderr kept for error messages
AAC_RATE_HZ = 48_000  # AAC frames of 1024 samples last 21 ms at 48 kHz (46 ms at 22.05 kHz)
AAC_BITRATE = "128k"
PUT_POLL_S = 0.5  # how often a blocked write() checks whether ffmpeg is still alive
FFMPEG_EXIT_TIMEOUT_S = 600  # a flush/mux taking longer than this is treated as hung
PCM_MAX = 32767
WAV_BLOCK_S = 10  # seconds of audio converted at a time when writing the WAV for the mux


@dataclass(frozen=True)
class StreamInfo:
    """One stream of a media file, as reported by ffmpeg."""

    index: int
    kind: str  # "video" | "audio" | other ffmpeg stream type
    codec: str
    width_px: int | None = None
    height_px: int | None = None
    fps: float | None = None
    rate_hz: int | None = None
    duration_s: float | None = None


@dataclass(frozen=True)
class MediaInfo:
    """What `probe` found in a media file."""

    path: Path
    duration_s: float | None  # the container's duration
    streams: tuple[StreamInfo, ...]
    metadata: Mapping[str, str] = field(default_factory=dict)

    def _first(self, kind: str) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == kind), None)

    @property
    def width_px(self) -> int | None:
        v = self._first("video")
        return v.width_px if v else None

    @property
    def height_px(self) -> int | None:
        v = self._first("video")
        return v.height_px if v else None

    @property
    def width(self) -> int | None:
        """Alias of width_px (pixels)."""
        return self.width_px

    @property
    def height(self) -> int | None:
        """Alias of height_px (pixels)."""
        return self.height_px

    @property
    def fps(self) -> float | None:
        v = self._first("video")
        return v.fps if v else None

    @property
    def video_codec(self) -> str | None:
        v = self._first("video")
        return v.codec if v else None

    @property
    def audio_codec(self) -> str | None:
        a = self._first("audio")
        return a.codec if a else None

    @property
    def video_duration_s(self) -> float | None:
        v = self._first("video")
        return v.duration_s if v else None

    @property
    def audio_duration_s(self) -> float | None:
        a = self._first("audio")
        return a.duration_s if a else None


def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped by imageio-ffmpeg."""
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as e:
        raise EncodeError(f"ffmpeg not found ({e}); fix: pip install --force-reinstall imageio-ffmpeg") from None


def _os_cause(e: OSError) -> str:
    """A sentence a user can act on for an OSError raised while writing output."""
    if e.errno == errno.ENOSPC:
        return "the disk is full; free some space or write the video to another folder"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the output folder cannot be written; choose a folder you can write to"
    return f"{e.strerror or e}; check the output folder"


def _plain_cause(stderr_tail: str, returncode: int | None) -> str:
    """A sentence a user can act on, guessed from ffmpeg's stderr and exit status."""
    low = stderr_tail.lower()
    if "no space left" in low:
        return "the disk is full; free some space or write the video to another folder"
    if "permission denied" in low or "read-only file system" in low:
        return "the output folder cannot be written; choose a folder you can write to"
    if "unknown encoder" in low or "encoder not found" in low:
        return "this ffmpeg build lacks the needed encoder (libx264/aac); reinstall imageio-ffmpeg"
    if returncode is not None and returncode < 0:
        return (f"ffmpeg was killed (signal {-returncode}), e.g. by the out-of-memory killer or another "
                "process; check free memory and try again")
    if returncode is None:
        return "ffmpeg stopped accepting frames"
    return f"ffmpeg failed (exit status {returncode})"


class VideoWriter:
    """Context manager: `with VideoWriter(path, (w, h), 25, samples, 22050) as w: w.write(frame)`.

    `write` copies the frame, so a reused buffer (Compositor.frame) is safe to pass. The audio
    (mono float32 in [-1, 1], or None) is padded with silence or trimmed to the video's length.
    An exception inside the `with` block propagates unchanged and leaves no file behind; an
    ffmpeg failure raises EncodeError with its stderr tail and a plain-language cause.
    """

    def __init__(self, path: Path | str, size: tuple[int, int], fps: int | float | Fraction,
                 audio: Samples | None, rate_hz: int, *, crf: int = CRF, preset: str = PRESET,
                 metadata: Mapping[str, str] = {}, audio_later: bool = False) -> None:
        self.path = Path(path)
        self.width_px, self.height_px = int(size[0]), int(size[1])
        if self.width_px % 2 or self.height_px % 2 or self.width_px < 2 or self.height_px < 2:
            raise EncodeError(f"frame size {self.width_px}x{self.height_px} is not even; "
                              "fix: use an even width and height (H.264 yuv420p needs them)")
        self.fps = Fraction(fps).limit_denominator(1001 * 1000)
        if self.fps <= 0:
            raise EncodeError(f"fps must be positive, got {fps}")
        if audio is not None and audio_later:
            raise EncodeError("audio given both now and later; fix: pass audio=None with audio_later=True")
        if audio is not None:
            audio = _mono(audio)
        if (audio is not None or audio_later) and rate_hz <= 0:
            raise EncodeError(f"audio rate must be positive, got {rate_hz} Hz")
        self.audio, self.rate_hz = audio, rate_hz
        self._has_audio = audio is not None or audio_later
        self._wav: Path | None = None
        self.crf, self.preset = crf, preset
        self.metadata = dict(metadata)
        self.n_frames = 0
        self._frame_bytes = self.width_px * self.height_px * 3
        self._proc: subprocess.Popen[bytes] | None = None
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue()  # bounded by the buffer pool
        self._free: queue.Queue[np.ndarray] = queue.Queue()  # written buffers, back for reuse
        self._n_buffers = 0
        self._lent: np.ndarray | None = None  # the pool buffer buffer() handed out, until it is written
        self._thread: threading.Thread | None = None
        self._stderr_thread: threading.Thread | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._error: BaseException | None = None
        self._temps: list[Path] = []

    # ---------------------------------------------------------------- lifecycle

    @property
    def ffmpeg_pid(self) -> int | None:
        """Process id of the running ffmpeg (for diagnostics and tests)."""
        return self._proc.pid if self._proc else None

    def __enter__(self) -> "VideoWriter":
        if not self.path.parent.is_dir():
            raise EncodeError(f"output folder {self.path.parent} does not exist; fix: create it first")
        self._lock = contextlib.ExitStack()
        self._lock.enter_context(output_lock(self.path))  # one writer per output file at a time
        try:
            self._open()
        except BaseException:  # a SIGTERM while the audio is written, ffmpeg failing to start: no temp file left
            self._abort()
            self._lock.close()
            raise
        return self

    def _open(self) -> None:
        try:
            self._video_tmp = self._temp(".video.mp4" if self._has_audio else ".mp4")
            if self.audio is not None:  # written now: no full-length array is held while frames stream (#7)
                self._write_audio(self.audio)
                self.audio = None
        except OSError as e:
            self._cleanup()
            raise EncodeError(f"could not start writing {self.path.name}: {_os_cause(e)}") from e
        self._proc = self._start(self._video_cmd(self._video_tmp, final=not self._has_audio))
        self._thread = threading.Thread(target=self._feed, name="xiaonuan-encode", daemon=True)
        self._thread.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        with self._lock:
            if exc_type is not None:
                self._abort()
                return None  # the caller's exception propagates unchanged
            try:
                self._finish()
            except BaseException:
                self._abort()
                raise
        return None

    def set_audio(self, audio: Samples) -> None:
        """The soundtrack of a writer made with `audio_later=True`, given once its frames are written (the
        speech made beside the frame loop, #17); before the `with` block ends."""
        if self._proc is None or not self._has_audio or self._wav is not None:
            raise EncodeError("VideoWriter.set_audio needs a writer opened with audio_later=True, "
                              "called once, inside its `with` block")
        try:
            self._write_audio(_mono(audio))
        except OSError as e:
            raise EncodeError(f"could not write the audio of {self.path.name}: {_os_cause(e)}") from e

    def write(self, frame: Frame) -> None:
        """Queue one RGB uint8 frame of the writer's size (copied; blocks while the queue is full).
        A buffer from `buffer()` is queued as it is, without the copy."""
        if self._proc is None:
            raise EncodeError("VideoWriter.write called outside its `with` block")
        lent = self._lent is not None and frame is self._lent
        if not lent and (frame.shape != (self.height_px, self.width_px, 3) or frame.dtype != np.uint8):
            raise EncodeError(f"frame is {frame.shape} {frame.dtype}, expected "
                              f"({self.height_px}, {self.width_px}, 3) uint8")
        if lent:
            buf, self._lent = frame, None
        else:
            buf = self._buffer()
            np.copyto(buf, frame)
        self._queue.put(buf)
        self.n_frames += 1

    def buffer(self) -> Frame:
        """An empty frame buffer from the writer's pool, for the caller to draw the next frame into and
        pass to write(), which then skips its copy (a whole frame a write: 0.14 ms at 720p, issue #7).
        Only the latest buffer lent is taken without a copy; blocks while every buffer is queued."""
        if self._proc is None:
            raise EncodeError("VideoWriter.buffer called outside its `with` block")
        if self._lent is None:
            self._lent = self._buffer()
        return self._lent

    def _buffer(self) -> np.ndarray:
        """A frame buffer from the pool: a new one while fewer than QUEUE_FRAMES exist, else the next
        one ffmpeg has taken (blocking, while checking that ffmpeg is still alive)."""
        while True:
            self._raise_if_failed()
            try:
                return self._free.get_nowait()
            except queue.Empty:
                pass
            if self._n_buffers < QUEUE_FRAMES:
                self._n_buffers += 1
                return np.empty((self.height_px, self.width_px, 3), np.uint8)
            try:
                return self._free.get(timeout=PUT_POLL_S)
            except queue.Empty:
                continue

    # ---------------------------------------------------------------- internals

    def _write_audio(self, audio: np.ndarray) -> None:
        """The soundtrack into the temp WAV that pass 2 muxes."""
        self._wav = self._temp(".wav")
        _write_wav(self._wav, audio, self.rate_hz)

    def _temp(self, suffix: str) -> Path:
        p = temp_beside(self.path, ".part" + suffix)
        self._temps.append(p)
        return p

    def _video_cmd(self, out: Path, final: bool) -> list[str]:
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "warning", "-y",
               "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{self.width_px}x{self.height_px}",
               "-framerate", str(self.fps), "-i", "pipe:0",
               "-vf", f"setparams=colorspace={YUV_MATRIX}:color_primaries=bt709:color_trc=bt709:range=tv",
               "-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf),
               "-colorspace", YUV_MATRIX, "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
               "-an"]
        if final:
            cmd += self._final_args()
        return cmd + ["-f", "mp4", str(out)]

    def _final_args(self) -> list[str]:
        args = ["-movflags", "+faststart"]
        for k, v in self.metadata.items():
            args += ["-metadata", f"{k}={v}"]
        return args

    def _start(self, cmd: list[str], stdin: int | None = subprocess.PIPE) -> subprocess.Popen[bytes]:
        self._stderr.clear()
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if proc.stdin is not None and hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux
            with contextlib.suppress(OSError):
                fcntl.fcntl(proc.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self._stderr_thread = threading.Thread(target=self._drain_stderr, args=(proc,), daemon=True)
        self._stderr_thread.start()
        return proc

    def _drain_stderr(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._stderr.append(line.decode("utf-8", "replace").rstrip())

    def _feed(self) -> None:
        """Writer thread: queue → YUV 4:2:0 → ffmpeg stdin. After a failure it keeps draining so write()
        never hangs."""
        assert self._proc is not None and self._proc.stdin is not None
        stdin = self._proc.stdin
        yuv = np.empty((self.height_px * 3 // 2, self.width_px), np.uint8)
        while True:
            item = self._queue.get()
            if item is None:
                break
            if self._error is None:
                try:
                    cv2.cvtColor(item, cv2.COLOR_RGB2YUV_I420, dst=yuv)
                    stdin.write(yuv.data)
                except (BrokenPipeError, OSError, ValueError) as e:
                    self._error = e
            self._free.put(item)
        try:
            stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def _raise_if_failed(self) -> None:
        proc = self._proc
        if self._error is not None or (proc is not None and proc.poll() is not None):
            if proc is not None:
                try:
                    proc.wait(timeout=FFMPEG_EXIT_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
            raise self._encode_error("ffmpeg stopped while frames were being written")

    def _encode_error(self, what: str) -> EncodeError:
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=2)
        tail = "\n".join(self._stderr)
        code = self._proc.returncode if self._proc else None
        return EncodeError(f"{what} ({self.path.name}): {_plain_cause(tail, code)}"
                           + (f"\nffmpeg said:\n{tail}" if tail else ""))

    def _stop_feeder(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)  # unbounded: never blocks
            self._thread.join()

    def _finish(self) -> None:
        assert self._proc is not None
        if self.n_frames == 0:
            raise EncodeError(f"no frames were written to {self.path.name}; fix: write at least one frame")
        self._stop_feeder()
        try:
            code = self._proc.wait(timeout=FFMPEG_EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            raise self._encode_error("ffmpeg hung while finishing the video") from None
        if self._error is not None or code != 0:
            raise self._encode_error("ffmpeg could not encode the video")
        if self._has_audio and self._wav is None:
            raise EncodeError(f"{self.path.name} was opened for audio given later, and none was given; "
                              "fix: call set_audio() before the `with` block ends")
        try:
            result = self._mux() if self._has_audio else self._video_tmp
            publish(result, self.path)
        except OSError as e:  # writing the audio track or moving the file into place
            raise EncodeError(f"could not write {self.path.name}: {_os_cause(e)}") from e
        self._temps.remove(result)
        self._cleanup()

    def _mux(self) -> Path:
        """Pass 2: video copied, audio padded with silence (apad) or cut to exactly n_frames / fps, as
        AAC; faststart, metadata."""
        wav = self._wav
        out = self._temp(".mp4")
        duration = str(float(self.n_frames / self.fps))
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "warning", "-y",
               "-i", str(self._video_tmp), "-i", str(wav),
               "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-af", "apad",
               "-c:a", "aac", "-b:a", AAC_BITRATE, "-ar", str(AAC_RATE_HZ), "-ac", "1",
               "-t", duration, *self._final_args(), "-f", "mp4", str(out)]
        self._proc = self._start(cmd, stdin=subprocess.DEVNULL)
        try:
            code = self._proc.wait(timeout=FFMPEG_EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            raise self._encode_error("ffmpeg hung while adding the audio") from None
        if code != 0:
            raise self._encode_error("ffmpeg could not add the audio")
        return out

    def _abort(self) -> None:
        """Kill ffmpeg, stop the writer thread, delete every temp file."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        self._stop_feeder()
        self._cleanup()

    def _cleanup(self) -> None:
        for p in self._temps:
            p.unlink(missing_ok=True)
        self._temps.clear()


def _mono(audio: Samples) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise EncodeError(f"audio must be mono (N,) samples, got shape {audio.shape}; fix: mix it down")
    return audio


def _write_wav(path: Path, samples: np.ndarray, rate_hz: int) -> None:
    """16-bit mono WAV, converted a block at a time (a 10-minute track needs no full-length copies)."""
    block = WAV_BLOCK_S * rate_hz
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        for start in range(0, len(samples), block):
            chunk = np.nan_to_num(samples[start:start + block])
            w.writeframes((np.clip(chunk, -1.0, 1.0) * PCM_MAX).astype("<i2").tobytes())


# ---------------------------------------------------------------- probing and reading

_STREAM_RE = re.compile(r"^\s*Stream #0:(\d+)(?:\[[^\]]*\])?(?:\([^)]*\))?: (\w+): (\w+)(.*)$")
_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_SIZE_RE = re.compile(r", (\d{2,5})x(\d{2,5})[ ,\[]")
_FPS_RE = re.compile(r", (\d+(?:\.\d+)?) fps")
_HZ_RE = re.compile(r", (\d+) Hz")
_META_RE = re.compile(r"^(\s+)(\w[\w-]*)\s*: (.*)$")
_TB_RE = re.compile(r"^#tb (\d+): (\d+)/(\d+)")


def probe(path: Path | str) -> MediaInfo:
    """Streams, sizes, rates, per-stream durations and container metadata of a media file.

    imageio-ffmpeg ships no ffprobe: the header comes from `ffmpeg -i`, the exact per-stream
    durations from a packet listing (`-c copy -f framecrc`, no decoding).
    """
    path = Path(path)
    if not path.is_file():
        raise EncodeError(f"cannot probe {path}: no such file")
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                          capture_output=True, text=True, encoding="utf-8", errors="replace")
    lines = proc.stderr.splitlines()
    if not any("Input #0" in ln for ln in lines):
        raise EncodeError(f"cannot probe {path}: ffmpeg cannot read it as media\n" + "\n".join(lines[-5:]))
    container_s, metadata, raw_streams = _parse_header(lines)
    durations = _stream_durations(path)
    streams = tuple(
        StreamInfo(index=i, kind=kind, codec=codec,
                   width_px=int(m.group(1)) if (m := _SIZE_RE.search(rest)) and kind == "video" else None,
                   height_px=int(m.group(2)) if m and kind == "video" else None,
                   fps=float(f.group(1)) if (f := _FPS_RE.search(rest)) else None,
                   rate_hz=int(h.group(1)) if (h := _HZ_RE.search(rest)) else None,
                   duration_s=durations.get(i))
        for i, kind, codec, rest in raw_streams)
    return MediaInfo(path=path, duration_s=container_s, streams=streams, metadata=metadata)


def _parse_header(lines: list[str]) -> tuple[float | None, dict[str, str], list[tuple[int, str, str, str]]]:
    """Container duration, container metadata and (index, kind, codec, details) per stream."""
    duration_s = None
    metadata: dict[str, str] = {}
    streams = []
    in_input = in_meta = False
    for ln in lines:
        if ln.startswith("Input #0"):
            in_input = True
            continue
        if not in_input:
            continue
        if ln.startswith("Output") or (ln and not ln.startswith(" ")):
            break
        if (d := _DURATION_RE.search(ln)) is not None:
            duration_s = int(d.group(1)) * 3600 + int(d.group(2)) * 60 + float(d.group(3))
            in_meta = False
        elif (s := _STREAM_RE.match(ln)) is not None:
            streams.append((int(s.group(1)), s.group(2).lower(), s.group(3), s.group(4)))
            in_meta = False
        elif ln.strip() == "Metadata:" and not streams and duration_s is None:
            in_meta = True
        elif in_meta and (m := _META_RE.match(ln)) is not None:
            metadata[m.group(2)] = m.group(3).strip()
    return duration_s, metadata, streams


def _stream_durations(path: Path) -> dict[int, float]:
    """Exact per-stream durations from packet timestamps: max(pts + duration) - min(pts)."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
                           "-map", "0", "-c", "copy", "-f", "framecrc", "-"],
                          capture_output=True, text=True, encoding="utf-8", errors="replace")
    timebase: dict[int, Fraction] = {}
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for ln in proc.stdout.splitlines():
        if ln.startswith("#"):
            if (m := _TB_RE.match(ln)) is not None:
                timebase[int(m.group(1))] = Fraction(int(m.group(2)), int(m.group(3)))
            continue
        parts = [p.strip() for p in ln.split(",")]
        if len(parts) < 5:
            continue
        idx, pts, dur = int(parts[0]), int(parts[2]), int(parts[3])
        first[idx] = min(first.get(idx, pts), pts)
        last[idx] = max(last.get(idx, pts + dur), pts + dur)
    return {i: float((last[i] - max(first[i], 0)) * timebase[i]) for i in last if i in timebase}


class _FrameSizeNote(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("The frame size for reading")


def quiet_frame_size_note() -> None:
    """Filter out imageio-ffmpeg's "The frame size for reading … is different from the source frame size":
    ffmpeg scales (a background clip fitted to the canvas) or turns (a rotation tag) the picture because
    we ask it to, so the line is noise on stderr. Its other messages pass. Installed once per process."""
    log = logging.getLogger("imageio_ffmpeg")
    if not any(isinstance(f, _FrameSizeNote) for f in log.filters):
        log.addFilter(_FrameSizeNote())


def read_frames(path: Path | str, size: tuple[int, int] | None = None, start: int = 0,
                fps: float = 25, filters: str | None = None) -> Iterator[Frame]:
    """Decode a video into RGB uint8 frames, one at a time, from frame `start` (seeking at `fps`).

    A generator: close() it to stop early. `size` overrides the size ffmpeg reports (for a
    normalised clip whose size is known); `filters` is an ffmpeg -vf chain run in ffmpeg before
    the frames reach Python (e.g. a scale to `size`)."""
    params = ["-ss", f"{max(start - 0.5, 0) / fps:.6f}"] if start > 0 else None
    gen = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24", input_params=params,
                                     output_params=["-vf", filters] if filters else None)
    try:
        meta = next(gen)
        w, h = size or meta["size"]
        for buf in gen:
            yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)
    finally:
        gen.close()
