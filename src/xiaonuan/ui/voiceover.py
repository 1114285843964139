"""The Create tab's voice-over (issue #16): a recording made with the microphone or uploaded, which the
presenter then says, and the line that tells how well the script was found in it.

The page only turns the recording into a `recorded:` voice and the result into text; aligning and
transcribing are render()'s (speech/recorded.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LABEL = "配音 Voice-over (录音或上传 record or upload; 无稿件则自动转写 no script: transcribed)"


def voiceover_input(gr) -> Any:
    """The audio box: record with the microphone or upload a file (WAV, MP3, a clip's sound: any format the
    voice-over reads); handed over as a file path. Left empty, the voice menu's voice speaks the script."""
    return gr.Audio(sources=["microphone", "upload"], type="filepath", label=LABEL, elem_id="voiceover")


def recorded_voice(recording: str | Path | None) -> str | None:
    """The render's voice for a recording from the audio box (None: no recording, the voice menu decides)."""
    if not recording or not str(recording).strip():
        return None
    return f"recorded:{recording}"


def timing_note(result: Any) -> str:
    """What the alignment made of a voice-over: aligned (the mouth follows the script's sounds) or estimated
    (the script was not found in the recording: the mouth follows its loudness), with the confidence, and
    the transcript when there was no script. Empty for a synthesised voice (its timing is exact)."""
    if not str(getattr(result, "voice", "")).startswith("recorded:"):
        return ""
    conf = getattr(result, "confidence", None)
    how = f" · 置信度 confidence {conf:.2f}" if conf is not None else ""
    if result.timing == "aligned":
        line = f"🎙 配音已对齐 Voice-over **aligned** to the script{how}"
    else:
        line = (f"🎙 配音时间为估计 Voice-over timing **{result.timing}**{how}: the script was not found in the "
                "recording, so the mouth follows its loudness. 稿件与录音不符时，口型只跟随音量。")
    if getattr(result, "transcript", ""):
        line += ("\n\n📝 转写 Transcript (可复制到稿件中修改后重新生成 copy it into the script, correct it and render "
                 f"again):\n\n> {result.transcript}")
    return line
