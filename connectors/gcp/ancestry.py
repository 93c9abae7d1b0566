"""Folders and the organization above each project, and their IAM policies, read once per scan.

Grants made on a folder or the organization are inherited by every project below. Projects
are collected concurrently, and many share the same ancestors, so both the ancestry (who is
whose parent) and the ancestors' policies sit in a :class:`RunMemo` in the scan's cache: the
first scope to need an entry fetches it (the call is counted in that scope), the others wait
for and reuse the answer, refusals included. Discovery seeds the parents it already saw.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any, TypeVar, cast

from .clients import GcpClients, get_ancestor_policy, get_parent

MAX_DEPTH = 12  # Resource Manager allows 10 levels of folders; a cycle would be a fake's bug

T = TypeVar("T")


class RunMemo:
    """Thread-safe: each key computed at most once per scan; concurrent askers wait for it.
    An exception (a denial) is remembered like a value and raised to every asker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Future[Any]] = {}

    def seed(self, key: str, value: object) -> None:
        future: Future[Any] = Future()
        future.set_result(value)
        with self._lock:
            self._items.setdefault(key, future)

    def get(self, key: str, compute: Callable[[], T]) -> T:
        with self._lock:
            future = self._items.get(key)
            owner = future is None
            if future is None:
                future = self._items[key] = Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:  # remembered; KeyboardInterrupt reaches every asker too
                future.set_exception(exc)
        # a key holds one kind of value (parent:* a str, policy:* a policy), seeded or computed
        return cast(T, future.result())


class Ancestry:
    """Per-scan view of the resource hierarchy: parents and ancestor policies, memoised."""

    def __init__(self) -> None:
        self.memo = RunMemo()
        self.projects: list[str] = []  # every project of this scan (the scopes)

    def seed_parent(self, resource: str, parent: str | None) -> None:
        """What discovery saw; a project listed without a parent has none (no org): "" says so."""
        self.memo.seed(f"parent:{resource}", parent or "")

    def chain(self, clients: GcpClients, project: str) -> list[str]:
        """Ancestors of ``project``, nearest first: folders..., then the organization."""
        chain: list[str] = []
        resource = f"projects/{project}"
        while len(chain) < MAX_DEPTH:
            parent = self.memo.get(f"parent:{resource}", partial(get_parent, clients, resource))
            if not parent or parent in chain:
                break
            chain.append(parent)
            if parent.startswith("organizations/"):
                break
            resource = parent
        return chain

    def policy(self, clients: GcpClients, ancestor: str) -> dict[str, Any]:
        return self.memo.get(f"policy:{ancestor}", lambda: get_ancestor_policy(clients, ancestor))
