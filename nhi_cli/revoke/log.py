"""The revocation log: an append-only chain of authenticated entries in its own SQLite file.

Why its own file (``nhi.db.revocations``): a scan holds the inventory's write lock for the
length of its load, and a kill switch that waits for a scan (or fails after a lock timeout) is
not one. The log's transactions are a few milliseconds long and only revoke and restore write
it, so nothing starves them.

Why a chain of entries rather than rows updated in place: each fact is written once, when it
happens (an attempt and its plan, a step about to act, a step's outcome, the end), so a crash
leaves exactly what is known; and each entry carries an HMAC-SHA256 over the previous entry's
MAC and its own content, keyed by the revoke key (keys.py), which no SQL can read. An edited
entry fails its own MAC, a deleted one breaks the next entry's link; `nhi restore` refuses an
attempt whose entries do not verify (edited restore data would make restore write an
attacker's trust policy). Triggers reject UPDATE and DELETE, against accidents; the MACs are
what an attacker cannot get past.

Entry kinds: ``attempt`` (the plan, the operator, each step ``planned``), ``step_started``,
``step_finished`` (status, error, restore data), ``caller`` (the cloud principal that made
the calls), ``finished`` (final status) and ``interrupted`` (written by a later run for an
attempt whose process died: which steps are known done and which may have acted).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nhi_cli.errors import ExitCode, NhiError
from nhi_cli.model import iso, utcnow
from nhi_cli.revoke.keys import mac, same
from nhi_cli.store.interface import DbConnection

LOG_APPLICATION_ID = 0x4E48494C  # "NHIL"
OK_STATUSES = ("done", "already_done")
SCHEMA = """
CREATE TABLE IF NOT EXISTS entry (
    seq           INTEGER PRIMARY KEY,   -- chain order, from 1 without gaps
    revocation_id INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    at            TEXT NOT NULL,
    body          TEXT NOT NULL,         -- canonical JSON, exactly what the MAC covers
    mac           TEXT NOT NULL          -- HMAC(key, previous mac, seq, revocation_id, kind, at, body)
);
CREATE INDEX IF NOT EXISTS entry_revocation ON entry (revocation_id, seq);
CREATE TRIGGER IF NOT EXISTS entry_append_only_u BEFORE UPDATE ON entry
    BEGIN SELECT RAISE(ABORT, 'the revocation log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entry_append_only_d BEFORE DELETE ON entry
    BEGIN SELECT RAISE(ABORT, 'the revocation log is append-only'); END;
"""


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def entry_mac(key: bytes, prev: str, seq: int, revocation_id: int, kind: str, at: str, body: str) -> str:
    return mac(key, canonical([prev, seq, revocation_id, kind, at, body]).encode())


def attempt_status(statuses: list[str], dry_run: bool) -> str:
    if dry_run:
        return "dry_run"
    if statuses and all(s in OK_STATUSES for s in statuses):
        return "succeeded"
    if any(s in OK_STATUSES for s in statuses):
        return "partial"
    return "failed"


class PlanAlreadyUsed(NhiError):
    def __init__(self, plan_id: str, revocation_id: int):
        super().__init__(
            f"this plan ({plan_id}) was already executed as revocation {revocation_id}; a reviewed "
            "plan runs once: make a new one",
            ExitCode.USAGE,
        )


class RevocationLog:
    """The log file, opened for appending; one instance per command, shared by worker threads."""

    def __init__(self, path: Path, key: bytes):
        self.path, self.key = Path(path), key
        self._lock = threading.Lock()
        new = not self.path.exists()
        if new:
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                pass
            except OSError as exc:
                raise NhiError(
                    f"cannot create the revocation log {self.path}: {exc.strerror}", ExitCode.CANNOT_RUN
                ) from None
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
            if app_id not in (0, LOG_APPLICATION_ID):
                raise NhiError(f"{self.path} is not an nhi revocation log; nothing was changed", ExitCode.CANNOT_RUN)
            self.conn.execute("PRAGMA journal_mode = WAL")
            with self._tx() as conn:
                for statement in SCHEMA.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {LOG_APPLICATION_ID}")
        except sqlite3.DatabaseError as exc:
            raise NhiError(f"cannot open the revocation log {self.path}: {exc}", ExitCode.CANNOT_RUN) from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def _append(self, conn: DbConnection, revocation_id: int, kind: str, body: dict[str, Any]) -> None:
        last = conn.execute("SELECT seq, mac FROM entry ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, "")
        at, text = iso(utcnow()), canonical(body)
        conn.execute(
            "INSERT INTO entry (seq, revocation_id, kind, at, body, mac) VALUES (?, ?, ?, ?, ?, ?)",
            (seq, revocation_id, kind, at, text, entry_mac(self.key, prev, seq, revocation_id, kind, at, text)),
        )

    def append(self, revocation_id: int, kind: str, body: dict[str, Any]) -> None:
        with self._lock, self._tx() as conn:
            self._append(conn, revocation_id, kind, body)

    def start(self, body: dict[str, Any], *, single_use: str | None = None) -> int:
        """Append a new attempt and return its id. With ``single_use`` (a plan id), refuse when
        an earlier attempt already executed that plan (checked in the same transaction)."""
        with self._lock, self._tx() as conn:
            if single_use:
                for rid, text in conn.execute("SELECT revocation_id, body FROM entry WHERE kind = 'attempt'"):
                    prior = json.loads(text)
                    if (
                        prior.get("plan_id") == single_use
                        and not prior.get("dry_run")
                        and prior.get("status") != "refused"
                    ):
                        raise PlanAlreadyUsed(single_use, rid)
            revocation_id = (conn.execute("SELECT MAX(revocation_id) FROM entry").fetchone()[0] or 0) + 1
            self._append(conn, revocation_id, "attempt", {**body, "pid": os.getpid(), "host": socket.gethostname()})
        return revocation_id

    def mark_interrupted(self) -> list[int]:
        """Close attempts whose process died (same host, pid gone) with what is known."""
        marked = []
        for data in read_attempts(self.conn, self.key).values():
            if data["status"] != "running" or data.get("host") != socket.gethostname() or _alive(data.get("pid")):
                continue
            done = [s["seq"] for s in data["steps"] if s["status"] in OK_STATUSES]
            unknown = [s["seq"] for s in data["steps"] if s["status"] == "started"]
            self.append(
                data["id"],
                "interrupted",
                {
                    "status": "interrupted",
                    "steps_done": done,
                    "steps_unknown": unknown,
                    "note": f"process {data.get('pid')} stopped before the attempt finished"
                    + (
                        f"; steps {', '.join(map(str, unknown))} were acting and may have changed the provider"
                        if unknown
                        else ""
                    ),
                },
            )
            marked.append(data["id"])
        return marked

    def close(self) -> None:
        self.conn.close()


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


# --- reading: folding the entries into attempts ------------------------------------------------
def read_attempts(conn: sqlite3.Connection, key: bytes | None) -> dict[int, dict[str, Any]]:
    """Every attempt as a dict (id, action, status, steps, ...), with ``integrity``: ``ok``,
    ``failed at entry N`` or ``unverified`` (no key)."""
    attempts: dict[int, dict[str, Any]] = {}
    prev_seq, prev_mac = 0, ""
    for seq, rid, kind, at, text, stored in conn.execute(
        "SELECT seq, revocation_id, kind, at, body, mac FROM entry ORDER BY seq"
    ):
        ok = (
            key is not None and seq == prev_seq + 1 and same(stored, entry_mac(key, prev_mac, seq, rid, kind, at, text))
        )
        prev_seq, prev_mac = seq, stored
        try:
            body = json.loads(text)
        except ValueError:
            body = {}
        data = attempts.get(rid)
        if kind == "attempt" and data is None:
            data = attempts[rid] = _new_attempt(rid, at, body)
        if data is None:
            continue
        if not ok and data["integrity"] == "ok":
            data["integrity"] = "unverified" if key is None else f"failed at entry {seq}"
        _apply(data, kind, at, body)
    return attempts


def _new_attempt(rid: int, at: str, body: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in body.items() if k != "steps"}
    data.update(id=rid, started_at=at, finished_at=None, integrity="ok", callers={})
    data["steps"] = [
        dict(s, error=None, executed_at=None, restore_data=s.get("restore_data")) for s in body.get("steps", [])
    ]
    return data


def _apply(data: dict[str, Any], kind: str, at: str, body: dict[str, Any]) -> None:
    steps = {s["seq"]: s for s in data["steps"]}
    if kind == "step_started" and body.get("seq") in steps:
        steps[body["seq"]].update(status="started", started_at=at)
    elif kind == "step_finished" and body.get("seq") in steps:
        steps[body["seq"]].update(
            status=body.get("status"), error=body.get("error"), restore_data=body.get("restore_data"), executed_at=at
        )
    elif kind == "caller":
        data["callers"][body.get("provider")] = body.get("principal")
    elif kind in ("finished", "interrupted"):
        data.update(status=body.get("status"), finished_at=at)
        if kind == "interrupted":
            data["interrupted"] = body
            for seq in body.get("steps_unknown", []):
                if seq in steps:
                    steps[seq]["status"] = "unknown"


def open_readonly(path: Path) -> sqlite3.Connection | None:
    if not Path(path).exists():
        return None
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def list_attempts(attempts: dict[int, dict[str, Any]], limit: int = 50) -> list[dict[str, Any]]:
    rows = []
    for data in sorted(attempts.values(), key=lambda a: a["id"], reverse=True)[:limit]:
        statuses = [s["status"] for s in data["steps"]]
        rows.append(
            {
                k: data.get(k)
                for k in (
                    "id",
                    "action",
                    "started_at",
                    "finished_at",
                    "operator",
                    "operator_source",
                    "reason",
                    "targets",
                    "status",
                    "restores",
                    "integrity",
                )
            }
            | {
                "dry_run": bool(data.get("dry_run")),
                "demo": bool(data.get("demo")),
                "steps": len(statuses),
                "steps_ok": sum(s in OK_STATUSES for s in statuses),
                "steps_failed": sum(s == "failed" for s in statuses),
            }
        )
    return rows
