"""Headless Chromium for the report tests (Debian's chromium package; .ci/run installs it)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120, check=True
    )


# Measures the laid-out page from inside the browser. Only test copies carry it: the report
# itself has no script and a CSP that would block this one.
MEASURE = """<script>
function box(sel) { const e = document.querySelector(sel); if (!e) return null;
  const b = e.getBoundingClientRect(); return {top: b.top, bottom: b.bottom, left: b.left, right: b.right}; }
const m = {height: innerHeight, width: innerWidth, scrollWidth: document.documentElement.scrollWidth,
  fixFirst: box('#fix-first'), fixFirstRow: box('#fix-first tbody tr'),
  scorecards: box('#scorecards'), scorecardRow: box('#scorecards tbody tr'),
  tables: [...document.querySelectorAll('table')].map(t => ({id: (t.closest('[id]') || {}).id,
    scrollWidth: t.scrollWidth, clientWidth: t.clientWidth, overflowX: getComputedStyle(t).overflowX,
    right: t.getBoundingClientRect().right}))};
if (parent !== window) parent.postMessage(JSON.stringify(m), '*');
else document.body.setAttribute('data-measure', JSON.stringify(m));
</script>"""
# Chromium's headless window is at least 500 px wide: a narrower screen is an iframe of that width
# whose page reports back by postMessage (file: pages are each their own origin).
FRAME = """<!DOCTYPE html><html><body style="margin:0"><iframe src="{src}" width="{width}" height="{height}"
style="border:0;display:block"></iframe><script>
addEventListener('message', e => document.body.setAttribute('data-measure', e.data));
</script></body></html>"""


def measure(tmp_path: Path, page: Path, width: int, height: int) -> dict:
    """Open a copy of ``page`` (CSP removed, MEASURE added) at ``width`` x ``height`` and return
    what MEASURE saw."""
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    probe = tmp_path / f"probe-{width}.html"
    probe.write_text(text.replace("</body>", MEASURE + "</body>"))
    frame = tmp_path / f"frame-{width}.html"
    frame.write_text(FRAME.format(src=probe.as_uri(), width=width, height=height))
    window = f"--window-size={max(width, 1280)},{height + 100}"
    dom = chromium(tmp_path, window, "--virtual-time-budget=5000", "--dump-dom", frame.as_uri())
    found = re.search(r'data-measure="([^"]*)"', dom.stdout)
    assert found, "the measuring script did not run"
    return json.loads(html.unescape(found.group(1)))
