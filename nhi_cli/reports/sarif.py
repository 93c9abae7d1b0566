"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

Choices, from GitHub's documented ingestion rules ("SARIF support for code scanning"):

- Every result needs at least one location with ``physicalLocation.artifactLocation.uri``;
  GitHub rejects the *whole file* otherwise ("locationFromSarifResult: expected at least one
  location"). An identity has no source file, so each result points at a synthetic,
  repository-relative path that names the resource:
  ``nhi/<provider>/<scope>/<resource_type>/<resource name>`` with ``region.startLine`` 1.
  It is stable across runs (GitHub needs consistent paths to track alerts), readable in the
  alert list, and never collides with a real file. We rejected pointing every result at
  nhi.yaml: all alerts would then claim to sit on line 1 of a file that did not cause them.
  Each segment is percent-encoded, so a hostile name cannot break out of the path.
  A ``logicalLocation`` carries the exact resource id as well.
- ``partialFingerprints`` carries nhi's own fingerprint (sha256 of rule + resource), so GitHub
  matches an alert across scans without hashing source lines that do not exist.
- Rules carry ``properties.tags`` including "security" and a ``security-severity`` score, which
  GitHub needs to show Critical/High/Medium/Low; ``precision`` is set as GitHub recommends.
- GitHub accepts at most 25,000 results per run: above that, the most severe are kept and an
  invocation notification says how many were left out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from nhi_cli import __version__
from nhi_cli.reports.json_report import dumps
from nhi_cli.reports.model import Report
from nhi_cli.severity import known, worst_first

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
MAX_RESULTS = 25_000
FINGERPRINT_KEY = "nhiFinding/v1"


def _level(value: str) -> str:
    severity = known(value)
    return severity.sarif_level if severity is not None else "warning"


def artifact_uri(f: dict[str, Any]) -> str:
    parts = ["nhi", f["provider"], f["scope"], f["resource_type"], f.get("resource_name") or f["resource_id"]]
    return "/".join(quote(str(p), safe="") or "_" for p in parts)


def source_location(f: dict[str, Any]) -> tuple[str, int] | None:
    """(repository-relative path, line) when the finding sits in a file of the scanned
    repository (an MCP config found by `nhi scan --mcp-path .`); None for cloud resources,
    which keep the synthetic path above. Never an absolute path of the machine that scanned."""
    evidence = f.get("evidence") or {}
    file, line = evidence.get("file"), evidence.get("line")
    if f.get("resource_type") != "location" or not isinstance(file, str) or not file:
        return None
    if file.startswith(("/", "~")) or ":" in file.split("/")[0] or ".." in file.split("/"):
        return None  # not relative to the repository root
    return quote(file, safe="/"), line if isinstance(line, int) and line > 0 else 1


def _physical_location(f: dict[str, Any]) -> dict[str, Any]:
    source = source_location(f)
    if source is not None:
        return {"artifactLocation": {"uri": source[0], "uriBaseId": "%SRCROOT%"}, "region": {"startLine": source[1]}}
    return {"artifactLocation": {"uri": artifact_uri(f)}, "region": {"startLine": 1}}


def _rule_descriptor(rule: dict[str, Any]) -> dict[str, Any]:
    tags = ["security", "nhi", rule["property"]] + [f"owasp-nhi/{r}" for r in rule["owasp_nhi"]]
    help_text = "\n\n".join(
        p
        for p in (
            rule["description"],
            f"Risk: {rule['risk']}" if rule["risk"] else "",
            f"Remediation: {rule['remediation']}" if rule["remediation"] else "",
        )
        if p
    )
    properties = {
        "tags": tags[:10],
        "precision": "high",
        "nhi-property": rule["property"],
        "nhi-severity": rule["severity"],
        "owasp-nhi": rule["owasp_nhi"],
        "remediation": rule["remediation"],
    }
    severity = known(rule["severity"])
    if severity is not None and severity.security_severity is not None:
        properties["security-severity"] = severity.security_severity
    return {
        "id": rule["id"],
        "name": "".join(part.capitalize() for part in rule["id"].replace("-", "_").split("_")),
        "shortDescription": {"text": rule["title"]},
        "fullDescription": {"text": rule["description"] or rule["title"]},
        "help": {"text": help_text or rule["title"]},
        "defaultConfiguration": {"level": _level(rule["severity"])},
        "properties": properties,
    }


def _placeholder_rule(f: dict[str, Any]) -> dict[str, Any]:
    """A descriptor for a finding whose rule was not recorded with the scan."""
    return {
        "id": f["rule_id"],
        "title": f["title"],
        "severity": f["severity"],
        "property": f["property"],
        "description": "",
        "risk": "",
        "remediation": "",
        "owasp_nhi": f["owasp_nhi"],
    }


def _result(f: dict[str, Any], index: int, fix_first_rank: int | None = None) -> dict[str, Any]:
    result = {
        "ruleId": f["rule_id"],
        "ruleIndex": index,
        "level": _level(f["severity"]),
        "message": {"text": f["reason"]},
        "locations": [
            {
                "physicalLocation": _physical_location(f),
                "logicalLocations": [{"fullyQualifiedName": f["resource_id"], "kind": f["resource_type"]}],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: f["fingerprint"]},
        "baselineState": "new" if f["is_new"] else "unchanged",
        "properties": {
            "provider": f["provider"],
            "scope": f["scope"],
            "resource_id": f["resource_id"],
            "resource_type": f["resource_type"],
            "severity": f["severity"],
            "status": f["status"],
            "first_seen": f["first_seen"],
            "evidence": f["evidence"],
        },
    }
    if fix_first_rank is not None:  # the rank of its identity or agent in the fix-first list
        result["properties"]["fix_first_rank"] = fix_first_rank
    if f["suppressed"]:
        s = f.get("suppression") or {}
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": str(s.get("reason") or "suppressed in nhi.yaml"),
                "properties": {"owner": s.get("owner"), "expires": s.get("expires")},
            }
        ]
    return result


def document(report: Report) -> dict[str, Any]:
    rules = dict(report.rules)
    for f in report.findings + report.suppressed:
        if f["rule_id"] not in rules:
            rules[f["rule_id"]] = _placeholder_rule(f)
    rule_ids = sorted(rules)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    findings = sorted(
        report.findings + report.suppressed,
        key=lambda f: (f["suppressed"], worst_first(f["severity"]), f["rule_id"], f["resource_id"]),
    )
    notifications = []
    if len(findings) > MAX_RESULTS:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{len(findings) - MAX_RESULTS} less severe findings were left out: GitHub code scanning "
                    f"accepts at most {MAX_RESULTS} results per run. The JSON and CSV reports have all of them."
                },
            }
        )
        findings = findings[:MAX_RESULTS]
    for scope in report.coverage:
        if scope["status"] != "complete":
            notifications.append(
                {
                    "level": "warning" if scope["status"] == "partial" else "error",
                    "message": {
                        "text": f"{scope['provider']}:{scope['scope']} was {scope['status']}"
                        f"{': ' + scope['error_code'] if scope['error_code'] else ''}; its findings may be missing."
                    },
                }
            )
    scan = report.scan
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nhi",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule_descriptor(rules[r]) for r in rule_ids],
                    }
                },
                "automationDetails": {"id": f"nhi/scan-{scan['id']}"},
                "invocations": [
                    {
                        "executionSuccessful": scan["status"] == "complete",
                        "startTimeUtc": scan["started_at"],
                        "endTimeUtc": scan["finished_at"],
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": [
                    _result(f, index[f["rule_id"]], report.fix_first_rank.get(f["fingerprint"])) for f in findings
                ],
                "properties": {
                    "scan_id": scan["id"],
                    "scan_status": scan["status"],
                    "identities": report.inventory["identities"],
                    "credentials": report.inventory["credentials"],
                },
            }
        ],
    }


def render(report: Report) -> str:
    return dumps(document(report), len(report.findings) + len(report.suppressed))
