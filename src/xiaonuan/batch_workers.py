"""The batch's workers: one item rendered in a worker process (render_item), and the runners that hand items to
a local process pool or to Ray and pass their progress back. Split from batch.py, which reads rundowns and
keeps the report; the items reach here as plain specs (dicts), so a worker needs nothing of batch.py.

Ctrl-C ends a worker quietly (no traceback from the pool's loop); the page's Stop sets an Event the workers
read at each progress report, and their items end as cancelled.
"""

from __future__ import annotations

import json
import os
import queue as queue_mod
import signal
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping
import multiprocessing as mp

from .deck import DECK_SUFFIXES
from .errors import InputError, XiaonuanError
from .fileio import write_atomic
from .render import RenderRequest, RenderResult, render

STATE_DIR = ".xiaonuan"
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class ItemEvent:
    """What the runner tells its caller about an item: status queued|running|ok|failed|skipped|cancelled."""

    name: str
    status: str
    fraction: float = 0.0
    message: str = ""


@dataclass(frozen=True)
class ItemOutcome:
    """How one item's render ended, as a worker hands it back: the RenderResult when it rendered (status ok),
    else why not (failed | cancelled)."""

    status: str
    reason: str = ""
    result: RenderResult | None = None
    elapsed_s: float | None = None
    input_hash: str = ""
    traceback: str = ""  # an internal error's (a bug's) traceback, kept for the report


def state_path(out_dir: Path, name: str) -> Path:
    return out_dir / STATE_DIR / f"{name}.json"


def write_json_atomic(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))


# --- the work one worker does ------------------------------------------------------------------

_progress_queue: Any = None


_parent_pid: int | None = None
_halt: Any = None  # a multiprocessing Event: set by the batch's Stop, read at each progress report
_in_render = False


class _Orphaned(BaseException):
    """The batch process that started this worker is gone (kill -9): stop rendering, leave."""


class _Stopped(BaseException):
    """The batch was stopped (the page's Stop): end this render, report the item cancelled."""


def _init_worker(q: Any, halt: Any = None) -> None:
    global _progress_queue, _parent_pid, _halt
    _progress_queue, _parent_pid, _halt = q, os.getppid(), halt
    signal.signal(signal.SIGINT, _worker_sigint)


def _worker_sigint(signum, frame) -> None:
    """Ctrl-C in a worker: inside a render, KeyboardInterrupt (render() removes its temporary files, then
    render_item leaves); idle between items, leave at once, with no traceback from the pool's loop."""
    if _in_render:
        raise KeyboardInterrupt
    os._exit(EXIT_INTERRUPTED)


def render_item(spec: Mapping[str, Any], out_dir: str, progress: Any = None) -> ItemOutcome:
    """Render one item in this process; never raises for a failed render (the outcome says why)."""
    global _in_render

    sink = progress if progress is not None else _progress_queue
    name = spec["name"]
    out = Path(out_dir) / f"{name}.mp4"
    started = time.perf_counter()

    def report(p) -> None:
        if _parent_pid is not None and os.getppid() != _parent_pid:
            raise _Orphaned()  # render() stops here and removes its temporary files
        if _halt is not None and _halt.is_set():
            raise _Stopped()
        if sink is not None:
            try:
                sink.put((name, p.stage, p.fraction, p.message))
            except Exception:  # progress is best effort: never fail a render for it
                pass

    source = spec.get("source") or ""
    # a script file's text was read with the rundown (it may be gone since); a deck is read here, by render()
    named = source not in ("", "inline", "bulletin")
    script: Any = (Path(source) if named and (Path(source).is_file() or Path(source).suffix.lower() in DECK_SUFFIXES)
                   else spec["script"])
    _in_render = True
    try:
        request = RenderRequest(script, template=spec["template"], avatar=spec["avatar"], voice=spec["voice"],
                                out=out, fields=spec["fields"], seed=spec["seed"], height_px=spec.get("height_px"),
                                brand=Path(spec["brand"]) if spec.get("brand") else None)
        result = render(request, on_progress=report)
    except _Stopped:
        return ItemOutcome("cancelled", "stopped before it finished", elapsed_s=time.perf_counter() - started)
    except (KeyboardInterrupt, _Orphaned):
        if _parent_pid is None:  # called in the batch's own process (Ray, tests): its caller decides
            raise
        # Ctrl-C reaches the whole process group; or the batch died. Either way this worker must not go on to
        # the items already queued for it (they rendered after Ctrl-C, and on and on after a kill -9).
        os._exit(130)
    except XiaonuanError as e:
        return ItemOutcome("failed", str(e), elapsed_s=time.perf_counter() - started)
    except Exception as e:  # a bug: keep the traceback in the report, carry on with the other items
        return ItemOutcome("failed", f"internal error: {type(e).__name__}: {e}", elapsed_s=time.perf_counter() - started,
                           traceback=traceback.format_exc())
    finally:
        _in_render = False
    done = ItemOutcome("ok", result=result, elapsed_s=time.perf_counter() - started, input_hash=spec["input_hash"])
    # written last: an MP4 without this file is rendered again on the next run
    write_json_atomic(state_path(Path(out_dir), name),
                      {"name": name, "status": "ok", "mp4": str(result.mp4), "srt": str(result.srt),
                       "cover": str(result.cover) if result.cover else None, "duration_s": result.duration_s,
                       "elapsed_s": done.elapsed_s, "input_hash": done.input_hash, "warnings": list(result.warnings),
                       "finished_at": time.time()})
    return done


def _drain(q: Any, emit: Callable[[ItemEvent], None], wait_s: float) -> None:
    """Forward progress messages from the workers to the caller until the queue is empty."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            name, stage, fraction, message = q.get(timeout=max(0.0, deadline - time.monotonic()))
        except (queue_mod.Empty, EOFError, OSError):
            return
        except Exception:  # ray.util.queue.Empty
            return
        emit(ItemEvent(name, "running", float(fraction), f"{stage}: {message}" if message else stage))


def _run_local(todo, out: Path, jobs: int, emit, started, finished, stop: threading.Event | None = None) -> None:
    """Render `todo` ((item, spec) pairs) in worker processes. A worker that dies (killed, out of memory) breaks
    its pool: the item it was rendering fails, and the items that had not begun go to a fresh pool (each at most
    twice). `stop` set: the renders end at their next progress report, the queued ones are cancelled."""
    attempts: dict[str, int] = {}
    while todo and not (stop is not None and stop.is_set()):
        todo = _run_pool(todo, out, jobs, emit, started, finished, attempts, stop)
    for item, _ in todo:  # stopped between two pools
        finished(item, ItemOutcome("cancelled", "stopped before it began"))


def _run_pool(todo, out: Path, jobs: int, emit, started, finished, attempts: dict[str, int],
              stop: threading.Event | None = None) -> list:
    """One pool over `todo`; returns the items to run again because the pool broke before they began."""
    ctx = mp.get_context("spawn")  # a clean interpreter per worker: no inherited threads or locks
    q = ctx.Queue()
    halt = ctx.Event()  # the workers' view of `stop`
    pool = ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx, initializer=_init_worker,
                               initargs=(q, halt))
    futures: dict[Future, tuple[Any, dict[str, Any]]] = {}
    begun: set[str] = set()  # items a worker has reported progress on

    def forward(event: ItemEvent) -> None:
        begun.add(event.name)
        emit(event)

    again = []
    try:
        for item, spec in todo:
            futures[pool.submit(render_item, spec, str(out))] = (item, spec)
            if item.name not in attempts:
                started(item)
            attempts[item.name] = attempts.get(item.name, 0) + 1
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.3, return_when=FIRST_COMPLETED)
            _drain(q, forward, 0.0)
            if stop is not None and stop.is_set() and not halt.is_set():
                halt.set()  # the running renders stop at their next report and return "cancelled"
                for f in list(pending):
                    if f.cancel():  # a queued one: it never starts
                        pending.discard(f)
                        finished(futures[f][0], ItemOutcome("cancelled", "stopped before it began"))
            for f in done:
                item, spec = futures[f]
                if f.cancelled():
                    finished(item, ItemOutcome("cancelled", "stopped before it began"))
                    continue
                try:
                    finished(item, f.result())
                except Exception as e:  # its worker died (killed, out of memory), or one before it in the pool
                    if isinstance(e, BrokenProcessPool) and item.name not in begun and attempts[item.name] < 2:
                        again.append((item, spec))  # queued behind the one that died: not its fault
                    else:
                        finished(item, ItemOutcome("failed", f"worker process failed: {type(e).__name__}: {e}"))
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    return again


def _run_ray(todo, out: Path, jobs: int, emit, started, finished) -> None:
    """The same items as Ray tasks: $RAY_ADDRESS names a cluster, else a local Ray instance is started.

    The output folder must be visible to every node at the same path (a shared filesystem).
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # offline: no usage reporting
    try:
        # lazy: Ray is optional (xiaonuan[scale])
        import ray
        # lazy: Ray is optional (xiaonuan[scale])
        from ray.util.queue import Queue
    except ImportError:
        raise InputError("--engine ray needs Ray: pip install 'xiaonuan[scale]'") from None

    started_here = not ray.is_initialized()
    if started_here:
        address = os.environ.get("RAY_ADDRESS")
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if not address:
            kwargs.update(num_cpus=max(1, jobs), object_store_memory=80 * 1024 * 1024)
        ray.init(address=address or None, **kwargs)
    refs: dict[Any, Any] = {}
    try:
        q = Queue()
        task = ray.remote(num_cpus=1, max_retries=0)(render_item)
        for item, spec in todo:
            refs[task.remote(spec, str(out), q)] = item
            started(item)
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=0.3)
            _drain(q, emit, 0.0)
            for ref in done:
                try:
                    finished(refs[ref], ray.get(ref))
                except Exception as e:  # the task or its worker died
                    finished(refs[ref], ItemOutcome("failed", f"Ray task failed: {type(e).__name__}: {e}"))
    except KeyboardInterrupt:
        for ref in refs:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started_here:
            ray.shutdown()
