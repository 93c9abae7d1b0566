"""An exception nhi did not foresee is recorded with its text (a failed scope in the inventory,
a failed revoke step in the revoke log, both printed). SDKs quote what they sent in those texts;
whatever of it is a credential is replaced before nhi keeps or prints it."""

from __future__ import annotations

import pytest

from nhi_cli.kit.secrets import scrub_credentials, unexpected_error

TOKEN = "k8sTokenValue0123456789abcdef"
GHP = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
SK = "sk-proj-" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlLXZhbHVlLXh5"

LEAKY = [
    # the kubernetes client's ApiException for a request it could not send
    (f"HTTP response headers: HTTPHeaderDict({{'Authorization': 'Bearer {TOKEN}'}})", TOKEN),
    (f"Invalid header value b'Bearer {TOKEN}\\n'", TOKEN),
    (f"Illegal header value b'token {GHP}'", GHP),
    (f"HTTPSConnectionPool(host='api.example.com'): Max retries exceeded with url: /v1?api_key={SK}", SK),
    (f"https://x-access-token:{GHP}@github.com/org/repo.git: connection refused", GHP),
    (f"could not reach https://{GHP}@github.com/org/repo", GHP),
    (f"request to https://bucket.s3.amazonaws.com/k?X-Amz-Signature={'ab' * 32}&x=1 failed", "ab" * 32),
    (f"unexpected answer containing {SK} in its body", SK),
    (f"id_token {JWT} rejected", JWT),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA7"),
    (f"{{'x-api-key': '{SK}'}}", SK),
]


@pytest.mark.parametrize(("text", "secret"), LEAKY)
def test_credentials_in_an_sdk_error_are_replaced(text, secret):
    scrubbed = scrub_credentials(text)
    assert secret not in scrubbed
    assert "[redacted" in scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "AccessDenied: User: arn:aws:iam::123456789012:user/ci-bot is not authorized to perform iam:ListUsers",
        "KeyError: 'properties'",
        "ConnectionRefusedError: [Errno 111] Connection refused (GET /api/v1/serviceaccounts?limit=500)",
        "TypeError: 'NoneType' object is not subscriptable",
        "the token file /var/run/secrets/kubernetes.io/serviceaccount/token is empty",
        "Unauthorized: bearer credentials rejected, token expiration reached",
        "PERMISSION_DENIED: caller lacks iam.serviceAccountKeys.list on projects/nw-data",
        "ssh://git@github.com/org/repo.git and mailto alice@example.com",
    ],
)
def test_an_ordinary_error_reads_as_it_was(text):
    assert scrub_credentials(text) == text


def test_the_recorded_form_names_the_exception_and_keeps_its_limit():
    recorded = unexpected_error(RuntimeError(f"refused: Authorization: Bearer {TOKEN}"), 300)
    assert recorded.startswith("RuntimeError: refused: Authorization")
    assert TOKEN not in recorded
    assert len(unexpected_error(ValueError("x" * 1000), 300)) == 300
