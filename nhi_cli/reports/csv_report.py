"""CSV: one row per finding, or with ``--what inventory`` one row per credential.

Safe to open in a spreadsheet: every cell goes through ``csv_safe``, so a value that would start
a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``) is written with a leading apostrophe.
"""

from __future__ import annotations

import json
from typing import Any

from nhi_cli.reports.json_report import CREDENTIAL_KEYS
from nhi_cli.reports.model import Report
from nhi_cli.text import write_csv

FINDING_COLUMNS = (
    "fingerprint",
    "status",
    "severity",
    "property",
    "rule_id",
    "title",
    "provider",
    "scope",
    "resource_type",
    "resource_id",
    "resource_name",
    "reason",
    "owasp_nhi",
    "first_seen",
    "suppression_owner",
    "suppression_expires",
    "suppression_reason",
    "evidence",
    "fix_first_rank",  # the rank of the identity or agent the finding belongs to (README: What to fix first)
)
# The JSON report's credential fields, plus the identity's tags flattened for a spreadsheet.
CREDENTIAL_COLUMNS = (*CREDENTIAL_KEYS, "identity_tags")


def _finding_row(f: dict[str, Any], ranks: dict[str, int]) -> dict[str, Any]:
    s = f.get("suppression") or {}
    return dict(
        f,
        fix_first_rank=ranks.get(f["fingerprint"]),
        owasp_nhi=" ".join(f["owasp_nhi"]),
        suppression_owner=s.get("owner"),
        suppression_expires=s.get("expires"),
        suppression_reason=s.get("reason"),
        evidence=json.dumps(f["evidence"], sort_keys=True, ensure_ascii=False),
    )


def render(report: Report, what: str = "findings") -> str:
    if what == "inventory":
        rows = (dict(c, identity_tags=c.get("tags")) for c in report.credentials or [])
        return write_csv(rows, CREDENTIAL_COLUMNS)
    ranks = report.fix_first_rank
    rows = (_finding_row(f, ranks) for f in report.findings + report.suppressed)
    return write_csv(rows, FINDING_COLUMNS)
