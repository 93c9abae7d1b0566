"""Scan progress in CI logs (stderr not a terminal): one timestamped line per finished scope, a
heartbeat naming what the scan waits on, and --quiet silencing progress but never the reason a
scope failed."""

from __future__ import annotations

import re
import socket
import threading

import pytest

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


@pytest.fixture
def silent_provider():
    """A loopback server that accepts connections and never answers: the provider call waits."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in held:
        conn.close()


def test_one_timestamped_line_per_finished_scope(nhi):
    result = nhi("scan", "--demo", "--provider", "aws", "--provider", "mcp")
    assert result.code == 0, result.err
    lines = [line for line in result.err.splitlines() if re.match(STAMP + " nhi: ", line)]
    scopes = sorted(
        re.match(STAMP + r" nhi: (\S+) complete, \d+ API calls, [\d.]+s \(\d+/5 scopes\)$", line).group(1)
        for line in lines
    )
    assert scopes == ["aws:123456789012", "aws:210987654321", "aws:309876543210", "mcp:~", "mcp:~/src/northwind-api"]
    assert lines[-1].endswith("(5/5 scopes)")


def test_a_long_wait_gets_heartbeats_and_quiet_still_shows_why_the_scope_failed(
    nhi, tmp_path, monkeypatch, silent_provider
):
    (tmp_path / "nhi.yaml").write_text(
        "providers:\n  openai:\n"
        f"    endpoint: http://127.0.0.1:{silent_provider}/v1\n    admin_key: sk-admin-heartbeat-test\n    timeout: 2\n"
    )
    monkeypatch.setenv("NHI_HEARTBEAT_SECONDS", "0.5")
    result = nhi("scan")
    assert result.code == 3, result.err
    beats = [line for line in result.err.splitlines() if "nhi: still scanning" in line]
    assert beats, result.err
    assert re.match(
        STAMP + r" nhi: still scanning, \d+s elapsed: 0/1 scopes done, 0 API calls; "
        r"waiting on openai:\S+ \(\d+s\)$",
        beats[0],
    ), beats[0]

    quiet = nhi("scan", "-q")
    assert quiet.code == 3
    lines = quiet.err.splitlines()
    assert not [line for line in lines if re.match(STAMP, line)]  # no progress, no heartbeat
    assert len(lines) == 2, quiet.err
    assert lines[0].startswith("nhi: openai:") and " error: " in lines[0]
    assert lines[1].startswith("nhi: coverage incomplete: 1 of 1 scopes not read (openai:")
