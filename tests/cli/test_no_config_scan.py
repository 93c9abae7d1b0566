"""`nhi scan` with no nhi.yaml, as a first-time user runs it: every provider whose standard
credentials are present is scanned, the others are skipped with the reason, on stderr.

nhi runs as a subprocess with a clean environment (as from a shell): AWS credentials exist only
as environment variables (or in a profile of the standard config file), and boto3's own
AWS_ENDPOINT_URL points the real connector at moto on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from nhi_connectors.aws import fake as demo

ACCOUNT = "123456789012"  # moto's default account
CLOSED = "127.0.0.1:9"


@pytest.fixture(scope="module")
def moto_estate():
    with ExitStack() as stack:
        url = demo.start_server(stack)
        now = datetime.now(UTC)
        be = demo.iam_backend(ACCOUNT)
        demo.add_user(be, {"name": "ci-deployer", "created_days_ago": 400}, now)
        demo.add_access_key(be, "ci-deployer", now, key_id="AKIANOCONFIGKEY00001", age_days=400)
        yield url


def user_env(tmp_path, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "creds"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "CLOUDSDK_CONFIG": str(home / "gcloud"),
        "GCE_METADATA_HOST": CLOSED,
        "AZURE_CONFIG_DIR": str(home / ".azure"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    env.update(extra)
    return env


def run_nhi(tmp_path, env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nhi_cli", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_credentials_only_in_the_environment_scan_aws_and_skip_the_rest_with_reasons(tmp_path, moto_estate):
    env = user_env(
        tmp_path,
        AWS_ACCESS_KEY_ID="AKIAENVONLY000000001",
        AWS_SECRET_ACCESS_KEY="not-a-real-secret",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=moto_estate,
    )
    assert not (tmp_path / "nhi.yaml").exists()
    done = run_nhi(tmp_path, env, "scan", "--format", "json")
    assert done.returncode == 0, done.stderr
    said = done.stderr.splitlines()
    assert "nhi: aws: found: credentials from environment variables" in said
    assert "nhi: github: skipped: GITHUB_TOKEN is not set" in said
    assert "nhi: openai: skipped: OPENAI_ADMIN_KEY is not set (an OpenAI Admin key)" in said
    assert "nhi: anthropic: skipped: ANTHROPIC_ADMIN_KEY is not set (an Anthropic Admin key)" in said
    assert any(line.startswith("nhi: gcp: skipped: no Application Default Credentials") for line in said)
    assert any(line.startswith("nhi: azure: skipped: no service principal") for line in said)
    assert any(line.startswith("nhi: mcp: found: MCP client configs") for line in said)
    result = json.loads(done.stdout)
    scopes = {(s["provider"], s["scope"]): s["status"] for s in result["scopes"]}
    assert scopes[("aws", ACCOUNT)] == "complete"
    assert {s[0] for s in scopes} == {"aws", "mcp"}
    assert any(row["provider"] == "aws" and row["credentials"] >= 1 for row in result["inventory"])


def test_provider_narrows_and_a_profile_from_the_standard_config_is_used(tmp_path, moto_estate):
    env = user_env(tmp_path, AWS_ENDPOINT_URL=moto_estate, GITHUB_TOKEN="ghp_not-used-here")
    aws_dir = tmp_path / "home" / ".aws"
    aws_dir.mkdir(parents=True)
    (aws_dir / "config").write_text(
        "[profile audit]\nregion = us-east-1\naws_access_key_id = AKIAPROFILE000000001\n"
        "aws_secret_access_key = not-a-real-secret\n"
    )
    done = run_nhi(tmp_path, env, "scan", "--profile", "audit", "--provider", "aws", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0].startswith("nhi: aws: found: credentials from profile audit")
    assert "github" not in done.stderr  # --provider aws: the token in the environment is not even looked at
    assert {s["provider"] for s in json.loads(done.stdout)["scopes"]} == {"aws"}


def test_a_provider_named_without_credentials_fails_with_a_next_step(tmp_path):
    done = run_nhi(tmp_path, user_env(tmp_path), "scan", "--provider", "github", "--provider", "openai")
    assert done.returncode == 4
    error = done.stderr.splitlines()[-1]
    assert error.startswith("nhi: error: could not authenticate to any provider: github: ")
    assert "next: set GITHUB_TOKEN" in error and "next: set OPENAI_ADMIN_KEY" in error
    assert done.stdout == ""


def test_an_unknown_profile_is_a_usage_error(tmp_path):
    done = run_nhi(tmp_path, user_env(tmp_path), "scan", "--profile", "nosuch")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"nhi: error: AWS profile 'nosuch' is not in {tmp_path}/home/.aws/config; "
        "list the profiles with `aws configure list-profiles`"
    ]
