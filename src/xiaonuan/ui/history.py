"""The web page's History tab: the renders the store recorded (page, command line, batch), newest first, as a
table; a row shows its video, files and settings in words, and can be rendered again (the same request) or
deleted with its files (after a confirm)."""


import time
from pathlib import Path
from typing import Any, Callable

from ..store import RenderRecord, Store

CANCELLED = "cancelled from the page before it finished"  # the history's error text for a stopped render
HEADERS = ["#", "时间 when", "状态 status", "来源 from", "标题 title / script", "模板 template", "主播 presenter",
           "声音 voice", "视频 video s", "耗时 took s", "用户 user"]
SETTING_LABELS = {"template": "模板 template", "avatar": "主播 presenter", "voice": "声音 voice", "speed": "语速 speed",
                  "size": "尺寸 size", "seed": "seed", "name": "条目 item"}
PICK_FIRST = "请先点击表格中的一行 Click a row of the table first."


def history_status(status: str, error: str | None) -> str:
    """The status the History tab shows; rows stopped before the store knew 'cancelled' read 'cancelled' too."""
    return "cancelled" if status == "failed" and error == CANCELLED else status


def history_rows(store: Store) -> list[list]:
    rows = []
    for r in store.renders(200):
        s = r.settings
        if s.get("kind") == "preview":  # recorded by earlier versions; previews are not history (render_job)
            continue
        rows.append([r.id, time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at)),
                     history_status(r.status, r.error), r.source,
                     (r.title or r.script.replace("\n", " "))[:40], s.get("template", ""), s.get("avatar", ""),
                     s.get("voice", "") or "", f"{r.duration_s:.1f}" if r.duration_s else "",
                     f"{r.elapsed_s:.1f}" if r.elapsed_s else "", r.user])
    return rows


def settings_text(settings: dict[str, Any]) -> str:
    """A row's settings in words, one per line (what the render was asked for), not JSON."""
    lines = [f"- {label}: `{settings[key]}`" for key, label in SETTING_LABELS.items()
             if settings.get(key) not in (None, "")]
    fields = settings.get("fields") or {}
    if fields:
        lines.append("- 字段 fields: " + ", ".join(f"{k} = {v}" for k, v in fields.items()))
    return "\n".join(lines)


def _files(r: RenderRecord) -> list[str]:
    vtt = str(Path(r.srt).with_suffix(".vtt")) if r.srt else None
    return [p for p in (r.mp4, r.srt, vtt, r.cover) if p]


def history_detail(store: Store, rid: int | None) -> tuple[str | None, list[str] | None, str]:
    """(video, files, Markdown) for the row `rid`."""
    r = store.render(rid) if rid is not None else None
    if r is None:
        return None, None, ""
    files = [p for p in _files(r) if Path(p).is_file()]
    when = time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(r.created_at))
    info = (f"**#{r.id}** · {history_status(r.status, r.error)} · {r.source} · {when}\n\n{settings_text(r.settings)}"
            + (f"\n\n**error:** {r.error}" if r.error else "") + f"\n\n```\n{r.script}\n```")
    video = r.mp4 if r.mp4 and Path(r.mp4).is_file() else None
    return video, files or None, info


def rerender_args(r: RenderRecord, auto_voice: str, template_size: str) -> tuple:
    """The Create tab's inputs (script, template, avatar, voice, speed, size, headline, name, title, more fields)
    that ask for row `r`'s render again: a page row keeps them all; a command-line or batch row has no speed or
    size, so it gets the template's size at the voice's speed."""
    s = r.settings
    fields = {str(k): str(v) for k, v in (s.get("fields") or {}).items()}
    common = [fields.pop(k, "") for k in ("headline", "name", "title")]
    return (r.script, s.get("template") or "news", s.get("avatar") or "default", s.get("voice") or auto_voice,
            float(s.get("speed") or 1.0), s.get("size") or template_size, *common,
            "\n".join(f"{k}={v}" for k, v in fields.items()))


def delete_entry(store: Store, rid: int | None, app_folder: Path) -> str:
    """Remove row `rid` and its files in the app's own folder (the page's outputs); files a command line or a
    batch wrote elsewhere are the user's and are kept (named in the note). Returns the note."""
    if not rid:
        return PICK_FIRST
    r = store.delete_render(int(rid))
    if r is None:
        return (f"#{rid} 仍在生成或已删除，未删除 is still rendering (stop it first) or already gone: nothing "
                "deleted.")
    removed, kept = [], []
    home = app_folder.resolve()
    for p in map(Path, _files(r)):
        if not p.is_file():
            continue
        if p.resolve().is_relative_to(home):
            p.unlink(missing_ok=True)
            removed.append(p.name)
            try:
                p.parent.rmdir()  # a render named after its headline has a folder of its own: gone when empty
            except OSError:
                pass
        else:
            kept.append(str(p))
    note = f"已删除 Deleted #{r.id}" + (f" and {len(removed)} file(s): {', '.join(removed)}" if removed else "")
    return note + (f"\n\n保留了应用文件夹以外的文件 Kept (outside the app's folder): {', '.join(kept)}" if kept else "")


def history_tab(gr, store: Store, demo, app_folder: Path, rerender: Callable | None = None,
                concurrency: int = 1) -> tuple[Any, Callable]:
    """The tab's widgets and events, inside the caller's `with gr.Tab(...) as tab` (shown fresh on select).
    `rerender` is the page's async render for a row id: (video, files, note)."""
    refresh = gr.Button("刷新 Refresh", size="sm")
    h_table = gr.Dataframe(headers=HEADERS, interactive=False, label="已生成 Renders (点击一行 click a row)",
                           elem_id="history-table")
    picked = gr.State(0)
    with gr.Row():
        again = gr.Button("重新生成 Re-render", elem_id="history-rerender")
        delete = gr.Button("删除 Delete", variant="stop", elem_id="history-delete")
    with gr.Row(visible=False) as confirm_row:
        confirm_text = gr.Markdown("")
        yes = gr.Button("确认删除 Delete for good", variant="stop", elem_id="history-delete-yes")
        no = gr.Button("取消 Cancel", elem_id="history-delete-no")
    with gr.Row():
        h_video = gr.Video(label="视频 Video", interactive=False, height=280)
        with gr.Column():
            h_files = gr.File(label="文件 Files", file_count="multiple", interactive=False)
            h_info = gr.Markdown("", elem_id="history-info")

    def rows():
        return history_rows(store)

    def detail(evt: gr.SelectData):
        row = evt.row_value if hasattr(evt, "row_value") else None
        rid = int(row[0]) if row else 0
        return (rid, *history_detail(store, rid or None))

    def ask(rid):
        r = store.render(rid) if rid else None
        if r is None:
            return gr.Row(visible=False), "", PICK_FIRST
        title = (r.title or r.script.replace("\n", " "))[:30]
        return (gr.Row(visible=True), f"删除 #{rid}「{title}」及其文件？ Delete #{rid} and its files?", gr.skip())

    def really(rid):
        note = delete_entry(store, rid, app_folder)
        return gr.Row(visible=False), 0, None, None, note, rows()

    async def again_fn(rid, request: gr.Request, progress=gr.Progress()):
        if not rid or rerender is None:
            return gr.skip(), gr.skip(), PICK_FIRST
        return await rerender(int(rid), request, progress)

    rows.__name__ = "history_rows"  # the page's API name for it (tests call it by that name)
    refresh.click(rows, None, h_table)
    h_table.select(detail, None, [picked, h_video, h_files, h_info])
    delete.click(ask, picked, [confirm_row, confirm_text, h_info], queue=False)
    no.click(lambda: gr.Row(visible=False), None, confirm_row, queue=False)
    yes.click(really, picked, [confirm_row, picked, h_video, h_files, h_info, h_table])
    again.click(again_fn, picked, [h_video, h_files, h_info], concurrency_id="render",
                concurrency_limit=concurrency, show_progress_on=[h_video]).then(rows, None, h_table)
    demo.load(rows, None, h_table)
    return h_table, rows
