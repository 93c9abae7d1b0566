"""The hostile inventory's HTML report in real headless Chromium: nothing injected runs.

The page's Content-Security-Policy would block scripts on its own, so the test also loads a
copy with the CSP removed: escaping alone must keep every payload inert.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from browser import ARTIFACTS, chromium, needs_chromium
from report_estate import HOSTILE_NAME

pytestmark = needs_chromium


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.attrs, self.title, self._in_title = [], set(), [], "", False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)
        self.ids.update(value for name, value in attrs if name == "id")
        self._in_title = tag == "title" and "body" not in self.tags  # the document's title, not SVG <title>s

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def test_hostile_html_report_runs_nothing_and_renders_its_sections(nhi, hostile, tmp_path):
    page = tmp_path / "report.html"
    assert nhi("report", "--db", hostile, "--format", "html", "--output", page).code == 0
    no_csp = tmp_path / "report-no-csp.html"
    no_csp.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text()))
    assert "Content-Security-Policy" not in no_csp.read_text()
    for target in (page, no_csp):
        dom = chromium(tmp_path, "--virtual-time-budget=3000", "--dump-dom", target.as_uri()).stdout
        parsed = Elements()
        parsed.feed(dom)
        assert parsed.title == "NHI audit report: scan 2"  # the <script>document.title=...</script> never ran
        assert "data-pwned" not in parsed.attrs and "onerror" not in parsed.attrs and "onload" not in parsed.attrs
        assert "img" not in parsed.tags and "script" not in parsed.tags and "b" not in parsed.tags
        for section in (
            "headline",
            "summary",
            "owasp",
            "charts",
            "findings",
            "agents",
            "coverage",
            "suppressions",
            "revocations",
            "rules",
        ):
            assert section in parsed.ids, section
        assert parsed.tags.count("svg") == 2 and parsed.tags.count("rect") >= 5  # both charts drew
        assert HOSTILE_NAME.replace("<", "&lt;").replace(">", "&gt;") in dom  # shown as text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "hostile-report.png"
    chromium(tmp_path, "--window-size=1280,3600", f"--screenshot={shot}", page.as_uri())
    assert shot.stat().st_size > 20_000
