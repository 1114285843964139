"""Batches: a rundown (YAML or CSV) of videos, rendered in parallel worker processes, resumable.

A YAML rundown:

    defaults: {template: news, avatar: default, voice: espeak:cmn, fields: {channel: 小暖新闻}}
    items:
      - name: weather                 # output: OUT/weather.mp4 (+ .srt); a plain file name
        script: scripts/weather.md    # a script file, relative to the rundown …
      - name: greeting
        text: "大家好。"               # … or the script text itself
        fields: {name: 李明}          # template variables
      - name: q3-review
        deck: decks/q3.pptx           # a slide deck (.pdf, .pptx): template deck unless the item names one;
                                      # narration: decks/q3.md beside it, else the speaker notes
      - name: weekly
        bulletin:                     # one video of several stories
          title: 本周要闻
          stories:
            - {headline: 花展开幕, script: stories/flowers.md, fields: {name: 李明, title: 记者}}
            - {headline: 地铁新线, text: "地铁五号线今天通车。"}

A top-level `bulletin:` (with `name:`) is a rundown of that one bulletin. A CSV rundown has a
header row with `name`, `script` or `text`, and optionally `template`, `avatar`, `voice`, `seed`,
`skip`; every other column is a template variable.

Each item renders through `xiaonuan.render()`. After a success the item's input hash (script
text, template and avatar folders, voice, fields, seed, code version) is written to
OUT/.xiaonuan/<name>.json; on the next run an item whose MP4 exists with the same hash is
skipped. Outputs are written atomically by render(), so a crash or Ctrl-C leaves no half-written
file at an output path; temporary files a killed run left behind are removed on the next run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import yaml

from .batch_workers import (  # noqa: F401 (re-exported)
    EXIT_INTERRUPTED, STATE_DIR, ItemEvent, ItemOutcome, _run_local, _run_ray, render_item, state_path,
    write_json_atomic)
from . import __version__
from .avatar.pack import avatar_folder
from .brand import load_brand
from .deck import DECK_SUFFIXES, companion_for
from .deck.pdf import MAX_DECK_BYTES
from .errors import InputError, TemplateError, XiaonuanError
from .paths import avatars_dir, templates_dir
from .saferead import load_yaml, read_bytes, read_text
from .script import parse_script
from .templates import is_template_path, load_template, template_folder

REPORT = "report.json"
ITEM_KEYS = frozenset({"name", "output", "script", "text", "bulletin", "deck", "template", "avatar", "voice", "fields",
                       "seed", "skip", "brand"})
STORY_KEYS = frozenset({"headline", "script", "text", "fields"})
_NAME = re.compile(r"^\w[\w\-. ]{0,99}$")


@dataclass(frozen=True)
class Item:
    """One video of a rundown, with its script already read (or the reason it could not be)."""

    name: str
    script: str
    source: str                      # the script file, or "inline" / "bulletin"
    template: str = "news"
    avatar: str = "default"
    voice: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    seed: int = 0
    skip: bool = False
    error: str | None = None         # a problem found while reading the rundown: the item fails with it
    brand: str | None = None         # a brand file (palette, logo, font), resolved against the rundown's folder


@dataclass(frozen=True)
class Rundown:
    path: Path
    items: tuple[Item, ...]


@dataclass
class ItemResult:
    name: str
    status: str                      # ok | failed | skipped | cancelled (Ctrl-C, Stop)
    reason: str = ""
    mp4: str | None = None
    srt: str | None = None
    cover: str | None = None
    title: str = ""
    duration_s: float | None = None
    elapsed_s: float | None = None
    input_hash: str = ""
    traceback: str = ""              # an internal error's (a bug's): what to attach to an issue


@dataclass
class BatchReport:
    rundown: str
    out_dir: str
    engine: str
    code_version: str
    started_at: float
    finished_at: float | None = None
    interrupted: bool = False
    items: list[ItemResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "failed": 0, "skipped": 0}  # and "cancelled" when some were (Ctrl-C, Stop)
        for r in self.items:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    @property
    def succeeded(self) -> bool:
        """True when every item rendered, was already up to date or is switched off in the rundown (skip: true):
        nothing failed and nothing was left undone."""
        return not self.interrupted and all(
            r.status == "ok" or (r.status == "skipped" and r.reason.startswith(("up to date", "disabled")))
            for r in self.items)

    def to_json(self) -> dict[str, Any]:
        return {"rundown": self.rundown, "out_dir": self.out_dir, "engine": self.engine,
                "code_version": self.code_version, "started_at": self.started_at, "finished_at": self.finished_at,
                "interrupted": self.interrupted, "succeeded": self.succeeded, "counts": self.counts,
                "items": [asdict(r) for r in self.items]}


# --- reading rundowns -------------------------------------------------------------------------


def load_rundown(path: str | Path, *, allow_files: bool = True) -> Rundown:
    """Read a YAML or CSV rundown. InputError if the file itself is unusable; a bad item is kept with its error.

    `allow_files=False` (the web UI, for uploaded rundowns) refuses items that name script files, so an
    upload cannot make the server read its own files.
    """
    p = Path(path)
    raw = read_text(p, "rundown", InputError)  # a regular file under the size cap: never a FIFO or /dev/zero
    if p.suffix.lower() == ".csv":
        entries, defaults = _csv_entries(raw, p), {}
    elif p.suffix.lower() in (".yaml", ".yml"):
        entries, defaults = _yaml_entries(raw, p)
    else:
        raise InputError(f"rundown {str(p)!r} must be .yaml, .yml or .csv")
    if not entries:
        raise InputError(f"rundown {str(p)!r} lists no items: add an `items:` list (or CSV rows)")
    items, seen = [], set()
    for i, entry in enumerate(entries):
        item = _item(entry, i, defaults, p.parent, allow_files)
        if item.name in seen:
            raise InputError(f"rundown {str(p)!r}: two items are named {item.name!r}; give each a unique name")
        seen.add(item.name)
        items.append(item)
    return Rundown(p, tuple(items))


def _yaml_entries(raw: str, p: Path) -> tuple[list[dict], dict]:
    try:
        data = load_yaml(raw)  # aliases refused, size and depth capped before anything is built
    except yaml.YAMLError as e:
        raise InputError(f"rundown {str(p)!r} is not valid YAML ({e}); fix the syntax") from e
    if isinstance(data, list):
        return data, {}
    if not isinstance(data, dict):
        raise InputError(f"rundown {str(p)!r} must be a mapping with `items:` (or a list of items)")
    unknown = set(data) - {"defaults", "items", "bulletin", "name"}
    if unknown:
        raise InputError(f"rundown {str(p)!r}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                         "use defaults, items, bulletin")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise InputError(f"rundown {str(p)!r}: `defaults` must be a mapping")
    unknown = set(defaults) - ITEM_KEYS  # a typo here (templte:) would change every item silently
    if unknown:
        raise InputError(f"rundown {str(p)!r}: unknown key(s) in defaults: {', '.join(sorted(map(str, unknown)))}; "
                         f"known: {', '.join(sorted(ITEM_KEYS))}")
    entries = data.get("items") or []
    if not isinstance(entries, list):
        raise InputError(f"rundown {str(p)!r}: `items` must be a list of items (- name: …)")
    if data.get("bulletin") is not None:
        entries.append({"name": data.get("name") or p.stem, "bulletin": data["bulletin"]})
    return entries, defaults


def _csv_entries(raw: str, p: Path) -> list[dict]:
    try:
        rows = list(csv.DictReader(raw.splitlines()))
    except csv.Error as e:  # a field over csv's 128 KB limit, a NUL byte
        raise InputError(f"rundown {str(p)!r} is not valid CSV ({e}); fix that row, or put long texts in script files") from None
    entries = []
    for row in rows:
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        entry: dict[str, Any] = {k: v for k, v in row.items() if k in ITEM_KEYS and v}
        extra = {k: v for k, v in row.items() if k not in ITEM_KEYS and v}
        if extra:
            entry["fields"] = extra
        if any(row.values()):
            entries.append(entry)
    return entries


def _item(entry: Any, i: int, defaults: Mapping, base: Path, allow_files: bool) -> Item:
    where = f"item {i + 1}"
    if not isinstance(entry, dict):
        raise InputError(f"rundown {where} must be a mapping (name, script or text, …)")
    unknown = set(entry) - ITEM_KEYS
    if unknown:
        raise InputError(f"rundown {where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                         f"known: {', '.join(sorted(ITEM_KEYS))}")
    name = str(entry.get("name") or entry.get("output") or f"item-{i + 1:02d}").strip()
    name = name[:-4] if name.lower().endswith(".mp4") else name
    if not _NAME.match(name) or ".." in name:
        raise InputError(f"rundown {where}: name {name!r} must be a plain file name: letters (any script), digits, "
                         "spaces and - _ . (no slashes, brackets or other punctuation)")
    merged = {**{k: v for k, v in defaults.items() if k != "fields"}, **entry}
    fields = {**_mapping(defaults.get("fields"), where), **_mapping(entry.get("fields"), where)}
    try:
        seed = int(merged.get("seed") or 0)
        if seed < 0:
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"rundown {where}: seed {merged.get('seed')!r} must be a whole number from 0 up") from None

    deck = entry.get("deck") is not None  # a slide deck: the deck template unless the item names another
    template = str((entry if deck else merged).get("template") or ("deck" if deck else "news"))
    refused = None
    if is_template_path(template):  # a template folder of one's own: relative to the rundown, as scripts are
        if allow_files:
            template = str((base / Path(template).expanduser()).resolve())
        else:
            refused = (f"rundown {where}: template folders are not allowed in an uploaded rundown; "
                       f"use a template by its name (xiaonuan templates list)")
    brand = str(merged["brand"]) if merged.get("brand") else None
    if brand is not None and not refused:
        if allow_files:
            brand = str((base / Path(brand).expanduser()).resolve())
        else:
            refused = f"rundown {where}: brand files are not allowed in an uploaded rundown; leave `brand` out"
    settings = dict(name=name, template=template, brand=brand,
                    avatar=str(merged.get("avatar") or "default"),
                    voice=str(merged["voice"]) if merged.get("voice") else None,
                    fields=fields, seed=seed, skip=_truthy(merged.get("skip")))
    if refused:
        return Item(script="", source="", error=refused, **settings)
    try:
        if deck:
            text, source = _deck_source(entry, base, allow_files, where)
        elif entry.get("bulletin") is not None:
            text, source = _bulletin_text(entry["bulletin"], base, allow_files, where), "bulletin"
        else:
            text, source = _script_text(entry, base, allow_files, where)
    except InputError as e:
        return Item(script="", source="", error=str(e), **settings)
    return Item(script=text, source=source, **settings)


def _mapping(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"rundown {where}: `fields` must be a mapping, e.g. {{name: 李明}}")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "y", "x")


def _script_text(entry: Mapping, base: Path, allow_files: bool, where: str) -> tuple[str, str]:
    if entry.get("text") is not None and entry.get("script") is not None:
        raise InputError(f"{where}: give either `script` (a file) or `text`, not both")
    if entry.get("text") is not None:
        return str(entry["text"]), "inline"
    if entry.get("script") is None:
        raise InputError(f"{where}: no `script` file or `text` given")
    if not allow_files:
        raise InputError(f"{where}: script files are not allowed in an uploaded rundown; put the text in `text:`")
    path = (base / str(entry["script"])).resolve()
    return read_text(path, f"{where}: script file", InputError), str(path)


def _deck_source(entry: Mapping, base: Path, allow_files: bool, where: str) -> tuple[str, str]:
    """(what the item's hash covers: the digest of the deck and of the companion script beside it, the deck's
    path): the worker renders the deck file itself (render() reads .pdf/.pptx decks)."""
    if {"script", "text", "bulletin"} & set(entry):
        raise InputError(f"{where}: a `deck` item takes its narration from the deck (speaker notes) or the script "
                         "beside it (deck.md): remove `script`, `text` or `bulletin`")
    if not allow_files:
        raise InputError(f"{where}: deck files are not allowed in an uploaded rundown; upload the deck itself")
    path = (base / str(entry["deck"])).resolve()
    if path.suffix.lower() not in DECK_SUFFIXES:
        raise InputError(f"{where}: deck {str(path)!r} must be a .pdf or .pptx file")
    digest = hashlib.sha256(read_bytes(path, f"{where}: deck", InputError, MAX_DECK_BYTES))
    companion = companion_for(path)
    if companion is not None:
        digest.update(read_bytes(companion, f"{where}: deck script", InputError))
    return f"deck {path.name} sha256:{digest.hexdigest()}", str(path)


def _bulletin_text(bulletin: Any, base: Path, allow_files: bool, where: str) -> str:
    """A Markdown script: `# title`, then one `## headline {name: …, title: …}` section per story."""
    if not isinstance(bulletin, dict) or not isinstance(bulletin.get("stories"), list) or not bulletin["stories"]:
        raise InputError(f"{where}: `bulletin` needs a `stories:` list")
    title = str(bulletin.get("title") or "").strip()
    parts = [f"# {title}"] if title else []
    for j, story in enumerate(bulletin["stories"]):
        sw = f"{where}, story {j + 1}"
        if not isinstance(story, dict):
            raise InputError(f"{sw}: a story is a mapping of {', '.join(sorted(STORY_KEYS))}")
        if set(story) - STORY_KEYS:
            raise InputError(f"{sw}: unknown key(s) {', '.join(sorted(map(str, set(story) - STORY_KEYS)))}; "
                             f"known: {', '.join(sorted(STORY_KEYS))}")
        text, _ = _script_text(story, base, allow_files, sw)
        headline, body = _split_story(text)
        headline = str(story.get("headline") or headline or title or f"{j + 1}").strip()
        attrs = _mapping(story.get("fields"), sw)
        attr_text = (" {" + ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in attrs.items()) + "}"
                     if attrs else "")
        parts.append(f"## {headline}{attr_text}\n\n{body.strip()}")
    return "\n\n".join(parts) + "\n"


def _split_story(text: str) -> tuple[str, str]:
    """A story file's own `# title` (if any) and the rest, without its front matter."""
    lines = text.strip().splitlines()
    if lines and lines[0].strip() == "---":
        end = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), None)
        lines = lines[end + 1:] if end is not None else lines
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and lines[0].startswith("# "):
        return lines[0][2:].strip(), "\n".join(lines[1:])
    return "", "\n".join(lines)


# --- what makes an item "the same" ------------------------------------------------------------


def code_version() -> str:
    """xiaonuan's version plus a hash of its source files: a code change re-renders everything."""
    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(pkg.rglob("*.py")):
        h.update(str(f.relative_to(pkg)).encode())
        h.update(f.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"


def folder_digest(folder: Path) -> str:
    """SHA-256 of a folder's files (names and contents), ignoring hidden files and caches."""
    if not folder.is_dir():
        return f"missing:{folder.name}"
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(folder)
        if not f.is_file() or any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        h.update(str(rel).encode())
        with open(f, "rb") as fh:  # streamed: a large clip in a pack is never held in memory whole
            h.update(hashlib.file_digest(fh, "sha256").digest())
    return h.hexdigest()


def _template_folder(name: str) -> Path:
    """The item's template folder (a missing one hashes as empty: its render fails with the reason)."""
    try:
        return template_folder(name)
    except TemplateError:
        return templates_dir() / name


def input_hash(item: Item, code: str, height_px: int | None = None) -> str:
    """The hash of everything that decides an item's output (the output height only when one is asked for,
    so outputs rendered at the template's size keep their hashes)."""
    payload = {"script": item.script, "template": item.template,
               "template_files": folder_digest(_template_folder(item.template)),
               "avatar": item.avatar, "avatar_files": folder_digest(avatar_folder(item.avatar) or avatars_dir() / item.avatar),
               "voice": item.voice, "fields": dict(sorted(item.fields.items())), "seed": item.seed, "code": code}
    if height_px is not None:
        payload["height_px"] = height_px
    if item.brand is not None:  # only then: items without a brand keep their hashes
        payload["brand"] = _brand_digest(item.brand)
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _brand_digest(brand: str) -> str:
    """A hash of a brand file and the logo and font it names (an unreadable one hashes by its name: its render
    fails with the reason)."""
    try:
        b = load_brand(brand)
    except XiaonuanError:
        return hashlib.sha256(brand.encode()).hexdigest()
    h = hashlib.sha256()
    for f in (b.path, b.logo, b.font):
        if f is not None:
            h.update(f.read_bytes())
    return h.hexdigest()


def up_to_date(item: Item, out_dir: Path, digest: str) -> dict[str, Any] | None:
    """The state saved when the item was rendered from these same inputs (its files, length), else None."""
    mp4 = out_dir / f"{item.name}.mp4"
    try:
        state = json.loads(state_path(out_dir, item.name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if mp4.is_file() and isinstance(state, dict) and state.get("input_hash") == digest else None


def remove_stale_temps(out_dir: Path, names: Iterable[str]) -> list[Path]:
    """Temporary files that a killed run left beside these items' outputs (`.NAME.mp4.*`)."""
    removed = []
    for name in names:
        for stem in (f"{name}.mp4", f"{name}.srt", f"{name}.json"):
            for p in list(out_dir.glob(f".{glob_escape(stem)}.*")) + list(
                    (out_dir / STATE_DIR).glob(f".{glob_escape(stem)}.*")):
                if p.is_file():
                    p.unlink(missing_ok=True)
                    removed.append(p)
    return removed


def glob_escape(s: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", s)


# --- running a batch ---------------------------------------------------------------------------


def run_batch(rundown: Rundown, out_dir: str | Path, *, jobs: int | None = None, engine: str = "local",
              on_event: Callable[[ItemEvent], None] | None = None, store: Any = None,
              height_px: int | None = None, stop: threading.Event | None = None) -> BatchReport:
    """Render the rundown's items into out_dir and write out_dir/report.json; returns the report.

    `engine` is "local" (worker processes on this machine) or "ray" (a Ray cluster: $RAY_ADDRESS, or a
    local Ray instance). `store` (a store.Store) records each render in the history. KeyboardInterrupt
    stops the batch: finished items are kept, the report says it was interrupted, and it is re-raised;
    `stop` set (the page's Stop) ends the renders at their next progress report. Either way the items that
    had not finished end as cancelled, in the report and the history. `height_px` renders every item smaller
    (720: 1280x720 from a 1920x1080 template).
    """
    if engine not in ("local", "ray"):
        raise InputError(f"unknown engine {engine!r}: use local or ray")
    out = Path(out_dir).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not os.access(out, os.W_OK):
            raise PermissionError(13, "not writable")
    except OSError as e:  # a file there, a file on the way, no permission: one line, not a traceback
        why = "it is a file" if out.is_file() else e.strerror or str(e)
        raise InputError(f"cannot write the batch to {str(out)!r} ({why}): choose another --out folder") from None
    emit = on_event or (lambda e: None)
    code = code_version()
    report = BatchReport(str(rundown.path), str(out), engine, code, time.time())
    results: dict[str, ItemResult] = {}
    remove_stale_temps(out, [it.name for it in rundown.items])
    batch_id = store.start_batch(rundown.path, out) if store is not None else None

    todo: list[tuple[Item, str]] = []
    for item in rundown.items:
        digest = input_hash(item, code, height_px) if not item.error else ""
        if item.error:
            results[item.name] = ItemResult(item.name, "failed", item.error)
            emit(ItemEvent(item.name, "failed", 0.0, item.error))
        elif item.skip:
            results[item.name] = ItemResult(item.name, "skipped", "disabled in the rundown (skip: true)")
            emit(ItemEvent(item.name, "skipped", 1.0, "disabled in the rundown"))
        elif (state := up_to_date(item, out, digest)) is not None:  # the report keeps what the render wrote
            results[item.name] = ItemResult(item.name, "skipped", "up to date: output exists, inputs unchanged",
                                            mp4=str(out / f"{item.name}.mp4"), srt=state.get("srt"),
                                            cover=state.get("cover"), title=item.name,
                                            duration_s=state.get("duration_s"), input_hash=digest)
            emit(ItemEvent(item.name, "skipped", 1.0, "up to date"))
        else:
            todo.append((item, digest))
            emit(ItemEvent(item.name, "queued", 0.0, "waiting"))

    def save() -> None:
        report.items = [results.get(it.name) or ItemResult(it.name, "skipped", "not run: the batch was interrupted")
                        for it in rundown.items]
        write_json_atomic(out / REPORT, report.to_json())

    history: dict[str, int] = {}

    def started(item: Item) -> None:
        emit(ItemEvent(item.name, "running", 0.0, "starting"))
        if store is not None:
            history[item.name] = store.start_render(
                item.script, {"template": item.template, "avatar": item.avatar, "voice": item.voice,
                              "fields": dict(item.fields), "seed": item.seed, "name": item.name},
                title=item.name, source="batch", batch_id=batch_id)

    def finished(item: Item, done: ItemOutcome) -> None:
        res = done.result
        r = ItemResult(item.name, done.status, done.reason, str(res.mp4) if res else None,
                       str(res.srt) if res else None, str(res.cover) if res and res.cover else None, item.name,
                       res.duration_s if res else None, done.elapsed_s, done.input_hash, done.traceback)
        results[item.name] = r
        emit(ItemEvent(item.name, r.status, 1.0 if r.status == "ok" else 0.0, r.reason or "done"))
        if store is not None and item.name in history:
            if r.status == "ok":
                store.finish_render(history[item.name], mp4=r.mp4, srt=r.srt, cover=r.cover,
                                    duration_s=r.duration_s, elapsed_s=r.elapsed_s)
            elif r.status == "cancelled":
                store.cancel_render(history[item.name], r.reason, elapsed_s=r.elapsed_s)
            else:
                store.fail_render(history[item.name], r.reason, elapsed_s=r.elapsed_s)
        save()

    save()
    try:
        if todo:
            n = jobs or min(len(todo), os.cpu_count() or 1)
            specs = [(item, _spec(item, digest, height_px)) for item, digest in todo]
            if engine == "ray":
                _run_ray(specs, out, n, emit, started, finished)
            else:
                _run_local(specs, out, n, emit, started, finished, stop)
        report.interrupted = bool(stop is not None and stop.is_set())
    except KeyboardInterrupt:
        report.interrupted = True
        raise
    finally:
        for item, _ in todo:  # begun or queued when Ctrl-C came: cancelled, not running for ever
            if item.name not in results:
                finished(item, ItemOutcome("cancelled", "interrupted (Ctrl-C) before it finished"))
        report.finished_at = time.time()
        save()
        if store is not None:
            store.finish_batch(batch_id, "interrupted" if report.interrupted else
                               ("ok" if report.succeeded else "failed"), report.counts)
    return report


def _spec(item: Item, digest: str, height_px: int | None = None) -> dict[str, Any]:
    return {"name": item.name, "script": item.script, "source": item.source, "template": item.template,
            "avatar": item.avatar, "voice": item.voice, "fields": _render_fields(item), "seed": item.seed,
            "input_hash": digest, "height_px": height_px, "brand": item.brand}


def _render_fields(item: Item) -> dict[str, str]:
    """The item's fields for its render. A text with no headline of its own (no `# title`, title line or
    `headline` field) shows the template's headline: its first sentence, shortened, sat on the strap right
    above the same sentence as a subtitle (issue 19)."""
    fields = dict(item.fields)
    deck = Path(item.source).suffix.lower() in DECK_SUFFIXES  # its script is the deck's digest, not text
    if "headline" in fields or item.source == "bulletin" or deck or not item.script:
        return fields
    try:
        parsed = parse_script(item.script)
        default = load_template(item.template).spec.variables.headline
    except XiaonuanError:
        return fields  # the render reports the problem
    made_up = "headline" not in parsed.fields and parsed.sentences[0].text.startswith(parsed.title.rstrip("…"))
    if made_up and default:  # the script's title was made from its first sentence
        fields["headline"] = default
    return fields
