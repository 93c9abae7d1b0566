"""`nhi export securityhub`: boto3 against moto's Security Hub, served on loopback behind a
middleware that counts each BatchImportFindings and can refuse or throttle it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from benchmarks.reports_scale import seed as seed_large
from tests.moto_wsgi import serve_moto
from tests.reports.report_estate import ACCOUNT, fingerprint, seed

MOTO_ACCOUNT = "123456789012"  # moto's default caller account


class Hub:
    """What the middleware saw, and the faults it should answer with."""

    def __init__(self):
        self.imports: list[int] = []  # findings per BatchImportFindings request
        self.faults: list[tuple[int, dict]] = []  # next answers to BatchImportFindings

    def wrap(self, app):
        def middleware(environ, start_response):
            if environ["PATH_INFO"] == "/findings/import" and environ["REQUEST_METHOD"] == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length)
                self.imports.append(len(json.loads(body)["Findings"]))
                import io

                environ["wsgi.input"] = io.BytesIO(body)
                if self.faults:
                    status, error = self.faults.pop(0)
                    payload = json.dumps({"message": error["Message"]}).encode()
                    start_response(
                        f"{status} Error",
                        [("Content-Type", "application/json"), ("x-amzn-ErrorType", error["Code"])],
                    )
                    return [payload]
            return app(environ, start_response)

        return middleware


@pytest.fixture
def hub(monkeypatch) -> Iterator[tuple[Hub, object]]:
    seen = Hub()
    with serve_moto(seen.wrap) as (url, _):
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # one retry: throttling tests stay fast
        client = boto3.client("securityhub", region_name="us-east-1", endpoint_url=url)
        client.enable_security_hub()
        yield seen, client


def findings_in(client) -> list[dict]:
    out = []
    for page in client.get_paginator("get_findings").paginate():
        out.extend(page["Findings"])
    return out


def export(nhi, db, *args):
    return nhi("export", "securityhub", "--db", db, "--format", "json", *args)


def test_findings_import_once_and_a_rerun_updates_them(nhi, hub, tmp_path):
    seen, client = hub
    db = tmp_path / "nhi.db"
    seed(db)
    report = json.loads(nhi("report", "--db", db, "--format", "json").out)
    expected = {fingerprint(f["rule_id"], f["resource_id"]) for f in report["findings"] + report["suppressed"]}
    first = export(nhi, db)
    assert first.code == 0, first.err
    summary = json.loads(first.out)
    assert summary["sent"] == len(expected) and summary["failed"] == [] and summary["account"] == MOTO_ACCOUNT
    stored = findings_in(client)
    assert {f["Id"] for f in stored} == {f"nhi/{fp}" for fp in expected}
    key = next(f for f in stored if f["Id"] == f"nhi/{fingerprint('aws_access_key_old', 'AKIANWOPSCOPILOT0001')}")
    assert key["Severity"]["Label"] == "HIGH" and key["FindingProviderFields"]["Severity"]["Label"] == "HIGH"
    assert key["Resources"][0] == {
        "Type": "AwsIamAccessKey",
        "Id": "AKIANWOPSCOPILOT0001",
        "Partition": "aws",
        "Region": "us-east-1",
        "Details": {"Other": {"nhi/Name": "ops-copilot"}},
    }
    assert key["ProductArn"] == f"arn:aws:securityhub:us-east-1:{MOTO_ACCOUNT}:product/{MOTO_ACCOUNT}/default"
    assert key["ProductFields"]["nhi/Scope"] == ACCOUNT and key["RecordState"] == "ACTIVE"
    assert key["Remediation"]["Recommendation"]["Text"] == "Rotate the key, then delete the old one."
    suppressed = [f for f in stored if f["ProductFields"]["nhi/Status"] == "suppressed"]
    assert len(suppressed) == 1 and suppressed[0]["Workflow"] == {"Status": "SUPPRESSED"}

    again = export(nhi, db)
    assert again.code == 0, again.err
    assert len(findings_in(client)) == len(expected)  # same ids: updated, not duplicated
    assert seen.imports == [len(expected), len(expected)]


def test_findings_nhi_resolved_are_archived(nhi, hub, tmp_path):
    _, client = hub
    db = tmp_path / "nhi.db"
    seed(db)
    old = json.loads(nhi("report", "--db", db, "--format", "json").out)["resolved"]
    assert len(old) == 1
    gone = f"nhi/{old[0]['fingerprint']}"
    assert export(nhi, db, "--scan", "1").code == 0  # the older scan still had it open
    assert next(f for f in findings_in(client) if f["Id"] == gone)["RecordState"] == "ACTIVE"
    result = export(nhi, db)
    assert result.code == 0, result.err
    assert json.loads(result.out)["archived"] == 1
    archived = next(f for f in findings_in(client) if f["Id"] == gone)
    assert archived["RecordState"] == "ARCHIVED" and archived["Compliance"]["Status"] == "PASSED"
    assert archived["ProductFields"]["nhi/Status"] == "resolved"
    others = [f for f in findings_in(client) if f["Id"] != gone]
    assert others and all(f["RecordState"] == "ACTIVE" for f in others)
    # a third run has nothing more to archive
    assert json.loads(export(nhi, db).out)["archived"] == 0


def test_batches_hold_at_most_100_findings(nhi, hub, tmp_path):
    seen, client = hub
    db = tmp_path / "nhi.db"
    counts = seed_large(db, 300)
    result = export(nhi, db)
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    present = json.loads(nhi("report", "--db", db, "--format", "json").out)
    total = len(present["findings"]) + len(present["suppressed"])
    assert counts["findings"] >= total > 200
    assert summary["sent"] == total == sum(seen.imports) == len(findings_in(client))
    assert max(seen.imports) == 100 and len(seen.imports) == summary["batches"] == -(-total // 100)


def test_access_denied_is_one_line_and_exit_4(nhi, hub, tmp_path):
    seen, _ = hub
    db = tmp_path / "nhi.db"
    seed(db)
    seen.faults = [(403, {"Code": "AccessDeniedException", "Message": "not authorized"})]
    result = export(nhi, db)
    assert result.code == 4
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "denied (AccessDeniedException)" in lines[0]
    assert "securityhub:BatchImportFindings" in lines[0] and "Traceback" not in result.err


def test_throttling_is_retried_then_reported(nhi, hub, tmp_path):
    seen, client = hub
    db = tmp_path / "nhi.db"
    seed(db)
    throttle = (429, {"Code": "TooManyRequestsException", "Message": "Rate exceeded"})
    seen.faults = [throttle]  # once: the retry goes through
    assert export(nhi, db).code == 0
    assert findings_in(client)
    seen.faults = [throttle, throttle]  # every attempt (AWS_MAX_ATTEMPTS=2)
    result = export(nhi, db)
    assert result.code == 4
    assert "throttled (TooManyRequestsException) after retries; 0 of" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_security_hub_not_enabled_says_so(nhi, hub, tmp_path):
    seen, _ = hub
    db = tmp_path / "nhi.db"
    seed(db)
    # what Security Hub answers when it is not enabled in the region (moto imports anyway)
    seen.faults = [(400, {"Code": "InvalidAccessException", "Message": "Account is not subscribed"})]
    result = export(nhi, db)
    assert result.code == 4
    assert f"Security Hub is not enabled in us-east-1 for account {MOTO_ACCOUNT}" in result.err
