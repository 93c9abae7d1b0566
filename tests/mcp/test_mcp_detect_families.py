"""Secret families by format (under a neutral name), by name (no format of their own), inside
JSON values; and what is never flagged: vendors' documented examples, runs of x, ellipses."""

from __future__ import annotations

import json
import random
import string

import pytest

from nhi_connectors.mcp.detect import scan_server, scan_value

_rng = random.Random(2121)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def r(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def types(text: str, name: str | None = None) -> list[str]:
    return [f.secret_type for f in scan_value(text, "f", name).found]


FAMILIES = [
    # claimed families: current and legacy variants
    ("sk_live_" + r(99), "stripe_live_key"),
    ("sk_test_" + r(30), "stripe_test_key"),
    ("rk_live_" + r(24), "stripe_restricted_key"),
    ("rk_test_" + r(24), "stripe_restricted_key"),
    ("whsec_" + r(32), "stripe_webhook_secret"),
    ("xoxb-" + r(11, "0123456789") + "-" + r(12, "0123456789") + "-" + r(24), "slack_bot_token"),
    ("xoxb-" + r(10, "0123456789") + "-" + r(24), "slack_bot_token"),  # legacy bot token: two parts
    ("xoxp-" + "-".join(r(12, "0123456789") for _ in range(3)) + "-" + r(32, HEX), "slack_user_token"),
    ("xoxe.xoxp-1-" + r(164), "slack_config_token"),
    ("xoxe-1-" + r(146), "slack_config_refresh_token"),
    ("xoxa-2-" + r(40), "slack_legacy_workspace_token"),
    ("xoxs-" + "-".join(r(10, "0123456789") for _ in range(3)) + "-" + r(64, HEX), "slack_legacy_token"),
    ("https://hooks.slack.com/services/T" + r(8) + "/B" + r(8) + "/" + r(24), "slack_webhook_url"),
    ("glpat-" + r(20), "gitlab_personal_access_token"),
    ("glffct-" + r(20), "gitlab_feature_flag_client_token"),
    ("glrt-" + r(20), "gitlab_runner_token"),
    ("GR1348941" + r(20), "gitlab_runner_registration_token"),
    ("gldt-" + r(20), "gitlab_deploy_token"),
    ("glptt-" + r(40, HEX), "gitlab_pipeline_trigger_token"),
    ("glcbt-2a_" + r(20), "gitlab_ci_job_token"),
    ("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZ2VudCIsImlhdCI6MTcwMDAwMDAwMH0.", "jwt_unsigned"),
    ("sk-None-" + r(20) + "T3BlbkFJ" + r(20), "openai_api_key"),
    # families with no format before
    (r(3) + "8Q~" + r(34, ALNUM + "_~.-"), "azure_client_secret"),
    ("SK" + r(32, HEX), "twilio_api_key_sid"),
    ("SG." + r(22) + "." + r(43), "sendgrid_api_key"),
    ("dapi" + r(32, HEX), "databricks_token"),
    ("dapi" + r(32, HEX) + "-2", "databricks_token"),
    ("ntn_" + r(11, "0123456789") + r(35), "notion_api_token"),
    ("secret_" + r(43), "notion_legacy_integration_token"),
    ("lin_api_" + r(40), "linear_api_key"),
    ("ATATT3" + r(186, ALNUM + "_-"), "atlassian_api_token"),
    ("hf_" + r(34, string.ascii_letters), "huggingface_token"),
    ("api_org_" + r(34, string.ascii_letters), "huggingface_org_token"),
    ("v1.0-" + r(24, HEX) + "-" + r(146, HEX), "cloudflare_origin_ca_key"),
    ("dop_v1_" + r(64, HEX), "digitalocean_pat"),
    ("doo_v1_" + r(64, HEX), "digitalocean_oauth_token"),
    ("dp.pt." + r(43), "doppler_token"),
    ("dp.st.prd." + r(40), None),  # a config-scoped service token has its environment in it: not this shape
    ("ops_eyJ" + r(300, ALNUM + "+/"), "onepassword_service_account_token"),
    ("ABSK" + r(130, ALNUM + "+/") + "=", "aws_bedrock_api_key"),
    ("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t" + r(120, ALNUM + "+/"), "aws_bedrock_short_term_api_key"),
    ("sntryu_" + r(64, HEX), "sentry_user_token"),
    ("sntrys_eyJpYXQiOjE3MDAwMDAwMDB9" + r(60), "sentry_org_token"),
    ("gsk_" + r(52), "groq_api_key"),
    ("sk-or-v1-" + r(64, HEX), "openrouter_api_key"),
    ("pplx-" + r(48), "perplexity_api_key"),
    ("glsa_" + r(32) + "_" + r(8, HEX), "grafana_service_account_token"),
    ("dckr_pat_" + r(27), "docker_hub_pat"),
    ("GOCSPX-" + r(28), "google_oauth_client_secret"),
    ("AGE-SECRET-KEY-1" + r(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"), "age_secret_key"),
]


@pytest.mark.parametrize("value, expected", FAMILIES, ids=[f"{e}-{v[:10]}" for v, e in FAMILIES])
def test_each_family_by_format_under_a_neutral_name(value, expected):
    assert types(value, "VALUE") == ([expected] if expected else [])


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("COHERE_API_KEY", r(40), "cohere_api_key"),
        ("CO_API_KEY", r(40), "cohere_api_key"),
        ("DD_API_KEY", r(32, HEX), "datadog_api_key"),
        ("DD_APP_KEY", r(40, HEX), "datadog_app_key"),
        ("CLOUDFLARE_API_TOKEN", r(40, ALNUM + "_-"), "cloudflare_api_token"),
        ("TWILIO_AUTH_TOKEN", r(32, HEX), "twilio_auth_token"),
        ("MISTRAL_API_KEY", r(32), "mistral_api_key"),
        ("AZURE_OPENAI_API_KEY", r(32, HEX), "azure_openai_key"),
        ("AZURE_STORAGE_ACCOUNT_KEY", r(86) + "==", "azure_storage_key"),
        ("PRIVATE_KEY", "0x" + r(64, HEX), "named_secret"),  # a wallet key: the name is enough
        ("ENCRYPTION_KEY", r(44), "named_secret"),
        ("DATABASE_DSN", "postgresql://agent:" + r(20) + "@db.internal:5432/app", "url_password"),
        ("SESSION_COOKIE", r(48), "named_secret"),
        ("apiKey", r(32), "named_secret"),
    ],
)
def test_a_telling_name_types_what_has_no_format(name, value, expected):
    assert types(value, name) == [expected]


@pytest.mark.parametrize(
    "name, value",
    [
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_" + r(24)),
        ("OPENAI_PUBLIC_KEY_ID", r(20)),
        ("CACHE_KEY", "users:list"),
        ("KEY_ID", r(20)),
        ("PRIVATE_KEY_PATH", "/etc/keys/agent.pem"),
        ("SENTRY_DSN", "https://" + r(32, HEX) + "@o1.ingest.sentry.io/1"),  # a DSN's key is public
    ],
)
def test_names_that_only_look_secret(name, value):
    assert types(value, name) == []


@pytest.mark.parametrize(
    "name, value",
    [
        ("ANTHROPIC_API_KEY", "sk-ant-..."),
        ("ANTHROPIC_API_KEY", "sk-ant-api03-..."),
        ("OPENAI_API_KEY", "sk-proj-abc...wxyz"),
        ("OPENAI_API_KEY", "sk-proj-" + "x" * 40),
        ("GITHUB_TOKEN", "ghp_" + "x" * 36),
        ("GITHUB_TOKEN", "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
        ("SLACK_BOT_TOKEN", "xoxb-your-bot-token"),
        ("API_KEY", "…"),
        ("AWS_ACCESS_KEY_ID", "AKIAI44QH8DHBEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"),
        ("STRIPE_SECRET_KEY", "sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
        ("GITHUB_TOKEN", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
        (
            "JWT",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5"
            "MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        ),
        ("TOKEN", "<paste-your-token>"),
        ("API_KEY", "your_api_key_here"),
        ("API_KEY", "sample-key-1234567890"),
    ],
)
def test_examples_and_placeholders_are_never_flagged(name, value):
    assert types(value, name) == []
    assert types(value) == []


def test_json_inside_an_env_value_is_parsed():
    key_id = r(40, HEX)
    service_account = {
        "type": "service_account",
        "project_id": "northwind-agents",
        "private_key_id": key_id,
        "private_key": "-----BEGIN PRIVATE KEY-----\n" + r(64) + "\n-----END PRIVATE KEY-----\n",
        "client_email": "ops-copilot@northwind-agents.iam.gserviceaccount.com",
    }
    token = r(36)
    nested = {"auth": {"token": token}, "region": "eu", "extra": ["ghp_" + r(36)]}
    scan = scan_server({"env": {"GOOGLE_CREDENTIALS": json.dumps(service_account), "CONFIG": json.dumps(nested)}})
    got = sorted((f.secret_type, f.field, f.key_id) for f in scan.found)
    assert got == [
        ("gcp_service_account_key", "env GOOGLE_CREDENTIALS json private_key", key_id),
        ("github_pat", "env CONFIG json extra[0]", None),
        ("named_secret", "env CONFIG json auth.token", None),
    ]
    gcp = next(f for f in scan.found if f.secret_type == "gcp_service_account_key")
    assert gcp.hint == "ops-copilot@northwind-agents.iam.gserviceaccount.com" and "PRIVATE KEY" not in gcp.hint
