"""Script parsing: plain text or Markdown (with YAML front matter) → Script of sentences.

No audio, no video: just text, language and the pauses between sentences.
A Markdown `# heading` (or, in plain text, a short first line followed by a blank line)
is the title shown on screen, not read aloud. `[pause 0.5s]` inserts a pause.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import yaml

from .errors import ScriptError

SENTENCE_PAUSE_MS = 350    # silence after a sentence: long enough for the mouth to close (> 0.2 s)
PARAGRAPH_PAUSE_MS = 650   # silence after a paragraph
MAX_CHARS = 20_000         # a longer script is refused (about an hour of speech)
MAX_TITLE_CHARS = 40

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# A sentence ends after 。！？；… (with closing quotes), or after . ! ? ; followed by a space or the end.
_SENTENCE_END = re.compile(r"([。！？；…]+[”’」』）)]*|[.!?]+[\"'”’)]*(?=\s|$))")
# An English full stop after these does not end a sentence.
_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|e\.g|i\.e|No|Fig)|\b[A-Z])\.$")
_PAUSE = re.compile(r"\[pause\s+(\d+(?:\.\d+)?)\s*(ms|s)?\]", re.IGNORECASE)
_MARKDOWN_INLINE = re.compile(r"(\*\*|__|\*|`)")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


@dataclass(frozen=True)
class Sentence:
    """One utterance: synthesised in one go, followed by `pause_after_ms` of silence."""

    text: str
    pause_after_ms: int
    paragraph: int


@dataclass(frozen=True)
class Script:
    """A parsed script: title (on screen), language ("zh" or "en"), sentences, front-matter fields."""

    title: str
    language: str
    sentences: tuple[Sentence, ...]
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.sentences)


def load_script(path: str | Path) -> Script:
    """Read and parse a script file (UTF-8 plain text or Markdown)."""
    p = Path(path)
    if not p.is_file():
        raise ScriptError(f"script file {str(p)!r} does not exist: check the path")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScriptError(f"script file {str(p)!r} is not UTF-8 text ({e.reason} at byte {e.start}): "
                          "save it as UTF-8") from e
    return parse_script(text, source=str(p))


def parse_script(text: str, *, source: str = "script") -> Script:
    """Parse script text into sentences; ScriptError if nothing speakable is left."""
    if len(text) > MAX_CHARS:
        raise ScriptError(f"{source} has {len(text)} characters, more than the limit of {MAX_CHARS}: "
                          "split it into several videos")
    fields, body = _front_matter(text, source)
    title, paragraphs = _title_and_paragraphs(body)
    sentences: list[Sentence] = []
    for pi, para in enumerate(paragraphs):
        para_sentences = _split_paragraph(para, pi)
        if para_sentences:
            last = para_sentences[-1]
            para_sentences[-1] = Sentence(last.text, max(last.pause_after_ms, PARAGRAPH_PAUSE_MS), pi)
        sentences += para_sentences
    if not sentences:
        raise ScriptError(f"{source} has no text to speak: write at least one sentence"
                          + (" below the title" if title else ""))
    title = title or str(fields.get("headline", "")) or _shorten(sentences[0].text)
    return Script(title, detect_language(" ".join(s.text for s in sentences)), tuple(sentences),
                  {k: str(v) for k, v in fields.items()})


def detect_language(text: str) -> str:
    """"zh" when Chinese characters make up a fair share of the letters, else "en"."""
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    return "zh" if cjk and cjk * 3 >= latin else "en"


def _front_matter(text: str, source: str) -> tuple[dict, str]:
    if not text.startswith("---"):
        return {}, text
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise ScriptError(f"{source}: front matter starts with '---' but never ends: add a closing '---' line")
    try:
        data = yaml.safe_load(parts[0][3:]) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or "syntax error"
        raise ScriptError(f"{source}: front matter is not valid YAML{where} ({problem}): "
                          "fix it or remove it") from e
    if not isinstance(data, dict):
        raise ScriptError(f"{source}: front matter must be 'key: value' lines")
    return data, parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""


def _title_and_paragraphs(body: str) -> tuple[str, list[str]]:
    lines = [_clean(line) for line in body.replace("\r\n", "\n").split("\n")]
    title = ""
    paragraphs: list[str] = []
    current: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#"):
            heading = stripped.lstrip("#").strip()
            if not title and stripped.startswith("# "):
                title = heading
            elif heading:  # a story heading (##) starts a new paragraph but is not read
                if current:
                    paragraphs.append(" ".join(current))
                current = []
            continue
        if not stripped:
            if current:
                paragraphs.append(" ".join(current))
            current = []
            continue
        current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    if not title and len(paragraphs) > 1 and _looks_like_title(paragraphs[0]):
        title = paragraphs.pop(0)
    return title, paragraphs


def _looks_like_title(line: str) -> bool:
    return len(line) <= MAX_TITLE_CHARS and not _SENTENCE_END.search(line) and not line.endswith(("，", ","))


def _clean(line: str) -> str:
    """Drop Markdown inline marks, images, control characters and symbols no voice can read (emoji)."""
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _MARKDOWN_INLINE.sub("", line)
    return "".join(ch for ch in line if _speakable(ch))


def _speakable(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return not (cat.startswith("C") or cat == "So" or cat == "Sk") or ch in "\t"


def _split_paragraph(para: str, paragraph: int) -> list[Sentence]:
    out: list[Sentence] = []
    for chunk_text, pause_ms in _pause_chunks(para):
        pieces = _SENTENCE_END.split(chunk_text)
        # split() with one group alternates text, terminator, text, terminator, ...
        texts = ["".join(pieces[i:i + 2]).strip() for i in range(0, len(pieces), 2)]
        texts = _merge_abbreviations([t for t in texts if t])
        texts = [t for t in texts if _has_words(t)]
        for j, t in enumerate(texts):
            last = j == len(texts) - 1
            out.append(Sentence(t, pause_ms if last and pause_ms else SENTENCE_PAUSE_MS, paragraph))
    return out


def _merge_abbreviations(texts: list[str]) -> list[str]:
    out: list[str] = []
    for t in texts:
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {t}"
        else:
            out.append(t)
    return out


def _pause_chunks(para: str) -> list[tuple[str, int]]:
    """Split at `[pause Ns]` marks: (text, pause after it in ms, 0 when none)."""
    chunks, pos = [], 0
    for m in _PAUSE.finditer(para):
        value = float(m.group(1))
        ms = int(value if (m.group(2) or "s").lower() == "ms" else value * 1000)
        chunks.append((para[pos:m.start()], min(ms, 10_000)))
        pos = m.end()
    chunks.append((para[pos:], 0))
    return chunks


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _shorten(text: str) -> str:
    text = _SENTENCE_END.sub("", text).strip("，, ")
    return text if len(text) <= MAX_TITLE_CHARS else text[:MAX_TITLE_CHARS - 1] + "…"
