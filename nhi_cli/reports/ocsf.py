"""OCSF 1.8.0 Detection Finding (class_uid 2004): one event per finding, as a JSON array.

For security data lakes and SIEMs that take OCSF (Amazon Security Lake custom sources, Splunk,
Sentinel's ASIM mappers). The document validates against
schemas/ocsf-1.8.0-detection_finding.schema.json, derived from the OCSF repository's v1.8.0 tag
(tests/fidelity/derive_ocsf_schema.py): only attributes of that class and its objects, no profile.

Mapping choices:
- ``finding_info.uid`` is nhi's fingerprint (sha256 of rule + resource): stable across scans, so
  a consumer updates one finding rather than piling up copies. ``metadata.uid`` adds the scan id
  (one event per finding per scan).
- ``activity_id``: 1 Create for a finding new in this scan, 2 Update for one still open,
  3 Close for one resolved since the previous scan (with ``status_id`` 4 Resolved). Suppressed
  findings are Update events with ``status_id`` 3 Suppressed and ``is_alert`` false.
- ``severity_id`` from nhi_cli/severity.py; a severity nhi does not know is 99 Other.
- ``finding_info.analytic`` is the rule (type Rule); ``resources`` is the identity or credential;
  ``evidences[].data`` the rule's evidence columns; ``remediation.desc`` the rule's remediation.
  Provider, scope, property and OWASP NHI ids go to ``unmapped`` (OCSF has no place for them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nhi_cli import __version__
from nhi_cli.reports.json_report import dumps
from nhi_cli.reports.model import Report
from nhi_cli.severity import known

OCSF_VERSION = "1.8.0"
CLASS_UID = 2004
CATEGORY_UID = 2
ACTIVITY = {1: "Create", 2: "Update", 3: "Close"}
STATUS = {1: "New", 3: "Suppressed", 4: "Resolved"}
PRODUCT = {"name": "nhi", "vendor_name": "nhi", "version": __version__}


def epoch_ms(value: str | None) -> int | None:
    """An ISO-8601 time from the store as OCSF's timestamp_t (milliseconds since the epoch)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def _severity(value: str) -> tuple[int, str]:
    severity = known(value)
    if severity is None:
        return 99, str(value)
    return severity.ocsf_id, severity.ocsf_caption


def event(f: dict[str, Any], rule: dict[str, Any] | None, scan: dict[str, Any], time_ms: int) -> dict[str, Any]:
    """One Detection Finding for finding ``f`` (a report-model finding dict)."""
    if f["status"] == "resolved":
        activity, status = 3, 4
    else:
        activity = 1 if f["is_new"] else 2
        status = 3 if f["suppressed"] else 1
    severity_id, severity = _severity(f["severity"])
    info: dict[str, Any] = {
        "uid": f["fingerprint"],
        "title": f["title"],
        "desc": f["reason"],
        "types": [f["property"]] if f.get("property") else [],
        "analytic": {"uid": f["rule_id"], "name": f["rule_id"], "type_id": 1, "type": "Rule"},
        "product": PRODUCT,
        "last_seen_time": time_ms,
    }
    first_seen = epoch_ms(f.get("first_seen"))
    if first_seen is not None:
        info["first_seen_time"] = first_seen
        info["created_time"] = first_seen
    resource: dict[str, Any] = {"uid": str(f["resource_id"]), "type": f["resource_type"]}
    if f.get("resource_name"):
        resource["name"] = str(f["resource_name"])
    resource["data"] = {"provider": f["provider"], "scope": f["scope"]}
    doc: dict[str, Any] = {
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": activity,
        "activity_name": ACTIVITY[activity],
        "type_uid": CLASS_UID * 100 + activity,
        "type_name": f"Detection Finding: {ACTIVITY[activity]}",
        "time": time_ms,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status,
        "status": STATUS[status],
        "is_alert": status == 1,
        "message": f["reason"],
        "metadata": {
            "version": OCSF_VERSION,
            "product": PRODUCT,
            "uid": f"{f['fingerprint']}:{scan['id']}",
            "event_code": f["rule_id"],
            "log_name": "nhi findings",
        },
        "finding_info": info,
        "resources": [resource],
        "unmapped": {
            "provider": f["provider"],
            "scope": f["scope"],
            "property": f.get("property"),
            "owasp_nhi": f.get("owasp_nhi") or [],
            "scan_id": scan["id"],
        },
    }
    if f.get("evidence"):
        doc["evidences"] = [{"data": f["evidence"]}]
    remediation = (rule or {}).get("remediation")
    if remediation:
        doc["remediation"] = {"desc": remediation}
    if f["suppressed"] and f.get("suppression"):
        s = f["suppression"]
        doc["comment"] = f"suppressed by {s.get('owner')} until {s.get('expires')}: {s.get('reason')}"
    return doc


def document(report: Report) -> list[dict[str, Any]]:
    scan = report.scan
    time_ms = epoch_ms(scan["started_at"]) or 0
    return [
        event(f, report.rules.get(f["rule_id"]), scan, time_ms)
        for f in report.findings + report.suppressed + report.resolved
    ]


def render(report: Report) -> str:
    return dumps(document(report), len(report.findings) + len(report.suppressed) + len(report.resolved))
