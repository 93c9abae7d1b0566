"""nhi findings as AWS Security Finding Format (ASFF) records for BatchImportFindings.

Pure mapping, no AWS call. Choices, from the ASFF reference and "BatchImportFindings for
finding providers":

- ``Id`` is ``nhi/<fingerprint>``: the same finding keeps the same id across scans and
  machines, so importing again updates it instead of adding a copy.
- ``ProductArn`` is the account's default product (``product/<account>/default``) and
  ``AwsAccountId`` the account that imports: with the default product, Security Hub accepts
  findings only for the calling account. The account a finding is about (another AWS account,
  a GitHub org, an Azure tenant) is in the resource and in ``ProductFields``.
- Severity and Types go in ``FindingProviderFields`` too: after creation a provider updates
  them there (customers own the top-level copies). ``Workflow`` is set only when a finding is
  created (suppressed in nhi: SUPPRESSED); providers cannot change it later.
- ``Compliance.Status`` is FAILED while the finding is open; a finding nhi resolved is sent
  again with ``RecordState`` ARCHIVED and ``Compliance.Status`` PASSED, on which Security Hub
  sets ``Workflow.Status`` to RESOLVED itself.
"""

from __future__ import annotations

import re
from typing import Any

from nhi_cli.severity import known

SCHEMA_VERSION = "2018-10-08"
ID_PREFIX = "nhi/"
GENERATOR_PREFIX = "nhi/"
TITLE_MAX, DESCRIPTION_MAX, TEXT_MAX = 256, 1024, 512
TYPE_PREFIX = "Software and Configuration Checks/Industry and Regulatory Standards/"
# Top-level fields a provider sends (what an archive record copies from Security Hub's own).
IMPORT_FIELDS = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "FirstObservedAt",
    "LastObservedAt",
    "Severity",
    "Title",
    "Description",
    "Remediation",
    "ProductFields",
    "Resources",
    "Compliance",
    "RecordState",
    "FindingProviderFields",
    "ProductName",
    "CompanyName",
)


def product_arn(region: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def finding_id(fingerprint: str) -> str:
    return ID_PREFIX + fingerprint


def fingerprint_of(asff_id: str) -> str | None:
    return asff_id[len(ID_PREFIX) :] if asff_id.startswith(ID_PREFIX) else None


def _label(severity: str) -> str:
    found = known(severity)
    return found.asff_label if found is not None else "INFORMATIONAL"


def _clip(text: str, limit: int) -> str:
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def resource(f: dict[str, Any], region: str, partition: str) -> dict[str, Any]:
    """The identity or credential as an ASFF resource (AWS types where nhi knows them)."""
    rid = str(f["resource_id"])
    rtype = "Other"
    if f["provider"] == "aws":
        if f["resource_type"] == "credential" and re.fullmatch(r"(AKIA|ASIA)[A-Z0-9]{12,}", rid):
            rtype = "AwsIamAccessKey"
        elif re.match(r"arn:aws[\w-]*:iam::\d{12}:user/", rid):
            rtype = "AwsIamUser"
        elif re.match(r"arn:aws[\w-]*:iam::\d{12}:role/", rid):
            rtype = "AwsIamRole"
    out: dict[str, Any] = {"Type": rtype, "Id": _clip(rid, 512), "Partition": partition, "Region": region}
    if f.get("resource_name"):
        out["Details"] = {"Other": {"nhi/Name": _clip(str(f["resource_name"]), 1024)}}
    return out


def record(
    f: dict[str, Any],
    rule: dict[str, Any] | None,
    *,
    account: str,
    region: str,
    partition: str,
    now: str,
    observed: str,
    create_suppressed: bool = False,
) -> dict[str, Any]:
    """One ASFF finding for report-model finding ``f``. ``now`` is UpdatedAt (later than any
    earlier import, so Security Hub applies the update); ``observed`` the scan's time."""
    label = _label(f["severity"])
    types = [TYPE_PREFIX + f"OWASP NHI Top 10 {risk}" for risk in f.get("owasp_nhi") or []]
    types = types or [TYPE_PREFIX + "Non-human identity governance"]
    fields = {
        "nhi/Fingerprint": f["fingerprint"],
        "nhi/RuleId": f["rule_id"],
        "nhi/Property": str(f.get("property") or ""),
        "nhi/Provider": f["provider"],
        "nhi/Scope": _clip(str(f["scope"]), 2048),
        "nhi/Status": f["status"],
    }
    doc = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(f["fingerprint"]),
        "ProductArn": product_arn(region, account, partition),
        "ProductName": "nhi",
        "CompanyName": "nhi",
        "GeneratorId": GENERATOR_PREFIX + f["rule_id"],
        "AwsAccountId": account,
        "Types": types,
        "CreatedAt": f.get("first_seen") or observed,
        "UpdatedAt": now,
        "FirstObservedAt": f.get("first_seen") or observed,
        "LastObservedAt": observed,
        "Severity": {"Label": label, "Original": f["severity"]},
        "FindingProviderFields": {"Severity": {"Label": label, "Original": f["severity"]}, "Types": types},
        "Title": _clip(f["title"], TITLE_MAX),
        "Description": _clip(f["reason"], DESCRIPTION_MAX),
        "ProductFields": fields,
        "Resources": [resource(f, region, partition)],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
    }
    remediation = (rule or {}).get("remediation")
    if remediation:
        doc["Remediation"] = {"Recommendation": {"Text": _clip(remediation, TEXT_MAX)}}
    if f.get("suppressed") and create_suppressed:
        doc["Workflow"] = {"Status": "SUPPRESSED"}
    return doc


def archived(existing: dict[str, Any], now: str) -> dict[str, Any]:
    """The record to send for a finding nhi resolved: Security Hub's copy, archived."""
    doc = {k: existing[k] for k in IMPORT_FIELDS if k in existing}
    doc.update(UpdatedAt=now, RecordState="ARCHIVED", Compliance={"Status": "PASSED"})
    # Security Hub adds aws/securityhub/* product fields itself; providers may not send them
    fields = {k: v for k, v in (existing.get("ProductFields") or {}).items() if not k.startswith("aws/")}
    doc["ProductFields"] = {**fields, "nhi/Status": "resolved"}
    return doc
