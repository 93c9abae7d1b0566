"""Scan progress on stderr: a live per-provider view at a terminal, plain lines in CI logs.

At a terminal: one line per provider, N/M scopes done, API calls made, elapsed time (Rich,
cleared when the scan ends). Without a terminal (CI): one timestamped line per finished scope,
and a heartbeat line when nothing was printed for ``NHI_HEARTBEAT_SECONDS`` (default 30 s)
naming what the scan is waiting on (a credential report being generated, throttling back-off),
so a long wait never looks like a hang. ``--quiet`` turns both off; errors are not progress
and are printed elsewhere regardless.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from nhi_cli.cli.common import CliContext
from nhi_cli.model import Scope, ScopeResult
from nhi_cli.scan import ScanProgress
from nhi_cli.text import markup_safe, visible

DEFAULT_HEARTBEAT = 30.0


def heartbeat_seconds() -> float:
    try:
        return max(0.1, float(os.environ.get("NHI_HEARTBEAT_SECONDS") or DEFAULT_HEARTBEAT))
    except ValueError:
        return DEFAULT_HEARTBEAT


def _elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class _Tally:
    """Per-provider counts shared by both renderers (updated from worker threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.total: dict[str, int | None] = {}  # provider -> scopes (None while listing)
        self.done: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.running: dict[tuple[str, str], float] = {}  # (provider, scope) -> started

    def listing(self, provider: str) -> None:
        with self.lock:
            self.total[provider] = None
            self.done.setdefault(provider, 0)
            self.calls.setdefault(provider, 0)
            self.running[(provider, "(listing scopes)")] = time.monotonic()

    def listed(self, provider: str, n: int) -> None:
        with self.lock:
            self.total[provider] = n
            self.running.pop((provider, "(listing scopes)"), None)

    def started(self, provider: str, scope: str) -> None:
        with self.lock:
            self.running[(provider, scope)] = time.monotonic()

    def finished(self, provider: str, scope: str, calls: int) -> tuple[int, int]:
        with self.lock:
            self.running.pop((provider, scope), None)
            self.done[provider] = self.done.get(provider, 0) + 1
            self.calls[provider] = self.calls.get(provider, 0) + calls
            return self.done_all(), self.total_all()

    def done_all(self) -> int:
        return sum(self.done.values())

    def total_all(self) -> int:
        return sum(n or 0 for n in self.total.values())


class LineProgress(ScanProgress):
    """CI logs: timestamped lines, and a heartbeat while waiting."""

    def __init__(self, err: Console, interval: float | None = None, verbose: bool = False) -> None:
        self.err = err
        self.verbose = verbose
        self.interval = interval or heartbeat_seconds()
        self.tally = _Tally()
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._print_lock = threading.Lock()

    def _line(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._print_lock:
            self.err.print(f"{stamp} {visible(text)}", highlight=False, markup=False, soft_wrap=True)
            self._last = time.monotonic()

    def listing_scopes(self, provider: str) -> None:
        self.tally.listing(provider)

    def scopes_listed(self, provider: str, scopes: list[Scope]) -> None:
        self.tally.listed(provider, len(scopes))

    def scope_started(self, provider: str, scope: Scope) -> None:
        self.tally.started(provider, scope.id)

    def scope_done(self, provider: str, scope: Scope, result: ScopeResult) -> None:
        calls = sum(result.api_calls.values())
        done, total = self.tally.finished(provider, scope.id, calls)
        detail = f" {result.error_code}" if result.error_code else ""
        self._line(
            f"nhi: {provider}:{scope.id} {result.status}{detail}, {calls} API calls, "
            f"{result.duration_ms / 1000:.1f}s ({done}/{total} scopes)"
        )
        if self.verbose:
            for call, n in sorted(result.api_calls.items()):
                self._line(f"  {call}: {n}")

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, self.interval / 4)):
            if time.monotonic() - self._last < self.interval:
                continue
            with self.tally.lock:
                now = time.monotonic()
                waiting = sorted(self.tally.running.items(), key=lambda item: item[1])
                names = ", ".join(f"{p}:{s} ({_elapsed(now - t)})" for (p, s), t in waiting[:4])
                more = f" and {len(waiting) - 4} more" if len(waiting) > 4 else ""
                done, total = self.tally.done_all(), self.tally.total_all()
                calls = sum(self.tally.calls.values())
            self._line(
                f"nhi: still scanning, {_elapsed(now - self.tally.start)} elapsed: {done}/{total} scopes "
                f"done, {calls} API calls" + (f"; waiting on {names}{more}" if names else "")
            )

    def __enter__(self) -> LineProgress:
        self._thread = threading.Thread(target=self._beat, name="nhi-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


class LiveProgress(ScanProgress):
    """A terminal: one Rich progress row per provider, cleared when the scan ends."""

    def __init__(self, err: Console, verbose: bool = False) -> None:
        self.verbose = verbose
        self.tally = _Tally()
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<10}"),
            TextColumn("{task.fields[scopes]}"),
            TextColumn("{task.fields[calls]} API calls"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def _update(self, provider: str) -> None:
        with self._lock:
            total = self.tally.total.get(provider)
            scopes = "listing scopes" if total is None else f"{self.tally.done.get(provider, 0)}/{total} scopes"
            calls = self.tally.calls.get(provider, 0)
            if provider not in self.tasks:
                self.tasks[provider] = self.progress.add_task(
                    markup_safe(provider), total=None, scopes=scopes, calls=calls
                )
            else:
                self.progress.update(self.tasks[provider], scopes=scopes, calls=calls)
            if total is not None and self.tally.done.get(provider, 0) >= total:
                self.progress.stop_task(self.tasks[provider])

    def listing_scopes(self, provider: str) -> None:
        self.tally.listing(provider)
        self._update(provider)

    def scopes_listed(self, provider: str, scopes: list[Scope]) -> None:
        self.tally.listed(provider, len(scopes))
        self._update(provider)

    def scope_started(self, provider: str, scope: Scope) -> None:
        self.tally.started(provider, scope.id)

    def scope_done(self, provider: str, scope: Scope, result: ScopeResult) -> None:
        calls = sum(result.api_calls.values())
        self.tally.finished(provider, scope.id, calls)
        self._update(provider)
        if self.verbose:
            self.progress.console.print(
                f"  {provider}:{scope.id} {result.status} ({calls} API calls)", highlight=False, markup=False
            )

    def __enter__(self) -> LiveProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)


def scan_progress(st: CliContext) -> LineProgress | LiveProgress | None:
    """The renderer for this run: None with --quiet."""
    if st.quiet:
        return None
    if st.err.is_terminal:
        return LiveProgress(st.err, verbose=st.verbose)
    return LineProgress(st.err, verbose=st.verbose)
