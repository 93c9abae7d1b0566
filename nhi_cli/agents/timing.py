"""Per-step wall and CPU seconds, for benchmarks/agents_scale.py (a no-op without a dict)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def step(timings: dict[str, Any] | None, name: str) -> Iterator[None]:
    if timings is None:
        yield
        return
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        old = timings.get(name, (0.0, 0.0))
        timings[name] = (old[0] + time.perf_counter() - wall, old[1] + time.process_time() - cpu)
