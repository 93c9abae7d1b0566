"""`nhi report --format ocsf`: OCSF Detection Findings valid against the schema derived from OCSF."""

from __future__ import annotations

import copy
import json
from importlib import resources

import jsonschema
import pytest
from report_estate import HOSTILE_NAME, fingerprint

SCHEMA_NAME = "ocsf-1.8.0-detection_finding.schema.json"


@pytest.fixture(scope="module")
def ocsf_validator():
    text = resources.files("nhi_cli.reports").joinpath("schemas", SCHEMA_NAME).read_text(encoding="utf-8")
    schema = json.loads(text)
    return jsonschema.Draft202012Validator(schema)


def ocsf(nhi, db, *args):
    result = nhi("report", "--db", db, "--format", "ocsf", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_the_schema_records_its_source():
    schema = json.loads(resources.files("nhi_cli.reports").joinpath("schemas", SCHEMA_NAME).read_text())
    assert (
        "ocsf/ocsf-schema tag v1.8.0 commit " in schema["$comment"] and "detection_finding (2004)" in schema["$comment"]
    )


@pytest.mark.parametrize("seeded", ["northwind", "hostile"])
def test_every_event_is_a_valid_detection_finding(nhi, request, seeded, ocsf_validator):
    events = ocsf(nhi, request.getfixturevalue(seeded))
    assert events
    for event in events:
        ocsf_validator.validate(event)
        assert event["class_uid"] == 2004 and event["metadata"]["version"] == "1.8.0"
        assert event["type_uid"] == 200400 + event["activity_id"]
    if seeded == "hostile":  # attacker-controlled names travel as data, intact
        assert any(e["resources"][0].get("name") == HOSTILE_NAME for e in events)


def test_lifecycle_severity_and_ids_map_to_ocsf(nhi, northwind):
    events = ocsf(nhi, northwind)
    by_uid = {e["finding_info"]["uid"]: e for e in events}
    json_report = json.loads(nhi("report", "--db", northwind, "--format", "json").out)
    new = [f for f in json_report["findings"] if f["status"] == "new"]
    assert len(new) == 1
    created = by_uid[new[0]["fingerprint"]]
    assert (created["activity_name"], created["status"], created["is_alert"]) == ("Create", "New", True)
    resolved = by_uid[json_report["resolved"][0]["fingerprint"]]
    assert (resolved["activity_id"], resolved["status_id"], resolved["status"]) == (3, 4, "Resolved")
    suppressed = by_uid[json_report["suppressed"][0]["fingerprint"]]
    assert suppressed["status"] == "Suppressed" and suppressed["is_alert"] is False
    assert "until" in suppressed["comment"]
    key = by_uid[fingerprint("aws_access_key_old", "AKIANWOPSCOPILOT0001")]
    assert (key["severity_id"], key["severity"]) == (4, "High")
    assert key["finding_info"]["analytic"]["uid"] == "aws_access_key_old"
    assert key["resources"][0]["uid"] == "AKIANWOPSCOPILOT0001"
    assert key["remediation"]["desc"] == "Rotate the key, then delete the old one."
    assert "NHI7" in key["unmapped"]["owasp_nhi"]
    admin = next(e for e in events if e["finding_info"]["analytic"]["uid"] == "identity_admin")
    assert admin["severity_id"] == 5
    counts = len(json_report["findings"]) + len(json_report["suppressed"]) + len(json_report["resolved"])
    assert len(events) == counts


def test_finding_uids_are_stable_across_scans(nhi, northwind):
    first = {e["finding_info"]["uid"] for e in ocsf(nhi, northwind, "--scan", "1")}
    second = {e["finding_info"]["uid"] for e in ocsf(nhi, northwind, "--scan", "2")}
    assert len(first & second) >= 3


def test_the_schema_rejects_what_ocsf_does_not_define(nhi, northwind, ocsf_validator):
    good = ocsf(nhi, northwind)[0]
    for broken in (
        {**good, "severity_id": 7},  # not in the severity enum
        {**good, "class_uid": 2001},  # another class
        {**good, "made_up": 1},  # not an attribute of the class
        {**good, "finding_info": {"title": "no uid"}},  # finding_info.uid is required
        {k: v for k, v in good.items() if k != "metadata"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            ocsf_validator.validate(broken)
    nested = copy.deepcopy(good)
    nested["resources"][0]["region"] = "us-east-1"  # a cloud-profile attribute: no profile is declared
    with pytest.raises(jsonschema.ValidationError):
        ocsf_validator.validate(nested)
