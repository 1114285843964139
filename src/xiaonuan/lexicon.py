"""Pronunciation lexicon: how the voice says a word, while subtitles keep the written text.

A lexicon is YAML with one section per language; each entry maps a written word to a reading:

    zh:
      银行: yin2 hang2            # a plain string of pinyin syllables with tone digits 1–5 (ü as v or ü)
      还钱: {pinyin: huan2 qian2}
      CBA: {say: C B A}           # say: the text the voice reads instead (any engine)
    en:
      Xiaonuan: {say: Shyao nwan}
      GIF: {phonemes: "g'If"}     # eSpeak phoneme mnemonics, read as [[...]] (eSpeak only)

A plain string that is not pinyin is a `say` reading. Polyphones (多音字) are fixed by listing
the *word* they sit in (银行 → háng, 行走 → xíng); the longest entry wins where several match.

Layers, later wins: the project's `lexicon.yaml` < the avatar's or voice's `lexicon.yaml` <
the script's front matter `lexicon:` block. `prepare()` rewrites a sentence for an engine:
lexicon readings first (masked so the number normaliser leaves them alone), then numbers,
dates and symbols; `Prepared.source_span` maps spoken offsets back to the written text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Mapping
import itertools

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
import yaml

from .errors import InputError
from .normalize import Normalized, _Builder, normalize
from .saferead import MAX_YAML_BYTES, compose_yaml, load_yaml_with_nodes, read_text
from .yamlnodes import line_of
from .fileio import write_atomic
from .paths import project_root

LEXICON_FILE = "lexicon.yaml"
LANGUAGES = ("zh", "en")
Kind = Literal["pinyin", "say", "phonemes"]
# Which reading kinds an engine family can take; an entry of another kind is left as written.
ENGINE_KINDS: dict[str, frozenset[str]] = {"espeak": frozenset({"pinyin", "say", "phonemes"}),
                                           "kokoro": frozenset({"pinyin", "say"}),
                                           "text": frozenset({"say"})}

_PINYIN_SYLLABLE = re.compile(r"[a-zü]+(?:u:)?[1-5]", re.IGNORECASE)
_PINYIN_TYPO = re.compile(r"(?=.*[0-9])[a-zü]+[0-9]?(?: [a-zü]+[0-9]?)*")  # pinyin with a tone digit missing or wrong
_TONELESS_PINYIN = re.compile(r"[a-zü]+(?: [a-zü]+)*")  # lower-case letters only: pinyin that lost its tones
# Masks stand in for lexicon words while the normaliser runs: it copies them as they are.
_MASKS = ("\ue010", "\ue011")  # not U+E000/E001: script.py marks emphasis with those
_MASK_RUN = re.compile("\ue010+|\ue011+")


class LexiconError(InputError):
    """A lexicon file or entry is malformed."""


@dataclass(frozen=True)
class Entry:
    """One reading: `kind` says how `reading` is written (pinyin, replacement text, eSpeak phonemes)."""

    word: str
    kind: str
    reading: str
    origin: str = ""  # "file:line" for messages

    def engine_text(self) -> str:
        """The reading as eSpeak takes it: pinyin syllables with tone digits, text, or [[phonemes]]."""
        if self.kind == "pinyin":
            return " ".join(s.lower().replace("ü", "v").replace("u:", "v") for s in self.reading.split())
        if self.kind == "phonemes":
            return f"[[{self.reading}]]"
        return self.reading


@dataclass(frozen=True)
class Lexicon:
    """Entries per language ("zh", "en"); combine layers with `a.then(b)` (b wins)."""

    entries: Mapping[str, Mapping[str, Entry]] = field(default_factory=dict)

    def then(self, other: "Lexicon | None") -> "Lexicon":
        if other is None:
            return self
        merged = {lang: {**self.entries.get(lang, {}), **other.entries.get(lang, {})} for lang in LANGUAGES}
        return Lexicon({k: v for k, v in merged.items() if v})

    def words(self, language: str) -> Mapping[str, Entry]:
        return self.entries.get(language, {})

    def digest(self) -> str:
        """A stable text form, for cache keys."""
        return "\n".join(f"{lang}\t{e.word}\t{e.kind}\t{e.reading}"
                         for lang in sorted(self.entries) for e in sorted(self.entries[lang].values(),
                                                                         key=lambda e: e.word))

    def __bool__(self) -> bool:
        return any(self.entries.values())


EMPTY = Lexicon()


# ---------------------------------------------------------------------------------------------
# Validation (pydantic at the edge) and loading.

class _EntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pinyin: str | None = None
    say: str | None = None
    phonemes: str | None = None

    @field_validator("pinyin")
    @classmethod
    def _pinyin(cls, v: str | None) -> str | None:
        if v is not None:
            bad = [s for s in v.split() if not _PINYIN_SYLLABLE.fullmatch(s)]
            if bad or not v.split():
                raise ValueError(f"pinyin {v!r} needs syllables with a tone digit 1-5, e.g. 'yin2 hang2' "
                                 f"(bad: {' '.join(bad) or 'empty'})")
        return v

    @model_validator(mode="after")
    def _one(self) -> "_EntryModel":
        given = [k for k in ("pinyin", "say", "phonemes") if getattr(self, k) not in (None, "")]
        if len(given) != 1:
            raise ValueError("give exactly one of pinyin, say, phonemes")
        return self


def _entry(word: Any, value: Any, language: str, origin: str) -> Entry:
    if not isinstance(word, str) or not word.strip():
        raise LexiconError(f"{origin}: entry {word!r} must be a non-empty word")
    if isinstance(value, str):
        looks_pinyin = language == "zh" and all(_PINYIN_SYLLABLE.fullmatch(s) for s in value.split())
        if language == "zh" and not looks_pinyin and _PINYIN_TYPO.fullmatch(value.strip()):
            # 'yin2 hang' or 'yin2 hang6': meant as pinyin, but it would be read out as English ("hang six")
            raise LexiconError(f"{origin}: entry {word!r}: pinyin {value.strip()!r} needs syllables with a tone digit "
                               "1-5, e.g. 'yin2 hang2', or write {say: …} to have it read as written")
        if language == "zh" and not looks_pinyin and _TONELESS_PINYIN.fullmatch(value.strip()):
            # the Mandarin voice would spell these out as Latin letters
            raise LexiconError(f"{origin}: entry {word!r}: {value.strip()!r} looks like pinyin without tone digits: "
                               "add them (e.g. 'shan4 xian1 sheng5'), or write {say: …} to have it read as written")
        value = {"pinyin" if looks_pinyin and value.split() else "say": value}
    try:
        model = _EntryModel.model_validate(value)
    except ValidationError as e:
        problem = "; ".join(err["msg"].removeprefix("Value error, ") for err in e.errors())
        raise LexiconError(f"{origin}: entry {word!r}: {problem}") from None
    kind = next(k for k in ("pinyin", "say", "phonemes") if getattr(model, k))
    return Entry(word.strip(), kind, getattr(model, kind).strip(), origin)


def parse_lexicon(data: Any, source: str = "lexicon", node=None) -> Lexicon:
    """A Lexicon from already-parsed YAML data (`{zh: {word: reading}, en: {...}}`); `node`, the same YAML
    composed (yaml.compose), gives messages their line numbers."""
    if data is None:
        return EMPTY
    if not isinstance(data, dict):
        raise LexiconError(f"{source}: a lexicon is 'zh:' and/or 'en:' sections of 'word: reading' lines")
    out: dict[str, dict[str, Entry]] = {}
    for language, section in data.items():
        line = line_of(node, [language]) if node is not None else None
        where = f"{source}:{line}" if line else source
        if language not in LANGUAGES:
            raise LexiconError(f"{where}: unknown section {language!r}: use {' or '.join(LANGUAGES)}")
        if not isinstance(section, dict):
            raise LexiconError(f"{where}: section {language!r} must hold 'word: reading' lines, "
                               "e.g. '  银行: yin2 hang2' indented under it")
        for word, value in section.items():
            line = line_of(node, [language, word]) if node is not None else None
            origin = f"{source}:{line}" if line else source
            out.setdefault(language, {})[str(word).strip()] = _entry(word, value, language, origin)
    return Lexicon(out)


def load_lexicon(path: str | Path) -> Lexicon:
    """Read one lexicon file; LexiconError names the file, line and entry of any problem."""
    p = Path(path)
    text = read_text(p, "lexicon", LexiconError, MAX_YAML_BYTES)
    try:
        data, node = load_yaml_with_nodes(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise LexiconError(f"{p}{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from e
    return parse_lexicon(data, str(p), node)


def front_matter_lexicon(data: Any, front_matter: str, source: str) -> Lexicon:
    """The `lexicon:` block of a script's front matter (`data`, already parsed from the YAML text
    `front_matter`, which starts on the file's first line); errors name the file and line."""
    if data is None:
        return EMPTY
    block = None
    try:
        root = compose_yaml(front_matter)
    except yaml.YAMLError:  # the caller has parsed it already; without lines the messages still name the file
        root = None
    if isinstance(root, yaml.MappingNode):
        block = next((v for k, v in root.value if k.value == "lexicon"), None)
    if not isinstance(data, dict):
        line = f":{block.start_mark.line + 1}" if block is not None else ""
        raise LexiconError(f"{source}{line}: the front matter's lexicon must be zh: and/or en: sections of "
                           "'word: reading' lines, e.g. lexicon: {zh: {银行: yin2 hang2}}")
    return parse_lexicon(data, source, block)


def layered(*paths: str | Path | None) -> Lexicon:
    """Each existing file in order, later entries winning (project < avatar/voice); the script's own
    `lexicon:` block (Script.lexicon) goes on top with `.then()`."""
    lex = EMPTY
    for p in paths:
        if p is not None and Path(p).is_file():
            lex = lex.then(load_lexicon(p))
    return lex


def project_lexicon() -> Lexicon:
    """The project's `lexicon.yaml` at the project root, or an empty lexicon."""
    return layered(project_root() / LEXICON_FILE)


def project_lexicon_path() -> Path:
    """The project's lexicon file (`lexicon.yaml` at the project root): what render() and `xiaonuan say` read
    first, and where the web page saves a reading."""
    return project_root() / LEXICON_FILE


MAX_READINGS = 12  # the polyphone tool offers at most this many readings of a word
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def reading_choices(word: str, limit: int = MAX_READINGS) -> list[str]:
    """The pinyin readings (tone digits, 'yin2 hang2') a Chinese word can have: the one it gets in context
    first, then its polyphones' (多音字) other readings, at most `limit`; [] unless the word is all Han."""
    # lazy: pypinyin loads its phrase dictionaries on import (~0.3 s); only the page's polyphone tool asks
    from pypinyin import Style, pinyin

    word = word.strip()
    if not word or len(word) > 8 or not _HAN.fullmatch(word):
        return []
    style = {"style": Style.TONE3, "neutral_tone_with_five": True}
    in_context = [s[0] for s in pinyin(word, **style)]
    per_char = [[c, *[r for r in pinyin(ch, heteronym=True, **style)[0] if r != c]]
                for ch, c in zip(word, in_context)]
    out: list[str] = []
    for combo in itertools.islice(itertools.product(*per_char), 4 * limit):
        reading = " ".join(combo)
        if reading not in out and all(_PINYIN_SYLLABLE.fullmatch(s) for s in combo):
            out.append(reading)
    return out[:limit]


def save_reading(word: str, reading: str, path: Path | None = None) -> Lexicon:
    """Write `word: reading` (pinyin with tone digits) into the zh: section of the lexicon file at `path`
    (default: the project's), replacing the word's entry if it has one; the file's other lines and comments
    stay, and it is written whole or not at all. Returns the file's lexicon; LexiconError when the reading
    is not pinyin or the file is not a lexicon."""
    path = Path(path) if path is not None else project_lexicon_path()
    word, reading = word.strip(), " ".join(reading.lower().split())
    entry = _entry(word, reading, "zh", f"{path}: {word}")
    if entry.kind != "pinyin":
        raise LexiconError(f"{reading!r} is not pinyin with tone digits; write it like 'yin2 hang2' (1-5 after "
                           "each syllable, 5 for the neutral tone)")
    text = read_text(path, "lexicon", LexiconError, MAX_YAML_BYTES) if path.is_file() else ""
    line = f"{yaml.safe_dump(word, allow_unicode=True).splitlines()[0]}: {reading}"
    new = _with_entry(text, word, line)
    try:
        data, node = load_yaml_with_nodes(new)
    except yaml.YAMLError as e:
        raise LexiconError(f"{path}: could not add {word!r} ({e}); fix the file's YAML first") from None
    lexicon = parse_lexicon(data, str(path), node)
    write_atomic(path, new.encode("utf-8"))
    return lexicon


def _with_entry(text: str, word: str, line: str) -> str:
    """`text` (a lexicon's YAML) with `line` as the zh: section's entry for `word`: in place of the entry it
    has, else the section's first entry, else a new section at the end."""
    lines = text.splitlines()
    root = compose_yaml(text) if text.strip() else None
    zh = None
    if isinstance(root, yaml.MappingNode):
        zh = next(((k, v) for k, v in root.value if k.value == "zh"), None)
    if zh is None:
        tail = "" if not text or text.endswith("\n") else "\n"
        return f"{text}{tail}zh:\n  {line}\n"
    key, section = zh
    if isinstance(section, yaml.MappingNode) and not section.flow_style and section.value:
        for k, v in section.value:
            if str(k.value).strip() == word:  # replace the old entry's lines (a {pinyin: …} one may span several)
                first, last = k.start_mark.line, max(k.start_mark.line, v.end_mark.line - (v.end_mark.column == 0))
                lines[first:last + 1] = [" " * k.start_mark.column + line]
                return "\n".join(lines) + "\n"
        first_key = section.value[0][0]
        lines.insert(first_key.start_mark.line, " " * first_key.start_mark.column + line)
        return "\n".join(lines) + "\n"
    if isinstance(section, yaml.ScalarNode) and section.value in ("", "~", "null"):  # an empty 'zh:'
        lines[key.start_mark.line] = f"zh:\n  {line}"
        return "\n".join(lines) + "\n"
    raise LexiconError("the lexicon's zh: section is not written as indented 'word: reading' lines; write it so "
                       "(e.g. '  银行: yin2 hang2' under 'zh:') and save again")


# ---------------------------------------------------------------------------------------------
# Applying it: written sentence → the text an engine reads, with a map back to the written text.

@dataclass(frozen=True)
class Prepared:
    """The text an engine reads and the rewriting steps from the written `source` to it."""

    text: str
    source: str
    steps: tuple[Normalized, ...] = ()

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Written [start, end) of spoken [start, end)."""
        for step in reversed(self.steps):
            start, end = step.source_span(start, end)
        return start, end

    def to_source(self, pos: int) -> int:
        return self.source_span(pos, pos + 1)[0]


def prepare(text: str, language: str, lexicon: Lexicon | None = None, engine: str = "espeak") -> Prepared:
    """Lexicon readings, then number/date/symbol normalisation, for one sentence."""
    prepared = _prepare(text, language, lexicon, engine)
    if engine == "espeak" and language == "zh":
        return replace(prepared, text=_ERHUA.sub("而", prepared.text))  # one character for one: spans hold
    return prepared


# eSpeak's Mandarin dictionary lists 儿化 words as pinyin it cannot say (哪儿 "na3r5"), and falls back to
# English: "na three r five". 而 is said as 儿 is on its own ('@r) and is in no such entry. Not where 儿
# starts a word (的儿子, 留守儿童).
_ERHUA = re.compile(r"(?<=[\u4e00-\u9fff])儿(?![子童女科时歌媳孙戏郎])")


def _prepare(text: str, language: str, lexicon: Lexicon | None, engine: str) -> Prepared:
    kinds = ENGINE_KINDS.get(engine, ENGINE_KINDS["text"])
    entries = {w: e for w, e in (lexicon or EMPTY).words(language).items() if e.kind in kinds}
    if not entries:
        n = normalize(text, language)
        return Prepared(n.text, text, (n,))
    matches = list(_pattern(tuple(sorted(entries, key=len, reverse=True)), language).finditer(text))
    masked, last = [], 0
    for k, m in enumerate(matches):
        masked += [text[last:m.start()], _MASKS[k % 2] * (m.end() - m.start())]
        last = m.end()
    masked.append(text[last:])
    normalized = normalize("".join(masked), language)
    # Copy the normaliser's output, swapping each mask run back for its reading.
    out = _Builder(normalized.text, pad=True)
    pos = 0
    runs = list(_MASK_RUN.finditer(normalized.text))
    for m, run in zip(matches, runs):
        out.copy(pos, run.start())
        out.emit(run.start(), run.end(), entries[m.group(0)].engine_text())
        pos = run.end()
    out.copy(pos, len(normalized.text))
    restored = Normalized("".join(out.parts), normalized.text, tuple(out.spans))
    # the normaliser saw masks where lexicon words were: put the written text back as its source
    normalized = Normalized(normalized.text, text, normalized.spans)
    return Prepared(restored.text, text, (normalized, restored))


_PATTERNS: dict[tuple[tuple[str, ...], str], re.Pattern] = {}


def _pattern(words: tuple[str, ...], language: str) -> re.Pattern:
    key = (words, language)
    if key not in _PATTERNS:
        alts = []
        for w in words:
            esc = re.escape(w)
            if re.match(r"[A-Za-z0-9]", w):
                esc = r"(?<![A-Za-z0-9])" + esc
            if re.search(r"[A-Za-z0-9]$", w):
                esc += r"(?![A-Za-z0-9])"
            alts.append(esc)
        _PATTERNS[key] = re.compile("|".join(alts))
    return _PATTERNS[key]
