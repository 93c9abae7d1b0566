"""A real scan (no --demo) of each provider with NO credentials at all, as a first-time user runs it.

It must fail fast with exactly one readable line on stderr and exit 4 ("could not run:
authentication failed"), never a traceback, never library log spam, never a hang. nhi runs as
a subprocess with a clean environment, as from a shell: pytest's own logging handlers would
otherwise hide what Python prints for libraries that log without a handler. Every endpoint,
including the cloud metadata services the credential chains probe, is a closed loopback port.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

CLOSED = "127.0.0.1:9"  # discard port: nothing listens, connections are refused at once

PROVIDERS = {
    "aws": {"endpoint": f"http://{CLOSED}"},
    "aws-org": {"endpoint": f"http://{CLOSED}", "org": True},
    "gcp": {
        "iam_endpoint": CLOSED,
        "resource_manager_endpoint": f"http://{CLOSED}",
        "policy_analyzer_endpoint": f"http://{CLOSED}",
    },
    # explicit projects: no discovery call, so the missing credentials must be noticed up front
    "gcp-projects": {
        "projects": ["nw-ml-prod"],
        "iam_endpoint": CLOSED,
        "resource_manager_endpoint": f"http://{CLOSED}",
        "policy_analyzer_endpoint": f"http://{CLOSED}",
    },
    "azure": {"endpoint": f"http://{CLOSED}"},
    "azure-subscriptions": {"endpoint": f"http://{CLOSED}", "subscriptions": ["9b1c2d3e-0000-4000-8000-000000000001"]},
    "github": {"orgs": ["northwind-robotics"], "endpoint": f"http://{CLOSED}"},
    "openai": {"endpoint": f"http://{CLOSED}"},
    "anthropic": {"endpoint": f"http://{CLOSED}"},
}


def clean_env(tmp_path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "CLOUDSDK_CONFIG": str(home / "gcloud"),
        "GCE_METADATA_HOST": CLOSED,
        "GCE_METADATA_IP": CLOSED,
        "AZURE_POD_IDENTITY_AUTHORITY_HOST": f"http://{CLOSED}",
        "NHI_TRUST_CWD_CONFIG": "1",  # the user's own ./nhi.yaml, naming closed loopback endpoints
    }


def write_config(tmp_path, provider: str, settings: dict) -> None:
    import yaml

    (tmp_path / "nhi.yaml").write_text(yaml.safe_dump({"providers": {provider: settings}}), encoding="utf-8")


@pytest.mark.parametrize("case", sorted(PROVIDERS))
def test_scan_without_credentials_is_one_line_and_exit_4(tmp_path, case):
    provider = case.split("-")[0]
    write_config(tmp_path, provider, PROVIDERS[case])
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "nhi_cli", "scan"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - start
    lines = done.stderr.splitlines()
    assert done.returncode == 4, (done.returncode, done.stderr)
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"nhi: error: could not authenticate to {provider}: "), lines[0]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert elapsed < 20, f"took {elapsed:.1f}s"
