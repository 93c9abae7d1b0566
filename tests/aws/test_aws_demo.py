"""`nhi scan --demo` end to end against moto, planted secrets, and a lazy --help."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from moto.backends import get_backend

TAG_SECRET = "NWdemoTagSecret7Qp2xK9vLm3Rt8Zs4Yw1Bc6Hj0Fd"  # planted in fixtures/demo/aws/estate.yaml
PASSWORDS = ("NWdemo-Console-Pass-01!", "NWdemo-Hotfix-Pass-02!")


def test_demo_scan_inventories_every_account_and_leaks_no_secret(nhi):
    result = nhi("scan", "--demo", "--provider", "aws", "--db", "nhi.db")
    assert result.code in (0, 1), result.err  # 1 when rules gate on findings
    for account in ("123456789012", "210987654321", "309876543210"):
        assert account in result.out
    # moto's generated SecretAccessKey values, read from the backend while it still holds them
    secrets = [
        key.secret_access_key
        for account in ("123456789012", "210987654321", "309876543210")
        for key in get_backend("iam")[account]["global"].access_keys.values()
    ]
    assert len(secrets) >= 12
    db = Path("nhi.db").read_bytes()
    for secret in [*secrets, TAG_SECRET, *PASSWORDS]:
        assert secret.encode() not in db
        assert secret not in result.out and secret not in result.err
    conn = sqlite3.connect("nhi.db")
    conn.row_factory = sqlite3.Row
    try:
        rogue = dict(conn.execute("SELECT * FROM v_credentials WHERE key_id = 'AKIANWOPSCOPILOT0001'").fetchone())
        trusts = {r["identity_name"]: dict(r) for r in conn.execute("SELECT * FROM v_trusts WHERE provider = 'aws'")}
        admin = conn.execute(
            "SELECT COUNT(*) FROM v_grants WHERE identity_name = 'ops-copilot' AND is_admin = 1"
        ).fetchone()[0]
        tags = json.loads(conn.execute("SELECT tags FROM v_identities WHERE name = 'legacy-ftp-sync'").fetchone()[0])
    finally:
        conn.close()
    assert rogue["identity_name"] == "ops-copilot" and rogue["status"] == "active"
    assert rogue["age_days"] == 400 and rogue["owner"] == "dana.lee@northwind.example"
    assert admin == 1
    assert trusts["support-agent-bedrock"]["principal"] == "bedrock.amazonaws.com"
    assert trusts["release-bot-deploy"]["subject_condition"] == "repo:northwind/robot-firmware:ref:refs/heads/main"
    assert (
        trusts["gha-legacy-deploy"]["principal_type"] == "oidc"
        and trusts["gha-legacy-deploy"]["subject_condition"] is None
    )
    assert trusts["vendor-monitoring"]["requires_external_id"] == 1
    assert trusts["partner-data-share"]["requires_external_id"] == 0
    assert trusts["analytics-agent"]["requires_source_identity"] == 1
    assert tags["notes"].startswith("[redacted")


def test_help_does_not_import_boto3():
    code = (
        "import sys\nfrom nhi_cli.cli.app import run\ntry:\n    run(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', [m for m in ('boto3', 'botocore', 'moto') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "LOADED []" in out
