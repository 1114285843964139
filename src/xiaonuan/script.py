"""Script parsing: plain text or Markdown (with YAML front matter) → Script of sentences and stories.

No audio, no video: just text, language and the pauses between sentences. The markup authors use:

    ---                                   front matter (YAML): template variables
    name: 小暖                             (name, title, date, ticker, channel …), `voice` and
    ticker: 今日天气晴 · 明日有小雨             `expression` (the default preset: neutral, warm or serious)
    lexicon: {zh: {单先生: shan4 xian1 sheng5}}  this script's pronunciations (lexicon.yaml's format; Script.lexicon)
    ---
    # 本周要闻                              the title: shown as the headline, not read aloud
    ## 花展开幕 {name: 李明, title: 记者}     a story: its own headline (and lower-third fields)
    本市花展今天**开幕**。[pause 0.5s]       sentences; **emphasis**; an extra pause ([pause]: 1 s; ≤ 10 s)
    > The flower show opened today.        English line for the sentence(s) above (bilingual subtitles)
    - 一百多个品种                           a bullet: spoken, and shown on the slide panel as it is spoken
    ![展区地图](map.png)                    a slide image (relative to the script file), shown with the next sentence
    ## 获奖名单 {expression: warm}           a story in its own expression preset
    [expression serious] 下面是一则提醒。    the expression from here on (to the next marker or story heading)

In plain text, a short first line followed by a blank line is the title.

Expressions change only between sentences (the face eases in the pause before one): a marker before a
sentence's first word sets that sentence, a marker after it (mid-sentence or at its end) the next one.
Each `##` story starts again from its `{expression: …}` or the default (front matter, else the template).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

import yaml

from .errors import ScriptError
from .saferead import image_problem, load_yaml, read_text
from .lexicon import front_matter_lexicon
from .motion.expression import EXPRESSIONS

if TYPE_CHECKING:
    from .lexicon import Lexicon

SENTENCE_PAUSE_MS = 350    # silence after a sentence: long enough for the mouth to close (> 0.2 s)
PARAGRAPH_PAUSE_MS = 650   # silence after a paragraph
DEFAULT_PAUSE_MS = 1000    # [pause] without a length
MAX_PAUSE_MS = 10_000      # the longest [pause …]
MAX_CHARS = 20_000         # a longer script is refused (about an hour of speech)
MAX_TITLE_CHARS = 40

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
# A sentence ends after 。！？；… (with closing quotes), or after . ! ? ; followed by a space or the end.
_SENTENCE_END = re.compile(r"([。！？；…]+[”’」』）)]*|[.!?]+[\"'”’)]*(?=\s|$))")
# An English full stop after these does not end a sentence.
_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|e\.g|i\.e|No|Fig|Gov|Sen|Rep|Gen|Lt|Col|"
                           r"Capt|Sgt|Rev|Hon|Pres|Mt)|\b[A-Z])\.$")
# "Jan. 5": a month's abbreviation before a day is not a sentence end either
_MONTH_ABBREVIATION = re.compile(r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$")
_PAUSE = re.compile(r"\[\s*pause(?:\s+(\d+(?:\.\d+)?)\s*(ms|s)?)?\s*\]", re.IGNORECASE)  # [pause], [pause 0.5s]
# every [pause …] is meant as a marker, and one left open at the end of the line too: each must read (checked)
# (up to the first "]", so "[pause [pause 1s]]" is one marker that does not read, not a pause plus "[pause" spoken)
_PAUSE_LIKE = re.compile(r"\[\s*pause\b[^\]]*(?:\]|$)", re.IGNORECASE)
_EXPRESSION_OPEN = re.compile(r"\[\s*expression\b[^\[\]]*$", re.IGNORECASE)  # [expression warm, never closed
_BRACKET_WORD = re.compile(r"\[\s*([A-Za-z]{4,})\b")  # [pasue 1s], [expresion warm]: a misspelt marker
MARKERS = {"pause": "[pause 1s]", "expression": "[expression warm]"}
_EXPRESSION = re.compile(r"\[expression\b([^\]]*)\]", re.IGNORECASE)  # [expression warm]; the name is checked
_EXPRESSION_SPACED = re.compile(r"(\s*)(?:\[expression\b[^\]]*\])+(\s*)", re.IGNORECASE)  # markers, for removal
_MARKDOWN_INLINE = re.compile(r"(\*\*|__|\*|`)")
# HTML pasted from a web editor: comments go whole, <b>/<strong> become **emphasis**, <br> a space, other tags
# (<span …>, <p>) nothing; only tag-like text (a letter after "<") is touched, so "a < b" stays
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_HIDDEN = re.compile(r"<(style|script|head|noscript|template)\b[^<>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_STRONG = re.compile(r"</?(?:b|strong)\s*>", re.IGNORECASE)
_HTML_BREAK = re.compile(r"<(?:br|p|div)\b[^<>]*>|</(?:p|div)\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*\b[^<>]*>")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_IMAGE_REF = re.compile(r"!\[([^\]]*)\]\(([^)\s]*)\)")
_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_STORY_ATTRS = re.compile(r"\s*(\{[^{}]*\})\s*$")
_BULLET = re.compile(r"^(?:[-*+]|\d{1,2}[.)])\s+")
_TABLE_ROW = re.compile(r"^\|.*\|$")                        # a Markdown table's row: | 北京 | 5℃ |
_TABLE_RULE = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+$")          # and the rule under its header: |---|:--:|
# symbols (Unicode "So") that the voice reads, through normalize.py's unit tables; other symbols, emoji among
# them, are dropped from the text and the subtitles
_READ_SYMBOLS = frozenset("℃℉°㎡")
EMPH_OPEN, EMPH_CLOSE = "\ue000", "\ue001"  # private-use marks that carry **emphasis** through splitting
STORY_FIELDS = frozenset({"name", "title", "headline", "expression"})  # what a `## story {…}` may set


@dataclass(frozen=True)
class Sentence:
    """One utterance: synthesised in one go, followed by `pause_after_ms` of silence."""

    text: str
    pause_after_ms: int
    paragraph: int
    story: int = 0  # index into Script.stories
    emphasis: tuple[tuple[int, int], ...] = ()  # [start, end) character spans of text marked **…**
    translation: str = ""  # the English line given with `> …` (bilingual subtitles)
    bullet: bool = False  # spoken from a `- ` list item: also a bullet on the slide panel
    expression: str = ""  # preset from [expression …] or the story's {expression: …}; "" = the default


@dataclass(frozen=True)
class SlideItem:
    """Something on the slide panel that appears when sentence `sentence` starts being spoken."""

    kind: str  # "bullet" | "image"
    sentence: int  # index into Script.sentences
    text: str = ""  # bullet text or image caption
    image: Path | None = None


@dataclass(frozen=True)
class Story:
    """A `## heading` section: its headline, per-story fields (name, title) and slide items."""

    headline: str
    first_sentence: int
    fields: Mapping[str, str] = field(default_factory=dict)
    slides: tuple[SlideItem, ...] = ()


@dataclass(frozen=True)
class Script:
    """A parsed script: title (on screen), language ("zh" or "en"), sentences, front-matter fields, stories."""

    title: str
    language: str
    sentences: tuple[Sentence, ...]
    fields: Mapping[str, str] = field(default_factory=dict)
    stories: tuple[Story, ...] = ()  # at least one after parse_script (the whole script when it has no ##)
    lexicon: "Lexicon | None" = None  # the front matter's `lexicon:` block: this script's pronunciations

    @property
    def bilingual(self) -> bool:
        return any(s.translation for s in self.sentences)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.sentences)


def load_script(path: str | Path) -> Script:
    """Read and parse a script file (UTF-8 plain text or Markdown)."""
    p = Path(path)
    text = read_text(p, "script file", ScriptError)  # a regular file under the size cap (not a FIFO, not /dev/zero)
    return parse_script(text, source=str(p), base_dir=p.parent)


def parse_script(text: str, *, source: str = "script", base_dir: str | Path | None = None) -> Script:
    """Parse script text into sentences and stories; ScriptError if nothing speakable is left.

    Slide images are resolved against `base_dir` (the script's folder; default: the current
    folder) and may not leave it.
    """
    if len(text) > MAX_CHARS:
        raise ScriptError(f"{source} has {len(text)} characters, more than the limit of {MAX_CHARS}: "
                          "split it into several videos")
    fields, body, front = _front_matter(text, source)
    first_line = text.count("\n", 0, len(text) - len(body)) + 1  # the body's first line in the file
    for hidden in (_HTML_COMMENT, _HTML_HIDDEN):  # comments, CSS, scripts: never read; line numbers stay right
        body = hidden.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    lexicon = _front_matter_lexicon(fields.pop("lexicon", None), front, source)
    if "expression" in fields:
        _check_expression(fields["expression"], f"{source}: front matter expression", "expression: warm")
    title, blocks, heads = _title_and_blocks(body, source, first_line)
    story_expressions = [""] + [attrs.get("expression", "") for _, attrs in heads]
    sentences: list[Sentence] = []
    pending: dict[int, list[SlideItem]] = {}
    story, expression = -1, ""
    for b in blocks:
        if b.story != story:  # each story starts from its own {expression: …} or the default
            story, expression = b.story, story_expressions[b.story]
        if b.images:
            pending.setdefault(b.story, []).extend(
                SlideItem("image", len(sentences), cap, _slide_path(src, base_dir, where)) for cap, src, where in b.images)
        new, lead_ms = _split_paragraph(b.text, b.paragraph) if b.text else ([], 0)
        if lead_ms and sentences:
            sentences[-1] = replace(sentences[-1], pause_after_ms=max(sentences[-1].pause_after_ms, lead_ms))
        en = _split_translation(b.translation, len(new))
        for j, s in enumerate(new):
            text, here, expression = _take_expressions(s.text, expression)
            clean, spans = _strip_emphasis(text)
            sentences.append(Sentence(clean, s.pause_after_ms, b.paragraph, b.story, spans, en[j], b.bullet, here))
        if not new:  # a block of markers only: they apply from the next sentence on
            _, _, expression = _take_expressions(b.text, expression)
    # a paragraph's last sentence gets the longer pause
    for i, s in enumerate(sentences):
        if i + 1 == len(sentences) or sentences[i + 1].paragraph != s.paragraph:
            sentences[i] = replace(s, pause_after_ms=max(s.pause_after_ms, PARAGRAPH_PAUSE_MS))
    if not sentences:
        raise ScriptError(f"{source} has no text to speak: write at least one sentence"
                          + (" below the title" if title else ""))
    title = title or str(fields.get("headline", "")) or _shorten(sentences[0].text)
    stories = _stories(heads, sentences, pending, title)
    return Script(title, detect_language(" ".join(s.text for s in sentences)), tuple(sentences),
                  {k: str(v) for k, v in fields.items()}, stories, lexicon)


@dataclass
class _Block:
    """Lines that are split into sentences together (a paragraph's text, or one bullet)."""

    text: str
    paragraph: int
    story: int
    bullet: bool = False
    translation: str = ""
    images: list[tuple[str, str, str]] = field(default_factory=list)  # (caption, path, its line) shown from here on


def _stories(heads: list[tuple[str, dict]], sentences: list[Sentence], pending: dict[int, list[SlideItem]],
             title: str) -> tuple[Story, ...]:
    """One Story per `##` heading that has sentences (or the whole script as one story)."""
    heads = [(title, {})] + heads  # story 0: the text before the first ## (if any)
    used = sorted({s.story for s in sentences})
    remap = {old: new for new, old in enumerate(used)}
    stories = []
    for old in used:
        headline, attrs = heads[old] if old < len(heads) else (title, {})
        first = next(i for i, s in enumerate(sentences) if s.story == old)
        last = max(i for i, s in enumerate(sentences) if s.story == old)
        items = [replace(it, sentence=min(it.sentence, last)) for it in pending.get(old, [])]
        items += [SlideItem("bullet", i, _bullet_text(s.text)) for i, s in enumerate(sentences)
                  if s.story == old and s.bullet]
        items.sort(key=lambda it: it.sentence)
        stories.append(Story(attrs.get("headline", headline or title), first,
                             {k: v for k, v in attrs.items() if k not in ("headline", "expression")}, tuple(items)))
    for i, s in enumerate(sentences):
        sentences[i] = replace(s, story=remap[s.story])
    return tuple(stories)


def _bullet_text(text: str) -> str:
    return text.rstrip("。．.！!；;，,：: ")


def _slide_path(src: str, base_dir: str | Path | None, source: str) -> Path:
    """A slide image path from the script: relative to the script's folder, never outside it. `source` says
    where it is written ("story.md, line 12")."""
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if re.match(r"[a-z][a-z0-9+.-]*://", src, re.IGNORECASE):  # nothing is fetched: the render works offline
        raise ScriptError(f"{source}: slide image {src!r} is a web address: download the picture into the "
                          "script's folder and give its file name")
    rel = Path(src)
    if not src or rel.is_absolute() or ".." in rel.parts:
        raise ScriptError(f"{source}: slide image {src!r} must be a path relative to the script's folder, "
                          "without '..': move the image next to the script")
    path = (base / rel).resolve()
    if not path.is_relative_to(base.resolve()):
        raise ScriptError(f"{source}: slide image {src!r} leaves the script's folder (through a link)")
    if not path.exists():  # a folder or a FIFO of that name is named as one by image_problem
        raise ScriptError(f"{source}: slide image {src!r} does not exist in {base}: check the file name")
    why = image_problem(path)  # a broken or oversized picture stops the render here with its name, not mid-way
    if why:
        raise ScriptError(f"{source}: slide image {src!r} {why}")
    return path


def emphasis_spans(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """`text` without its **…** (or __…__) marks, and the [start, end) spans they marked, as a script
    reads them (`xiaonuan say` uses it for one line). Example: emphasis_spans("我们**今天**去") == ("我们今天去", ((2, 4),))"""
    return _strip_emphasis(_mark_emphasis(text))


def _mark_emphasis(line: str) -> str:
    return _EMPHASIS.sub(lambda m: EMPH_OPEN + (m.group(1) or m.group(2)) + EMPH_CLOSE, line)


def _strip_emphasis(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Remove the emphasis marks from `text`; return it with the emphasised [start, end) spans."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for ch in text:
        if ch == EMPH_OPEN:
            start = len("".join(out)) if start is None else start
        elif ch == EMPH_CLOSE:
            if start is not None and len("".join(out)) > start:
                spans.append((start, len("".join(out))))
            start = None
        else:
            out.append(ch)
    clean = "".join(out)
    if start is not None and len(clean) > start:
        spans.append((start, len(clean)))
    return clean, tuple(spans)


def _split_translation(text: str, n: int) -> list[str]:
    """The English line split over `n` sentences: one sentence each when the counts match, else whole."""
    if not text or n == 0:
        return [""] * n
    parts = [p.strip() for p in _merge_abbreviations(
        ["".join(x) for x in _pairs(_SENTENCE_END.split(text))]) if p.strip()]
    return parts if len(parts) == n else [text.strip()] * n


def _pairs(pieces: list[str]) -> list[tuple[str, ...]]:
    return [tuple(pieces[i:i + 2]) for i in range(0, len(pieces), 2)]


def detect_language(text: str) -> str:
    """"zh" when Chinese characters make up a fair share of what is said, else "en". A character is one
    syllable and an English word one to three, so words are counted, not letters: "OpenAI发布ChatGPT。" is
    Chinese (the English voice says "Chinese letter" for each character; the Mandarin one reads English words)."""
    cjk, latin = len(_CJK.findall(text)), len(_LATIN_WORD.findall(text))
    return "zh" if cjk and cjk * 2 >= latin else "en"


def chinese_characters(text: str) -> str:
    """The Chinese characters in `text`, in order (what an English voice cannot read)."""
    return "".join(_CJK.findall(text))


def _front_matter(text: str, source: str) -> tuple[dict, str, str]:
    """(fields, body, the front matter's YAML text) of a script; ({}, text, "") without front matter."""
    if not text.startswith("---"):
        return {}, text, ""
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise ScriptError(f"{source}: front matter starts with '---' but never ends: add a closing '---' line")
    try:
        data = load_yaml(parts[0][3:]) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or "syntax error"
        raise ScriptError(f"{source}: front matter is not valid YAML{where} ({problem}): "
                          "fix it or remove it") from e
    if not isinstance(data, dict):
        raise ScriptError(f"{source}: front matter must be 'key: value' lines")
    return data, parts[1].split("\n", 1)[1] if "\n" in parts[1] else "", parts[0][3:]


def _front_matter_lexicon(data, front: str, source: str) -> "Lexicon | None":
    """The front matter's `lexicon:` block (same format as lexicon.yaml), checked; errors give the line
    (`front`: the front matter's YAML text, which starts on the file's first line)."""
    return None if data is None else front_matter_lexicon(data, front, source)


def _title_and_blocks(body: str, source: str, first_line: int = 1) -> tuple[str, list[_Block], list[tuple[str, dict]]]:
    """Title, the text blocks (with paragraph and story numbers) and the `##` story headings.

    `first_line`: the body's line number in the file (after any front matter), for error messages."""
    raw = body.replace("\r\n", "\n").split("\n")
    title = ""
    blocks: list[_Block] = []
    heads: list[tuple[str, dict]] = []
    head_lines: list[str] = []  # where each story heading is, for its errors
    current: list[str] = []
    paragraph = 0
    images: list[tuple[str, str, str]] = []

    def flush(new_paragraph: bool = True) -> None:
        nonlocal current, paragraph, images
        if current:
            blocks.append(_Block(" ".join(current), paragraph, len(heads), images=images))
            images = []
        current = []
        if new_paragraph and blocks and blocks[-1].paragraph == paragraph:
            paragraph += 1

    for number, line in enumerate(raw, first_line):
        stripped = line.strip()
        where = f"{source}, line {number}"
        for m in _EXPRESSION.finditer(stripped):
            _check_expression(_expression_name(m), f"{where}: {m.group(0)}", "[expression warm]")
        _check_marker_spelling(stripped, where)
        for m in _PAUSE_LIKE.finditer(stripped):
            ok = _PAUSE.fullmatch(m.group(0))
            if not ok:
                raise ScriptError(f"{where}: {m.group(0)} is not a pause this reads; write [pause] "
                                  f"({DEFAULT_PAUSE_MS} ms), [pause 0.5s] or [pause 800ms]")
            if _pause_ms(ok) > MAX_PAUSE_MS:
                raise ScriptError(f"{where}: {m.group(0)} is longer than the longest pause, "
                                  f"{MAX_PAUSE_MS // 1000} s; fix: shorten it, or split the script into two videos")
        if stripped.startswith("#"):
            heading = stripped.lstrip("#").strip()
            if _EXPRESSION.search(heading):
                raise ScriptError(f"{where}: a heading sets its expression as an attribute: "
                                  "## 标题 {expression: warm}")
            if not title and stripped.startswith("# "):
                title = _clean(heading).replace(EMPH_OPEN, "").replace(EMPH_CLOSE, "")
            elif heading:  # a story heading (##) starts a new story; it is shown, not read
                flush()
                heads.append(_story_heading(heading, where))
                head_lines.append(where)
            elif stripped.startswith("##"):
                raise ScriptError(f"{where}: an empty story heading: write its headline after the ##, e.g. ## 明日天气")
            continue
        if stripped.startswith(">"):
            flush(new_paragraph=False)
            if not blocks:
                raise ScriptError(f"{where}: a '>' translation line comes before any sentence: put it under the "
                                  "sentence it translates")
            en = _clean(stripped.lstrip(">").strip()).replace(EMPH_OPEN, "").replace(EMPH_CLOSE, "")
            blocks[-1].translation = (blocks[-1].translation + " " + en).strip()
            continue
        refs = [(m.group(1), m.group(2), where) for m in _IMAGE_REF.finditer(stripped)]
        if refs and current:  # a picture after some of a paragraph's text shows with the sentence after it, not the
            flush(new_paragraph=False)  # paragraph's first (each image/sentence pair without blank lines between)
        images += refs
        if not stripped:
            flush()
            continue
        if _TABLE_ROW.match(stripped):
            if not _TABLE_RULE.match(stripped):
                current.append(_table_row(stripped))
            continue
        if _BULLET.match(stripped):
            flush(new_paragraph=False)
            text = _clean(_BULLET.sub("", stripped, count=1)).strip()
            if text:
                blocks.append(_Block(text, paragraph, len(heads), bullet=True, images=images))
                images = []
            continue
        cleaned = _clean(stripped).strip()
        if cleaned:
            current.append(cleaned)
    flush()
    if images and blocks:  # images after the last sentence: shown with it
        blocks[-1].images += images
    for k, (head, where) in enumerate(zip(heads, head_lines), start=1):  # it vanished, its pictures went on
        if not any(b.story == k and b.text for b in blocks):
            raise ScriptError(f"{where}: the story {head[0]!r} has no text to say; write its sentences under the "
                              "heading (a picture is shown with the sentence after it), or remove the heading")
    if not title and not heads and len(blocks) > 1 and _looks_like_title(blocks[0].text) \
            and blocks[0].paragraph != blocks[1].paragraph and not blocks[0].bullet:
        title = blocks.pop(0).text.replace(EMPH_OPEN, "").replace(EMPH_CLOSE, "")
    # text before the first ## belongs to the first story; paragraphs are numbered 0, 1, 2 … again
    dense = {p: i for i, p in enumerate(sorted({b.paragraph for b in blocks}))}
    for b in blocks:
        b.paragraph = dense[b.paragraph]
    return title, blocks, heads


def _table_row(row: str) -> str:
    """A Markdown table row read as one sentence of its cells ('| 北京 | 5℃ |' → '北京，5℃。'), not as pipes."""
    cells = [c for c in (_clean(x).strip() for x in row.strip("|").split("|")) if c]
    if not cells:
        return ""
    zh = any(_CJK.search(c) for c in cells)
    text = ("，" if zh else ", ").join(cells)
    return text if _SENTENCE_END.search(text[-1]) else text + ("。" if zh else ".")


def _story_heading(heading: str, source: str) -> tuple[str, dict]:
    """'花展开幕 {name: 李明, title: 记者}' → ('花展开幕', {'name': '李明', 'title': '记者'})."""
    attrs: dict = {}
    m = _STORY_ATTRS.search(heading)
    if m is None and "{" in heading:
        raise ScriptError(f"{source}: story heading {heading!r} opens a '{{' it never closes: "
                          "## 标题 {name: 李明, title: 记者}")
    if m:
        try:
            attrs = load_yaml(m.group(1)) or {}
        except yaml.YAMLError:
            attrs = None  # type: ignore[assignment]
        if not isinstance(attrs, dict):
            raise ScriptError(f"{source}: story heading {heading!r}: the {{…}} part must be 'key: value' pairs, "
                              "e.g. ## 标题 {name: 李明, title: 记者}")
        bad = set(attrs) - STORY_FIELDS
        if bad:
            raise ScriptError(f"{source}: story heading {heading!r} sets {', '.join(sorted(map(str, bad)))}; "
                              f"a story may set only {', '.join(sorted(STORY_FIELDS))}")
        if "expression" in attrs:
            _check_expression(attrs["expression"], f"{source}: story heading {heading!r}", "## 标题 {expression: warm}")
        heading = heading[:m.start()]
    text = _clean(heading).replace(EMPH_OPEN, "").replace(EMPH_CLOSE, "").strip()
    return text, {k: str(v) for k, v in attrs.items()}


def _check_expression(name: object, what: str, example: str) -> None:
    """ScriptError naming `what` when `name` is not an expression preset."""
    if not isinstance(name, str) or name not in EXPRESSIONS:  # a list or a mapping is not hashable
        raise ScriptError(f"{what}: {name!r} is not an expression; use one of {', '.join(EXPRESSIONS)}, "
                          f"e.g. {example}")


def _check_marker_spelling(line: str, where: str) -> None:
    """ScriptError for a marker that would otherwise be read aloud: misspelt ([pasue 1s]) or never closed."""
    for m in _BRACKET_WORD.finditer(line):
        word = m.group(1).lower()
        near = next((k for k in MARKERS if k != word and difflib.SequenceMatcher(None, word, k).ratio() >= 0.75), None)
        if near:
            raise ScriptError(f"{where}: [{m.group(1)} … looks like a misspelt marker: write {MARKERS[near]}")
    m = _EXPRESSION_OPEN.search(line)
    if m:
        raise ScriptError(f"{where}: {m.group(0).strip()} has no closing ']': write {MARKERS['expression']}")


def _expression_name(m: re.Match) -> str:
    return m.group(1).strip().lower()


def _take_expressions(text: str, current: str) -> tuple[str, str, str]:
    """`text` without its [expression …] markers, the expression it is said in, and the one from the next
    sentence on. A marker before the first word sets this sentence; one after it, the next (the face
    changes only in the pause between sentences, never mid-word)."""
    blanked = _EXPRESSION.sub(lambda m: " " * len(m.group(0)), text)
    first_word = next((i for i, ch in enumerate(blanked) if ch.isalnum()), len(text))
    here, after = current, None
    for m in _EXPRESSION.finditer(text):
        if m.start() < first_word:
            here = _expression_name(m)
        else:
            after = _expression_name(m)
    clean = _EXPRESSION_SPACED.sub(lambda m: m.group(1) or m.group(2), text).strip()
    return clean, here, after or here


def _looks_like_title(line: str) -> bool:
    return (len(line) <= MAX_TITLE_CHARS and not _SENTENCE_END.search(line) and not line.endswith(("，", ","))
            and not _EXPRESSION.search(line))


def _clean(line: str) -> str:
    """Drop Markdown inline marks, images, control characters and symbols no voice can read (emoji)."""
    # a tab, a no-break or ideographic space (any Unicode space) is a plain space; other control characters go
    line = _IMAGE.sub("", "".join(" " if ch == "\t" or unicodedata.category(ch).startswith("Z") else ch
                                  for ch in line))
    line = _LINK.sub(r"\1", line)
    line = _HTML_TAG.sub("", _HTML_BREAK.sub(" ", _HTML_STRONG.sub("**", line)))
    line = _mark_emphasis(line)
    line = _MARKDOWN_INLINE.sub("", line)
    return "".join(ch for ch in line if _speakable(ch) or ch in (EMPH_OPEN, EMPH_CLOSE))


def _speakable(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return ch in _READ_SYMBOLS or not (cat.startswith("C") or cat == "So" or cat == "Sk")


def _split_paragraph(para: str, paragraph: int) -> tuple[list[Sentence], int]:
    """The paragraph's sentences, and the pause (ms, 0 for none) that comes before its first words: it belongs
    after the sentence before the paragraph (a `[pause 2s]` line between two paragraphs)."""
    out: list[Sentence] = []
    lead = 0
    marks = ""  # [expression …] markers of pieces without words: they go with the next sentence's text
    for chunk_text, pause_ms in _pause_chunks(para):
        if pause_ms and not _has_words(_EXPRESSION.sub("", chunk_text)):
            # a pause with no words before it in this chunk lengthens the pause after the sentence before
            if out:
                out[-1] = replace(out[-1], pause_after_ms=max(out[-1].pause_after_ms, pause_ms))
            else:
                lead = max(lead, pause_ms)
        pieces = _SENTENCE_END.split(chunk_text)
        # split() with one group alternates text, terminator, text, terminator, ...
        texts = ["".join(pieces[i:i + 2]).strip() for i in range(0, len(pieces), 2)]
        worded = []
        for t in _merge_abbreviations([t for t in texts if t]):
            if _has_words(_EXPRESSION.sub("", t)):
                worded.append(marks + t)
                marks = ""
            else:
                marks += "".join(m.group(0) for m in _EXPRESSION.finditer(t))
        for j, t in enumerate(worded):
            last = j == len(worded) - 1
            out.append(Sentence(t, pause_ms if last and pause_ms else SENTENCE_PAUSE_MS, paragraph))
    if marks and out:  # after the paragraph's last words: from the next sentence on
        out[-1] = replace(out[-1], text=out[-1].text + marks)
    return out, lead


def _merge_abbreviations(texts: list[str]) -> list[str]:
    """Pieces split at a full stop that does not end a sentence, joined again: after a title or an initial
    (Dr. Smith, U.S.), a month before its day (Jan. 5), or any stop followed by a lower-case word (Apple
    Inc. said …: a sentence does not start in lower case)."""
    out: list[str] = []
    for t in texts:
        lower_word = t[:1].isascii() and t[:1].islower() and not t[1:2].isupper()  # "said", not "iPhone"
        if out and (_ABBREVIATION.search(out[-1]) or (out[-1].endswith(".") and (
                lower_word or _MONTH_ABBREVIATION.search(out[-1]) and t[:1].isdigit()))):
            out[-1] = f"{out[-1]} {t}"
        else:
            out.append(t)
    return out


def _pause_chunks(para: str) -> list[tuple[str, int]]:
    """Split at `[pause]` / `[pause Ns]` marks: (text, pause after it in ms, 0 when none)."""
    chunks, pos = [], 0
    for m in _PAUSE.finditer(para):
        chunks.append((para[pos:m.start()], min(_pause_ms(m), MAX_PAUSE_MS)))
        pos = m.end()
    chunks.append((para[pos:], 0))
    return chunks


def _pause_ms(m: re.Match) -> int:
    """The length of a matched `[pause …]` in ms: DEFAULT_PAUSE_MS without a number, seconds without a unit."""
    if m.group(1) is None:
        return DEFAULT_PAUSE_MS
    value = float(m.group(1))
    return int(value if (m.group(2) or "s").lower() == "ms" else value * 1000)


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _shorten(text: str) -> str:
    text = _SENTENCE_END.sub("", text).strip("，, ")
    return text if len(text) <= MAX_TITLE_CHARS else text[:MAX_TITLE_CHARS - 1] + "…"
