"""The demo's HTML report as a security lead opens it, reads it on a phone and prints it, in
real headless Chromium."""

from __future__ import annotations

import re

import pytest
from browser import ARTIFACTS, chromium, measure, needs_chromium

from tests.conftest import invoke

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    work = tmp_path_factory.mktemp("html-screen")
    db, page = work / "nhi.db", work / "report.html"
    scan = invoke("--db", db, "-q", "scan", "--demo")
    assert scan.code == 0, scan.err
    assert invoke("--db", db, "report", "--format", "html", "--output", page).code == 0
    return page


def test_the_first_screen_shows_what_to_fix_first_and_the_agents_scorecards(demo_page, tmp_path):
    seen = measure(tmp_path, demo_page, 1280, 800)
    assert seen["height"] == 800
    for part in ("fixFirst", "fixFirstRow", "scorecards", "scorecardRow"):
        assert seen[part] is not None, part
        assert 0 <= seen[part]["top"] < seen["height"], (part, seen[part])
    # the first item and the first scorecard are visible whole, not just their headings
    assert seen["fixFirstRow"]["bottom"] <= seen["height"] and seen["scorecardRow"]["bottom"] <= seen["height"]
    text = demo_page.read_text()
    first = text[text.index('id="fix-first"') :]
    assert first.index("ops-copilot") < first.index("nhi revoke --demo --agent ops-copilot") < first.index("</table>")
    # the demo's gcp:nw-data scope was only partly read: the header never says complete
    status = re.search(r'id="status">([^<]*)<', text).group(1)
    assert status.startswith("partial") and "12/13" in status  # 13 demo scopes, gcp:nw-data partial
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-first-screen.png"
    chromium(tmp_path, "--window-size=1280,800", f"--screenshot={shot}", demo_page.as_uri())
    assert shot.stat().st_size > 20_000


def test_tables_scroll_inside_their_box_on_a_420px_screen(demo_page, tmp_path):
    seen = measure(tmp_path, demo_page, 420, 900)
    assert seen["width"] == 420
    assert seen["scrollWidth"] <= 420  # the page itself never scrolls sideways
    assert seen["tables"]
    for table in seen["tables"]:
        assert table["right"] <= 420 + 0.5, table  # no table sticks out of the screen
        if table["scrollWidth"] > table["clientWidth"]:  # too wide: it scrolls, nothing is cut
            assert table["overflowX"] in ("auto", "scroll"), table
    chromium(tmp_path, "--window-size=420,1600", f"--screenshot={ARTIFACTS / 'report-420px.png'}", demo_page.as_uri())


def test_the_printed_report_has_evidence_page_numbers_and_no_blank_first_page(demo_page, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    pdf = tmp_path / "report.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", demo_page.as_uri())
    pages = [page.extract_text() for page in pypdf.PdfReader(pdf).pages]
    total = len(pages)
    assert total > 3
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {total}" in text, number  # @page margin boxes
    # the first page is the report's first screen, not a blank or a lone header
    assert "Non-human identity audit report" in pages[0] and "Fix first" in pages[0] and "ops-copilot" in pages[0]
    everything = "\n".join(pages)
    # evidence sits in closed <details> on screen; print expands it (the repository MCP secret's
    # evidence names its file and line)
    assert re.search(r"file: \.mcp\.json", everything) and re.search(r"line: 10", everything)
    # each major section starts a page
    starts = [re.sub(r"^Page \d+ of \d+nhi audit report\s*", "", text).lstrip() for text in pages]
    for heading in ("Summary", "Findings (", "Scan coverage", "Rules evaluated"):
        assert any(start.startswith(heading) for start in starts), heading
