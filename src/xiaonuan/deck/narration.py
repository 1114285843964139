"""What is said over each page of a deck, turned into the project's Script (one `##` story per narrated page),
so speech, subtitles, SRT/VTT and the cover work as for any script.

The narration of a page is, in this order: its section of a companion script (`## 第3页` or `[slide 3]` on a
line of its own), else its PPTX speaker notes, else — only when the deck has neither — its own text read as
bullets (a fallback, and the render says so). A page with no narration is shown for the template's hold time
after the page before it (its silence is added to that page's last pause).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from ..errors import ScriptError
from ..script import MAX_TITLE_CHARS, Script, parse_script
from .pdf import Page

# `## 第3页`, `## 第 3 页 标题`, `# Slide 3`, or `[slide 3]` / `[第3页]` alone on its line
_PAGE_MARK = re.compile(r"^[ \t]*(?:#{1,3}[ \t]*(?:第[ \t]*(\d+)[ \t]*页|slide[ \t]+(\d+))[^\n]*"
                        r"|\[[ \t]*(?:slide[ \t]+(\d+)|第[ \t]*(\d+)[ \t]*页)[ \t]*\][ \t]*)$", re.IGNORECASE | re.MULTILINE)
_HEADING = re.compile(r"^[ \t]*#+[ \t]*", re.MULTILINE)  # a heading inside a page's narration is read as text
# letters the voices read: Latin and Chinese (and their full-width forms); any other script is misread or skipped
_SPOKEN_SCRIPTS = ("LATIN", "CJK", "FULLWIDTH")
FOREIGN_SHARE_MAX = 0.3  # more of a page's letters than this in another script: the page cannot be spoken
NO_TEXT = "no text to speak"  # parse_script's message for a text with nothing to say


@dataclass(frozen=True)
class DeckScript:
    """The deck's narration as a Script, and which pages each story shows: story k shows pages
    story_pages[k][0] (narrated), then story_pages[k][1:] (pages without narration, each for hold_s)."""

    script: Script
    story_pages: tuple[tuple[int, ...], ...]  # page indices, from 0
    hold_s: float
    source: str  # "script", "notes" or "page text": where the narration came from
    warnings: tuple[str, ...] = ()


def deck_script(pages: Sequence[Page], *, title: str, deck_source: str, hold_s: float,
                companion: str | None = None, companion_source: str = "", base_dir: Path | None = None) -> DeckScript:
    """The narration of `pages` as a DeckScript (ScriptError for a companion script that does not fit the deck,
    narration in a language no voice speaks, or a deck with nothing to say)."""
    warnings: list[str] = []
    front = ""
    if companion is not None:
        front, texts = _sections(companion, len(pages), companion_source)
        source = "script"
    elif any(p.notes for p in pages):
        texts = [p.notes for p in pages]
        source = "notes"
    else:
        texts = [_bullets(p.text) for p in pages]
        source = "page text"
        if any(texts):
            warnings.append(f"deck {deck_source!r} has no speaker notes and no companion script: each page's own "
                            "text is read as bullets (a fallback); add speaker notes, or a script with one "
                            "`## 第N页` section per page")
    texts = [_HEADING.sub("", t).strip() for t in texts]
    said = [_speakable(t, f"{companion_source or deck_source}, page {p.number}") for t, p in zip(texts, pages)]
    first = next((i for i, ok in enumerate(said) if ok), None)
    if first is not None and source != "page text":  # pages before the first narrated one: their own text
        for i in range(first):
            bullets = _bullets(pages[i].text)
            if bullets and _speakable(bullets, f"{deck_source}, page {i + 1}"):
                texts[i], said[i] = bullets, True
                warnings.append(f"page {i + 1} has no narration and comes first: its own text is read (a "
                                "fallback); give it speaker notes or a section in the companion script")
        first = next(i for i, ok in enumerate(said) if ok)
    if first is None:
        raise ScriptError(f"deck {deck_source!r} has nothing to say: no page has speaker notes, a companion-script "
                          "section or text; add speaker notes, or a script with one `## 第N页` section per page")
    for i in range(first):
        warnings.append(f"page {i + 1} has no narration and no text, and comes before any narrated page: it is "
                        "not shown; give it speaker notes or a section in the companion script")
    for t, p in zip(texts, pages):
        _check_language(t, f"{companion_source or deck_source}, page {p.number}", warnings)
    story_pages: list[list[int]] = []
    body = [f"# {_clean_heading(title) or '演示'}", ""]
    for i, p in enumerate(pages):
        if said[i]:
            story_pages.append([i])
            body += [f"## {_clean_heading(_first_line(p.text)) or f'第{p.number}页'}", "", texts[i], ""]
        elif i > first:
            story_pages[-1].append(i)
    script = parse_script(front + "\n".join(body), source=companion_source or deck_source, base_dir=base_dir)
    if len(script.stories) != len(story_pages):  # every narrated page was checked to say something on its own
        raise AssertionError(f"{len(script.stories)} stories for {len(story_pages)} narrated pages")
    script = _with_holds(script, [len(sp) - 1 for sp in story_pages], hold_s)
    return DeckScript(script, tuple(tuple(sp) for sp in story_pages), hold_s, source, tuple(warnings))


def _sections(text: str, n_pages: int, source: str) -> tuple[str, list[str]]:
    """(front matter, one text per page) of a companion script; ScriptError for a page it does not have."""
    front = ""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end < 0:
            raise ScriptError(f"{source}: front matter starts with '---' but never ends: add a closing '---' line")
        end = text.find("\n", end + 4)
        front, text = (text, "") if end < 0 else (text[:end + 1], text[end + 1:])
    marks = list(_PAGE_MARK.finditer(text))
    if not marks:
        raise ScriptError(f"{source} has no page sections: start each page's narration with a line `## 第1页` "
                          "(or `[slide 1]`)")
    texts = [""] * n_pages
    seen: set[int] = set()
    for j, m in enumerate(marks):
        n = int(next(g for g in m.groups() if g))
        line = text.count("\n", 0, m.start()) + 1 + front.count("\n")
        if not 1 <= n <= n_pages:
            raise ScriptError(f"{source}, line {line}: page {n} is not in the deck (it has {n_pages} pages): "
                              "fix the page number")
        if n in seen:
            raise ScriptError(f"{source}, line {line}: page {n} has a second section: merge them into one")
        seen.add(n)
        texts[n - 1] = text[m.end():marks[j + 1].start() if j + 1 < len(marks) else len(text)].strip()
    return front, texts


def _speakable(text: str, where: str) -> bool:
    """Whether `text` says anything; ScriptError (with the page) for a marker it cannot read."""
    if not text.strip():
        return False
    try:
        parse_script(text, source=where)
    except ScriptError as e:
        if NO_TEXT in str(e):
            return False
        raise
    return True


def _check_language(text: str, where: str, warnings: list[str]) -> None:
    """ScriptError when most of a page's letters are in a script no voice reads (Korean, Russian, Arabic …); a
    warning when a few are (they are skipped or misread)."""
    letters = [c for c in text if c.isalpha()]
    foreign = [c for c in letters if unicodedata.name(c, "?").split(" ")[0] not in _SPOKEN_SCRIPTS]
    if not foreign:
        return
    kinds = sorted({unicodedata.name(c, "?").split(" ")[0].title() for c in foreign})
    sample = "".join(foreign[:8])
    if len(foreign) > FOREIGN_SHARE_MAX * len(letters):
        raise ScriptError(f"{where}: the narration is in {', '.join(kinds)} script ({sample}…), which the voices "
                          "(Mandarin and English) cannot speak: translate it, or give a companion script")
    warnings.append(f"{where}: {len(foreign)} letters in {', '.join(kinds)} script ({sample}) are skipped or "
                    "misread by the voice: write them in Chinese or English")


def _with_holds(script: Script, holds: Sequence[int], hold_s: float) -> Script:
    """Each story's last sentence followed by hold_s of silence per page shown after it without narration."""
    sentences = list(script.sentences)
    for k, n in enumerate(holds):
        if n:
            last = max(i for i, s in enumerate(sentences) if s.story == k)
            sentences[last] = replace(sentences[last],
                                      pause_after_ms=sentences[last].pause_after_ms + round(n * hold_s * 1000))
    return replace(script, sentences=tuple(sentences))


def _bullets(text: str) -> str:
    """A page's text as Markdown bullets, one per line (what the fallback reads)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(f"- {line}" for line in lines if line)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _clean_heading(text: str) -> str:
    """A page title usable as a `##` heading: no braces (story attributes), no marks, one line, not too long."""
    text = re.sub(r"[{}#*_`\[\]]", "", " ".join(text.split()))
    return text[:MAX_TITLE_CHARS].strip()
