"""A bounded thread pool that Ctrl-C can stop at once.

A neutral module: the scan (scopes in parallel) and revoke (targets in parallel) use it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

Item = TypeVar("Item")


def bounded_map(fn: Callable[[Item], Any], items: list[Item], workers: int, cancel: threading.Event) -> list[Any]:
    """Run ``fn`` over ``items`` on at most ``workers`` daemon threads, results in order.

    Daemon threads so that Ctrl-C ends the process at once instead of waiting for slow
    provider calls; nothing has been written at this point, so nothing is lost."""
    results: list[Any] = [None] * len(items)  # a result, or the exception ``fn`` raised
    work: queue.Queue[tuple[int, Item]] = queue.Queue()
    for index, item in enumerate(items):
        work.put((index, item))
    done = threading.Semaphore(0)

    def worker() -> None:
        while not cancel.is_set():
            try:
                index, item = work.get_nowait()
            except queue.Empty:
                return
            try:
                results[index] = fn(item)
            except BaseException as exc:  # handed back to the caller
                results[index] = exc
            done.release()

    for _ in range(max(1, min(workers, len(items)))):
        threading.Thread(target=worker, daemon=True).start()
    for _ in items:
        while not done.acquire(timeout=0.2):
            if cancel.is_set():
                raise KeyboardInterrupt
    return results
