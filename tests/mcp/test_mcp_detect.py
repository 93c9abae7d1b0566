"""Secret recognition on single values: formats, names, URLs, placeholders."""

from __future__ import annotations

import planted
import pytest

from nhi_connectors.mcp import jsonc
from nhi_connectors.mcp.detect import scan_server, scan_value


def types(text: str, name: str | None = None) -> list[str]:
    return [f.secret_type for f in scan_value(text, "f", name).found]


@pytest.mark.parametrize(
    "value, expected",
    [
        (planted.DEMO_AWS_KEY_ID, "aws_access_key_id"),
        (planted.AWS_TEMP_ID, "aws_temporary_access_key_id"),
        (planted.GH_CLASSIC, "github_pat"),
        (planted.DEMO_GITHUB, "github_fine_grained_pat"),
        ("ghs_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "github_app_installation_token"),
        (planted.DEMO_OPENAI, "openai_project_key"),
        (planted.OPENAI_SVCACCT, "openai_service_account_key"),
        (planted.OPENAI_LEGACY_DEFAULT, "openai_api_key"),
        (planted.DEMO_ANTHROPIC, "anthropic_api_key"),
        (planted.ANTHROPIC_ADMIN, "anthropic_admin_key"),
        (planted.DEMO_SLACK, "slack_bot_token"),
        ("xapp-1-A0NWDEMO01-2400000000003-" + "9f3ab2c71d0e4b58a6c2" * 3, "slack_app_token"),
        (planted.GITLAB, "gitlab_personal_access_token"),
        (planted.DEMO_GOOGLE, "google_api_key"),
        (planted.PEM, "private_key"),
        (planted.JWT, "jwt"),
        (planted.STRIPE, "stripe_live_key"),
    ],
)
def test_well_known_formats(value, expected):
    assert types(value) == [expected]
    assert types(f"Bearer {value}", "Authorization") == [expected]


@pytest.mark.parametrize(
    "text, name",
    [
        ("${GITHUB_TOKEN}", "GITHUB_TOKEN"),
        ("${env:GITHUB_TOKEN}", "GITHUB_TOKEN"),
        ("${input:github_pat}", "GITHUB_TOKEN"),
        ("Bearer ${input:github_pat}", "Authorization"),
        ("${API_KEY:-}", "API_KEY"),
        ("your-api-key-here", "OPENAI_API_KEY"),
        ("<YOUR_TOKEN>", "SLACK_BOT_TOKEN"),
        ("~/.ssh/deploy_key", "PRIVATE_KEY"),
        ("true", "USE_TOKEN"),
        ("AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID"),  # AWS's documentation example
        ("https://db.example.com:5432/app", "DATABASE_URL"),
        ("my-service", "SERVICE_NAME"),
        ("sk-ant-api03-short", None),
    ],
)
def test_references_placeholders_and_non_secrets_are_not_flagged(text, name):
    assert types(text, name) == []


def test_references_are_recorded_by_name():
    refs = [r.ref for r in scan_value("${input:pat} ${env:HOME_TOKEN} ${PLAIN:-x}", "f", "X").references]
    assert refs == ["input:pat", "env:HOME_TOKEN", "PLAIN"]


def test_secrets_by_name_and_in_urls():
    assert types("s3cr3t-Passw0rd", "DB_PASSWORD") == ["database_password"]  # typed by its name
    assert types("Basic dXNlcjpwYXNzd29yZA==", "Authorization") == ["named_secret"]
    assert types("postgresql://app:Pg9QeFhX8Bj0@db:5432/app", "DATABASE_URL") == ["url_password"]
    assert types("https://x.example/mcp?team=a&api_key=abcdef123456") == ["url_query_secret"]
    assert types("https://x.example/mcp?team=robotics") == []


def test_args_flags_and_docker_env():
    scan = scan_server(
        {
            "command": "docker",
            "args": [
                "run",
                "-e",
                "GITHUB_TOKEN=" + planted.GH_CLASSIC,
                "--token",
                "Zq8mW2xYp4",
                "--api-key=Kd9sLw3Qz7",
                "--verbose",
                "image",
            ],
        }
    )
    assert [(f.secret_type, f.field) for f in scan.found] == [
        ("github_pat", "args[2]"),
        ("named_secret", "args[4]"),
        ("named_secret", "args[5]"),
    ]


def test_mcp_remote_header_arguments():
    scan = scan_server(
        {
            "command": "npx",
            "args": [
                "mcp-remote",
                "https://mcp.example.com/sse",
                "--header",
                "Authorization: Bearer Zq8mW2xYp4Lk0",
                "--header",
                "X-Trace: on",
                "--header=Authorization:${AUTH_HEADER}",
            ],
        }
    )
    assert [(f.secret_type, f.field) for f in scan.found] == [("named_secret", "args[3]")]
    assert [r.ref for r in scan.references] == ["AUTH_HEADER"]
    url = scan_server({"command": "npx", "args": ["server-postgres", "postgresql://app:Pg9QeFhX8Bj0@db:5432/app"]})
    assert [(f.secret_type, f.field) for f in url.found] == [("url_password", "args[1]")]  # a URL is not a header


def test_aws_secret_is_paired_with_the_key_id_beside_it():
    scan = scan_server({"env": {"KEY": planted.DEMO_AWS_KEY_ID, "SECRET": planted.DEMO_AWS_SECRET, "OTHER": "x" * 40}})
    assert [(f.secret_type, f.field) for f in scan.found] == [
        ("aws_access_key_id", "env KEY"),
        ("aws_secret_access_key", "env SECRET"),
    ]
    lone = scan_server({"env": {"SOMETHING": planted.DEMO_AWS_SECRET}})
    assert lone.found == []  # 40 characters alone are not evidence enough


def test_found_repr_hides_the_value():
    found = scan_value(planted.DEMO_OPENAI, "env OPENAI_API_KEY", "OPENAI_API_KEY").found[0]
    assert planted.DEMO_OPENAI not in repr(found) and "DhU4XgaOzyx7" not in repr(found)


def test_jsonc_keeps_strings_and_reports_positions_only():
    doc = jsonc.loads('{"a": "http://x//y", // c\n "b": [1, 2,], /* x\n y */ "c": "q\\"//,}",}')
    assert doc == {"a": "http://x//y", "b": [1, 2], "c": 'q"//,}'}
    with pytest.raises(jsonc.JsoncError) as err:
        jsonc.loads('{"k": "' + planted.DEMO_OPENAI + '" "x": 1}')
    assert str(err.value) == f"Expecting ',' delimiter at line 1 column {10 + len(planted.DEMO_OPENAI)}"
