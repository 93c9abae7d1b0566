"""RestClient error messages never carry what a request carried: header values (keys,
tokens) or query strings (signatures, tokens). These messages are stored in scope_result and
the revocation log and printed on stderr."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nhi_cli.kit.connector import CollectContext, ScopeDenied, ScopeFailed
from nhi_cli.kit.http import HttpError, NotFound, RestClient
from nhi_cli.kit.http_fake import FakeHttpServer, reply

KEY = "sk-admin-Zx8Wq3Rt6Yp1Lm4Nb7Vc2Kj5Hg9Fd0SaQe"


def client(url: str, key: str = KEY, **kwargs) -> RestClient:
    ctx = CollectContext(now=datetime.now(UTC), settings=None)
    return RestClient(
        url, ctx, label="t", headers=lambda: {"Authorization": f"Bearer {key}"}, sleep=lambda s: None, **kwargs
    )


@pytest.mark.parametrize("bad", ["\n", "\r\n", " \n", "\x00"])
def test_a_key_with_a_forbidden_character_fails_at_once_without_quoting_the_key(bad):
    with FakeHttpServer() as fake:
        fake.route("GET", r"/x", lambda req: reply({}))
        with client(fake.url, KEY + bad) as rest, pytest.raises(ScopeFailed) as raised:
            rest.get_json("/x")
        assert fake.calls() == []  # never sent, and not retried
    assert raised.value.code == "invalid_request"
    assert "line breaks" in raised.value.message
    assert KEY[9:21] not in str(raised.value) and KEY not in repr(raised.value)


@pytest.mark.parametrize("status, error", [(500, HttpError), (404, NotFound), (401, ScopeDenied), (403, ScopeDenied)])
def test_http_errors_name_the_path_but_not_its_query_string(status, error):
    with FakeHttpServer() as fake:
        fake.route("GET", r"/files/.*", lambda req: reply({"error": {"code": "Boom"}}, status))
        with client(fake.url, max_retries=1) as rest, pytest.raises(error) as raised:
            rest.get_json(f"{fake.url}/files/report.csv?sig=SIGsecretQ9w8e7r6t5y4&access_token=tokSECRETz1x2c3v4")
    text = str(raised.value) + getattr(raised.value, "message", "")
    assert "/files/report.csv" in text
    assert "SIGsecret" not in text and "tokSECRET" not in text and "sig=" not in text


def test_transport_errors_keep_the_reason_but_not_the_credentials_in_the_url():
    # Nothing listens on port 9 of loopback: connection refused, after the retries.
    with client("http://nhi-user:PwSecret8Kq2Lz@127.0.0.1:9", max_retries=1) as rest:
        with pytest.raises(ScopeFailed) as raised:
            rest.get_json("/v1/things?page_token=PgTokSecret77x")
    assert raised.value.code == "unreachable"
    assert "GET /v1/things" in raised.value.message and "ConnectError" in raised.value.message
    assert "PwSecret" not in str(raised.value) and "PgTokSecret" not in str(raised.value)
