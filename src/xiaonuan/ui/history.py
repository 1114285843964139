"""The web page's History tab: the renders the store recorded (page, command line, batch), newest first;
a row shows its video, files and settings."""


import json
import time
from pathlib import Path

from ..store import Store

CANCELLED = "cancelled from the page before it finished"  # the history's error text for a stopped render
HEADERS = ["#", "时间 when", "状态 status", "来源 from", "标题 title / script", "模板 template", "主播 presenter",
           "声音 voice", "视频 video s", "耗时 took s", "用户 user"]


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


def history_detail(store: Store, rid: int | None) -> tuple[str | None, list[str] | None, str]:
    """(video, files, Markdown) for the row `rid`."""
    r = store.render(rid) if rid is not None else None
    if r is None:
        return None, None, ""
    vtt = str(Path(r.srt).with_suffix(".vtt")) if r.srt else None
    files = [p for p in (r.mp4, r.srt, vtt, r.cover) if p and Path(p).is_file()]
    when = time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(r.created_at))
    info = (f"**#{r.id}** · {history_status(r.status, r.error)} · {when}"
            f"\n\nsettings: `{json.dumps(r.settings, ensure_ascii=False)}`"
            + (f"\n\n**error:** {r.error}" if r.error else "") + f"\n\n```\n{r.script}\n```")
    video = r.mp4 if r.mp4 and Path(r.mp4).is_file() else None
    return video, files or None, info


def history_tab(gr, store: Store, demo) -> None:
    """The tab's widgets and events, inside the caller's `with gr.Tab(...) as tab` (shown fresh on select)."""
    refresh = gr.Button("刷新 Refresh", size="sm")
    h_table = gr.Dataframe(headers=HEADERS, interactive=False, label="已生成 Renders (点击一行 click a row)")
    with gr.Row():
        h_video = gr.Video(label="视频 Video", interactive=False, height=280)
        with gr.Column():
            h_files = gr.File(label="文件 Files", file_count="multiple", interactive=False)
            h_info = gr.Markdown("")

    def rows():
        return history_rows(store)

    def detail(evt: gr.SelectData):
        row = evt.row_value if hasattr(evt, "row_value") else None
        return history_detail(store, int(row[0]) if row else None)

    rows.__name__ = "history_rows"  # the page's API name for it (tests call it by that name)
    refresh.click(rows, None, h_table)
    h_table.select(detail, None, [h_video, h_files, h_info])
    demo.load(rows, None, h_table)
    return h_table, rows
