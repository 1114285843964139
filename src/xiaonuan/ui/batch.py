"""The web page's Batch tab: a rundown uploaded from the page, rendered by batch.run_batch in a background
thread, its items' status polled by a timer; Stop ends it (the items not finished end as cancelled) and a
reload shows the page's latest batch again (the runs live in this server process, not in the page)."""


import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..store import Store
from ..batch import load_rundown, run_batch
from ..errors import XiaonuanError

RUNNING = "⏳ 运行中 Running…"


@dataclass
class _BatchRun:
    out_dir: Path
    items: dict[str, list[Any]] = field(default_factory=dict)  # name → [status, percent, message]
    done: bool = False
    summary: str = ""
    files: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    user: str = ""


_BATCHES: dict[str, _BatchRun] = {}
_BATCH_LOCK = threading.Lock()


def start_batch(upload: str | None, jobs: int, store: Store, out_root: Path, user: str = "") -> tuple[str, str]:
    """Start a batch from an uploaded rundown in a background thread; returns (batch key, message)."""
    if not upload:
        return "", "请先上传串联单 Upload a rundown (.yaml or .csv) first."
    try:
        rundown = load_rundown(Path(upload), allow_files=False)
    except XiaonuanError as e:
        return "", f"**无法使用此串联单 Cannot use this rundown.** {e}"
    key = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    run = _BatchRun(out_root / key, user=user)
    run.items = {it.name: ["queued", 0, ""] for it in rundown.items}
    with _BATCH_LOCK:
        _BATCHES[key] = run
    threading.Thread(target=_batch_thread, args=(run, rundown, jobs, store), daemon=True).start()
    return key, f"已开始 {len(rundown.items)} 条 Started {len(rundown.items)} item(s)."


def stop_batch(key: str) -> str:
    """The page's Stop: the running renders end at their next progress report, the queued ones never start."""
    with _BATCH_LOCK:
        run = _BATCHES.get(key)
    if run is None or run.done:
        return "没有正在运行的批量任务 No batch is running."
    run.stop.set()
    return "正在停止 Stopping…"


def latest_batch(user: str = "") -> str:
    """The key of this user's most recent batch in this server process ("" if none): shown again on reload."""
    with _BATCH_LOCK:
        keys = [k for k, r in _BATCHES.items() if r.user == user]
    return max(keys) if keys else ""


def _batch_thread(run: _BatchRun, rundown, jobs: int, store: Store) -> None:
    def on_event(e) -> None:
        with _BATCH_LOCK:
            run.items[e.name] = [e.status, round(100 * e.fraction), e.message]

    try:
        report = run_batch(rundown, run.out_dir, jobs=max(1, int(jobs)), on_event=on_event, store=store,
                           stop=run.stop)
        c = report.counts
        head = "已停止 Stopped" if run.stop.is_set() else "完成 Finished"
        run.summary = (f"**{head}:** ok {c['ok']}, failed {c['failed']}, skipped {c['skipped']}, "
                       f"cancelled {c.get('cancelled', 0)}.")
        run.files = [str(run.out_dir / "report.json")] + [r.mp4 for r in report.items if r.mp4]
    except Exception as e:  # shown on the page; the thread must not die silently
        run.summary = f"**批量任务中断 Batch stopped:** {type(e).__name__}: {e}"
    finally:
        run.done = True


def batch_status(key: str) -> tuple[list[list[Any]], str, list[str] | None]:
    with _BATCH_LOCK:
        run = _BATCHES.get(key)
        if run is None:
            return [], "", None
        rows = [[name, *vals] for name, vals in run.items.items()]
        return rows, (run.summary if run.done else RUNNING), (run.files or None)


def batch_tab(gr, store: Store, out_root: Path, cpu: int, demo) -> None:
    """The tab's widgets and events, inside the caller's `with gr.Tab(...)`."""
    gr.Markdown("上传串联单（YAML 或 CSV，见 docs/batch.md）。网页上传的串联单须直接写稿件文字（`text:`）。\n\n"
                "Upload a rundown (YAML or CSV, see docs/batch.md); uploaded rundowns give the script text inline "
                "(`text:`); script files are read only by the command line.")
    with gr.Row():
        rundown = gr.File(label="串联单 Rundown (.yaml / .csv)", file_types=[".yaml", ".yml", ".csv"],
                          elem_id="batch-rundown")
        with gr.Column():
            jobs = gr.Slider(1, cpu, value=max(1, cpu // 2), step=1, label="并行数 Parallel renders")
            with gr.Row():
                start = gr.Button("开始 Start", variant="primary", elem_id="batch-start")
                stop = gr.Button("停止 Stop", variant="stop", elem_id="batch-stop")
            b_msg = gr.Markdown("", elem_id="batch-msg")
    b_key = gr.State("")
    b_table = gr.Dataframe(headers=["条目 item", "状态 status", "%", "信息 message"], interactive=False,
                           label="条目 Items", elem_id="batch-items")
    b_files = gr.File(label="输出 Outputs", file_count="multiple", interactive=False)
    timer = gr.Timer(1.0, active=False)

    def do_start(path, n, request: gr.Request):
        key, msg = start_batch(path, n, store, out_root, getattr(request, "username", None) or "")
        return key, msg, gr.Timer(active=bool(key))

    def tick(key):
        rows, msg, outs = batch_status(key)
        return rows, msg, outs, gr.Timer(active=bool(key) and msg == RUNNING)

    def restore(request: gr.Request):
        key = latest_batch(getattr(request, "username", None) or "")
        rows, msg, outs = batch_status(key)
        return key, rows, msg, outs, gr.Timer(active=bool(key) and msg == RUNNING)

    start.click(do_start, [rundown, jobs], [b_key, b_msg, timer])
    stop.click(stop_batch, b_key, b_msg, queue=False)
    timer.tick(tick, b_key, [b_table, b_msg, b_files, timer], show_progress="hidden")
    demo.load(restore, None, [b_key, b_table, b_msg, b_files, timer])
