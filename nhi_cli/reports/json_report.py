"""The JSON report: findings, inventory summary, coverage, suppressions, agents, revocations.

``schema_version`` follows semantic versioning: a new optional field is a minor bump, a removed
or retyped field a major one. The document validates against schemas/report.schema.json.
"""

from __future__ import annotations

import json
from typing import Any

from nhi_cli import __version__
from nhi_cli.reports.model import Report

SCHEMA_VERSION = "1.1.0"  # 1.1: fix_first, agents[].delegation_kind, summary.agents_by_delegation
FINDING_KEYS = (
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
    "evidence",
    "owasp_nhi",
    "first_seen",
    "first_scan",
    "suppression",
)
CREDENTIAL_KEYS = (
    "id",
    "identity_id",
    "identity_name",
    "provider",
    "scope",
    "kind",
    "status",
    "created_at",
    "last_used_at",
    "expires_at",
    "age_days",
    "days_since_used",
    "days_to_expiry",
    "key_id",
    "hint",
    "owner",
)


def _finding(f: dict[str, Any]) -> dict[str, Any]:
    return {k: f.get(k) for k in FINDING_KEYS}


def document(report: Report, what: str = "findings") -> dict[str, Any]:
    scan = report.scan
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "nhi", "version": __version__},
        "generated_at": report.generated_at,
        "scan": {
            "id": scan["id"],
            "started_at": scan["started_at"],
            "finished_at": scan["finished_at"],
            "status": scan["status"],
            "nhi_version": scan["nhi_version"],
            "demo": scan["demo"],
            "operator": scan.get("operator"),
            "previous_scan_id": report.previous_scan_id,
        },
        "summary": {
            "findings": report.counts["total"],
            "new_findings": report.counts["new"],
            "resolved_findings": len(report.resolved),
            "suppressed_findings": len(report.suppressed),
            "by_severity": report.counts["by_severity"],
            "new_by_severity": report.counts["new_by_severity"],
            "by_property": report.counts["by_property"],
            "by_provider": report.counts["by_provider"],
            "by_rule": report.counts["by_rule"],
            "owasp_nhi": report.counts["owasp_nhi"],
            "agents_by_delegation": report.counts.get("agents_by_delegation", {}),
        },
        # what to fix first (ranking.py): the same order as every other format
        "fix_first": [item.as_dict() for item in report.fix_first],
        "inventory": report.inventory,
        "findings": [_finding(f) for f in report.findings],
        "suppressed": [_finding(f) for f in report.suppressed],
        "resolved": [_finding(f) for f in report.resolved],
        "rules": list(report.rules.values()),
        "coverage": report.coverage,
        "suppressions": report.suppressions,
        "agents": report.agents,
        "revocations": report.revocations,
        "trend": report.trend,
    }
    if what == "inventory":
        doc["credentials"] = [{k: c.get(k) for k in CREDENTIAL_KEYS} for c in report.credentials or []]
    return doc


PRETTY_LIMIT = 10_000  # rows above which JSON is written compact: the C encoder is ~5x faster


def dumps(doc: dict[str, Any] | list[Any], rows: int) -> str:
    """JSON text; ensure_ascii so bidi and control characters in names travel as \\u escapes."""
    indent = 2 if rows <= PRETTY_LIMIT else None
    return json.dumps(doc, indent=indent, ensure_ascii=True, default=str) + "\n"


def render(report: Report, what: str = "findings") -> str:
    rows = len(report.findings) + len(report.suppressed) + len(report.credentials or [])
    return dumps(document(report, what), rows)
