"""Ctrl-C in the middle of a scan: exit 130, one line, the previous inventory untouched."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime

from nhi_cli.model import Batch, Identity, ScopeResult
from nhi_cli.store import open_store
from nhi_cli.store.load import write_scan


def silent_server():
    """A loopback server that accepts a connection and never answers: a provider call hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    connected = threading.Event()
    held = []

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)
            connected.set()

    threading.Thread(target=accept, daemon=True).start()
    return listener, connected


def test_ctrl_c_mid_scan_keeps_the_previous_scan(tmp_path):
    db = tmp_path / "nhi.db"
    store = open_store(db)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    write_scan(
        store,
        started_at=now,
        finished_at=now,
        results=[ScopeResult("aws", "123456789012", "complete")],
        batches={
            ("aws", "123456789012"): Batch(
                identities=[
                    Identity("arn:aws:iam::123456789012:user/alice", "aws", "123456789012", "iam_user", "alice")
                ]
            )
        },
    )
    store.close()
    listener, connected = silent_server()
    port = listener.getsockname()[1]
    (tmp_path / "nhi.yaml").write_text(
        "version: 1\nproviders:\n  openai:\n"
        f"    endpoint: http://127.0.0.1:{port}/v1\n    admin_key: sk-admin-interrupt-test\n    timeout: 120\n"
    )
    env = {**os.environ, "NHI_DB": str(db)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nhi_cli", "scan"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert connected.wait(60), "the scan never called the provider"
        proc.send_signal(signal.SIGINT)  # the scan is waiting on the provider: mid-collection
        out, err = proc.communicate(timeout=60)
    finally:
        listener.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "nhi: interrupted; the inventory is as it was before this run"
    assert "Traceback" not in err
    store = open_store(db)
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.latest_scan_id() == 1
    assert [r[0] for r in store.conn.execute("SELECT name FROM v_identities")] == ["alice"]
    store.close()
