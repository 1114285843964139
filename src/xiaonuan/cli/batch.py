"""`xiaonuan batch RUNDOWN --out DIR`: render a rundown with a progress bar per item, then a summary table."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def batch(
    rundown: Path = typer.Argument(..., help="rundown: .yaml/.yml or .csv (see docs/batch.md)"),
    out: Path = typer.Option(..., "-o", "--out", help="output folder: NAME.mp4 + NAME.srt per item, report.json"),
    jobs: int = typer.Option(0, "-j", "--jobs", min=0, help="parallel renders (default, or 0: the number of CPUs)"),
    engine: str = typer.Option("local", help="local (worker processes) or ray ($RAY_ADDRESS or a local Ray)"),
    no_history: bool = typer.Option(False, "--no-history", help="do not record the renders in the history"),
    height: int = typer.Option(0, "--height", min=0,
                               help="output height in px, e.g. 720 (1280x720 from a 1080p template); 0: the template's"),
) -> None:
    """Render every item of RUNDOWN into OUT; items already rendered with the same inputs are skipped.

    Exit code 0 only if every item succeeded (or was up to date); 1 if any failed; 2 for an unusable rundown;
    130 when interrupted (finished items are kept; run the same command again to resume).
    """
    # lazy: CLI start-up (docs/architecture.md)
    from rich.console import Console
    from rich.markup import escape  # names and messages may hold [brackets] ([pause 30s]): text, not markup
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    # lazy: CLI start-up (docs/architecture.md)
    from ..batch import EXIT_INTERRUPTED, load_rundown, run_batch
    from ..errors import InputError
    from ..store import Store

    console = Console(stderr=True)
    try:
        rd = load_rundown(rundown)
    except InputError as e:
        console.print(f"error: {e}", markup=False, highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)

    # On a terminal: a bar per item and one overall; in a log (CI, pipes): one line per finished item.
    live = console.is_terminal and not os.environ.get("CI")
    progress = Progress(TextColumn("{task.description:<24}"), BarColumn(), TaskProgressColumn(),
                        TextColumn("{task.fields[status]:<8} {task.fields[note]}"), TimeElapsedColumn(),
                        console=console, disable=not live)
    tasks = {it.name: progress.add_task(escape(it.name[:24]), total=1.0, status="", note="") for it in rd.items}
    overall = progress.add_task("[bold]overall", total=len(rd.items), status="", note="")
    ended: set[str] = set()

    def on_event(e) -> None:
        note = e.message if len(e.message) <= 60 else e.message[:57] + "…"
        progress.update(tasks[e.name], completed=e.fraction if e.status != "ok" else 1.0, status=e.status,
                        note=escape(note))
        if e.status in ("ok", "failed", "skipped", "cancelled") and e.name not in ended:
            ended.add(e.name)
            progress.update(overall, completed=len(ended))
            if not live:
                console.print(f"{e.status:>7}  {e.name}  {e.message}", markup=False, highlight=False)

    store = None if no_history else Store()
    try:
        with progress:
            report = run_batch(rd, out, jobs=jobs or None, engine=engine, on_event=on_event, store=store,
                               height_px=height or None)
    except KeyboardInterrupt:
        console.print(f"interrupted: finished items are kept in {out}; run the same command again to resume",
                      markup=False, highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED)
    except InputError as e:
        console.print(f"error: {e}", markup=False, highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)

    _summary(console, report)
    raise typer.Exit(EXIT_OK if report.succeeded else EXIT_FAILED)


def _summary(console, report) -> None:
    # lazy: CLI start-up (docs/architecture.md)
    from rich.markup import escape
    from rich.table import Table

    colours = {"ok": "green", "failed": "red", "skipped": "yellow", "cancelled": "magenta"}
    table = Table(title=f"{report.rundown} → {report.out_dir}", title_justify="left")
    for col in ("item", "status", "duration", "time", "reason / output"):
        table.add_column(col, overflow="fold")
    for r in report.items:
        table.add_row(escape(r.name), f"[{colours.get(r.status, 'white')}]{r.status}[/]",
                      f"{r.duration_s:.1f} s" if r.duration_s else "", f"{r.elapsed_s:.1f} s" if r.elapsed_s else "",
                      escape(r.reason or (Path(r.mp4).name if r.mp4 else "")))
    console.print(table)
    c = report.counts
    console.print(f"ok {c['ok']}, failed {c['failed']}, skipped {c['skipped']}, cancelled {c.get('cancelled', 0)}; "
                  "report: "
                  f"{Path(report.out_dir) / 'report.json'}", markup=False, highlight=False)
    # machine-readable last line for scripts that tail the log
    console.print(json.dumps({"counts": c, "succeeded": report.succeeded}), markup=False, highlight=False)
