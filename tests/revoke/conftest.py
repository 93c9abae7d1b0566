"""A moto server on loopback that counts every API call it serves (server side), and a small
Northwind estate seeded through boto3: the rogue agent's IAM user and role, a break-glass
user (protected), an admin operator and a read-only operator.

The CLI is pointed at the server through `providers.aws.endpoint` in nhi.yaml, exactly as a
user would point it at a proxy, and scans it with the real AWS connector before revoking.
"""

from __future__ import annotations

import io
import json
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.moto_wsgi import serve_moto

ACCOUNT = "123456789012"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["iam:Get*", "iam:List*", "iam:GenerateCredentialReport", "sts:GetCallerIdentity"],
            "Resource": "*",
        }
    ],
}
MUTATING_PREFIXES = (
    "Update",
    "Put",
    "Delete",
    "Attach",
    "Detach",
    "Create",
    "Remove",
    "Add",
    "Tag",
    "Untag",
    "Deactivate",
    "Enable",
    "Disable",
    "Set",
    "Reset",
    "Upload",
    "Change",
)


@dataclass
class CountingMoto:
    url: str
    calls: Counter = field(default_factory=Counter)
    faults: dict = field(default_factory=dict)  # "iam:UpdateAccessKey" -> (status, code, message)
    holds: dict = field(default_factory=dict)  # "iam:UpdateAccessKey" -> threading.Event: answer once set

    def mutating(self) -> dict[str, int]:
        return {k: v for k, v in self.calls.items() if k.split(":", 1)[1].startswith(MUTATING_PREFIXES)}

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=10).close()
        self.calls.clear()
        self.faults.clear()
        for event in self.holds.values():
            event.set()
        self.holds.clear()


def _operation(environ) -> str:
    op = environ.get("HTTP_X_AMZ_TARGET", "").split(".")[-1]
    if not op:  # query protocol (iam, sts): Action in the form body
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        op = urllib.parse.parse_qs(body.decode()).get("Action", ["?"])[0]
    auth = environ.get("HTTP_AUTHORIZATION", "")
    service = auth.split("Credential=")[1].split("/")[3] if "Credential=" in auth else "?"
    return f"{service}:{op}"


@pytest.fixture(scope="session")
def moto_server():
    state = CountingMoto(url="")

    def counting(moto_app):
        def app(environ, start_response):
            if environ.get("PATH_INFO", "").startswith("/moto-api"):
                return moto_app(environ, start_response)
            op = _operation(environ)
            state.calls[op] += 1
            if op in state.holds:  # a provider that has received the call and not answered yet
                state.holds[op].wait(timeout=120)
            if op in state.faults:  # an injected provider error (e.g. throttling that never clears)
                status, code, message = state.faults[op]
                body = (
                    f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                    f"</Error><RequestId>x</RequestId></ErrorResponse>"
                ).encode()
                start_response(f"{status} Error", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
                return [body]
            return moto_app(environ, start_response)

        return app

    with serve_moto(counting) as (url, _app):
        state.url = url
        yield state


@dataclass
class Estate:
    moto: CountingMoto
    keys: dict  # name -> (access key id, secret)
    role_arn: str

    def client(self, service: str, key: str | None = None, session: dict | None = None):
        import boto3
        from botocore.config import Config

        if session:
            creds = dict(
                aws_access_key_id=session["AccessKeyId"],
                aws_secret_access_key=session["SecretAccessKey"],
                aws_session_token=session["SessionToken"],
            )
        elif key:
            creds = dict(aws_access_key_id=self.keys[key][0], aws_secret_access_key=self.keys[key][1])
        else:
            creds = dict(aws_access_key_id="testing", aws_secret_access_key="testing")
        return boto3.client(
            service,
            endpoint_url=self.moto.url,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}),
            **creds,
        )


def write_config(tmp_path, url: str, extra: str = "") -> None:
    (tmp_path / "nhi.yaml").write_text(f"""version: 1
providers:
  aws:
    endpoint: {url}
    aws_managed_policies: known
    access_key_ids: true
agents:
  - name: ops-copilot
    owner: dana.lee@northwind.example
    identities: ["*ops-copilot*"]
protected: ["*break-glass*", "*nhi-scanner*"]
{extra}""")


@pytest.fixture
def estate(moto_server, tmp_path, nhi) -> Estate:
    """The seeded estate, a nhi.yaml pointing at it, and a completed `nhi scan`."""
    moto_server.reset()
    e = Estate(moto=moto_server, keys={}, role_arn="")
    iam = e.client("iam")
    for name, policy in (("ops-copilot", ADMIN), ("break-glass", ADMIN), ("operator", ADMIN), ("reader", READ_ONLY)):
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="access", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        e.keys[name] = (key["AccessKeyId"], key["SecretAccessKey"])
    iam.create_login_profile(UserName="ops-copilot", Password="Fake-Passw0rd-NotReal!")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="ops-copilot-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="ops-copilot-role", PolicyName="access", PolicyDocument=json.dumps(ADMIN))
    e.role_arn = role["Arn"]
    write_config(tmp_path, moto_server.url)
    result = nhi("scan", "--format", "json")
    assert result.code == 0, result.err
    moto_server.calls.clear()
    return e


@pytest.fixture
def sign_as(estate, monkeypatch):
    """Make the CLI sign as a seeded user (needed once moto enforces policies)."""

    def use(name: str) -> None:
        key_id, secret = estate.keys[name]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)

    return use
