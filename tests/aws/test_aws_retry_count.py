"""scope_result.api_calls counts what the provider saw: a throttled call that boto3 retries
counts twice (it is counted per HTTP attempt, not per API call)."""

from __future__ import annotations

import io
import urllib.parse
import urllib.request

import pytest
from aws_helpers import iam_calls, scan_json, write_config

from nhi_connectors.aws import fake
from tests.moto_wsgi import serve_moto

THROTTLED = (
    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
    b"</Error><RequestId>1</RequestId></ErrorResponse>"
)


class ThrottleOnce:
    """Answers the first GetAccountAuthorizationDetails with Throttling, then lets all through."""

    def __init__(self, app):
        self.app, self.throttled = app, 0

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        action = urllib.parse.parse_qs(body.decode(errors="replace")).get("Action", [""])[0]
        if action == "GetAccountAuthorizationDetails" and not self.throttled:
            self.throttled += 1
            start_response("400 Bad Request", [("Content-Type", "text/xml"), ("Content-Length", str(len(THROTTLED)))])
            return [THROTTLED]
        return self.app(environ, start_response)


@pytest.fixture
def throttling_moto():
    with serve_moto(ThrottleOnce) as (url, middleware):
        yield url, middleware


def test_a_retried_call_counts_as_the_provider_saw_it(nhi, tmp_path, throttling_moto, now):
    url, middleware = throttling_moto
    fake.add_user(fake.iam_backend("123456789012"), {"name": "svc"}, now)
    result, out = scan_json(nhi, write_config(tmp_path / "nhi.yaml", url))
    assert result.code == 0, result.err
    assert middleware.throttled == 1
    assert iam_calls(out["scopes"][0])["iam:GetAccountAuthorizationDetails"] == 2
